#!/usr/bin/env bash
# Overlap benchmark: does the archiver hide its own work behind the API's latency?
#
#   scripts/bench_overlap.sh [--rows-per-month N] [--latency-ms MS] [--page-size N] [--months N]
#                            [--concurrency N] [--runs K] [--tolerance PCT]
#
# Starts the built-in simulator on 127.0.0.1 with every page delayed (`--fault latency=MS`) and
# kept running for all runs (stopped on exit), then measures with scripts/bench_measure.py:
#   1. one month (`archive --enrollment 1 --month 2024-01`): wall time against pages x latency,
#      the time the page chain alone must take since each nextLink comes from the previous page
#      (default 100 pages x 200 ms = 20 s); target: within --tolerance % (default 15) above it;
#   2. --months months (default 4, from 2024-01) with --concurrency 1, then with --concurrency N
#      (default 4): the ratio sequential/concurrent wall (ideal: min(months, N)).
# Defaults: --rows-per-month 100000, --latency-ms 200, --page-size 1000, --runs 1 (medians if more).
# EAUA_BIN=… uses that binary instead of `cargo build --release --locked --features test-hooks`. Needs python3 (stdlib).
# Prints a Markdown table, also written to .cache/bench/overlap-<rows>-<latency>ms.md; exits 3
# when the one-month target is missed.
set -euo pipefail
cd "$(dirname "$0")/.."

rows=100000
latency=200
page_size=1000
months=4
concurrency=4
runs=1
tolerance=15
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit "${1:-0}"; }
while (($#)); do
    case "$1" in
        --rows-per-month) rows="${2:?}"; shift 2 ;;
        --latency-ms) latency="${2:?}"; shift 2 ;;
        --page-size) page_size="${2:?}"; shift 2 ;;
        --months) months="${2:?}"; shift 2 ;;
        --concurrency) concurrency="${2:?}"; shift 2 ;;
        --runs) runs="${2:?}"; shift 2 ;;
        --tolerance) tolerance="${2:?}"; shift 2 ;;
        -h | --help) usage 0 ;;
        *) echo "bench_overlap: unknown argument '$1'" >&2; usage 2 >&2 ;;
    esac
done
rows="${rows//[,_]/}"
for v in rows:rows-per-month latency:latency-ms page_size:page-size months:months concurrency:concurrency \
    runs:runs tolerance:tolerance; do
    name=${v%%:*}
    [[ "${!name}" =~ ^[1-9][0-9]*$ ]] || { echo "bench_overlap: --${v#*:} must be a positive whole number" >&2; exit 2; }
done
((months >= 1 && months <= 12)) || { echo "bench_overlap: --months must be 1-12" >&2; exit 2; }

if [[ -n "${EAUA_BIN:-}" ]]; then
    bin="$EAUA_BIN"
else
    cargo build --release --locked --features test-hooks
    bin="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/ea-usage-archiver"
fi
[[ -x "$bin" ]] || { echo "bench_overlap: no archiver binary at $bin" >&2; exit 1; }

