/* test_capture_checks.c — the checks a capture take goes through
 * (src/train/capture_signal.c), on takes made here from pytone's short
 * signal through known "amps": a gain with a known delay, a tanh drive, and
 * the faults the checks must name — silence, a loopback, clipping, a take
 * too quiet, no blips, and validation copies that disagree. Latency must be
 * found to the sample. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "train/capture_signal.h"

static pt_capture_layout lo;
static float *x, *y;

static int setup(void **st)
{
    (void)st;
    pt_capture_layout_pytone(1, &lo);
    x = malloc((size_t)lo.frames * sizeof *x);
    y = malloc((size_t)lo.frames * sizeof *y);
    pt_capture_signal_fill(&lo, x);
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    free(x);
    free(y);
    return 0;
}

/* y = drive(gain * x) delayed by `delay`, plus uniform noise of +-noise */
static void amp(float gain, int drive, long delay, float noise)
{
    unsigned s = 12345;
    for (long t = 0; t < lo.frames; t++) {
        float v = t >= delay ? gain * x[t - delay] : 0.0f;
        if (drive) v = 0.5f * tanhf(4.0f * v);
        s = s * 1103515245u + 12345u;
        y[t] = v + noise * ((float)(s >> 8) / 8388608.0f - 1.0f);
    }
}

static void good_takes_find_the_latency_to_the_sample(void **st)
{
    (void)st;
    static const long delays[] = {0, 1, 37, 480, 2000};
    for (int i = 0; i < 5; i++) {
        amp(0.7f, i & 1, delays[i], 1e-5f);
        pt_take_report r;
        pt_capture_check_take(x, y, &lo, 9600, &r);
        assert_true(r.ok);
        assert_int_equal(r.latency, delays[i]);
        assert_true(r.copies_esr < 1e-6);
    }
}

static void check_problem(const char *want)
{
    pt_take_report r;
    pt_capture_check_take(x, y, &lo, 9600, &r);
    assert_false(r.ok);
    assert_non_null(r.problem);
    assert_string_equal(r.problem, want);
    assert_true(strlen(r.reason) > 20);
}

static void faults_are_named(void **st)
{
    (void)st;
    amp(0.0f, 0, 0, 1e-5f); /* nothing came back */
    check_problem("silent");
    memcpy(y, x, (size_t)lo.frames * sizeof *y); /* the signal itself */
    check_problem("loopback");
    amp(4.0f, 0, 10, 0); /* clipped at full scale */
    for (long t = 0; t < lo.frames; t++) y[t] = fmaxf(-1.0f, fminf(1.0f, y[t]));
    check_problem("clipping");
    amp(0.01f, 0, 10, 0); /* peak about -40 dBFS */
    check_problem("too quiet");
    amp(0.7f, 1, 10, 0); /* blips removed from the take */
    for (int b = 0; b < 2; b++)
        for (long t = lo.blips[b]; t < lo.blips[b] + 9600 + 20; t++) y[t] = 0;
    check_problem("no blips");
    amp(0.7f, 1, 10, 1e-5f); /* the amp got 20 % louder before the second copy */
    for (long t = lo.val2_start; t < lo.frames; t++) y[t] *= 1.2f;
    check_problem("drift");
}

static void layouts_are_recognised_by_length(void **st)
{
    (void)st;
    pt_capture_layout l;
    char why[512];
    assert_int_equal(pt_capture_layout_detect(40 * 48000, 48000, &l, why, sizeof why), 0);
    assert_string_equal(l.kind, "pytone-short");
    assert_int_equal(pt_capture_layout_detect(180 * 48000, 48000, &l, why, sizeof why), 0);
    assert_string_equal(l.kind, "pytone");
    assert_int_equal(pt_capture_layout_detect(9120000, 48000, &l, why, sizeof why), 0);
    assert_string_equal(l.kind, "nam-v3");
    assert_int_equal(l.blips[0], 504000); /* 10.5 s */
    assert_int_equal(l.blips[1], 552000); /* 11.5 s */
    assert_int_equal(l.val2_start, 9120000 - 432000);
    assert_int_equal(pt_capture_layout_detect(10 * 48000, 48000, &l, why, sizeof why), -1);
    assert_non_null(strstr(why, "10.0 s"));
    assert_int_equal(pt_capture_layout_detect(40 * 48000, 44100, &l, why, sizeof why), -1);
    assert_non_null(strstr(why, "44100"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(good_takes_find_the_latency_to_the_sample),
        cmocka_unit_test(faults_are_named),
        cmocka_unit_test(layouts_are_recognised_by_length),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
