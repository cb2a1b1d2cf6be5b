/* test_rt_safety.c — the audio thread never allocates, frees, locks, sleeps
 * or does file I/O.
 *
 * This program is linked with tests/rtcheck/trap.c, which interposes malloc,
 * calloc, realloc, free, pthread_mutex_lock, pthread_cond_wait, open, fopen,
 * read, write, nanosleep and usleep for every caller in the process and
 * counts each call made inside pt_engine_process. The engine then runs on the real virtual device thread for
 * two seconds while a control thread changes parameters, toggles bypasses
 * and swaps whole rigs in. (Not built into the sanitizer run: ASan owns
 * malloc there.) */
#include <dlfcn.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/rt.h"
#include "io/backend.h"
#include "rig/rig.h"
#include "testutil.h"

#if defined(__SANITIZE_ADDRESS__)
int main(void)
{
    puts("test_rt_safety: skipped under AddressSanitizer (it owns malloc)");
    return 0;
}
#else

#include "rtcheck.h"

/* The device calls this: pt_engine_process marks the thread itself. */
static void audio_callback(void *user, const float *in, float *l, float *r, int frames)
{
    pt_engine_process(user, in, l, r, frames);
}

/* The trap itself works: a malloc inside the flag is seen. */
static void the_trap_sees_an_allocation(void **state)
{
    (void)state;
    int before = pt_rtcheck_violations();
    *(volatile int *)&pt_rt_in_callback = 1;
    void *volatile p = malloc(16);
    *(volatile int *)&pt_rt_in_callback = 0;
    free(p);
    assert_int_equal(pt_rtcheck_violations(), before + 1);
    pt_rtcheck_clear();
}

static void the_audio_thread_never_allocates_locks_or_does_io(void **state)
{
    (void)state;
    pt_diags d;
    pt_diags_init(&d);
    pt_rig *rig = pt_rig_load(tu_src("rigs/default.yaml"), &d);
    assert_non_null(rig);
    pt_backend_config bc = {.rate = 48000, .frames = 64, .input_file = tu_src("assets/di/guitar_di.wav")};
    pt_backend *dev;
    pt_error err = {0};
    assert_int_equal(pt_backend_virtual.open(&dev, &bc, &err), 0);
    pt_engine_config ec = {.rate = 48000, .max_frames = 64, .clip_output = true, .limiter = true};
    pt_engine *e = pt_engine_create(&ec, &err);
    pt_engine_swap(e, pt_rig_build_program(rig, 48000, 64, &err), &err);
    assert_int_equal(pt_backend_virtual.start(dev, audio_callback, e, &err), 0);

    /* A split rig to swap in and out, so swaps change the graph's shape. */
    pt_chain *c = pt_chain_new();
    pt_item *s = pt_chain_add_split(c, 2);
    pt_chain_add_node(s->branches[0].chain, tu_node("drive", "drive", NULL));
    pt_chain_add_node(s->branches[1].chain, tu_node("eq", "presence", NULL));
    pt_chain_add_node(c, tu_node("gate", "gate", NULL));

    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int i = 0;
    do {
        pt_engine_set_param(e, "drive", "drive_db", (float)(i % 24), NULL);
        pt_engine_set_param(e, "presence", "freq_hz", 500.0f + 100.0f * (i % 30), NULL);
        pt_engine_set_bypass(e, "presence", i % 2, NULL);
        pt_engine_set_param(e, "presence", "shape", (float)(i % 7), NULL);
        /* a circuit's knob (its adaptors recomputed on the audio thread) and gain */
        pt_engine_set_param(e, "amp", "volume", 0.1f + 0.05f * (float)(i % 10), NULL);
        pt_engine_set_param(e, "amp", "output_gain_db", (float)(i % 6), NULL);
        if (i % 25 == 0) {
            pt_program *p;
            if ((i / 25) % 2 == 0) {
                pt_chain *copy = pt_chain_new();
                pt_item *cs = pt_chain_add_split(copy, 2);
                pt_chain_add_node(cs->branches[0].chain, tu_node("drive", "drive", NULL));
                pt_chain_add_node(cs->branches[1].chain, tu_node("eq", "presence", NULL));
                pt_chain_add_node(copy, tu_node("gate", "gate", NULL));
                p = pt_program_build(copy, 48000, 64, &err);
                pt_chain_free(copy);
            } else {
                p = pt_rig_build_program(rig, 48000, 64, &err);
            }
            pt_engine_swap(e, p, &err);
        }
        pt_engine_collect(e);
        struct timespec ts = {0, 5 * 1000000};
        nanosleep(&ts, NULL);
        clock_gettime(CLOCK_MONOTONIC, &now);
        i++;
    } while ((now.tv_sec - t0.tv_sec) + 1e-9 * (now.tv_nsec - t0.tv_nsec) < 2.0);
    pt_backend_virtual.close(dev);
    pt_load_summary sum;
    pt_engine_load(e, &sum);
    print_message("%llu callbacks, %d control rounds, violations: %d %s\n",
                  (unsigned long long)sum.callbacks, i, pt_rtcheck_violations(), pt_rtcheck_first());
    assert_true(sum.callbacks > 1000);
    assert_int_equal(pt_rtcheck_violations(), 0);
    pt_engine_destroy(e);
    pt_chain_free(c);
    pt_rig_free(rig);
    pt_diags_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_trap_sees_an_allocation),
        cmocka_unit_test(the_audio_thread_never_allocates_locks_or_does_io),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
#endif
