#!/usr/bin/env bash
# bench.sh — print performance figures. Every bench/*.c builds to
# build/bench_*; each prints its own lines. Numbers, never pass/fail.
set -u
BUILD=${1:-build}
cd "$(dirname "$0")/.."
export PT_SOURCE_DIR=$PWD
status=0
echo "== pytone bench (every factory rig, 48 kHz, 64 frames)"
for rig in rigs/*.yaml; do
  grep -q '^rigs:' "$rig" && continue
  printf '%-22s ' "$(basename "$rig")"
  "$BUILD/pytone" bench "$rig" --seconds 5 | tail -1
done
for b in "$BUILD"/bench_*; do
  [ -x "$b" ] || continue
  echo "== $(basename "$b")"
  "$b" || status=1
done
# the web UI's cost: audio-thread time with 0, 1 and 4 meter subscribers
# (PT_BENCH_UI_SECONDS a run, PT_BENCH_UI_ROUNDS rounds, interleaved), then
# the chain editor's frame rate in headless Chromium with a 30-block rig
echo "== web UI: audio-thread time with WebSocket clients (scripts/bench_ui.py)"
if "$BUILD/pytone" run --help 2>&1 | grep -q -- "--port"; then
  /usr/bin/python3 scripts/bench_ui.py --pytone "$BUILD/pytone" \
    --seconds "${PT_BENCH_UI_SECONDS:-20}" --rounds "${PT_BENCH_UI_ROUNDS:-3}" || status=1
else
  echo "skipped: this pytone has no control server"
fi
echo "== web UI: chain editor frame rate, 30-block rig (ui/tests/perf.mjs)"
CHROMIUM=${PT_CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
  echo "skipped: no Chromium at $CHROMIUM"
elif ! scripts/build_ui.sh >/dev/null 2>&1 || [ ! -f ui/node_modules/playwright-core/package.json ]; then
  echo "skipped: the web UI could not be built or playwright-core is missing (needs Node.js >= 20.19)"
else
  (cd ui && node tests/perf.mjs "$(cd .. && realpath "$BUILD/pytone")" "$(cd .. && pwd)") || status=1
fi
exit $status
