#!/usr/bin/env bash
# Set up (if needed) and run the whole default test suite headless. With arguments, they go to
# one pytest run. Without, the suite runs as three pytest processes (core and CLI, the main
# window, the live views): each UI process then starts with a fresh QApplication, so Qt and
# pyqtgraph objects left by hundreds of earlier widgets cannot pile up in one process.
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
