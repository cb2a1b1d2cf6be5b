#!/usr/bin/env bash
# test_ui_capture.sh — the web UI's Capture page (ui/tests/capture.mjs) in
# headless Chromium against a real engine on the virtual backend, capturing
# the rig being played: a silent take refused with its reason, a level check
# with its meters, a take with progress, a tiny training (nano, 2 epochs of
# the 40 s signal) with its ESR curve, A/B, and the model saved into the
# library's models/ and listed there. Screenshot:
# build/ui-screenshots/capture.png. Exit 77 (skipped) without Node,
# Chromium, or an engine with the control server.
set -u
cd "${PT_SOURCE_DIR:-$(dirname "$0")/../..}"
PYTONE=${PT_PYTONE:-build/pytone}
BUILD=${PT_BUILD_DIR:-build}
CHROMIUM=${PT_CHROMIUM:-/usr/bin/chromium}

[ -x "$CHROMIUM" ] || { echo "SKIP: no Chromium at $CHROMIUM (apt-get install chromium)"; exit 77; }
"$PYTONE" run --help 2>&1 | grep -q -- "--port" || { echo "SKIP: this pytone has no control server (run --port)"; exit 77; }
scripts/build_ui.sh || { echo "SKIP: the web UI could not be built (no usable Node.js)"; exit 77; }
[ -f ui/node_modules/playwright-core/package.json ] || { echo "SKIP: playwright-core is not installed"; exit 77; }
mkdir -p "$BUILD/ui-screenshots"
cd ui && exec node tests/capture.mjs "$(cd .. && realpath "$PYTONE")" "$(cd .. && pwd)" "$(cd .. && realpath "$BUILD")/ui-screenshots"
