#!/usr/bin/env bash
# The whole test suite, as CI runs it:
#   formatting and lints; the Python virtualenv (readers, emulator clients); the S3 (moto) and
#   Azure Blob (Azurite) emulators on 127.0.0.1; unit, property and integration tests (the
#   integration tests run the real binary against the built-in EA API simulator and every
#   destination); the lake read back by Spark, DataFusion, DuckDB and pyarrow; the DDL and
#   FOCUS view in their engines; the Airflow DAGs loaded and run by Airflow itself.
# Installs what it needs first, so it runs the same on a fresh machine and in CI.
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
cleanup() {
    bash scripts/emulators.sh stop >/dev/null 2>&1 || true
    rm -f "$log"
}
trap cleanup EXIT

echo "== toolchain"
cargo --version
rustup component add rustfmt clippy >/dev/null 2>&1 || true

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --locked --all-targets -- -D warnings

echo "== python virtualenv"
bash scripts/python-env.sh

echo "== storage emulators"
bash scripts/emulators.sh start
# shellcheck disable=SC1090
source "$(bash scripts/emulators.sh env)"

echo "== cargo test"
cargo test --locked --lib --test it 2>&1 | tee -a "$log"

echo "== decoder micro-benchmarks (smoke run: each once, no timing)"
cargo test --locked --bench decode -- --test

EAUA_BIN="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/debug/ea-usage-archiver"
export EAUA_BIN

echo "== readers (Spark, DataFusion, DuckDB, pyarrow)"
bash tests/readers/run.sh 2>&1 | tee -a "$log"

echo "== Airflow DAGs (DagBag, exit-code retries, dag.test against the simulator)"
bash scripts/airflow-env.sh
.cache/airflow-venv/bin/python tests/readers/check_dags.py 2>&1 | tee -a "$log"

# One closing line for the whole suite.
passed=$(grep -Eo '[0-9]+ passed' "$log" | awk '{s+=$1} END {print s+0}')
failed=$(grep -Eo '[0-9]+ failed' "$log" | awk '{s+=$1} END {print s+0}')
echo "suite: ${passed} passed, ${failed} failed"
