#!/usr/bin/env bash
# bench.sh — print performance figures. Every bench/*.c builds to
# build/bench_*; each prints its own lines. Numbers, never pass/fail.
set -u
BUILD=${1:-build}
cd "$(dirname "$0")/.."
export PT_SOURCE_DIR=$PWD
status=0
# the machine the figures are of; on 64-bit ARM (Apple Silicon, ARM Linux) the
# NEON kernels run: compare with the x86-64 AVX2 lines (docs/platforms.md)
case "$(uname -m)" in
  aarch64|arm64) echo "== machine: $(uname -sm), arm64 native: NEON kernels (compare with the x86-64 AVX2 figures)";;
  *) echo "== machine: $(uname -sm)";;
esac
echo "== pytone bench (every factory rig, 48 kHz, 64 frames; latency: declared, samples)"
for rig in rigs/*.yaml; do
  grep -q '^rigs:' "$rig" && continue
  printf '%-22s ' "$(basename "$rig")"
  "$BUILD/pytone" bench "$rig" --seconds 5 | tail -1
done
# whole amplifiers from their schematics (issue #14 goals: Champ and Deluxe
# <= 4 % of a core, Plexi and AC30 <= 8 %), and a single stage of each kind:
# the whole engine here (pytone bench: p50 and p99 of 64-frame blocks); the
# node alone, the operating-point solve and a knob move's cost in bench_amps
echo "== amplifiers and stages (pytone bench, 48 kHz, 64-frame blocks, default oversampling)"
for amp in circuits/amps/*.yaml tests/data/amps_wip/*.yaml circuits/triode_12ax7.yaml; do
  [ -f "$amp" ] || continue
  line=$("$BUILD/pytone" bench "$amp" --seconds "${PT_BENCH_AMP_SECONDS:-5}" | tail -1)
  p50=$(sed -n 's/.*us_p50=\([0-9.]*\).*/\1/p' <<<"$line")
  p99=$(sed -n 's/.*us_p99=\([0-9.]*\).*/\1/p' <<<"$line")
  load=$(sed -n 's/.*load_p50=\([0-9.]*%\).*/\1/p' <<<"$line")
  printf '%-40s %8.1f ns/sample  %s of a core (p50)  p99/p50 %.2f\n' "$amp" \
    "$(awk -v u="$p50" 'BEGIN{print u*1000/64}')" "$load" "$(awk -v a="$p99" -v b="$p50" 'BEGIN{print a/b}')"
done
[ -x "$BUILD/bench_amps" ] && "$BUILD/bench_amps"
# Guitarix's LV2 amps beside them. What they model: tube stages as
# precomputed transfer tables and linear filters (tone stacks, couplings);
# no power amp, output transformer or supply is solved, so the figures
# compare cost, not what is modelled. lv2bench (lilv-utils) cannot host the
# amps: it offers neither worker#schedule (gx_amp) nor
# buf-size#boundedBlockLength (gx_jcm800pre, gxmetal_amp); those are timed
# with lv2apply on a file instead: (user CPU of 30 s of DI) minus (that of
# 1 s of silence), per second of audio, so start-up and the plugin's set-up
# cancel; lv2apply's own per-frame file I/O stays in (its system time, the
# larger part, is left out), so these are upper bounds. gx_amp has an atom
# control port that lv2apply cannot connect either, so it is not timed.
echo "== Guitarix LV2 amps (tables + linear filters, no power amp solve)"
if command -v lv2bench >/dev/null && command -v lv2apply >/dev/null && [ -f assets/di/guitar_di.wav ]; then
  gxdir=$(mktemp -d)
  /usr/bin/python3 - "$gxdir" <<'PY' || true
