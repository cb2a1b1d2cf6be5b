/* test_engine.c — the engine as a device sees it: programs swap in with a
 * crossfade and no gap, parameters arrive through the queue and ramp, the
 * old program is handed back for freeing off the audio thread, denormals are
 * flushed, and processing does not depend on the device's block size. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

#include "rig/rig.h"
#include "testutil.h"

static pt_program *level_program(float gain_db, double rate, int frames)
{
    pt_chain *c = pt_chain_new();
    pt_chain_add_node(c, tu_node("level", "vol", "gain_db", (double)gain_db, NULL));
    return tu_build(c, rate, frames);
}

static pt_engine *engine(double rate, int frames)
{
    pt_engine_config cfg = {.rate = rate, .max_frames = frames, .clip_output = false};
    pt_engine *e = pt_engine_create(&cfg, NULL);
    assert_non_null(e);
    return e;
}

/* Reference: a rig change is a linear crossfade of 20 ms between the two
 * programs' outputs. With both programs plain gains, the output during the
 * fade is x * (a g_new + (1 - a) g_old) with a rising 0..1, and no sample is
 * ever missing (never silent while the sine is not at a zero crossing). */
static void swap_crossfades_without_gap(void **state)
{
    (void)state;
    double rate = 48000;
    pt_engine *e = engine(rate, 64);
    pt_engine_swap(e, level_program(0.0f, rate, 64), NULL);
    int n = 9600;
    float *x = tu_sine(n, rate, 441, 0.5), *l = malloc(n * sizeof(float)), *r = malloc(n * sizeof(float));
    for (int off = 0; off < n; off += 64) {
        if (off == 3200) pt_engine_swap(e, level_program(-6.0206f, rate, 64), NULL);
        pt_engine_process(e, x + off, l + off, r + off, 64);
    }
    int fade = 960; /* 20 ms */
    for (int i = 0; i < 3200; i++) assert_float_equal(l[i], x[i], 1e-6);
    for (int i = 0; i < fade; i++) {
        double a = (double)i / fade, g = a * 0.5 + (1 - a) * 1.0;
        assert_float_equal(l[3200 + i], g * x[3200 + i], 1e-5);
    }
    for (int i = 3200 + fade; i < n; i++) assert_float_equal(l[i], 0.5 * x[i], 1e-5);
    for (int i = 0; i < n; i++) assert_float_equal(l[i], r[i], 0);
    pt_engine_collect(e); /* the old program comes back to be freed here */
    pt_engine_destroy(e);
    free(x), free(l), free(r);
}

/* Several swaps queued faster than fades complete: each waits its turn, the
 * last one wins, nothing leaks (ASan build) and nothing is skipped. */
static void queued_swaps_finish_in_order(void **state)
{
    (void)state;
    pt_engine *e = engine(48000, 64);
    for (int i = 0; i < 5; i++) pt_engine_swap(e, level_program(-3.0f * i, 48000, 64), NULL);
    float x[64], l[64], r[64];
    for (int i = 0; i < 64; i++) x[i] = 1.0f;
    for (int b = 0; b < 200; b++) pt_engine_process(e, x, l, r, 64);
    assert_float_equal(l[63], pow(10.0, -12.0 / 20.0), 1e-5);
    pt_engine_destroy(e);
}

/* A parameter change from the control side arrives through the queue and
 * ramps over the parameter's smoothing time (level: 20 ms), monotonically. */
static void parameter_changes_ramp(void **state)
{
    (void)state;
    pt_engine *e = engine(48000, 64);
    pt_engine_swap(e, level_program(0.0f, 48000, 64), NULL);
    float x[64], l[64], r[64];
    for (int i = 0; i < 64; i++) x[i] = 1.0f;
    pt_engine_process(e, x, l, r, 64);
    assert_int_equal(pt_engine_set_param(e, "vol", "gain_db", -20.0f, NULL), 0);
    pt_error err = {0};
    assert_int_not_equal(pt_engine_set_param(e, "vol", "nope", 1.0f, &err), 0);
    assert_non_null(strstr(err.msg, "no parameter 'nope'"));
    assert_int_not_equal(pt_engine_set_param(e, "ghost", "gain_db", 1.0f, &err), 0);
    float prev = 1.0f;
    int steps = 0;
    for (int b = 0; b < 20; b++) {
        pt_engine_process(e, x, l, r, 64);
        for (int i = 0; i < 64; i++) {
            assert_true(l[i] <= prev + 1e-7f);
            if (l[i] < prev - 1e-7f) steps++;
            assert_true(prev - l[i] < 0.01f); /* no jump */
            prev = l[i];
        }
    }
    assert_true(steps > 900); /* moved on ~960 samples: a 20 ms ramp */
    assert_float_equal(prev, 0.1f, 1e-5);
    pt_engine_destroy(e);
}

