#!/usr/bin/env bash
# Reader tests: builds a small lake with the archiver and its simulator, then reads it with
# Spark, DataFusion, DuckDB and pyarrow (check_lake.py) and runs the SQL in schemas/
# (check_ddl.py). Needs java (17+) for Spark. Exits non-zero if anything failed.
# Binary: $EAUA_BIN (default target/debug/ea-usage-archiver); venv: ${EAUA_VENV:-.venv}.
set -euo pipefail
cd "$(dirname "$0")/../.."
export EAUA_BIN="${EAUA_BIN:-target/debug/ea-usage-archiver}"
[[ -x "$EAUA_BIN" ]] || { echo "readers: no archiver binary at $EAUA_BIN (cargo build, or set EAUA_BIN)" >&2; exit 2; }
command -v java >/dev/null || { echo "readers: Spark needs java (17+) on PATH" >&2; exit 2; }

bash scripts/python-env.sh
py="${EAUA_VENV:-.venv}/bin/python"
export PYTHONDONTWRITEBYTECODE=1   # no __pycache__ in the work tree

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
bash tests/readers/make_lake.sh "$tmp/lake" 2>"$tmp/make_lake.log" || { cat "$tmp/make_lake.log" >&2; exit 1; }

status=0
"$py" tests/readers/check_lake.py "$tmp/lake" "$tmp/expected.json" || status=1
"$py" tests/readers/check_ddl.py "$tmp/lake" "$tmp/expected.json" || status=1
exit "$status"
