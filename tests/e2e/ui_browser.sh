#!/usr/bin/env bash
# ui_browser.sh SCRIPT.mjs — run one of ui/tests' Playwright scripts in
# headless Chromium against a real engine: what test_ui.sh, test_ui_phone.sh
# and test_ui_capture.sh share. The script gets pytone's path, the source
# tree and the folder for its screenshots (build/ui-screenshots). Exit 77
# (skipped) without Node, Chromium, or an engine with the control server.
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
cd ui && exec node "tests/$1" "$(cd .. && realpath "$PYTONE")" "$(cd .. && pwd)" "$(cd .. && realpath "$BUILD")/ui-screenshots"
