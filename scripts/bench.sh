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
# pytone render's fixed cost (issue 17 item 5; goal: a 1-second file
# through the default rig in under 50 ms of process time): the median of 9
# runs of --timings, per phase, in ms of CPU (user + system, all threads)
echo "== render start-up: 1 s of DI through rigs/default.yaml (ms of process time, median of 9)"
/usr/bin/python3 - "$BUILD/pytone" <<'PY' || status=1
import os, statistics, subprocess, sys, tempfile
import numpy as np, scipy.io.wavfile
pytone = sys.argv[1]
d = tempfile.mkdtemp(prefix="pytone-bench-")
x = scipy.io.wavfile.read("assets/di/guitar_di.wav")[1]
x = x if x.ndim == 1 else x[:, 0]
scipy.io.wavfile.write(os.path.join(d, "in.wav"), 48000, x[:48000])
rows = []
for _ in range(9):
    p = subprocess.run([pytone, "render", "rigs/default.yaml", os.path.join(d, "in.wav"),
                        os.path.join(d, "out.wav"), "--timings"], capture_output=True, text=True)
    line = [l for l in p.stderr.splitlines() if l.startswith("render-timings:")]
    if p.returncode != 0 or not line:
        sys.exit(f"render failed: {p.stderr.strip()}")
    rows.append({k: float(v) for k, v in (kv.split("=") for kv in line[0].split()[1:])})
med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
print("  " + "  ".join(f"{k} {v:.1f}" for k, v in med.items()) + "  (start: exec to main, mostly "
      "shared libraries; process: the DSP)")
PY
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
