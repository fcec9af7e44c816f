#!/usr/bin/env bash
# Creates (idempotently) the Python virtualenv the reader and emulator tests use:
# ${EAUA_VENV:-.venv} under the repo root, with tests/readers/requirements.txt installed.
# A stamp file holding a hash of the requirements makes a second run skip pip entirely.
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${EAUA_VENV:-.venv}"
req=tests/readers/requirements.txt
py="${PYTHON:-python3}"

pyver() { "$1" -c 'import sys; print(sys.version.split()[0])' 2>/dev/null || true; }
want="$(sha256sum "$req" | cut -d' ' -f1) $(pyver "$py")"
stamp="$venv/.requirements.stamp"
if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "python-env: $venv is up to date"
else
  echo "python-env: installing $req into $venv"
  # A venv made by another Python is rebuilt rather than patched.
  [[ "$(pyver "$venv/bin/python")" == "$(pyver "$py")" ]] || rm -rf "$venv"
  [[ -x "$venv/bin/python" ]] || "$py" -m venv "$venv"
  rm -f "$stamp"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
  echo "$want" >"$stamp"
fi

"$venv/bin/python" - <<'PY'
import sys
from importlib.metadata import version
pkgs = ["pyarrow", "duckdb", "pyspark", "datafusion", "moto", "boto3", "azure-storage-blob"]
print("python-env: python " + sys.version.split()[0] + ", " + ", ".join(f"{p} {version(p)}" for p in pkgs))
PY
