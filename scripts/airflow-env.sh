#!/usr/bin/env bash
# Creates (idempotently) the Airflow virtualenv tests/readers/check_dags.py runs in:
# ${EAUA_AIRFLOW_VENV:-.cache/airflow-venv} under the repo root, with apache-airflow
# $AIRFLOW_VERSION and every dependency pinned by tests/readers/airflow-constraints.txt.
# A stamp holding a hash of the pins and the Python version makes a second run skip pip
# entirely. A cold install takes about 40 s; only PyPI is needed.
#   bash scripts/airflow-env.sh && .cache/airflow-venv/bin/python tests/readers/check_dags.py
set -euo pipefail
cd "$(dirname "$0")/.."
AIRFLOW_VERSION=3.3.2
venv="${EAUA_AIRFLOW_VENV:-.cache/airflow-venv}"
constraints=tests/readers/airflow-constraints.txt
py="${PYTHON:-python3}"

pyver() { "$1" -c 'import sys; print(sys.version.split()[0])' 2>/dev/null || true; }
want="airflow=$AIRFLOW_VERSION $(sha256sum "$constraints" | cut -d' ' -f1) $(pyver "$py")"
stamp="$venv/.airflow.stamp"
if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "airflow-env: $venv is up to date"
else
  echo "airflow-env: installing apache-airflow==$AIRFLOW_VERSION into $venv"
  # A venv made by another Python is rebuilt rather than patched.
  [[ "$(pyver "$venv/bin/python")" == "$(pyver "$py")" ]] || rm -rf "$venv"
  [[ -x "$venv/bin/python" ]] || "$py" -m venv "$venv"
  rm -f "$stamp"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    -c "$constraints" "apache-airflow==$AIRFLOW_VERSION"
  echo "$want" >"$stamp"
fi
echo "airflow-env: $("$venv/bin/python" -c 'import sys; from importlib.metadata import version; print("python", sys.version.split()[0] + ", apache-airflow", version("apache-airflow"))')"
