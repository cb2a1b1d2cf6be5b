/* test_fx_compressor.c — the compressor's static curve against the formula.
 *
 * Reference: the gain computer of Giannoulis, Massberg & Reiss (JAES 2012,
 * eq. 4), written out again below from the paper, with hard (W = 0) and
 * soft (W = 12 dB) knees. Measured with steady 1 kHz sines from -50 to
 * 0 dBFS: after 0.6 s of settling, the output level is the amplitude of the
 * 1 kHz bin (single-bin DFT over 200 whole periods). Required: within
 * 0.1 dB of the formula plus make-up. Peak detection sees the sine's
 * amplitude; RMS detection its RMS (amplitude / sqrt 2). The read-out
 * gain_reduction_db must match x - y(x) to 0.1 dB as well. */
#include <math.h>
#include <stdio.h>

#include "fxutil.h"
#include "testutil.h"

static double curve(double x, double t, double r, double w)
{
    if (2.0 * (x - t) < -w || (w == 0.0 && x == t)) return x; /* the knee's limit at W = 0 */
    if (2.0 * fabs(x - t) <= w) return x + (1.0 / r - 1.0) * pow(x - t + w / 2.0, 2.0) / (2.0 * w);
    return t + (x - t) / r;
}

static void static_curve(int rms, double knee_db)
{
    const double thr = -20.0, ratio = 4.0, makeup = 6.0, f = 1000.0;
    pt_node *n = tu_node("compressor", "c", "detection", (double)rms, "threshold_db", thr, "ratio",
                         ratio, "knee_db", knee_db, "attack_ms", 1.0, "release_ms", 300.0,
                         "makeup_db", makeup, NULL);
    fx_prepare(n, 1);
    int settle = (int)(0.6 * FX_RATE), meas = (int)(0.2 * FX_RATE), len = settle + meas;
    float *y = malloc((size_t)len * sizeof(float));
    double worst = 0.0;
    int gr_i = pt_readout_index(n->type, "gain_reduction_db");
    for (double in_db = -50.0; in_db <= 0.01; in_db += 1.0) {
        double amp = pow(10.0, in_db / 20.0);
        float *x = tu_sine(len, FX_RATE, f, amp);
        n->type->reset(n);
        float *in[1] = {x}, *out[1] = {y};
        fx_run(n, in, out, len, FX_BLOCK, NULL, NULL);
        double out_amp = 2.0 * tu_dft_mag(y + settle, meas, FX_RATE, f) / meas;
        double level = rms ? in_db - 10.0 * log10(2.0) : in_db;
        double want = curve(level, thr, ratio, knee_db) + makeup - level + in_db;
        double got = 20.0 * log10(out_amp);
        if (fabs(got - want) > fabs(worst)) worst = got - want;
        if (!(fabs(got - want) <= 0.1))
            fail_msg("%s knee %.0f dB, input %.1f dBFS: output %.3f dB, formula %.3f dB",
                     rms ? "rms" : "peak", knee_db, in_db, got, want);
        double gr = level - curve(level, thr, ratio, knee_db);
        assert_float_equal(pt_node_readout(n, gr_i), gr, 0.1);
        free(x);
    }
    printf("%s detection, knee %.0f dB: worst deviation %.4f dB\n", rms ? "rms" : "peak", knee_db, worst);
    free(y);
    pt_node_destroy(n);
}

static void test_peak_hard_knee(void **state) { (void)state; static_curve(0, 0.0); }
static void test_peak_soft_knee(void **state) { (void)state; static_curve(0, 12.0); }
static void test_rms_hard_knee(void **state) { (void)state; static_curve(1, 0.0); }
static void test_rms_soft_knee(void **state) { (void)state; static_curve(1, 12.0); }

/* Attack: after a step from -40 to -10 dBFS (20 dB of reduction at ratio
 * inf-like 50), the reduction reaches 1 - 1/e of its final value after about
 * one attack time constant (the release stage rises instantly). Reference:
 * the one-pole step response 1 - exp(-t / tau). */
static void test_attack_time_constant(void **state)
{
    (void)state;
    const double attack_ms = 20.0;
    pt_node *n = tu_node("compressor", "c", "threshold_db", -30.0, "ratio", 50.0, "knee_db", 0.0,
                         "attack_ms", attack_ms, "release_ms", 1000.0, NULL);
    fx_prepare(n, 1);
    int len = (int)(0.3 * FX_RATE);
    float *x = malloc((size_t)len * sizeof(float)), *y = malloc((size_t)len * sizeof(float));
    for (int i = 0; i < len; i++) x[i] = 0.316f; /* DC at -10 dBFS: a steady detector input */
    int gr_i = pt_readout_index(n->type, "gain_reduction_db");
    double final = 20.0 * log10(0.316) - curve(20.0 * log10(0.316), -30.0, 50.0, 0.0);
    int tau = (int)lrint(attack_ms * 0.001 * FX_RATE);
    float *in[1] = {x}, *out[1] = {y};
    fx_run(n, in, out, tau, tau, NULL, NULL);
    assert_float_equal(pt_node_readout(n, gr_i), final * (1.0 - exp(-1.0)), 0.02 * final);
    free(x), free(y);
    pt_node_destroy(n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_peak_hard_knee), cmocka_unit_test(test_peak_soft_knee),
        cmocka_unit_test(test_rms_hard_knee), cmocka_unit_test(test_rms_soft_knee),
        cmocka_unit_test(test_attack_time_constant),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
