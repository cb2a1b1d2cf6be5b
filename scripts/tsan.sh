#!/usr/bin/env bash
# tsan.sh — the threaded parts under ThreadSanitizer (gcc's): the engine with
# its worker and device threads, the session, the control server's threads
# and the MIDI thread. Builds build-tsan, runs the threaded unit tests and the
# end-to-end tests that drive the server, hot reload, faults and JACK MIDI
# against the TSan binary, and fails on any ThreadSanitizer report.
# Timing-dependent checks (overruns, latency figures) may fail under TSan's
# slowdown; this script judges only the reports. `make tsan`.
set -u
cd "$(dirname "$0")/.."
B=${TSAN_BUILD:-build-tsan}
J=${JOBS:-$(nproc 2>/dev/null || echo 2)}
cmake -S . -B "$B" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPT_SHARED=OFF \
    -DCMAKE_C_FLAGS="-fsanitize=thread -fno-omit-frame-pointer" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" >/dev/null || exit 1
UNIT="test_engine test_engine_timed test_conv_worker test_rig_session test_control_protocol test_midi_mapping test_graph"
# test_neural_rt and the rtcheck tests replace malloc themselves: not with TSan
cmake --build "$B" -j"$J" --target pytone jack_midi_send jack_midi_recv jack_probe enospc \
    slow_handlers $UNIT >"${TMPDIR:-/tmp}/tsan-build.log" 2>&1 || { tail -30 "${TMPDIR:-/tmp}/tsan-build.log"; exit 1; }
LOGS=$(mktemp -d)
export TSAN_OPTIONS="halt_on_error=0 report_signal_unsafe=0 log_path=$LOGS/tsan"
export PT_SOURCE_DIR=$PWD PT_BUILD_DIR=$PWD/$B PT_PYTONE=$PWD/$B/pytone
for t in $UNIT; do
    "$B/$t" >"$LOGS/$t.out" 2>&1
    echo "tsan: $t exit $?"
done
for t in test_control.py test_hot_reload.py test_faults.py test_midi_jack.py; do
    /usr/bin/python3 "tests/e2e/$t" >"$LOGS/$t.out" 2>&1
    echo "tsan: $t exit $? (timing checks may fail under TSan; only reports count)"
done
n=$(cat "$LOGS"/tsan.* 2>/dev/null | grep -c "^WARNING: ThreadSanitizer")
if [ "$n" -gt 0 ]; then
    cat "$LOGS"/tsan.* | grep -E "^SUMMARY" | sort | uniq -c
    echo "tsan: $n ThreadSanitizer report(s); full logs in $LOGS"
    exit 1
fi
echo "tsan: no ThreadSanitizer reports"
rm -rf "$LOGS"
