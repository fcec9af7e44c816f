#!/usr/bin/env bash
# Benchmark (not a test) of the CSV and Parquet inputs: one month archived from a Cost Details
# report saved as plain CSV (replayed with --from-dir), from a gzip CSV export part and from
# Parquet export parts (--source exports), each side by side with DuckDB converting the same
# files into one Parquet file. Wall, CPU (user + system), peak memory (max RSS) and output size,
# median of RUNS runs taken in alternation, with the CPU model. Prints a Markdown table.
#
#   scripts/bench_exports.sh [ROWS] [RUNS]     default 1000000 rows, 5 runs
#   scripts/bench_exports.sh --memory [ROWS]   peak memory of a month of ROWS rows against one
#                                              of 10 x ROWS (each part listed ten times)
#
# Inputs: the simulator's export container (`simulate-exports --day 1`), written once into
# .cache/bench/exports-ROWS: its 2025-01 run (two Parquet parts, snappy, typed columns) and its
# 2025-02 month-end run (one gzip CSV part, the older column generation; also decompressed into
# a folder as a plain CSV report). DuckDB (Python package in ${EAUA_VENV:-.venv}, 2 threads):
#   CSV: read_csv(all_varchar), money columns TRY_CAST to DOUBLE, Date parsed (MM/dd/yyyy),
#        brace-less Tags wrapped in braces and cast to MAP(VARCHAR, VARCHAR) where json_valid,
#        the rest as text, COPY (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 3);
#   Parquet: read_parquet copied as it is (typed columns, money as stored).
# Binary: $EAUA_BIN (default: `cargo build --release --locked --features test-hooks`).
set -euo pipefail
cd "$(dirname "$0")/.."
memory=0
if [[ "${1:-}" == "--memory" ]]; then memory=1; shift; fi
rows="${1:-1000000}"
runs="${2:-5}"
bin="${EAUA_BIN:-}"
if [[ -z "$bin" ]]; then
  cargo build --release --locked --features test-hooks >&2
  bin="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/ea-usage-archiver"
fi
bash scripts/python-env.sh >&2
py="${EAUA_VENV:-.venv}/bin/python"

root=".cache/bench/exports-$rows"
if [[ ! -f "$root/expected.json" ]]; then
  rm -rf "$root" && mkdir -p "$root"
  "$bin" simulate-exports --out "$root" --month 2025-03 --day 1 --rows-per-month "$rows" >"$root/expected.json.tmp"
  mv "$root/expected.json.tmp" "$root/expected.json"
fi
parquet_run="$root/exports/daily-actual/20250101-20250131/run-202501-final"
gzip_run="$root/exports/daily-actual/20250201-20250228/run-month-end"
plain=".cache/bench/report-csv-$rows"
if [[ ! -f "$plain/part_0_0001.csv" ]]; then
  rm -rf "$plain" && mkdir -p "$plain"
  gzip -dc "$gzip_run/part_0_0001.csv.gz" >"$plain/part_0_0001.csv.tmp"
  mv "$plain/part_0_0001.csv.tmp" "$plain/part_0_0001.csv"
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
results="$tmp/results.tsv"

# One measured command: name, then the command; records wall, user+sys, max RSS and the size
# of the Parquet it leaves in $tmp/out.
measure() {
  local name="$1"; shift
  rm -rf "$tmp/out" && mkdir -p "$tmp/out"
  /usr/bin/time -f "%e %U %S %M" -o "$tmp/time" "$@" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
  read -r wall user sys rss <"$tmp/time"
  size="$(find "$tmp/out" -name '*.parquet' -printf '%s\n' | awk '{s+=$1} END {print s+0}')"
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$wall" "$(echo "$user + $sys" | bc)" "$sys" "$rss" "$size" >>"$results"
}

cat >"$tmp/duck.py" <<'PY'
import sys, duckdb
kind, glob, out = sys.argv[1:]
con = duckdb.connect()
con.execute("SET threads = 2")
if kind == "parquet":
    con.execute(f"COPY (SELECT * FROM read_parquet(?)) TO '{out}' (FORMAT parquet, COMPRESSION zstd)", [glob])
    sys.exit(0)
cols = [r[0] for r in con.execute(
    "DESCRIBE SELECT * FROM read_csv(?, all_varchar = true, header = true)", [glob]).fetchall()]
money = {"Quantity", "EffectivePrice", "UnitPrice", "PayGPrice", "Cost", "CostInBillingCurrency"}
q = lambda c: '"' + c.replace('"', '""') + '"'
exprs = []
for c in cols:
    if c in money:
        exprs.append(f"TRY_CAST({q(c)} AS DOUBLE) AS {q(c)}")
    elif c == "Date":
        exprs.append(f"CAST(strptime({q(c)}, '%m/%d/%Y') AS DATE) AS {q(c)}")
    elif c == "Tags":
        exprs.append("CASE WHEN json_valid('{' || Tags || '}') "
                     "THEN TRY_CAST(json('{' || Tags || '}') AS MAP(VARCHAR, VARCHAR)) END AS Tags")
    else:
        exprs.append(q(c))
con.execute(f"COPY (SELECT {', '.join(exprs)} FROM read_csv(?, all_varchar = true, header = true)) "
            f"TO '{out}' (FORMAT parquet, COMPRESSION zstd, COMPRESSION_LEVEL 3)", [glob])
