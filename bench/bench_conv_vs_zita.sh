#!/usr/bin/env bash
# bench_conv_vs_zita.sh — our zero-latency convolver against zita-convolver
# doing the same work: the same IR files, 48 kHz, partition (period) 64.
#
# zita-convolver runs inside Debian's `jconvolver` (GPL: an external program,
# never linked) as a client of a private JACK server with the dummy driver at
# 64 frames (zero latency: its first partition equals the period), with
# real-time priority when allowed. Its CPU time over 8 s of running is read
# from /proc (all threads, 10 ms ticks). A run with a
# one-sample IR gives the JACK client overhead (wake-ups, port buffers),
# which is subtracted; both raw and net figures are printed. Its input port
# is unconnected (silence): zita-convolver does the same FFT work on silence.
# Ours is `bench_conv --ir FILE`: CPU per second of audio in 64-frame blocks
# (head 64, and the plan the cost model picks).
#
# Caveat, measured on the shared 2-core development machine: at 64 frames
# jconvolver's CPU is dominated by JACK client overhead (~35-40 ms/s with a
# one-sample IR, varying by several ms/s between runs), so its net
# convolution cost is within the noise there; on a quiet machine the net
# column is meaningful. Takes about 80 s, so scripts/bench.sh does not run
# it; run it by hand: bench/bench_conv_vs_zita.sh [build-dir].
#
# Prints numbers; never fails on timing. Skips (exit 0) when jackd,
# jconvolver or numpy are missing.
set -u
BUILD=${1:-build}
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
for tool in jackd jconvolver; do
  if ! command -v "$tool" >/dev/null; then
    echo "bench_conv_vs_zita: $tool not installed (Debian: jackd2, jconvolver); comparison skipped"
    exit 0
  fi
done
if ! "$PY" -c 'import numpy, scipy' 2>/dev/null; then
  echo "bench_conv_vs_zita: numpy/scipy missing; comparison skipped"; exit 0
fi
[ -x "$BUILD/bench_conv" ] || { echo "bench_conv_vs_zita: $BUILD/bench_conv not built; skipped"; exit 0; }

tmp=$(mktemp -d /tmp/pt_bench_zita_XXXXXX)
server="pt_bench_conv_$$"
jack_pid=""
cleanup() {
  [ -n "$jack_pid" ] && kill "$jack_pid" 2>/dev/null && wait "$jack_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

"$PY" - "$tmp" <<'EOF'
import sys, numpy as np, scipy.io.wavfile as w
d = sys.argv[1]
rng = np.random.default_rng(7)
for name, sec in (("ir0.2", 0.2), ("ir2", 2.0), ("ir10", 10.0)):
    L = int(sec * 48000)
    h = rng.uniform(-1, 1, L) * np.exp(-6.9 * np.arange(L) / L)
    w.write(f"{d}/{name}.wav", 48000, h.astype(np.float32))
EOF

# CPU time of a process, all its threads, in clock ticks (utime + stime)
cpu_ticks() { awk '{ print $14 + $15 }' /proc/"$1"/stat 2>/dev/null || echo 0; }
HZ=$(getconf CLK_TCK)
WINDOW=8

# Real-time scheduling if allowed: without it jconvolver's threads run late
# on a busy machine, drop work or quit ("CPU overload, exiting").
mode=realtime
jackd -n "$server" -R -P 10 -d dummy -r 48000 -p 64 >"$tmp/jackd.log" 2>&1 &
jack_pid=$!
sleep 2
if ! kill -0 "$jack_pid" 2>/dev/null; then
  mode="no real-time priority (numbers less reliable)"
  jackd -n "$server" --no-realtime -d dummy -r 48000 -p 64 >"$tmp/jackd.log" 2>&1 &
  jack_pid=$!
  sleep 2
fi
if ! kill -0 "$jack_pid" 2>/dev/null; then
  jack_pid=""
  echo "bench_conv_vs_zita: could not start a dummy JACK server; comparison skipped"
  exit 0
fi

# zita_cost CONF [OPT] -> ms of CPU per second of audio
zita_cost() {
  jconvolver ${2:-} -s "$server" -N "jc$$" "$1" >"$tmp/jc.log" 2>&1 &
  local pid=$! a b
  sleep 2
  a=$(cpu_ticks "$pid"); sleep "$WINDOW"; b=$(cpu_ticks "$pid")
  if ! kill -0 "$pid" 2>/dev/null; then echo "nan"; return; fi  # it quit (overload)
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  awk -v a="$a" -v b="$b" -v hz="$HZ" -v w="$WINDOW" 'BEGIN { printf "%.1f", (b - a) * 1000 / hz / w }'
}

printf '/convolver/new 1 1 64 48000 1\n/impulse/dirac 1 1 1 0\n' >"$tmp/dirac.conf"
base=$(zita_cost "$tmp/dirac.conf")
echo "zita-convolver (jconvolver, dummy JACK at 64 frames, 48 kHz, $mode) against pytone,"
echo "same IR files; ms of CPU per second of audio (zita: +-$(awk -v hz="$HZ" -v w="$WINDOW" 'BEGIN{printf "%.1f", 1000/hz/w}') from /proc tick counts);"
echo "jconvolver's JACK client overhead (one-sample IR): $base ms/s, subtracted in 'net'"
printf '%-6s %8s %8s %9s %11s  %-16s %s\n' IR "zita" "zita -V" "zita net" "zita -V net" "pytone h64/auto" "pytone plan"
for name in ir0.2 ir2 ir10; do
  frames=$("$PY" -c "import scipy.io.wavfile as w; print(len(w.read('$tmp/$name.wav')[1]))")
  printf '/convolver/new 1 1 64 %d 1\n/impulse/read 1 1 1 0 0 0 1 %s\n' "$frames" "$tmp/$name.wav" >"$tmp/$name.conf"
  z=$(zita_cost "$tmp/$name.conf")
  zv=$(zita_cost "$tmp/$name.conf" -V)
  read -r o64 oauto plan < <("$BUILD/bench_conv" --ir "$tmp/$name.wav")
  awk -v n="${name#ir} s" -v z="$z" -v zv="$zv" -v b="$base" -v o="$o64" -v oa="$oauto" -v p="$plan" \
    'BEGIN { printf "%-6s %8.1f %8.1f %9.1f %11.1f  %6.2f/%-9.2f %s\n", n, z, zv, z - b, zv - b, o, oa, p }'
done
