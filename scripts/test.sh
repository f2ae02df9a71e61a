#!/usr/bin/env bash
# Set up (if needed) and run the whole default test suite headless. With arguments, they go to
# one pytest run. Without, the suite runs as three pytest processes (core and CLI, the main
# window, the live views), so each UI group starts from a fresh QApplication and a failure in
# one group cannot hide the others. (The whole suite also passes in one process since garbage
# collection runs only from the event loop: see playground/ui/collector.py.)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
export QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen}
if [ "$#" -gt 0 ]; then
    exec .venv/bin/python -m pytest -q "$@"
fi
status=0
.venv/bin/python -m pytest -q tests/core tests/cli || status=$?
.venv/bin/python -m pytest -q tests/ui --ignore=tests/ui/plots || status=$?
.venv/bin/python -m pytest -q tests/ui/plots || status=$?
exit "$status"