/* The engine sets flush-to-zero / denormals-are-zero on the audio thread. */
static void denormals_are_flushed(void **state)
{
    (void)state;
#if defined(__x86_64__)
    _mm_setcsr(_mm_getcsr() & ~0x8040u);
    pt_engine *e = engine(48000, 64);
    float x[64] = {0}, l[64], r[64];
    pt_engine_process(e, x, l, r, 64);
    assert_true((_mm_getcsr() & 0x8040u) == 0x8040u);
    volatile float tiny = 1e-39f; /* a denormal input */
    volatile float y = tiny * 0.5f;
    assert_true(y == 0.0f);
    pt_engine_destroy(e);
#else
    skip();
#endif
}

/* The same input through the default rig in blocks of 64, 37 and 128 frames
 * (the engine splits device blocks larger than max_frames) gives the same
 * samples: nodes do not depend on where block boundaries fall. */
static void output_does_not_depend_on_block_size(void **state)
{
    (void)state;
    pt_diags d;
    pt_diags_init(&d);
    pt_rig *rig = pt_rig_load(tu_src("rigs/default.yaml"), &d);
    assert_non_null(rig);
    int n = 24000;
    float *x = tu_sine(n, 48000, 196, 0.4);
    float *out[3];
    const int blocks[3] = {64, 37, 128};
    for (int k = 0; k < 3; k++) {
        pt_engine *e = engine(48000, 64);
        pt_engine_swap(e, pt_rig_build_program(rig, 48000, 64, NULL), NULL);
        out[k] = malloc(n * sizeof(float));
        float *r = malloc(n * sizeof(float));
        for (int off = 0; off < n; off += blocks[k]) {
            int m = n - off < blocks[k] ? n - off : blocks[k];
            pt_engine_process(e, x + off, out[k] + off, r + off, m);
        }
        free(r);
        pt_engine_destroy(e);
    }
    for (int i = 0; i < n; i++) {
        assert_float_equal(out[1][i], out[0][i], 0);
        assert_float_equal(out[2][i], out[0][i], 0);
    }
    assert_true(tu_rms(out[0], n) > 0.01);
    for (int k = 0; k < 3; k++) free(out[k]);
    free(x);
    pt_rig_free(rig);
    pt_diags_free(&d);
}

/* DSP load statistics: percentiles come out of the histogram as recorded. */
static void load_statistics_percentiles(void **state)
{
    (void)state;
    pt_load_stats *s = malloc(sizeof *s);
    pt_load_stats_init(s);
    for (int i = 0; i < 100; i++) pt_load_stats_record(s, (uint64_t)(i + 1) * 10000, 1000000);
    pt_load_stats_record(s, 2000000, 1000000); /* one overrun: 200 % */
    pt_load_summary sum;
    pt_load_stats_summary(s, &sum);
    assert_int_equal(sum.callbacks, 101);
    assert_int_equal(sum.overruns, 1);
    assert_float_equal(sum.load_p50, 51.1, 0.11);
    assert_float_equal(sum.load_p99, 100.1, 0.11);
    assert_float_equal(sum.load_max, 200.0, 0.01);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(swap_crossfades_without_gap),
        cmocka_unit_test(queued_swaps_finish_in_order),
        cmocka_unit_test(parameter_changes_ramp),
        cmocka_unit_test(denormals_are_flushed),
        cmocka_unit_test(output_does_not_depend_on_block_size),
        cmocka_unit_test(load_statistics_percentiles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
