#!/usr/bin/env bash
# test_ui.sh — the web UI in headless Chromium (playwright-core driving
# Debian's /usr/bin/chromium) against a real engine on the virtual backend:
# load a rig from the browser, drag a block into the chain and into a
# parallel lane, change parameters, undo/redo, two tabs in sync, save (the
# YAML on disk holds the change), meters move, reconnection after a restart.
# Screenshots of each view: build/ui-screenshots/*.png. Prints the first
# load's compressed size. Exit 77 (skipped) without Node, Chromium, or an
# engine with the control server (`pytone run --port`).
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
cd ui && exec node tests/e2e.mjs "$(cd .. && realpath "$PYTONE")" "$(cd .. && pwd)" "$(cd .. && realpath "$BUILD")/ui-screenshots"
