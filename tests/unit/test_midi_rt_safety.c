/* test_midi_rt_safety.c — what MIDI puts on the audio thread (parsing host
 * MIDI bytes into the ring, handing MIDI out over, and the engine applying
 * timed parameter commands that split the block) never allocates, frees,
 * locks or sleeps, while the MIDI thread maps a stream of CCs, program
 * changes, clock and SysEx through the session and the engine.
 *
 * Linked with tests/rtcheck/trap.c (as test_rt_safety is): malloc, free,
 * locks, sleeps and file I/O count a violation on a thread marked as the
 * audio thread. (Skipped under AddressSanitizer, which owns malloc.) */
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "control/session.h"
#include "midi/midi.h"
#include "testutil.h"

#include "core/rt.h"

#if defined(__SANITIZE_ADDRESS__)
int main(void)
{
    puts("test_midi_rt_safety: skipped under AddressSanitizer (it owns malloc)");
    return 0;
}
#else

#include "rtcheck.h"

/* What the JACK callback does around the engine: host MIDI in and out,
 * marked as audio-thread work as backend_jack.c marks it. */
static void enter(void) { *(volatile int *)&pt_rt_in_callback = 1; }
static void leave(void) { *(volatile int *)&pt_rt_in_callback = 0; }

static void the_trap_sees_an_allocation(void **state)
{
    (void)state;
    enter();
    void *volatile p = malloc(16); /* volatile: the compiler may not drop the pair */
    leave();
    free(p);
    assert_int_equal(pt_rtcheck_violations(), 1);
    pt_rtcheck_clear();
}

static void midi_on_the_audio_thread_is_real_time_safe(void **state)
{
    (void)state;
    const char *rig = "/tmp/pt-midi-rt.yaml";
    FILE *f = fopen(rig, "w");
    fputs("version: 1\nname: rt\nchain:\n  - {id: tone, type: eq}\n  - {id: echo, type: delay}\n"
          "scenes:\n  - {name: a, params: {echo.mix: 0.2}}\n"
          "midi:\n  clock: true\n  map:\n    - {cc: 1, param: tone.freq_hz, curve: log, feedback: true}\n"
          "    - {cc: 2, param: echo.mix, smoothing_ms: 20}\n    - {cc: 3, scene: a}\n"
          "    - {cc: 4, bypass: echo, feedback: true}\n    - {cc: 5, tap: true}\n",
          f);
    fclose(f);
    pt_engine_config ec = {.rate = 48000, .max_frames = 64};
    pt_engine *e = pt_engine_create(&ec, NULL);
    pt_session *s = pt_session_create(e, NULL, NULL);
    pt_diags d;
    pt_diags_init(&d);
    assert_int_equal(pt_session_load(s, rig, &d), 0);
    pt_midi *m = pt_midi_create(s, NULL, &d);
    assert_int_equal(pt_midi_start(m, NULL), 0);
    float x[64], l[64], r[64];
    unsigned seed = 1;
    int out_msgs = 0;
    for (int b = 0; b < 3000; b++) { /* 4 s of 64-frame blocks, run flat out */
        for (int i = 0; i < 64; i++) x[i] = 0.1f * sinf(0.05f * (float)(b * 64 + i));
        unsigned char bytes[40];
        int n = 0;
        seed = seed * 1664525u + 1013904223u;
        bytes[n++] = 0xB0;
        bytes[n++] = (unsigned char)(1 + (seed >> 8) % 5);
        bytes[n++] = (unsigned char)((seed >> 16) & 0x7F);
        bytes[n++] = 0xF8; /* clock */
        if (b % 100 == 0) {
            bytes[n++] = 0xF0;
            for (int k = 0; k < 20; k++) bytes[n++] = (unsigned char)k;
            bytes[n++] = 0xF7;
        }
        enter();
        pt_midi_host_in(m, bytes, (size_t)n, (int)(seed % 64), (uint64_t)b * 1333333ull);
        unsigned char o[3];
        while (pt_midi_host_out(m, o) > 0) out_msgs++;
        leave();
        pt_engine_process(e, x, l, r, 64); /* marks itself */
        if (b % 8 == 0) {
            pt_session_poll(s);
            struct timespec ts = {0, 200000};
            nanosleep(&ts, NULL);
        }
    }
    /* the queue holds all ~6,000 messages; the MIDI thread acts on them
     * when the machine lets it: wait for it (up to 10 s), not for a time */
    cJSON *st = pt_midi_state(m);
    for (int i = 0; i < 10000 && cJSON_GetObjectItem(st, "handled")->valuedouble <= 3000; i++) {
        cJSON_Delete(st);
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
        st = pt_midi_state(m);
    }
    print_message("handled %.0f MIDI messages, %d sent out; %d violations%s%s\n",
                  cJSON_GetObjectItem(st, "handled")->valuedouble, out_msgs, pt_rtcheck_violations(),
                  pt_rtcheck_violations() ? ", first: " : "", pt_rtcheck_first());
    assert_true(cJSON_GetObjectItem(st, "handled")->valuedouble > 3000);
    cJSON_Delete(st);
    pt_midi_destroy(m);
    pt_session_destroy(s);
    pt_engine_destroy(e);
    pt_diags_free(&d);
    unlink(rig);
    assert_int_equal(pt_rtcheck_violations(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_trap_sees_an_allocation),
        cmocka_unit_test(midi_on_the_audio_thread_is_real_time_safe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
#endif
