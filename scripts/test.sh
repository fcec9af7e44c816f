#!/usr/bin/env bash
# The whole test suite, as CI runs it:
#   the pinned toolchain; formatting, lints, docs (warnings denied) and unused dependencies;
#   the Python virtualenv (readers, emulator clients); the S3 (moto) and
#   Azure Blob (Azurite) emulators on 127.0.0.1; unit, property and integration tests (the
#   integration tests run the real binary against the built-in EA API simulator and every
#   destination); the lake read back by Spark, DataFusion, DuckDB and pyarrow; the DDL and
#   FOCUS view in their engines; the FOCUS view judged by the FinOps Foundation's validator; the wheel (`pip wheel .`) installed into the Airflow environment,
#   and the Airflow DAGs loaded and run by Airflow itself with the binary the wheel installed.
# Installs what it needs first, so it runs the same on a fresh machine and in CI.
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
cleanup() {
    bash scripts/emulators.sh stop >/dev/null 2>&1 || true
    rm -f "$log"
}
trap cleanup EXIT

echo "== toolchain (rust-toolchain.toml)"
want=$(sed -n 's/^channel = "\(.*\)"/\1/p' rust-toolchain.toml)
if command -v rustup >/dev/null && ! rustup toolchain list | grep -q "^$want-"; then
    # No toolchain can be downloaded here: use the installed stable one if it is that version.
    if rustc +stable --version 2>/dev/null | grep -q "^rustc $want "; then
        rustup toolchain link "$want" "$(rustc +stable --print sysroot)"
    else
        echo "toolchain $want is not installed and stable is $(rustc +stable --version 2>/dev/null)" >&2
        exit 1
    fi
fi
cargo --version
rustup component add rustfmt clippy >/dev/null 2>&1 || true

echo "== cargo fmt --check"
cargo fmt --all -- --check

# The integration tests, the readers' lake and the benchmarks' floor need the test-only hooks
# (`sim-totals`, `bench-parse`, crash points); the shipped binary is built without them.
features=(--features test-hooks)

echo "== cargo clippy (default features, then with the test hooks)"
cargo clippy --locked --all-targets -- -D warnings
cargo clippy --locked --all-targets "${features[@]}" -- -D warnings

echo "== cargo doc (warnings denied)"
RUSTDOCFLAGS="-D warnings" cargo doc --locked --no-deps

echo "== unused dependencies (cargo-machete)"
tools=${EAUA_TOOLS:-$HOME/.cache/ea-usage-archiver/tools}  # kept between runs, like the build cache
[[ -x $tools/bin/cargo-machete ]] || cargo install --locked --quiet cargo-machete@0.9.2 --root "$tools"
"$tools/bin/cargo-machete"

echo "== python virtualenv"
bash scripts/python-env.sh

echo "== storage emulators"
bash scripts/emulators.sh start
# shellcheck disable=SC1090
source "$(bash scripts/emulators.sh env)"

echo "== cargo test"
cargo test --locked "${features[@]}" --lib --test it 2>&1 | tee -a "$log"

echo "== decoder micro-benchmarks (smoke run: each once, no timing)"
cargo test --locked "${features[@]}" --bench decode -- --test

EAUA_BIN="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')/debug/ea-usage-archiver"
export EAUA_BIN

echo "== readers (Spark, DataFusion, DuckDB, pyarrow)"
bash tests/readers/run.sh 2>&1 | tee -a "$log"

echo "== FOCUS: the view judged by the FinOps Foundation's validator (focus-validator 2.2.1, FOCUS 1.2)"
bash scripts/focus-env.sh
PYTHONDONTWRITEBYTECODE=1 .venv/bin/python tests/readers/check_focus.py 2>&1 | tee -a "$log"

echo "== wheel: pip wheel . (maturin from PyPI, the shipped build), installed into the Airflow environment"
bash scripts/airflow-env.sh
airflow_py=.cache/airflow-venv/bin/python
rm -rf .cache/wheel
"$airflow_py" -m pip wheel . --no-deps --quiet --disable-pip-version-check -w .cache/wheel
"$airflow_py" -m pip install --force-reinstall --no-deps --quiet --disable-pip-version-check .cache/wheel/ea_usage_archiver-*.whl
# The DAGs run the binary the wheel put on the environment's PATH, not target/.
wheel_bin=$(PATH="$PWD/.cache/airflow-venv/bin" command -v ea-usage-archiver)
"$wheel_bin" --version

echo "== Airflow DAGs (DagBag, exit-code retries, dag.test against the simulator, the wheel's binary)"
EAUA_BIN="$wheel_bin" "$airflow_py" tests/readers/check_dags.py 2>&1 | tee -a "$log"

echo "== Airflow exports-sync DAG (DagBag, command line, exit-code retries, dag.test on simulated exports)"
EAUA_BIN="$wheel_bin" "$airflow_py" tests/readers/check_exports_dag.py 2>&1 | tee -a "$log"

# One closing line for the whole suite.
passed=$(grep -Eo '[0-9]+ passed' "$log" | awk '{s+=$1} END {print s+0}')
failed=$(grep -Eo '[0-9]+ failed' "$log" | awk '{s+=$1} END {print s+0}')
echo "suite: ${passed} passed, ${failed} failed"
