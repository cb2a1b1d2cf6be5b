#!/usr/bin/env bash
# fuzz.sh — build the libFuzzer targets (tests/fuzz/fuzz_*.c) with clang,
# ASan and UBSan, and run each for SECONDS (default 60).
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     e.g. scripts/fuzz.sh 30 fuzz_protocol
#
# Build folder: build-fuzz/. Seeds: tests/fuzz/corpus_<name>/ (read only),
# dictionary: tests/fuzz/<name>.dict;
# what the fuzzer learns goes to build-fuzz/corpus_<name>/; crashes to
# build-fuzz/crash-*. Exit code non-zero when a target finds a problem.
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-60}
shift || true
command -v clang >/dev/null || { echo "fuzz: clang is needed (apt install clang)" >&2; exit 1; }

cmake -S . -B build-fuzz -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DPT_SANITIZE=ON -DPT_FUZZ=ON -DCMAKE_C_FLAGS="-fsanitize=fuzzer-no-link" >/dev/null

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in tests/fuzz/fuzz_*.c; do targets+=("$(basename "$f" .c)"); done
fi
cmake --build build-fuzz -j2 --target "${targets[@]}"

status=0
for t in "${targets[@]}"; do
  name=${t#fuzz_}
  mkdir -p "build-fuzz/corpus_$name"
  seeds=() dict=()
  [ -d "tests/fuzz/corpus_$name" ] && seeds=("tests/fuzz/corpus_$name")
  [ -f "tests/fuzz/$name.dict" ] && dict=("-dict=../tests/fuzz/$name.dict")
  echo "fuzz: $t for ${SECONDS_EACH} s"
  if ! (cd build-fuzz && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
        "./$t" -max_total_time="$SECONDS_EACH" -max_len=70000 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 "${dict[@]}" "corpus_$name" "${seeds[@]/#/../}"); then
    echo "fuzz: $t found a problem (see build-fuzz/crash-* and the log above)" >&2
    status=1
  fi
done
exit $status