mkdir -p .cache/bench
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-overlap.XXXXXX")
sim_pid=""
cleanup() {
    if [[ -n "$sim_pid" ]]; then
        kill "$sim_pid" 2>/dev/null || true
        wait "$sim_pid" 2>/dev/null || true
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The simulator and the archiver share a throwaway key (the simulator checks the bearer token).
export EA_API_KEY=bench-overlap-not-secret
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin" simulate --listen "127.0.0.1:$port" --rows-per-month "$rows" --page-size "$page_size" \
    --fault "latency=$latency" >"$tmp/sim.log" 2>&1 &
sim_pid=$!
for _ in $(seq 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
    kill -0 "$sim_pid" 2>/dev/null || { echo "bench_overlap: the simulator exited:" >&2; cat "$tmp/sim.log" >&2; exit 1; }
    sleep 0.1
done
(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "bench_overlap: the simulator is not listening on $port" >&2; exit 1; }
base="http://127.0.0.1:$port"
echo "== simulator: $base, $rows rows/month, $page_size rows/page, every page delayed $latency ms (pid $sim_pid)"
echo "== archiver: $("$bin" --version) ($bin); $(nproc) cores; loadavg $(cut -d' ' -f1-3 /proc/loadavg)"

month_list() { python3 -c 'import sys; print(" ".join("--month 2024-%02d" % m for m in range(1, int(sys.argv[1]) + 1)))' "$1"; }

# archive_run NAME MONTHS CONCURRENCY: one measured run; prints "wall_s pages rows" of it
archive_run() {
    local name=$1 n=$2 conc=$3 dest="$tmp/$1" m
    rm -rf "$dest"
    # shellcheck disable=SC2046
    if ! m=$(python3 -I -S scripts/bench_measure.py --label "$name" --stdout "$tmp/$name.json" --stderr "$tmp/$name.log" -- \
        "$bin" archive --enrollment 1 $(month_list "$n") --concurrency "$conc" --base-url "$base" --dest "$dest"); then
        echo "bench_overlap: $name failed: $m" >&2
        tail -n 20 "$tmp/$name.log" >&2
        exit 1
    fi
    python3 - "$m" "$tmp/$name.json" "$n" <<'PY'
import json, sys
m, summary, n = json.loads(sys.argv[1]), json.load(open(sys.argv[2])), int(sys.argv[3])
parts = summary["partitions"]
assert len(parts) == n and all(p["status"] == "ok" for p in parts), parts
print(m["wall_s"], sum(p["pages"] for p in parts), sum(p["rows"] for p in parts))
PY
}

median() { python3 -c 'import statistics, sys; print(statistics.median(float(x) for x in sys.argv[1:]))' "$@"; }

one=() seq_=() conc=()
for ((r = 1; r <= runs; r++)); do
    res=$(archive_run one 1 1)
    read -r w pages got <<<"$res"
    one+=("$w")
    printf '   run %d: 1 month:            %6.2f s  (%d pages, %d rows)\n' "$r" "$w" "$pages" "$got"
    res=$(archive_run sequential "$months" 1)
    read -r w spages _ <<<"$res"
    seq_+=("$w")
    printf '   run %d: %d months, conc. 1: %6.2f s  (%d pages)\n' "$r" "$months" "$w" "$spages"
    res=$(archive_run concurrent "$months" "$concurrency")
    read -r w _ _ <<<"$res"
    conc+=("$w")
    printf '   run %d: %d months, conc. %d: %6.2f s\n' "$r" "$months" "$concurrency" "$w"
done

python3 - "$(median "${one[@]}")" "$pages" "$(median "${seq_[@]}")" "$spages" "$(median "${conc[@]}")" \
    "$latency" "$months" "$concurrency" "$tolerance" "$runs" "$rows" \
    ".cache/bench/overlap-$rows-${latency}ms.md" <<'PY'
import sys
one, pages, seq, spages, conc, lat, months, c, tol, runs, rows, md = sys.argv[1:]
one, seq, conc, lat = float(one), float(seq), float(conc), float(lat) / 1000
pages, spages, months, c, tol, runs = int(pages), int(spages), int(months), int(c), float(tol), int(runs)
ideal1 = pages * lat
over = (one / ideal1 - 1) * 100
ok = over <= tol
waves = -(-months // c)  # rounds of `c` months at once
ratio, best = seq / conc, months / waves
ideal_conc = spages / months * lat * waves
lines = [
    f"## Overlap of work and API latency: {rows} rows/month, {lat * 1000:.0f} ms per page, median of {runs} run(s)",
    "",
    "| measurement | wall s | ideal s | result |",
    "|---|---:|---:|---|",
    f"| 1 month, {pages} pages | {one:.2f} | {ideal1:.2f} (pages x latency) | {over:+.1f}% over the ideal: "
    f"{'PASS' if ok else 'FAIL'} (target <= {tol:g}%) |",
    f"| {months} months, --concurrency 1 | {seq:.2f} | {spages * lat:.2f} | {(seq / (spages * lat) - 1) * 100:+.1f}% |",
    f"| {months} months, --concurrency {c} | {conc:.2f} | {ideal_conc:.2f} | {(conc / ideal_conc - 1) * 100:+.1f}% |",
    "",
    f"- sequential / concurrent wall = {ratio:.2f} (ideal {best:g}: months are independent page chains)",
]
text = "\n".join(lines) + "\n"
open(md, "w").write(text)
print(text, end="")
print(f"== written: {md}")
sys.exit(0 if ok else 3)
PY
