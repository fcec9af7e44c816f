#!/usr/bin/env bash
# Builds the reader tests' lake from the built-in simulator:
#   enrollment 1234567 (API v2) 2024-01 and 2024-02, enrollment 7654321 (API v1) 2024-01,
# 2,500 rows a month (3 pages); 1234567's 2024-06 from the Cost Details API; 7654321's month
# rewritten as schema version 1 (the lake mixes both versions); 1234567's 2024-07 and 2024-08
# from the simulator's export container (Parquet and gzip CSV parts); then 1234567's 2024-01
# restated, so its first version sits in _history/. Writes LAKE_DIR/../expected.json with the simulator's own
# exact totals: {"<enrollment>": {"YYYY-MM": {"rows": N, "cost_total": "…"}}}.
# Usage: tests/readers/make_lake.sh LAKE_DIR   (binary: $EAUA_BIN, default target/debug/…)
set -euo pipefail
lake="${1:?usage: make_lake.sh LAKE_DIR}"
bin="${EAUA_BIN:-target/debug/ea-usage-archiver}"
rows=2500
export EA_API_KEY=somekey   # the simulator's and the archiver's key; not a secret

mkdir -p "$lake"
lake="$(cd "$lake" && pwd)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
log="$(mktemp)"
sim_pid=""
exports=""
cleanup() {
  if [[ -n "$exports" ]]; then rm -rf "$exports"; fi
  if [[ -n "$sim_pid" ]]; then kill -TERM "$sim_pid" 2>/dev/null || true; wait "$sim_pid" 2>/dev/null || true; fi
  rm -f "$log"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$bin" simulate --listen "127.0.0.1:$port" --rows-per-month "$rows" 2>"$log" &
sim_pid=$!
for _ in $(seq 100); do
  grep -q "listening on" "$log" && break
  kill -0 "$sim_pid" 2>/dev/null || { cat "$log" >&2; echo "make_lake: simulator exited" >&2; exit 1; }
  sleep 0.1
done
grep -q "listening on" "$log" || { cat "$log" >&2; echo "make_lake: simulator not ready" >&2; exit 1; }

archive() { "$bin" archive --base-url "http://127.0.0.1:$port" --dest "$lake" "$@" >/dev/null; }
archive --enrollment 1234567 --month 2024-01 --month 2024-02 --keep-raw   # _raw/ must be ignored
archive --enrollment 7654321 --api-version v1 --month 2024-01

# A month after the EA API's retirement, from the Cost Details API (schema version 2 and
# the new columns), into the same lake and table.
AZURE_ACCESS_TOKEN="$EA_API_KEY" "$bin" archive --source cost-details --management-url "http://127.0.0.1:$port" \
  --dest "$lake" --enrollment 1234567 --month 2024-06 >/dev/null

# Two months from a Cost Management export container (the simulator's, as on day 3 of its
# sequence): 2024-07 from typed Parquet parts, 2024-08 from gzip CSV parts (the older column
# generation) regenerated after the month closed; the other runs of the container (the FOCUS and
# amortized exports, 2024-09's month-to-date runs) are left out by --month.
exports="$(mktemp -d)"
"$bin" simulate-exports --out "$exports" --enrollment 1234567 --month 2024-09 --day 3 \
  --rows-per-month "$rows" >"$exports/expected.json"
"$bin" archive --source exports --exports-root "$exports" --dest "$lake" --enrollment 1234567 \
  --month 2024-07 --month 2024-08 >/dev/null

# 7654321's month as the previous release wrote it: schema version 1 (no version-2 columns),
# so the lake mixes both versions, as an upgraded lake does.
"${EAUA_VENV:-.venv}/bin/python" - "$lake/enrollment=7654321/year=2024/month=01/usage-details.parquet" <<'PY'
import sys, pyarrow.parquet as pq
path = sys.argv[1]
t = pq.read_table(path)
keep = t.schema.names[: t.schema.names.index("extra_fields") + 1]
meta = dict(pq.ParquetFile(path).metadata.metadata or {})
meta[b"ea_usage_archiver.schema_version"] = b"1"
meta.pop(b"ARROW:schema", None)
t = t.select(keep).replace_schema_metadata(meta)
pq.write_table(t, path, compression="zstd")
PY

# 1234567's 2024-01 restated: the first version goes to _history/ (as .parquet.prev), which no
# reader may count: every engine must still see each month exactly once.
kill -TERM "$sim_pid"; wait "$sim_pid" 2>/dev/null || true
: >"$log"
"$bin" simulate --listen "127.0.0.1:$port" --rows-per-month "$rows" --revision 1 2>"$log" &
sim_pid=$!
for _ in $(seq 100); do
  grep -q "listening on" "$log" && break
  sleep 0.1
done
grep -q "listening on" "$log" || { cat "$log" >&2; echo "make_lake: restated simulator not ready" >&2; exit 1; }
archive --enrollment 1234567 --month 2024-01
ls "$lake"/_history/enrollment=1234567/year=2024/month=01/*.parquet.prev >/dev/null

totals() { "$bin" sim-totals --rows-per-month "$rows" "$@"; }
{
  printf '{"1234567":%s,' "$(python3 -c 'import json,sys; a={}; [a.update(json.loads(x)) for x in sys.argv[1:-1]]; a.update({m["month"]: m for m in json.load(open(sys.argv[-1])) if m["month"] in ("2024-07", "2024-08")}); print(json.dumps(a))' \
    "$(totals --enrollment 1234567 --month 2024-02 --month 2024-06)" "$(totals --enrollment 1234567 --month 2024-01 --revision 1)" \
    "$exports/expected.json")"
  printf '"7654321":%s}\n' "$(totals --enrollment 7654321 --api-version v1 --month 2024-01)"
} >"$lake/../expected.json"
echo "make_lake: $lake ($(find "$lake" -name '*.parquet' | wc -l) files), expected totals in $(cd "$lake/.." && pwd)/expected.json"
