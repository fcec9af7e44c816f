#!/usr/bin/env bash
# Creates (idempotently) the virtualenv tests/readers/check_focus.py runs the FinOps
# Foundation's FOCUS validator in: ${EAUA_FOCUS_VENV:-.cache/focus-venv} under the repo root,
# with focus-validator 2.2.1 and every dependency pinned by tests/readers/focus-requirements.txt,
# from PyPI. The validator needs Python 3.12 (pyenv's, or $FOCUS_PYTHON) and duckdb < 2, so it
# has its own environment rather than .venv. A stamp holding a hash of the pins and the Python
# version makes a second run skip pip entirely. Nothing is downloaded when the validator runs
# (check_focus.py passes --block-download: the FOCUS 1.2 rules ship in the package). A cold
# install takes about 25 s (PyPI, no pip cache); only PyPI is needed.
#   bash scripts/focus-env.sh && .cache/focus-venv/bin/focus-validator --supported-versions
set -euo pipefail
cd "$(dirname "$0")/.."
venv="${EAUA_FOCUS_VENV:-.cache/focus-venv}"
req=tests/readers/focus-requirements.txt

# Python 3.12: $FOCUS_PYTHON, else pyenv's newest 3.12, else python3.12 on PATH (a pyenv shim
# with no 3.12 selected fails to run, so each candidate is tried).
pyver() { "$1" -c 'import sys; print(sys.version.split()[0])' 2>/dev/null || true; }
root="$( (pyenv root 2>/dev/null) || echo "$HOME/.pyenv")"
py=""
for c in ${FOCUS_PYTHON:-} $(ls -d "$root"/versions/3.12*/bin/python3.12 2>/dev/null | sort -rV) \
         $(command -v python3.12 || true); do
  if [[ "$(pyver "$c")" == 3.12.* ]]; then py="$c"; break; fi
done
if [[ -z "$py" ]]; then
  echo "focus-env: no Python 3.12 (the validator requires it): install one with pyenv, or set FOCUS_PYTHON" >&2
  exit 2
fi
if [[ -n "${FOCUS_PYTHON:-}" && "$py" != "$FOCUS_PYTHON" ]]; then
  echo "focus-env: FOCUS_PYTHON=$FOCUS_PYTHON is not a Python 3.12" >&2
  exit 2
fi

want="$(sha256sum "$req" | cut -d' ' -f1) $(pyver "$py")"
stamp="$venv/.requirements.stamp"
if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
  echo "focus-env: $venv is up to date"
else
  echo "focus-env: installing $req into $venv (python $(pyver "$py"))"
  # A venv made by another Python is rebuilt rather than patched.
  [[ "$(pyver "$venv/bin/python")" == "$(pyver "$py")" ]] || rm -rf "$venv"
  [[ -x "$venv/bin/python" ]] || "$py" -m venv "$venv"
  rm -f "$stamp"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req"
  echo "$want" >"$stamp"
fi
echo "focus-env: $("$venv/bin/python" -c 'import sys; from importlib.metadata import version; print("python", sys.version.split()[0] + ", focus-validator", version("focus-validator") + ", duckdb", version("duckdb"))')"
