#!/usr/bin/env bash
# The whole test suite: formatting, lints, unit and integration tests.
# Installs what the tests need first, so it runs the same on a fresh machine and in CI.
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "== toolchain"
cargo --version
rustup component add rustfmt clippy >/dev/null 2>&1 || true

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy"
cargo clippy --locked --all-targets -- -D warnings

echo "== cargo test"
cargo test --locked --lib --test it 2>&1 | tee -a "$log"

# One closing line for the whole suite.
passed=$(grep -Eo '[0-9]+ passed' "$log" | awk '{s+=$1} END {print s+0}')
failed=$(grep -Eo '[0-9]+ failed' "$log" | awk '{s+=$1} END {print s+0}')
echo "suite: ${passed} passed, ${failed} failed"
