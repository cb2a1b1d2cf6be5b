#!/usr/bin/env bash
# bench.sh — print performance figures. Every bench/*.c builds to
# build/bench_*; each prints its own lines. Numbers, never pass/fail.
set -u
BUILD=${1:-build}
cd "$(dirname "$0")/.."
status=0
for b in "$BUILD"/bench_*; do
  [ -x "$b" ] || continue
  echo "== $(basename "$b")"
  "$b" || status=1
done
exit $status
