#!/usr/bin/env bash
# test_ui_phone.sh — the web UI at phone (390×844) and tablet (768×1024)
# sizes in every view, and the library at 1440×900 (ui/tests/phone.mjs):
# no sideways scrolling, no overlapping controls, every control reachable,
# finger-sized; a cab and a capture picked from the library's lists, saved
# under a new name, found in the library by that name. Screenshots:
# build/ui-screenshots/phone-*.png, tablet-*.png. Exit 77 (skipped) without
# Node, Chromium, or an engine with the control server.
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
cd ui && exec node tests/phone.mjs "$(cd .. && realpath "$PYTONE")" "$(cd .. && pwd)" "$(cd .. && realpath "$BUILD")/ui-screenshots"
