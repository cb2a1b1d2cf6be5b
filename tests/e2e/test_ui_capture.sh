#!/usr/bin/env bash
# test_ui_capture.sh — the web UI's Capture page (ui/tests/capture.mjs) in
# headless Chromium against a real engine on the virtual backend, capturing
# the rig being played: a silent take refused with its reason, a level check
# with its meters, a take with progress, a tiny training (nano, 2 epochs of
# the 40 s signal) with its ESR curve, A/B, and the model saved into the
# library's models/ and listed there. Screenshot:
exec "$(dirname "$0")/ui_browser.sh" capture.mjs
