/* test_fx_delay.c — the delay's timing.
 *
 * References: the arithmetic of note values (a quarter note lasts 60/BPM s,
 * dotted 3/2 of that, triplet 2/3) at 48 kHz. An impulse goes in; the first
 * echo must peak exactly at the predicted sample (rounded when the time is
 * not a whole number of samples), and its centre of mass (signed) must sit
 * at the exact fractional position to 0.01 sample, which is what the
 * Catmull-Rom interpolator preserves. */
#include <math.h>
#include <stdio.h>

#include "fxutil.h"
#include "testutil.h"

#define IMPULSE_AT 100

/* Echo position (peak index and centroid) relative to the impulse. */
static void echo(pt_node *n, int len, int *peak, double *centroid, float **left, float **right)
{
    float *x = calloc((size_t)len, sizeof(float));
    float *yl = calloc((size_t)len, sizeof(float)), *yr = calloc((size_t)len, sizeof(float));
    x[IMPULSE_AT] = 1.0f;
    float *in[2] = {x, x}, *out[2] = {yl, yr};
    fx_run(n, in, out, len, FX_BLOCK, NULL, NULL);
    int p = 0;
    for (int i = 0; i < len; i++)
        if (fabsf(yl[i]) > fabsf(yl[p])) p = i;
    double s = 0, si = 0;
    for (int i = p - 4; i <= p + 4; i++) s += yl[i], si += (double)i * yl[i];
    *peak = p - IMPULSE_AT;
    *centroid = si / s - IMPULSE_AT;
    free(x);
    if (left) *left = yl;
    else free(yl);
    if (right) *right = yr;
    else free(yr);
}

static void test_synced_times_exact_to_the_sample(void **state)
{
    (void)state;
    static const struct { float bpm; const char *division; double beats; } cases[] = {
        {120.0f, "1/4", 1.0},      {100.0f, "1/8d", 0.75},   {90.0f, "1/4t", 2.0 / 3.0},
        {140.0f, "1/16", 0.25},    {73.0f, "1/2", 2.0},      {200.0f, "1/8t", 1.0 / 3.0},
        {60.0f, "1/1", 4.0},
    };
    const pt_node_type *t = pt_node_type_find("delay");
    const pt_param_def *div = &t->params[pt_param_index(t, "division")];
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        pt_set_tempo_bpm(cases[c].bpm);
        double want = cases[c].beats * 60.0 / cases[c].bpm * FX_RATE;
        pt_node *n = tu_node("delay", "d", "sync", 1.0, "division",
                             (double)pt_param_choice_index(div, cases[c].division), "mix", 1.0,
                             "feedback", 0.0, NULL);
        fx_prepare(n, 1);
        int peak;
        double centroid;
        echo(n, (int)want + 400, &peak, &centroid, NULL, NULL);
        printf("%s at %.0f BPM: want %.3f samples, echo peak %d, centroid %.4f\n",
               cases[c].division, cases[c].bpm, want, peak, centroid);
        assert_int_equal(peak, (int)lrint(want));
        assert_float_equal(centroid, want, 0.01);
        pt_node_destroy(n);
    }
    pt_set_tempo_bpm(120.0f);
}

/* The tempo changes while the delay runs (tap tempo, MIDI clock): the echo
 * glides to the new time and, once settled, is exact again. */
static void test_follows_a_tempo_change(void **state)
{
    (void)state;
    pt_set_tempo_bpm(120.0f);
    pt_node *n = tu_node("delay", "d", "sync", 1.0, "mix", 1.0, "feedback", 0.0, NULL);
    fx_prepare(n, 1);
    int warm = (int)(0.5 * FX_RATE), settle = (int)(1.5 * FX_RATE);
    float *x = tu_sine(warm, FX_RATE, 330.0, 0.5), *z = calloc((size_t)settle, sizeof(float));
    float *y = malloc((size_t)settle * sizeof(float));
    float *in[1] = {x}, *out[1] = {y};
    fx_run(n, in, out, warm, FX_BLOCK, NULL, NULL);
    pt_set_tempo_bpm(100.0f); /* quarter: 0.6 s = 28800 samples */
    in[0] = z;
    fx_run(n, in, out, settle, FX_BLOCK, NULL, NULL);
    int peak;
    double centroid;
    echo(n, 28800 + 400, &peak, &centroid, NULL, NULL);
    assert_int_equal(peak, 28800);
    assert_float_equal(centroid, 28800.0, 0.01);
    pt_set_tempo_bpm(120.0f);
    free(x), free(y), free(z);
    pt_node_destroy(n);
}

