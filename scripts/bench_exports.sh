#!/usr/bin/env bash
# Benchmark (not a test): one month archived from Cost Management export parts, from gzip CSV
# parts and from Parquet parts, side by side with DuckDB reading the same parts into one Parquet
# file (read_csv / read_parquet; DuckDB types money as DOUBLE, the archiver as exact decimals).
# Wall, CPU (user + system), peak memory (max RSS) and output size, median of RUNS runs taken
# in alternation, with the CPU model. Prints a Markdown table (BENCHMARKS.md §6).
#
#   scripts/bench_exports.sh [ROWS] [RUNS]     default 1000000 rows, 3 runs
#
# Binary: $EAUA_BIN (default: the release build, `cargo build --release --locked
# --features test-hooks`). The container is written once by `simulate-exports` into
# .cache/bench/exports-ROWS (its 2025-01 run: two Parquet parts; 2025-02: one gzip CSV part).
# DuckDB: the Python package in ${EAUA_VENV:-.venv} (scripts/python-env.sh), 2 threads.
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-1000000}"
runs="${2:-3}"
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

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
results="$tmp/results.tsv"

# One measured command: name, then the command; records wall, user+sys, max RSS and the size
# of the output it leaves in $tmp/out.
measure() {
  local name="$1"; shift
  rm -rf "$tmp/out" && mkdir -p "$tmp/out"
  /usr/bin/time -f "%e %U %S %M" -o "$tmp/time" "$@" >/dev/null 2>"$tmp/err" || { cat "$tmp/err" >&2; exit 1; }
  read -r wall user sys rss <"$tmp/time"
  size="$(find "$tmp/out" -name '*.parquet' -printf '%s\n' | awk '{s+=$1} END {print s+0}')"
  printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$wall" "$(echo "$user + $sys" | bc)" "$rss" "$size" >>"$results"
}

cat >"$tmp/duck.py" <<'PY'
import sys, duckdb
reader, glob, out = sys.argv[1:]
con = duckdb.connect()
con.execute("SET threads = 2")
# Export CSV dates are MM/dd/yyyy, which DuckDB's sniffer can take for dd/MM/yyyy.
opts = ", dateformat = '%m/%d/%Y'" if reader == "read_csv" else ""
con.execute(f"COPY (SELECT * FROM {reader}(?{opts})) TO '{out}' (FORMAT parquet, COMPRESSION zstd)", [glob])
PY
ours=("$bin" archive --source exports --exports-root "$root" --dest "$tmp/out" --month)
duck=("$py" "$tmp/duck.py")

for i in $(seq "$runs"); do
  echo "run $i of $runs" >&2
  measure "archiver, Parquet parts" "${ours[@]}" 2025-01
  measure "DuckDB read_parquet" "${duck[@]}" read_parquet "$parquet_run/*.parquet" "$tmp/out/duckdb.parquet"
  measure "archiver, gzip CSV part" "${ours[@]}" 2025-02
  measure "DuckDB read_csv" "${duck[@]}" read_csv "$gzip_run/*.csv.gz" "$tmp/out/duckdb.parquet"
done

cpu="$(lscpu | sed -n 's/^Model name: *//p' | head -1)"
echo "CPU: $cpu, $(nproc) cores; $rows rows a month; median of $runs alternating runs"
"$py" - "$results" <<'PY'
import csv, statistics, sys
rows = {}
for name, wall, cpu, rss, size in csv.reader(open(sys.argv[1]), delimiter="\t"):
    rows.setdefault(name, []).append((float(wall), float(cpu), int(rss), int(size)))
print("| run | wall s | CPU s | peak RSS MiB | output MB |")
print("|---|---:|---:|---:|---:|")
for name, v in rows.items():
    med = [statistics.median(x[i] for x in v) for i in range(4)]
    print(f"| {name} | {med[0]:.2f} | {med[1]:.2f} | {med[2] / 1024:.0f} | {med[3] / 1e6:.1f} |")
PY
