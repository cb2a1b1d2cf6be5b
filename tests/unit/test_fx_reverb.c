/* test_fx_reverb.c — the reverb's decay time.
 *
 * Reference: Schroeder's backward-integrated energy decay curve (Schroeder
 * 1965; the T20 method of ISO 3382-1): the impulse response (wet only,
 * low-passed at 1 kHz so the damping filter, which shortens the decay above
 * damping_hz, does not enter), integrated from the end; a straight line
 * fitted between -5 and -25 dB; RT60 = 60 dB / slope. Required: within 10 %
 * of decay_s. Also: the pre-delay holds the first output back by
 * predelay_ms, and the two channels differ (stereo width). */
#include <math.h>
#include <stdio.h>

#include "dsp/biquad.h"
#include "fxutil.h"
#include "testutil.h"

static double rt60(const float *h, int len)
{
    double *edc = malloc((size_t)len * sizeof(double));
    double acc = 0.0;
    for (int i = len - 1; i >= 0; i--) acc += (double)h[i] * h[i], edc[i] = acc;
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    int cnt = 0;
    for (int i = 0; i < len; i++) {
        double db = 10.0 * log10(edc[i] / edc[0]);
        if (db > -5.0 || db < -25.0) continue;
        double t = i / FX_RATE;
        sx += t, sy += db, sxx += t * t, sxy += t * db, cnt++;
    }
    free(edc);
    double slope = (cnt * sxy - sx * sy) / (cnt * sxx - sx * sx);
    return -60.0 / slope;
}

static void test_decay_time(void **state)
{
    (void)state;
    static const double decays[] = {0.5, 1.5, 4.0};
    for (int c = 0; c < 3; c++) {
        pt_node *n = tu_node("reverb", "r", "decay_s", decays[c], "mix", 1.0, "predelay_ms", 0.0,
                             "damping_hz", 20000.0, NULL);
        fx_prepare(n, 1);
        int len = (int)(decays[c] * 1.2 * FX_RATE);
        float *x = calloc((size_t)len, sizeof(float)), *l = malloc((size_t)len * sizeof(float));
        float *r = malloc((size_t)len * sizeof(float));
        x[0] = 1.0f;
        float *in[1] = {x}, *out[2] = {l, r};
        fx_run(n, in, out, len, FX_BLOCK, NULL, NULL);
        /* stereo: the channels are not copies of each other */
        double diff = 0, sum = 0;
        for (int i = 0; i < len; i++) diff += fabs(r[i] - l[i]), sum += fabs(l[i]);
        assert_true(diff > 0.5 * sum);
        pt_biquad_coefs co;
        pt_biquad_design(&co, PT_BQ_LOWPASS, FX_RATE, 1000.0, 0.7071, 0.0);
        pt_biquad f;
        pt_biquad_set(&f, &co);
        pt_biquad_reset(&f);
        for (int i = 0; i < len; i++) l[i] = pt_biquad_tick(&f, l[i]);
        double t = rt60(l, len);
        printf("decay_s %.2f: measured RT60 %.3f s (%+.1f %%)\n", decays[c], t,
               100.0 * (t / decays[c] - 1.0));
        assert_float_equal(t / decays[c], 1.0, 0.10);
        free(x), free(l), free(r);
        pt_node_destroy(n);
    }
}

static void test_predelay(void **state)
{
    (void)state;
    pt_node *n = tu_node("reverb", "r", "mix", 1.0, "predelay_ms", 50.0, NULL);
    fx_prepare(n, 1);
    int len = 9600;
    float *x = calloc((size_t)len, sizeof(float)), *l = malloc((size_t)len * sizeof(float));
    float *r = malloc((size_t)len * sizeof(float));
    x[0] = 1.0f;
    float *in[1] = {x}, *out[2] = {l, r};
    fx_run(n, in, out, len, FX_BLOCK, NULL, NULL);
    int first = -1;
    for (int i = 0; i < len && first < 0; i++)
        if (l[i] != 0.0f || r[i] != 0.0f) first = i;
    /* 50 ms, then the shortest path through the diffusers and a line */
    assert_true(first >= 2400);
    assert_true(first < 2400 + 2000);
    free(x), free(l), free(r);
    pt_node_destroy(n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decay_time),
        cmocka_unit_test(test_predelay),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
