#!/usr/bin/env bash
# fuzz.sh — build every libFuzzer target (tests/fuzz/fuzz_*.c, with ASan and
# UBSan) and run each for SECONDS (default 20). Seeds come from the factory
# files and test fixtures; corpora grow in build-fuzz/corpus/. A crash leaves
# its input in build-fuzz/crashes/ and fails the run: turn it into a
# regression test (tests/data/fuzz-regressions/).
#   scripts/fuzz.sh [SECONDS] [TARGET...]
set -u
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-20}
shift || true
B=build-fuzz
if ! command -v clang >/dev/null; then echo "fuzz: clang is not installed"; exit 77; fi
CC=clang cmake -S . -B $B -DPT_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null || exit 1
cmake --build $B -j"$(nproc)" >/dev/null || { cmake --build $B 2>&1 | tail -20; exit 1; }
mkdir -p $B/crashes
seed() { # target -> seed files
  case "$1" in
    fuzz_rig) ls rigs/*.yaml tests/data/rigs/*.yaml 2>/dev/null ;;
    fuzz_setlist) grep -l '^rigs:' rigs/*.yaml 2>/dev/null ;;
    fuzz_audiofile) ls tests/data/fuzz-seeds/audio/* 2>/dev/null ;;
    fuzz_circuit) ls circuits/*.yaml 2>/dev/null ;;
    fuzz_nam) ls tests/data/nam/*.nam tests/data/nam/v07/{wavenet_a2_max,wavenet_condition_dsp,slimmable_wavenet,slimmable_container}.nam 2>/dev/null ;;
    fuzz_protocol) ls tests/data/fuzz-seeds/protocol/* 2>/dev/null ;;
    fuzz_midi*) ls tests/data/fuzz-seeds/midi/* 2>/dev/null ;;
  esac
}
targets=("$@")
[ ${#targets[@]} -eq 0 ] && for t in $B/fuzz_*; do [ -x "$t" ] && targets+=("$(basename "$t")"); done
fail=0
for t in "${targets[@]}"; do
  corpus=$B/corpus/$t
  mkdir -p "$corpus"
  for f in $(seed "$t"); do cp -f "$f" "$corpus/seed-$(basename "$f")"; done
  # regression inputs found earlier are replayed first
  regress=()
  [ -d tests/data/fuzz-regressions/$t ] && regress=(tests/data/fuzz-regressions/$t/*)
  if [ ${#regress[@]} -gt 0 ] && ! $B/$t "${regress[@]}" >/dev/null 2>&1; then
    echo "fuzz: $t fails on a stored regression input"; fail=1; continue
  fi
  dict=()  # a libFuzzer dictionary of the input's words, if the target has one
  [ -f tests/fuzz/$t.dict ] && dict=(-dict=tests/fuzz/$t.dict)
  out=$($B/$t "${dict[@]}" "$corpus" -max_total_time="$SECONDS_EACH" -rss_limit_mb=2048 -timeout=10 -max_len=65536 \
        -artifact_prefix=$B/crashes/$t- -print_final_stats=1 2>&1)
  rc=$?
  execs=$(printf '%s\n' "$out" | sed -n 's/^stat::number_of_executed_units: *//p' | tail -1)
  cov=$(printf '%s\n' "$out" | grep -oE 'cov: [0-9]+' | tail -1)
  echo "fuzz: $t ${SECONDS_EACH}s executions=${execs:-?} ${cov:-} corpus=$(ls "$corpus" | wc -l) $( [ $rc -eq 0 ] && echo ok || echo FAILED)"
  if [ $rc -ne 0 ]; then printf '%s\n' "$out" | tail -30; fail=1; fi
done
exit $fail
