#!/usr/bin/env bash
# Set up (if needed) and launch the app. Arguments go to the playground command.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/playground "$@"
