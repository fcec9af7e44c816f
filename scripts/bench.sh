#!/usr/bin/env bash
# Replay benchmark: how fast, and in how much memory, the archiver turns saved EA usage-details
# pages into Parquet, against the same conversion done by DuckDB and by pyarrow, and against the
# floor of merely parsing the same bytes into a typed serde struct (one thread).
#
#   scripts/bench.sh [--rows N] [--runs K] [--no-verify]        (from the repo root, or anywhere)
#
#   --rows N     rows to generate and convert (default 1,000,000; 10,000,000 is the memory check
#                and needs ~12.5 GB of disk for the pages)
#   --runs K     rounds (default 5); each round runs every tool once, alternating, so drift in
#                the machine's load hits all tools alike; the table shows medians
#   --no-verify  skip the check that DuckDB's and pyarrow's files equal the archiver's
#   EAUA_BIN=…   use this archiver binary instead of `cargo build --release --locked --features test-hooks`
#
# What it does, installing what it needs (python3 with venv; cargo unless EAUA_BIN is set):
#   1. pages: ../shared/bench/gen_usage_pages.py --rows N into .cache/bench/pages-N (kept; redone
#      only if incomplete), ~1,245 bytes/row, 1,000 rows/page, then read once to warm the page cache;
#   2. a virtualenv .cache/bench/venv with duckdb and pyarrow at the versions pinned in
#      tests/readers/requirements.txt (skipped when already there);
#   3. the archiver: `cargo build --release --locked --features test-hooks`, unless EAUA_BIN is set;
#   4. K rounds of, each a separate process measured by scripts/bench_measure.py (wall time,
#      user+sys CPU, peak RSS from wait4):
#        archiver  ea-usage-archiver archive --from-dir PAGES --enrollment 1234567 --month 2017-04
#        duckdb    scripts/bench_duckdb.py   (same conversion in DuckDB, 2 threads)
#        duckdb_plain scripts/bench_duckdb_plain.py (plain read_json + unnest, costs DOUBLE)
#        pyarrow   scripts/bench_pyarrow.py  (same conversion with pyarrow, 2 threads)
#        floor     ea-usage-archiver bench-parse --from-dir PAGES   (skipped if the binary lacks it)
#      every run must exit 0 and report N rows; after round 1 DuckDB's and pyarrow's Parquet
#      files are compared value by value with the archiver's (scripts/bench_compare.py; any
#      difference stops the benchmark) unless --no-verify;
#   5. prints the machine, the versions and a Markdown table (medians; rows/s; archiver wall
#      divided by each tool's), and writes it with every raw run to .cache/bench/results-N.{md,json}.
#   6. up to 2M rows, the CSV and Parquet inputs: scripts/bench_exports.sh ROWS K (a Cost Details
#      report as plain CSV, a gzip CSV and Parquet export parts, each against DuckDB's conversion).
set -euo pipefail
cd "$(dirname "$0")/.."

rows=1000000
runs=5
verify=1
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit "${1:-0}"; }
while (($#)); do
    case "$1" in
        --rows) rows="${2:?--rows needs a number}"; shift 2 ;;
        --runs) runs="${2:?--runs needs a number}"; shift 2 ;;
        --no-verify) verify=0; shift ;;
        -h | --help) usage 0 ;;
        *) echo "bench: unknown argument '$1'" >&2; usage 2 >&2 ;;
    esac