import sys, numpy as np, scipy.io.wavfile as w
r, x = w.read("assets/di/guitar_di.wav")
x = (x if x.ndim == 1 else x[:, 0]).astype(np.float32)
w.write(sys.argv[1] + "/di.wav", r, np.tile(x, 1 + 30 * r // len(x))[: 30 * r])
w.write(sys.argv[1] + "/silence.wav", r, np.zeros(r, np.float32))
PY
  cpu() { /usr/bin/time -f 'rc=%x %U' timeout 120 lv2apply -i "$1" -o "$gxdir/out.wav" "$2" 2>&1 >/dev/null |
          tail -1 | awk '$1 == "rc=0" {print $2}'; }
  for uri in "http://guitarix.sourceforge.net/plugins/gx_amp#GUITARIX" \
             "http://guitarix.sourceforge.net/plugins/gx_jcm800pre_#_jcm800pre_" \
             "http://guitarix.sourceforge.net/plugins/gx_studiopre#studiopre" \
             "http://guitarix.sourceforge.net/plugins/gxmetal_amp#metal_amp"; do
    name=${uri##*#}
    out=$(timeout 120 lv2bench -b 64 -n 480000 "$uri" 2>&1 | tail -1) # wall time of 10 s
    if grep -q "requires feature" <<<"$out"; then
      feat=$(sed -n 's/.*requires feature <\([^>]*\)>.*/\1/p' <<<"$out")
      a=$(cpu "$gxdir/di.wav" "$uri"); b=$(cpu "$gxdir/silence.wav" "$uri")
      if [ -n "$a" ] && [ -n "$b" ]; then
        awk -v n="$name" -v f="$feat" -v a="$a" -v b="$b" 'BEGIN {
          c = (a - b) / 29; printf "%-14s %8.1f ns/sample  %.2f%% of a core (lv2apply; lv2bench lacks %s)\n",
          n, c * 1e9 / 48000, c * 100, f }'
      else
        echo "$name: not timed: lv2bench lacks $feat and lv2apply cannot host it either"
      fi
    else
      awk -v n="$name" -v o="$out" 'BEGIN { split(o, f, " "); printf "%-14s %8.1f ns/sample  %.2f%% of a core (lv2bench)\n",
        n, f[1] * 1e9 / 480000, f[1] / 10 * 100 }'
    fi
  done
  rm -rf "$gxdir"
else
  echo "guitarix: lv2bench/lv2apply (lilv-utils) not installed"
fi
# each factory circuit through the engine, as a rig of one node: ns per
# sample of the node itself (the block time minus a one-`level`-node rig's,
# which is the engine's own work), at 1x and at the file's oversampling, and
# p99/p50 of the block time (each block's least over pytone bench's rounds)
echo "== circuits in the engine (pytone bench, 48 kHz, 64 frames, DI clip; minus a one-level rig)"
level_rig=$(mktemp --suffix=.yaml)
printf 'version: 1\nname: one level\nchain:\n  - {id: out, type: level}\n' > "$level_rig"
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p"; }
base=$("$BUILD/pytone" bench "$level_rig" --seconds 5 | tail -1)
base_p50=$(echo "$base" | field us_p50)
rm -f "$level_rig"
printf '%-22s %s\n' "engine, one level node" "us_p50=$base_p50 us_p99=$(echo "$base" | field us_p99) per 64-frame block"
printf '%-20s %12s %9s  %12s %9s  %s\n' circuit "1x ns/smp" "p99/p50" "file ns/smp" "p99/p50" "latency (file's factor)"
for c in circuits/*.yaml; do
  one=$("$BUILD/pytone" bench "$c" --seconds 5 --set oversample=1 | tail -1)
  def=$("$BUILD/pytone" bench "$c" --seconds 5 | tail -1)
  factor=$(sed -n 's/^oversample: *\([0-9]*\).*/\1/p' "$c")
  awk -v n="$(basename "$c" .yaml)" -v b="$base_p50" -v f="${factor:-1}" \
      -v a50="$(echo "$one" | field us_p50)" -v a99="$(echo "$one" | field us_p99)" \
      -v d50="$(echo "$def" | field us_p50)" -v d99="$(echo "$def" | field us_p99)" \
      -v lat="$(echo "$def" | field latency)" 'BEGIN {
        printf "%-20s %12.1f %9.2f  %12.1f %9.2f  %s samples (%dx)\n", n, (a50 - b) * 1000 / 64,
               a99 / a50, (d50 - b) * 1000 / 64, d99 / d50, lat, f }'
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
# convolution beside zita-convolver (issue 17): fconvolver is GPL and only
# run as a separate program, for measurement (see the script)
echo "== convolution vs zita-convolver (bench/conv_vs_fconvolver.sh)"
bench/conv_vs_fconvolver.sh "$BUILD" || status=1
# the capture trainer against a PyTorch loop: standard WaveNet, s per epoch,
# and the time each takes to the same validation ESR (PT_BENCH_TRAIN_EPOCHS)
echo "== pytone train vs PyTorch (bench/bench_train.py; PT_BENCH_TRAIN_BATCHES batches each, then time to the same ESR)"
/usr/bin/python3 bench/bench_train.py "$BUILD" "${PT_BENCH_TRAIN_BATCHES:-3}" || status=1
for b in "$BUILD"/bench_*; do
  [ -x "$b" ] || continue
  [ "$(basename "$b")" = bench_amps ] && continue # printed with the amplifiers above
  echo "== $(basename "$b")"
  "$b" || status=1
done
# the same plugins as bench_plugins through lilv's own benchmark, for scale:
# lv2bench prints seconds for 480,000 frames in 64-frame blocks (7,500 blocks)
if command -v lv2bench >/dev/null; then
  echo "== lv2bench (lilv-utils), the plugins bench_plugins hosts, ns per 64-frame block"
  for uri in "http://gareus.org/oss/lv2/darc#mono" \
             "http://guitarix.sourceforge.net/plugins/gx_room_simulator_#_room_simulator_"; do
    s=$(timeout 120 lv2bench -b 64 -n 480000 "$uri" 2>/dev/null | tail -1 | awk '{print $1}')
    [ -n "$s" ] && awk -v s="$s" -v u="$uri" 'BEGIN { printf "%-60s %10.0f\n", u, s * 1e9 / 7500 }'
  done
fi
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
