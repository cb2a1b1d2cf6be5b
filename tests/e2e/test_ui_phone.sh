#!/usr/bin/env bash
# test_ui_phone.sh — the web UI at phone (390×844) and tablet (768×1024)
# sizes in every view, and the library at 1440×900 (ui/tests/phone.mjs):
# no sideways scrolling, no overlapping controls, every control reachable,
# finger-sized; a cab and a capture picked from the library's lists, saved
# under a new name, found in the library by that name. Screenshots:
# build/ui-screenshots/phone-*.png, tablet-*.png. Exit 77 (skipped) without
# Node, Chromium, or an engine with the control server.
exec "$(dirname "$0")/ui_browser.sh" phone.mjs