done
rows="${rows//[,_]/}"
[[ "$rows" =~ ^[1-9][0-9]*$ ]] || { echo "bench: --rows must be a positive integer" >&2; exit 2; }
[[ "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "bench: --runs must be a positive integer" >&2; exit 2; }

cache=.cache/bench
pages="$cache/pages-$rows"
venv="$cache/venv"
out="$cache/out"
gen=../shared/bench/gen_usage_pages.py
enrollment=1234567
month=2017-04
mkdir -p "$cache"
[[ -f "$gen" ]] || { echo "bench: the page generator $gen is missing (shared/ beside the repo)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "bench: python3 is needed (apt-get install python3 python3-venv)" >&2; exit 1; }

# --- disk: the pages (unless already there) plus three Parquet outputs (~60 bytes/row each) and 10%
page_bytes=1245
npages=$(((rows + 999) / 1000))
need=$((rows * 3 * 60))
if [[ ! -f "$pages/.complete" ]]; then need=$((need + rows * page_bytes)); fi
need=$((need + need / 10))
avail=$(($(df -Pk "$cache" | awk 'NR == 2 {print $4}') * 1024))
if ((rows >= 10000000)); then
    awk -v n="$rows" -v b="$page_bytes" -v dir="$cache" 'BEGIN { printf "bench: note: %d rows need ~%.1f GB of disk for the pages under %s\n", n, n * b / 1e9, dir }'
fi
if ((avail < need)); then
    awk -v need="$need" -v avail="$avail" -v dir="$cache" 'BEGIN {
        printf "bench: sorry, not enough free disk under %s: this run needs ~%.1f GB and %.1f GB are free.\n", dir, need / 1e9, avail / 1e9
        print "bench: free some space or choose fewer --rows; nothing was written." }' >&2
    exit 1
fi

# --- 1. pages (generated into a temporary directory, then renamed: a cut-off run leaves no half set)
gen_sha=$(sha256sum "$gen" | cut -c1-16)
if [[ -f "$pages/.complete" && "$(head -n1 "$pages/.complete")" == "generator $gen_sha" ]] &&
    (($(find "$pages" -name 'page-*.json' | wc -l) == npages)); then
    echo "== pages: $pages (cached: $(tail -n1 "$pages/.complete"))"
else
    echo "== pages: generating $rows rows into $pages"
    rm -rf "$pages" "$pages.tmp"
    summary=$(python3 "$gen" --rows "$rows" --out "$pages.tmp")
    printf 'generator %s\n%s\n' "$gen_sha" "$summary" >"$pages.tmp/.complete"
    mv "$pages.tmp" "$pages"
    echo "   $summary"
fi

# --- 2. virtualenv with the pinned duckdb and pyarrow
pins=$(grep -E '^(duckdb|pyarrow)==' tests/readers/requirements.txt | sort | paste -sd' ' -)
[[ "$pins" == *duckdb==* && "$pins" == *pyarrow==* ]] || { echo "bench: no duckdb/pyarrow pins in tests/readers/requirements.txt" >&2; exit 1; }
want="$pins$(python3 -c 'import sys; print(sys.version.split()[0])')"
if [[ -x "$venv/bin/python" && -f "$venv/.bench.stamp" && "$(cat "$venv/.bench.stamp")" == "$want" ]]; then
    echo "== venv: $venv ($pins) is up to date"
else
    echo "== venv: installing $pins into $venv"
    rm -rf "$venv"
    python3 -m venv "$venv" || { echo "bench: python3 -m venv failed (Debian: apt-get install python3-venv)" >&2; exit 1; }
    # shellcheck disable=SC2086
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check $pins
    echo "$want" >"$venv/.bench.stamp"
fi
py="$venv/bin/python"
measure=("$py" -I -S scripts/bench_measure.py)

# --- 3. the archiver
if [[ -n "${EAUA_BIN:-}" ]]; then
    bin="$EAUA_BIN"
    echo "== archiver: $bin (EAUA_BIN)"
else
    echo "== archiver: cargo build --release --locked"
    cargo build --release --locked --features test-hooks
    bin="$(cargo metadata --format-version 1 --no-deps | "$py" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/ea-usage-archiver"
fi
[[ -x "$bin" ]] || { echo "bench: no archiver binary at $bin" >&2; exit 1; }
tools=(archiver duckdb duckdb_plain pyarrow)
floor_skipped=""
if "$bin" bench-parse --help >/dev/null 2>&1; then
    tools+=(floor)
else
    floor_skipped="the binary has no bench-parse subcommand"
fi

info=(--info "loadavg_at_start=$(cut -d' ' -f1-3 /proc/loadavg)"
      --info "rows=$rows ($npages pages, $(du -sh "$pages" | cut -f1))"
      --info "archiver=$("$bin" --version) ($bin)"
      --info "rustc=$(rustc --version 2>/dev/null || echo n/a)"
      --info "rss_floor=$("${measure[@]}" -- true | "$py" -c 'import json,sys; print(round(json.load(sys.stdin)["max_rss_kib"] / 1024, 1))') MiB (a peak below it reads as it)")
[[ -z "$floor_skipped" ]] || info+=(--info "floor_skipped=$floor_skipped")
echo "== machine"
"$py" scripts/bench_report.py machine "${info[@]}"

echo "== warming the page cache ($(du -sh "$pages" | cut -f1))"
cat "$pages"/page-*.json >/dev/null

# --- 4. rounds, alternating the tools
rm -rf "$out"
mkdir -p "$out"
runs_file="$cache/runs-$rows.jsonl"
: >"$runs_file"
archiver_parquet() { echo "$1/enrollment=$enrollment/year=${month%-*}/month=${month#*-}/usage-details.parquet"; }

# run_tool TOOL ROUND: one measured run; appends a JSON line to $runs_file; leaves its output in $out/TOOL
run_tool() {
    local tool=$1 round=$2 dest="$out/$1" stdout="$out/$1.stdout" stderr="$out/$1.stderr" cmd m
    rm -rf "$dest"
    case "$tool" in
        archiver) cmd=("$bin" archive --from-dir "$pages" --enrollment "$enrollment" --month "$month" --dest "$dest") ;;
        duckdb) mkdir -p "$dest"; cmd=("$py" scripts/bench_duckdb.py --from-dir "$pages" --out "$dest/out.parquet" --enrollment "$enrollment" --threads 2) ;;
        duckdb_plain) mkdir -p "$dest"; cmd=("$py" scripts/bench_duckdb_plain.py --from-dir "$pages" --out "$dest/out.parquet" --threads 2) ;;
        pyarrow) mkdir -p "$dest"; cmd=("$py" scripts/bench_pyarrow.py --from-dir "$pages" --out "$dest/out.parquet" --enrollment "$enrollment" --threads 2) ;;
        floor) cmd=("$bin" bench-parse --from-dir "$pages") ;;
    esac
    if ! m=$("${measure[@]}" --label "$tool" --stdout "$stdout" --stderr "$stderr" -- "${cmd[@]}"); then
        echo "bench: $tool failed in round $round: $m" >&2
        tail -n 20 "$stderr" >&2
        exit 1
    fi
    # Checks the rows the tool reports, appends the run to $runs_file and prints a progress line.
    "$py" scripts/bench_report.py record --tool "$tool" --round "$round" --rows "$rows" \
        --measure "$m" --stdout-file "$stdout" --runs-file "$runs_file" || exit 1
    if [[ "$tool" == archiver && ! -f "$(archiver_parquet "$dest")" ]]; then
        echo "bench: the archiver exited 0 but wrote no $(archiver_parquet "$dest")" >&2
        exit 1
    fi
}

