#!/usr/bin/env bash
# Build the wheel, install it in a clean venv (torch's CPU build first, as a user would), and
# from a folder outside the checkout use what only the package can provide: the version from
# its metadata, the shipped examples by name, the digits data file, a short training run.
# The wheel is built from a copy of the files git knows (tracked, or new and not ignored), so a
# stale build/ or egg-info in the checkout cannot leak into it. pip's cache is reused.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
start=$SECONDS
work=$(mktemp -d "${TMPDIR:-/tmp}/playground-wheel.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/src"
git ls-files -z --cached --others --exclude-standard \
    | xargs -0 sh -c 'for f; do [ -f "$f" ] && printf "%s\0" "$f"; done' sh \
    | tar --null -T - -cf - | tar -xf - -C "$work/src"
"$PY" -m venv "$work/venv"
pip=("$work/venv/bin/python" -m pip --quiet)
"${pip[@]}" wheel --no-deps -w "$work/dist" "$work/src"
echo "built $(basename "$work"/dist/*.whl) ($((SECONDS - start)) s)"
"${pip[@]}" install "torch==2.13.0"
echo "installed torch ($((SECONDS - start)) s)"
"${pip[@]}" install "$work"/dist/nn_playground-*.whl
echo "installed the wheel and its other dependencies ($((SECONDS - start)) s)"
cd "$work"
export PLAYGROUND_HOME="$work/home"
venv/bin/playground --version
venv/bin/playground examples
venv/bin/playground check lenet_digits
venv/bin/playground train spiral --epochs 1 --run-dir "$work/run"
# the shipped data files load from the installed package (check reads no data)
venv/bin/playground train lenet_digits --epochs 1 --run-dir "$work/run-digits"
venv/bin/playground train features_without_dropout --epochs 1 --run-dir "$work/run-digits28"
venv/bin/playground train char_lstm --epochs 1 --run-dir "$work/run-text"
venv/bin/playground generate "$work/run-text" --length 40
test -s "$work/run/model.safetensors"
echo "ok: the installed wheel works outside the checkout ($((SECONDS - start)) s in all)"
