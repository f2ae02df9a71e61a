#!/usr/bin/env bash
# Create .venv and install the app (and, with --test, its test tools). torch's CPU build is
# installed first: a bare torch requirement on a machine without torch pulls a multi-GB CUDA
# build. Re-running is cheap: nothing is reinstalled while pyproject.toml and the version
# (playground/__init__.py, which pyproject.toml reads) are unchanged.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
extra=""
[ "${1:-}" = "--test" ] && extra="[test]"
stamp=".venv/.installed${extra:+-test}"
want=$(cat pyproject.toml playground/__init__.py | sha256sum | cut -d' ' -f1)
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    exit 0
fi
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet "torch==2.13.0"
.venv/bin/python -m pip install --quiet -e ".${extra}"
echo "$want" > "$stamp"
