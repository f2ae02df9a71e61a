#!/usr/bin/env bash
# Set up (if needed) and launch the app. Arguments go to the playground command.
# The app checks before Qt starts that Qt can open a window, and says what to install if not
# (see README, "On Linux"). Its messages go straight to the terminal; should Qt abort anyway
# (SIGABRT, status 134), this script says where to look rather than ending silently.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
status=0
.venv/bin/playground "$@" || status=$?
if [ "$status" -eq 134 ]; then
    echo "The app was aborted by Qt (see its message above). On Linux this is usually a missing" >&2
    echo "system library: see \"On Linux\" in README.md, or run with QT_DEBUG_PLUGINS=1 for details." >&2
fi
exit "$status"