static void test_free_time_in_ms(void **state)
{
    (void)state;
    pt_node *n = tu_node("delay", "d", "time_ms", 333.3, "mix", 1.0, "feedback", 0.0, NULL);
    fx_prepare(n, 1);
    int peak;
    double centroid;
    double want = (double)(float)333.3 * 0.001 * FX_RATE;
    echo(n, 20000, &peak, &centroid, NULL, NULL);
    assert_int_equal(peak, (int)lrint(want));
    assert_float_equal(centroid, want, 0.01);
    pt_node_destroy(n);
}

/* Ping-pong: the first echo only on the left at D, the second only on the
 * right at 2D (feedback 0.5, high cut wide open). */
static void test_ping_pong_alternates(void **state)
{
    (void)state;
    pt_node *n = tu_node("delay", "d", "time_ms", 100.0, "mix", 1.0, "feedback", 0.5, "ping_pong",
                         1.0, "high_cut_hz", 20000.0, NULL);
    fx_prepare(n, 1);
    assert_int_equal(n->out_channels, 2);
    float *l, *r;
    int peak;
    double centroid;
    echo(n, 16000, &peak, &centroid, &l, &r);
    int D = 4800;
    assert_int_equal(peak, D);
    double l1 = 0, r1 = 0, l2 = 0, r2 = 0;
    for (int i = -20; i <= 20; i++) {
        l1 += fabsf(l[IMPULSE_AT + D + i]), r1 += fabsf(r[IMPULSE_AT + D + i]);
        l2 += fabsf(l[IMPULSE_AT + 2 * D + i]), r2 += fabsf(r[IMPULSE_AT + 2 * D + i]);
    }
    assert_true(l1 > 0.9 && r1 == 0.0);
    assert_true(r2 > 0.3 && l2 == 0.0);
    free(l), free(r);
    pt_node_destroy(n);
}

/* A time change must not click: with a 440 Hz sine of amplitude A in, no
 * step between samples may exceed what a sine of that amplitude can do at
 * the highest pitch the change bends it to. The target time ramps over the
 * parameter's 50 ms and the read point follows it through a one-pole, so it
 * never moves faster than the ramp: 4800 samples in 2400, 2 samples per
 * sample, a pitch factor of at most 3. A click (a jump in the waveform)
 * would step by up to twice the amplitude. */
static void test_time_change_does_not_click(void **state)
{
    (void)state;
    pt_node *n = tu_node("delay", "d", "time_ms", 200.0, "mix", 1.0, "feedback", 0.3, NULL);
    fx_prepare(n, 1);
    int len = 48000;
    const double f = 440.0, A = 0.5;
    float *x = tu_sine(len, FX_RATE, f, A), *y = malloc((size_t)len * sizeof(float));
    float *in[1] = {x}, *out[1] = {y};
    fx_run(n, in, out, 24000, FX_BLOCK, NULL, NULL);
    pt_node_set_param(n, pt_param_index(n->type, "time_ms"), 100.0f);
    in[0] = x + 24000, out[0] = y + 24000;
    fx_run(n, in, out, len - 24000, FX_BLOCK, NULL, NULL);
    /* the echo plus its feedback: amplitude at most A / (1 - 0.3) */
    double bound = 1.05 * 3.0 * 2.0 * M_PI * f / FX_RATE * A / (1.0 - 0.3);
    double worst = 0.0;
    for (int i = 9700; i < len; i++) worst = fmax(worst, fabs(y[i] - y[i - 1]));
    printf("largest step after a 200 -> 100 ms change: %.4f (bound %.4f)\n", worst, bound);
    assert_true(worst < bound);
    free(x), free(y);
    pt_node_destroy(n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_synced_times_exact_to_the_sample),
        cmocka_unit_test(test_follows_a_tempo_change),
        cmocka_unit_test(test_free_time_in_ms),
        cmocka_unit_test(test_ping_pong_alternates),
        cmocka_unit_test(test_time_change_does_not_click),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
