#!/usr/bin/env bash
# test_ui_unit.sh — the web UI's Vitest unit tests (ui/tests/*.test.ts): the
# protocol client, undo/redo against a model of the engine's graph edits,
# knob tapers against closed forms, the graph layout, the EQ picture against
# the RBJ cookbook's analytic values. Also `pytone ui --print` / `pytone app`.
# Exit 77 (skipped) without a usable Node.
set -u
cd "${PT_SOURCE_DIR:-$(dirname "$0")/../..}"
PYTONE=${PT_PYTONE:-build/pytone}

# the CLI side: the address pytone ui opens, and pytone app's message
url=$("$PYTONE" ui --print --port 8799) || { echo "FAIL pytone ui --print"; exit 1; }
[ "$url" = "http://127.0.0.1:8799/" ] || { echo "FAIL pytone ui --print gave '$url'"; exit 1; }
"$PYTONE" ui --port 0 2>/dev/null && { echo "FAIL pytone ui accepted port 0"; exit 1; }
# pytone app: without WebKitGTK it names the package to install; with it, and
# no display, it says so and starts nothing (test_app.py opens real windows)
if "$PYTONE" app --help | grep -q "This build has no window"; then
  msg=$("$PYTONE" app 2>&1) && { echo "FAIL pytone app should exit non-zero"; exit 1; }
  echo "$msg" | grep -q WebKitGTK && echo "$msg" | grep -q libwebkit2gtk-4.1-dev \
    || { echo "FAIL pytone app: '$msg'"; exit 1; }
else
  msg=$(env -u DISPLAY -u WAYLAND_DISPLAY "$PYTONE" app --backend virtual --port 8799 2>&1) \
    && { echo "FAIL pytone app without a display should exit non-zero"; exit 1; }
  echo "$msg" | grep -q "no display" || { echo "FAIL pytone app: '$msg'"; exit 1; }
fi
echo "ok   pytone ui --print, pytone app"

scripts/build_ui.sh --deps || { echo "SKIP: no usable Node.js for the UI's tests"; exit 77; }
cd ui && exec npx --no-install vitest run
