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
exit $status
