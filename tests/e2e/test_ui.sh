#!/usr/bin/env bash
# test_ui.sh — the web UI in headless Chromium (playwright-core driving
# Debian's /usr/bin/chromium) against a real engine on the virtual backend:
# load a rig from the browser, drag a block into the chain and into a
# parallel lane, change parameters, undo/redo, two tabs in sync, save (the
# YAML on disk holds the change), meters move, reconnection after a restart.
# Screenshots of each view: build/ui-screenshots/*.png. Prints the first
# load's compressed size. Exit 77 (skipped) without Node, Chromium, or an
# engine with the control server (`pytone run --port`).
exec "$(dirname "$0")/ui_browser.sh" e2e.mjs
