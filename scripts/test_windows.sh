#!/usr/bin/env bash
# test_windows.sh — `make test-windows`: the Windows x64 build of the core,
# proved on this Linux machine (issue 21, docs/platforms.md).
#   1. build the core that needs no file library (PT_CORE_ONLY: DSP, graph,
#      engine, WDF solver, NAM kernels, convolution kernels, MIDI parsing,
#      the platform layer's Windows file, the loaders' file opening, the
#      lazy library loader, the QR code, the capture signal) with Debian's
#      MinGW-w64 (CMakePresets.json: windows-cross-core);
#   2. run its unit tests under wine64: the NAM kernels (every build the
#      CPU runs, chosen at run time as on Linux), the MIDI parser, the
#      platform layer (folders, files, timers, semaphores, aligned blocks,
#      LoadLibrary), the QR code and the capture signal's checks.
# Usage: test_windows.sh WINDOWS_BUILD_DIR
set -euo pipefail
WIN=${1:-build-windows}
JOBS=${JOBS:-2}
WINE=${WINE:-/usr/lib/wine/wine64}
command -v x86_64-w64-mingw32-gcc-posix >/dev/null ||
    { echo "test-windows: the MinGW-w64 compiler is missing (scripts/deps.sh --windows)" >&2; exit 1; }
[ -x "$WINE" ] || { echo "test-windows: wine64 is missing (scripts/deps.sh --windows)" >&2; exit 1; }
export WINEDEBUG=-all
t0=$(date +%s)
[ -f "$WIN/CMakeCache.txt" ] ||
    cmake -S . -B "$WIN" -DCMAKE_TOOLCHAIN_FILE=cmake/x86_64-w64-mingw32.cmake -DCMAKE_BUILD_TYPE=Release \
        -DPT_CORE_ONLY=ON >/dev/null
cmake --build "$WIN" -j"$JOBS"
t1=$(date +%s)
(cd "$WIN" && ctest --output-on-failure --timeout 600)
t2=$(date +%s)
echo "test-windows: passed (build $((t1 - t0)) s, tests $((t2 - t1)) s under wine64)"