PY
replay=("$bin" archive --enrollment 1234567 --month 2025-02 --metric actual --from-dir "$plain" --dest "$tmp/out")
exports=("$bin" archive --source exports --exports-root "$root" --dest "$tmp/out" --month)
duck=("$py" "$tmp/duck.py")
cpu="$(lscpu | sed -n 's/^Model name: *//p' | head -1)"

if ((memory)); then
  # A month of 10 x ROWS: each run's parts linked under ten names and all listed in its
  # manifest (a manifest may not list one blob twice), and the plain report linked ten times.
  big="$tmp/big"
  cp -rl "$root" "$big"
  "$py" - "$big" <<'PY'
import json, os, pathlib, sys
root = pathlib.Path(sys.argv[1])
for m in root.rglob("manifest.json"):
    doc = json.loads(m.read_text())
    blobs = []
    for k in range(10):
        for b in doc["blobs"]:
            name = b["blobName"]
            copy = name.replace("part_", f"copy{k}_part_") if k else name
            src = root / name  # the root is the container: blob names are paths under it
            if k and src.exists():
                os.link(src, root / copy)
            blobs.append(dict(b, blobName=copy))
    doc["blobs"] = blobs
    doc["blobCount"] = len(blobs)
    for key in ("dataRowCount", "byteCount"):
        if doc.get(key) is not None:
            doc[key] *= 10
    m.unlink()  # a hard link to the cached container's manifest: replace it, never write into it
    m.write_text(json.dumps(doc))
PY
  mkdir -p "$tmp/plain10"
  for i in $(seq -w 1 10); do ln -s "$PWD/$plain/part_0_0001.csv" "$tmp/plain10/part_$i.csv"; done
  for i in 1 2; do
    measure "Parquet parts, 1x" "${exports[@]}" 2025-01
    measure "Parquet parts, 10x" "$bin" archive --source exports --exports-root "$big" --dest "$tmp/out" --month 2025-01
    measure "gzip CSV part, 1x" "${exports[@]}" 2025-02
    measure "gzip CSV part, 10x" "$bin" archive --source exports --exports-root "$big" --dest "$tmp/out" --month 2025-02
    measure "plain CSV report, 1x" "${replay[@]}"
    measure "plain CSV report, 10x" "$bin" archive --enrollment 1234567 --month 2025-02 --metric actual --from-dir "$tmp/plain10" --dest "$tmp/out"
  done
  echo "CPU: $cpu, $(nproc) cores; $rows and $((rows * 10)) rows a month; the higher of 2 runs"
  "$py" - "$results" <<'PY'
import csv, sys
peak = {}
for name, wall, cpu, sys_, rss, size in csv.reader(open(sys.argv[1]), delimiter="\t"):
    peak[name] = max(peak.get(name, 0), int(rss))
print("| input | peak RSS MiB, 1x | peak RSS MiB, 10x | 10x / 1x |")
print("|---|---:|---:|---:|")
for base in ("Parquet parts", "gzip CSV part", "plain CSV report"):
    a, b = peak[f"{base}, 1x"], peak[f"{base}, 10x"]
    print(f"| {base} | {a / 1024:.0f} | {b / 1024:.0f} | {b / a:.3f} |")
PY
  exit 0
fi

for i in $(seq "$runs"); do
  echo "run $i of $runs" >&2
  measure "archiver, plain CSV report (--from-dir)" "${replay[@]}"
  measure "DuckDB, plain CSV" "${duck[@]}" csv "$plain/*.csv" "$tmp/out/duckdb.parquet"
  measure "archiver, gzip CSV part (exports)" "${exports[@]}" 2025-02
  measure "DuckDB, gzip CSV" "${duck[@]}" csv "$gzip_run/*.csv.gz" "$tmp/out/duckdb.parquet"
  measure "archiver, Parquet parts (exports)" "${exports[@]}" 2025-01
  measure "DuckDB, read_parquet" "${duck[@]}" parquet "$parquet_run/*.parquet" "$tmp/out/duckdb.parquet"
done

echo "CPU: $cpu, $(nproc) cores; $rows rows a month; median of $runs alternating runs"
"$py" - "$results" <<'PY'
import csv, statistics, sys
rows = {}
for name, wall, cpu, sys_, rss, size in csv.reader(open(sys.argv[1]), delimiter="\t"):
    rows.setdefault(name, []).append((float(wall), float(cpu), float(sys_), int(rss), int(size)))
med = {n: [statistics.median(x[i] for x in v) for i in range(5)] for n, v in rows.items()}
print("| run | wall s | CPU s (sys) | peak RSS MiB | output MB | wall / DuckDB's | output / DuckDB's |")
print("|---|---:|---:|---:|---:|---:|---:|")
names = list(med)
for i, name in enumerate(names):
    m = med[name]
    ratio = ""
    if name.startswith("archiver"):
        d = med[names[i + 1]]
        ratio = f"| **{m[0] / d[0]:.3f}** | {m[4] / d[4]:.3f}× "
    else:
        ratio = "| | "
    print(f"| {name} | {m[0]:.2f} | {m[1]:.2f} ({m[2]:.2f}) | {m[3] / 1024:.0f} | {m[4] / 1e6:.1f} {ratio}|")
PY
