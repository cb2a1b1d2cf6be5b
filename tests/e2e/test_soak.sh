#!/usr/bin/env bash
# test_soak.sh — the three-minute soak that `make test` runs (tests/e2e/soak.py;
# `make soak MINUTES=30` for the long one). Registered RUN_SERIAL: nothing
# else from the suite competes with it but its own load.
cd "${PT_SOURCE_DIR:-$(dirname "$0")/../..}"
exec /usr/bin/python3 tests/e2e/soak.py "${PT_SOAK_MINUTES:-3}"