echo "== $runs round(s) of: ${tools[*]}${floor_skipped:+ (floor skipped: $floor_skipped)}"
for ((r = 1; r <= runs; r++)); do
    for tool in "${tools[@]}"; do
        run_tool "$tool" "$r"
    done
    if ((r == 1 && verify)); then
        echo "== checking round 1's files against the archiver's"
        for tool in duckdb pyarrow; do
            "$py" scripts/bench_compare.py "$(archiver_parquet "$out/archiver")" "$out/$tool/out.parquet" --label "$tool"
        done
    fi
    if ((r == 1)); then
        echo "== output sizes (round 1)"
        "$py" scripts/bench_sizes.py "$(archiver_parquet "$out/archiver")" "$out/duckdb/out.parquet" "$out/duckdb_plain/out.parquet" "$out/pyarrow/out.parquet" | tee "$cache/sizes-$rows.txt"
    fi
    rm -rf "${tools[@]/#/$out/}"
done

# --- 5. report
echo "== results: $rows rows, medians of $runs run(s)"
"$py" scripts/bench_report.py table --runs "$runs_file" --rows "$rows" \
    --md "$cache/results-$rows.md" --json "$cache/results-$rows.json" "${info[@]}"
rm -rf "$out" "$runs_file"
echo "== written: $cache/results-$rows.md, $cache/results-$rows.json"

# --- 6. the CSV and Parquet inputs (a Cost Details report, gzip CSV and Parquet export parts)
# against DuckDB's conversions of the same files, with the same binary. The simulator writes
# each export part whole in memory, so months above 2M rows are left to the JSON pages.
if ((rows <= 2000000)); then
    echo "== CSV and Parquet inputs (scripts/bench_exports.sh $rows $runs)"
    EAUA_BIN="$bin" bash scripts/bench_exports.sh "$rows" "$runs" | tee "$cache/results-csv-parquet-$rows.md"
fi
