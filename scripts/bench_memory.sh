#!/usr/bin/env bash
# Memory benchmark: does the archiver's peak memory stay flat as a month grows?
#
#   scripts/bench_memory.sh [--times N] [--runs K]
#
# Replays the 1,000,000-row pages of scripts/bench.sh (.cache/bench/pages-1000000, generated
# here with ../shared/bench/gen_usage_pages.py when missing) as one month, and the same pages
# N times over (default 10: 10,000,000 rows in 10,000 pages) as another month. The big month
# is a directory of symbolic links, so it costs no disk; replay reads files in name order, and
# the last page of each copy but the final one is a copy (chained-last.page, not a page name
# itself) that carries a nextLink, so the chain check sees one 10M-row month.
# K rounds (default 5) alternate the two months; each run is measured by
# scripts/bench_measure.py (peak RSS from wait4, wall, CPU). Prints the medians and the ratio
# (target: the big month within 10% of the small one), also written to
# .cache/bench/memory-<N>x.md. EAUA_BIN=… uses that binary instead of
# `cargo build --release --locked --features test-hooks`. Needs python3 (standard library only).
set -euo pipefail
cd "$(dirname "$0")/.."

times=10
runs=5
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit "${1:-0}"; }
while (($#)); do
    case "$1" in
        --times) times="${2:?--times needs a number}"; shift 2 ;;
        --runs) runs="${2:?--runs needs a number}"; shift 2 ;;
        -h | --help) usage 0 ;;
        *) echo "bench_memory: unknown argument '$1'" >&2; usage 2 >&2 ;;
    esac
done
[[ "$times" =~ ^[1-9][0-9]*$ && "$runs" =~ ^[1-9][0-9]*$ ]] || { echo "bench_memory: --times and --runs take positive integers" >&2; exit 2; }

cache=.cache/bench
small="$cache/pages-1000000"
big="$cache/pages-${times}x1000000"
out="$cache/memory-out"
gen=../shared/bench/gen_usage_pages.py
mkdir -p "$cache"

if [[ ! -f "$small/.complete" ]]; then
    [[ -f "$gen" ]] || { echo "bench_memory: the page generator $gen is missing" >&2; exit 1; }
    echo "== pages: generating 1,000,000 rows into $small"
    rm -rf "$small" "$small.tmp"
    summary=$(python3 "$gen" --rows 1000000 --out "$small.tmp")
    printf 'generator %s\n%s\n' "$(sha256sum "$gen" | cut -c1-16)" "$summary" >"$small.tmp/.complete"
    mv "$small.tmp" "$small"
fi
mapfile -t files < <(cd "$small" && ls page-*.json | sort)
want=$((times * ${#files[@]}))
if [[ ! -d "$big" ]] || (($(find "$big" -name 'page-*.json' | wc -l) != want)); then
    echo "== pages: $big ($want links to the ${#files[@]} pages of $small)"
    rm -rf "$big" "$big.tmp"
    mkdir -p "$big.tmp"
    abs=$(cd "$small" && pwd)
    # Replay checks the nextLink chain: every page but the month's last must have one. The last
    # page of each copy but the final one is therefore a copy of it that carries a nextLink.
    last="${files[${#files[@]} - 1]}"
    python3 - "$abs/$last" "$big.tmp/chained-last.page" <<'PY'
import json, sys
page = json.load(open(sys.argv[1], encoding="utf-8"))
page["nextLink"] = "https://consumption.azure.com/v3/enrollments/1234567/usagedetails?skiptoken=next-copy"
json.dump(page, open(sys.argv[2], "w", encoding="utf-8"), separators=(",", ":"))
PY
    for ((i = 0; i < want; i++)); do
        src="$abs/${files[i % ${#files[@]}]}"
        if (((i + 1) % ${#files[@]} == 0 && i + 1 < want)); then src=chained-last.page; fi
        ln -s "$src" "$(printf '%s/page-%06d.json' "$big.tmp" $((i + 1)))"
    done
    mv "$big.tmp" "$big"
fi

if [[ -n "${EAUA_BIN:-}" ]]; then
    bin="$EAUA_BIN"
else
    cargo build --release --locked --features test-hooks
    bin="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/release/ea-usage-archiver"
fi
echo "== archiver: $("$bin" --version) ($bin)"
cat "$small"/page-*.json >/dev/null

results="$cache/memory-runs.jsonl"
: >"$results"
for ((r = 1; r <= runs; r++)); do
    for size in small big; do
        dir=${!size}
        rm -rf "$out"
        m=$(python3 -I -S scripts/bench_measure.py --label "$size" --stdout "$out.stdout" -- \
            "$bin" archive --from-dir "$dir" --enrollment 1234567 --month 2017-04 --dest "$out") ||
            { echo "bench_memory: the $size run failed: $m" >&2; exit 1; }
        rows=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["partitions"][0]["rows"])' "$out.stdout")
        echo "$m" | python3 -c 'import json,sys; m=json.load(sys.stdin); m["rows"]=int(sys.argv[1]); print(json.dumps(m))' "$rows" >>"$results"
        echo "   round $r $size: $rows rows, $(echo "$m" | python3 -c 'import json,sys; m=json.load(sys.stdin); print("wall %.2f s, peak rss %.1f MiB" % (m["wall_s"], m["max_rss_kib"] / 1024))')"
    done
done

python3 - "$results" "$cache/memory-${times}x.md" <<'EOF'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1])]
rows = {}
for label in ("small", "big"):
    rs = [r for r in runs if r["label"] == label]
    rows[label] = (rs[0]["rows"], statistics.median(r["max_rss_kib"] / 1024 for r in rs),
                   min(r["max_rss_kib"] / 1024 for r in rs), max(r["max_rss_kib"] / 1024 for r in rs),
                   statistics.median(r["wall_s"] for r in rs), len(rs))
lines = ["| month | runs | median peak RSS MiB (min–max) | median wall s |", "|---:|---:|---:|---:|"]
for label in ("small", "big"):
    n, med, lo, hi, wall, k = rows[label]
    lines.append(f"| {n:,} rows | {k} | {med:.1f} ({lo:.1f}–{hi:.1f}) | {wall:.2f} |")
ratio = rows["big"][1] / rows["small"][1]
lines.append("")
lines.append(f"big month / small month peak RSS = {ratio:.3f} (target: at most 1.10)")
text = "\n".join(lines)
print(text)
open(sys.argv[2], "w").write(text + "\n")
EOF
