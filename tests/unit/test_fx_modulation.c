/* test_fx_modulation.c — each modulation effect's LFO rate, measured from
 * its output.
 *
 * A 1 kHz sine goes through the effect (wet only, no feedback). The output
 * is demodulated at 1 kHz (multiplied by exp(-i w t) and averaged over one
 * exact period of 48 samples), giving its amplitude and phase over time:
 *   tremolo: the amplitude follows the LFO;
 *   chorus, flanger: the phase is -w * delay(t), the delay follows the LFO;
 *   phaser: the all-pass chain's phase at 1 kHz moves with its break
 *           frequency, which follows the LFO.
 * The modulation period is the mean spacing of upward crossings of the
 * series' mid-level over 4 s. Reference: the rate_hz parameter, or 1 / (the
 * note division at the tempo) when synced. Required: within 0.1 %. */
#include <complex.h>
#include <math.h>
#include <stdio.h>

#include "fxutil.h"
#include "testutil.h"

#define F0 1000.0
#define PERIOD 48 /* samples of F0 at 48 kHz */
#define SECONDS 4.0
#define SKIP_S 0.25 /* parameters and delay lines settle */

enum { AMPLITUDE, PHASE };

/* Rate in Hz of the modulation of y's amplitude or phase at F0. */
static double modulation_hz(const float *y, int len, int what)
{
    int m = len / PERIOD;
    double *s = malloc((size_t)m * sizeof(double));
    double prev = 0.0, unwrap = 0.0;
    for (int b = 0; b < m; b++) {
        double complex acc = 0;
        for (int i = b * PERIOD; i < (b + 1) * PERIOD; i++)
            acc += y[i] * cexp(-I * 2.0 * M_PI * F0 * i / FX_RATE);
        if (what == AMPLITUDE) {
            s[b] = cabs(acc);
        } else {
            double ph = carg(acc);
            double d = ph - prev;
            while (d > M_PI) d -= 2.0 * M_PI;
            while (d < -M_PI) d += 2.0 * M_PI;
            unwrap += d;
            prev = ph;
            s[b] = unwrap;
        }
    }
    int from = (int)(SKIP_S * FX_RATE / PERIOD);
    double lo = INFINITY, hi = -INFINITY;
    for (int b = from; b < m; b++) lo = fmin(lo, s[b]), hi = fmax(hi, s[b]);
    double mid = 0.5 * (lo + hi), first = -1, last = -1;
    int count = 0;
    for (int b = from + 1; b < m; b++)
        if (s[b - 1] < mid && s[b] >= mid) {
            double t = (b - 1 + (mid - s[b - 1]) / (s[b] - s[b - 1])) * PERIOD;
            if (first < 0) first = t;
            last = t;
            count++;
        }
    free(s);
    assert_true(hi - lo > 1e-3); /* it does modulate */
    assert_true(count >= 3);
    return (count - 1) * FX_RATE / (last - first);
}

static void check_rate(pt_node *n, int what, double want_hz)
{
    fx_prepare(n, 1);
    int len = (int)(SECONDS * FX_RATE);
    float *x = tu_sine(len, FX_RATE, F0, 0.5), *yl = malloc((size_t)len * sizeof(float));
    float *yr = malloc((size_t)len * sizeof(float));
    float *in[1] = {x}, *out[2] = {yl, yr};
    fx_run(n, in, out, len, FX_BLOCK, NULL, NULL);
    double got = modulation_hz(yl, len, what);
    printf("%-8s LFO %.4f Hz measured, %.4f Hz wanted (%+.3f %%)\n", n->type->name, got, want_hz,
           100.0 * (got / want_hz - 1.0));
    assert_float_equal(got / want_hz, 1.0, 0.001);
    free(x), free(yl), free(yr);
    pt_node_destroy(n);
}

static void test_tremolo(void **state)
{
    (void)state;
    check_rate(tu_node("tremolo", "t", "rate_hz", 5.5, "depth", 0.8, NULL), AMPLITUDE, 5.5);
    check_rate(tu_node("tremolo", "t", "rate_hz", 1.3, "depth", 0.5, "shape", 1.0, NULL), AMPLITUDE, 1.3);
}

static void test_tremolo_synced(void **state)
{
    (void)state;
    pt_set_tempo_bpm(100.0f); /* 1/8 at 100 BPM: 0.3 s, 3.333 Hz */
    check_rate(tu_node("tremolo", "t", "sync", 1.0, "division", 3.0, "depth", 0.8, NULL), AMPLITUDE,
               100.0 / 60.0 / 0.5);
    pt_set_tempo_bpm(120.0f);
}

static void test_chorus(void **state)
{
    (void)state;
    check_rate(tu_node("chorus", "c", "rate_hz", 1.7, "depth_ms", 2.0, "delay_ms", 10.0, "mix", 1.0,
                       NULL),
               PHASE, 1.7);
    pt_set_tempo_bpm(120.0f); /* 1/2 at 120 BPM: 1 s */
    check_rate(tu_node("chorus", "c", "sync", 1.0, "division", 1.0, "mix", 1.0, NULL), PHASE, 1.0);
}

static void test_flanger(void **state)
{
    (void)state;
    check_rate(tu_node("flanger", "f", "rate_hz", 0.9, "delay_ms", 1.0, "depth_ms", 3.0, "feedback",
                       0.0, "mix", 1.0, NULL),
               PHASE, 0.9);
}

static void test_phaser(void **state)
{
    (void)state;
    check_rate(tu_node("phaser", "p", "rate_hz", 1.3, "feedback", 0.0, "mix", 1.0, NULL), PHASE, 1.3);
    check_rate(tu_node("phaser", "p", "rate_hz", 3.1, "stages", 3.0, "feedback", 0.0, "mix", 1.0,
                       NULL),
               PHASE, 3.1);
}

/* The wah's centre frequency: the band-pass peak (measured by sweeping
 * sines) sits at low * (high/low)^position. Reference: that formula. */
static void test_wah_centre(void **state)
{
    (void)state;
    for (double pos = 0.0; pos <= 1.0; pos += 0.25) {
        pt_node *n = tu_node("wah", "w", "position", pos, "q", 8.0, NULL);
        fx_prepare(n, 1);
        double want = 400.0 * pow(2200.0 / 400.0, pos);
        double best_f = 0, best = 0;
        int len = 9600;
        float *y = malloc((size_t)len * sizeof(float));
        for (double f = want * 0.8; f <= want * 1.25; f *= 1.002) {
            float *x = tu_sine(len, FX_RATE, f, 0.5);
            float *in[1] = {x}, *out[1] = {y};
            n->type->reset(n);
            fx_run(n, in, out, len, FX_BLOCK, NULL, NULL);
            double g = tu_rms(y + len / 2, len / 2);
            if (g > best) best = g, best_f = f;
            free(x);
        }
        assert_float_equal(best_f / want, 1.0, 0.004);
        assert_float_equal(best / (0.5 / sqrt(2.0)), 1.0, 0.01); /* 0 dB at the peak */
        free(y);
        pt_node_destroy(n);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tremolo), cmocka_unit_test(test_tremolo_synced),
        cmocka_unit_test(test_chorus),  cmocka_unit_test(test_flanger),
        cmocka_unit_test(test_phaser),  cmocka_unit_test(test_wah_centre),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
