#!/usr/bin/env bash
# Resident memory of one command over its run: VmRSS sampled every 50 ms from /proc, printed as
# the lowest and highest sample of each window of WINDOW samples (default 40: two seconds), then
# the run's overall trough and peak. A month's memory that is flat shows flat troughs; a peak
# that rises with a month's length while the troughs stay flat is the highest of more cycles of
# the same saw-tooth, not memory kept (BENCHMARKS.md §8).
#
#   scripts/rss_trace.sh [--window N] -- COMMAND [ARG ...]
set -euo pipefail
window=40
if [[ "${1:-}" == "--window" ]]; then window="$2"; shift 2; fi
[[ "${1:-}" == "--" ]] && shift
[[ $# -gt 0 ]] || { echo "usage: $0 [--window N] -- COMMAND [ARG ...]" >&2; exit 2; }
samples="$(mktemp)"
trap 'rm -f "$samples"' EXIT
"$@" >/dev/null 2>&1 &
pid=$!
while kill -0 "$pid" 2>/dev/null; do
  awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null >>"$samples" || true
  sleep 0.05
done
status=0
wait "$pid" || status=$?
awk -v w="$window" '
  { i = int((NR - 1) / w); kib = $1
    if (!(i in lo) || kib < lo[i]) lo[i] = kib
    if (kib > hi[i]) hi[i] = kib
    if (NR > w && (min == "" || kib < min)) min = kib   # the first window is start-up
    if (kib > max) max = kib; n = i }
  END {
    printf "window (%d samples of 50 ms): lowest-highest MiB\n", w
    for (j = 0; j <= n; j++) printf "%d: %.0f-%.0f\n", j, lo[j] / 1024, hi[j] / 1024
    printf "trough after the first window %.0f MiB, peak %.0f MiB\n", min / 1024, max / 1024 }' "$samples"
exit "$status"
