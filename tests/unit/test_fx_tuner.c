/* test_fx_tuner.c — the tuner's pitch read-out against tones of known pitch.
 *
 * References:
 * - Clean sines: the frequency they were generated at. Required: within
 *   +-0.1 cent at every block from 100 ms on.
 * - Plucked strings: Karplus-Strong (delay line, two-point average, loss,
 *   and a first-order all-pass for the fractional part of the loop, after
 *   Jaffe & Smith 1983) excited by random noise. Its fundamental is where
 *   the loop's phase is exactly one turn, N w + w/2 - arg H_ap(w) = 2 pi,
 *   solved here by bisection — not the nominal note, which the all-pass only
 *   approximates. Required: within +-1 cent at every block from 100 ms on,
 *   for every semitone E2..E6 (detuned by a random -40..40 cents).
 * - note and cents: 12 log2(f / 440) split into the nearest note and the
 *   remainder. */
#include <complex.h>
#include <math.h>
#include <stdio.h>

#include "fxutil.h"
#include "testutil.h"

#define SECONDS 0.4
#define FROM_S 0.100

typedef struct check {
    double f_true, worst_cents;
    int fi, ni, ci, misses;
} check;

static void after_block(pt_node *n, int done, void *ctx)
{
    check *c = ctx;
    if (done < (int)(FROM_S * FX_RATE)) return;
    float f = pt_node_readout(n, c->fi);
    if (!(f > 0.0f)) {
        c->misses++;
        c->worst_cents = INFINITY;
        return;
    }
    double cents = 1200.0 * log2(f / c->f_true);
    if (fabs(cents) > fabs(c->worst_cents)) c->worst_cents = cents;
    /* note and cents read-outs agree with the frequency read-out */
    double semis = 12.0 * log2(f / 440.0);
    double note = floor(semis + 0.5);
    assert_float_equal(pt_node_readout(n, c->ni), 69.0 + note, 1e-3);
    assert_float_equal(pt_node_readout(n, c->ci), 100.0 * (semis - note), 1e-2);
}

/* Run the tuner on x and return the worst deviation in cents from f_true
 * over every block from FROM_S on. */
static double measure(pt_node *n, const float *x, int len, double f_true)
{
    float *y = malloc((size_t)len * sizeof(float));
    check c = {.f_true = f_true,
               .fi = pt_readout_index(n->type, "freq_hz"),
               .ni = pt_readout_index(n->type, "note"),
               .ci = pt_readout_index(n->type, "cents")};
    n->type->reset(n);
    float *in[1] = {(float *)x}, *out[1] = {y};
    fx_run(n, in, out, len, FX_BLOCK, after_block, &c);
    /* the tuner passes its input through untouched */
    for (int i = 0; i < len; i++) assert_true(y[i] == x[i]);
    free(y);
    return c.misses ? INFINITY : c.worst_cents;
}

/* The fundamental of the Karplus-Strong loop below (see the header). */
static double ks_fundamental(int N, double C, double rate, double f_guess)
{
    double lo = 2.0 * M_PI * f_guess / rate * 0.9, hi = 2.0 * M_PI * f_guess / rate * 1.1;
    for (int it = 0; it < 200; it++) {
        double w = 0.5 * (lo + hi);
        double complex z1 = cexp(-I * w);
        double complex H = (C + z1) / (1.0 + C * z1);
        double turn = N * w + 0.5 * w - carg(H) - 2.0 * M_PI;
        if (turn > 0) hi = w;
        else lo = w;
    }
    return 0.5 * (lo + hi) * rate / (2.0 * M_PI);
}

/* A plucked string at about f_nom Hz; returns its true fundamental. */
static double karplus_strong(float *y, int len, double f_nom, double rate, unsigned seed)
{
    double P = rate / f_nom;          /* loop delay wanted, samples */
    int N = (int)floor(P - 0.5 - 0.1); /* whole part; all-pass delay in [0.1, 1.1) */
    double eta = P - 0.5 - N;
    double C = (1.0 - eta) / (1.0 + eta);
    const double loss = 0.996;
    double ap_x1 = 0.0, ap_y1 = 0.0;
    for (int i = 0; i < len; i++) {
        double exc = i < N ? 0.5 * fx_noise(&seed) : 0.0;
        double a = i >= N + 1 ? 0.5 * (y[i - N] + y[i - N - 1]) : 0.0;
        double ap = C * a + ap_x1 - C * ap_y1;
        ap_x1 = a, ap_y1 = ap;
        y[i] = (float)(exc + loss * ap);
    }
    return ks_fundamental(N, C, rate, f_nom);
}

static void test_sines_within_a_tenth_of_a_cent(void **state)
{
    (void)state;
    pt_node *n = tu_node("tuner", "t", NULL);
    fx_prepare(n, 1);
    int len = (int)(SECONDS * FX_RATE);
    double worst = 0.0;
    unsigned seed = 7;
    for (int note = 40; note <= 88; note += 3) {
        double f = 440.0 * pow(2.0, (note - 69 + 0.4 * fx_noise(&seed)) / 12.0);
        float *x = tu_sine(len, FX_RATE, f, 0.3);
        double c = measure(n, x, len, f);
        free(x);
        if (fabs(c) > fabs(worst)) worst = c;
        if (!(fabs(c) <= 0.1)) fail_msg("sine %.3f Hz: off by %.4f cents", f, c);
    }
    printf("sines E2..E6: worst %.4f cents\n", worst);
    pt_node_destroy(n);
}

static void test_plucked_strings_within_a_cent(void **state)
{
    (void)state;
    pt_node *n = tu_node("tuner", "t", NULL);
    fx_prepare(n, 1);
    int len = (int)(SECONDS * FX_RATE);
    float *x = malloc((size_t)len * sizeof(float));
    double worst = 0.0;
    unsigned seed = 12345;
    for (int note = 40; note <= 88; note++) {
        double f_nom = 440.0 * pow(2.0, (note - 69 + 0.4 * fx_noise(&seed)) / 12.0);
        double f = karplus_strong(x, len, f_nom, FX_RATE, seed + (unsigned)note);
        double c = measure(n, x, len, f);
        if (fabs(c) > fabs(worst)) worst = c;
        if (!(fabs(c) <= 1.0)) fail_msg("string %.3f Hz (MIDI %d): off by %.4f cents", f, note, c);
    }
    printf("plucked strings E2..E6: worst %.4f cents\n", worst);
    free(x);
    pt_node_destroy(n);
}

/* A new note without a reset: 300 ms of one string, then another. The
 * reading must be within 1 cent of the new string from 100 ms after the
 * change. */
static void test_note_change_without_reset(void **state)
{
    (void)state;
    pt_node *n = tu_node("tuner", "t", NULL);
    fx_prepare(n, 1);
    int first = (int)(0.3 * FX_RATE), len = (int)(SECONDS * FX_RATE);
    float *a = malloc((size_t)first * sizeof(float)), *b = malloc((size_t)len * sizeof(float));
    float *y = malloc((size_t)len * sizeof(float));
    static const double pairs[][2] = {{110.0, 146.83}, {329.63, 82.41}, {82.41, 1318.5}, {987.8, 196.0}};
    for (int p = 0; p < 4; p++) {
        karplus_strong(a, first, pairs[p][0], FX_RATE, 3u + (unsigned)p);
        double f = karplus_strong(b, len, pairs[p][1], FX_RATE, 40u + (unsigned)p);
        float *in[1] = {a}, *out[1] = {y};
        n->type->reset(n);
        fx_run(n, in, out, first, FX_BLOCK, NULL, NULL);
        check c = {.f_true = f,
                   .fi = pt_readout_index(n->type, "freq_hz"),
                   .ni = pt_readout_index(n->type, "note"),
                   .ci = pt_readout_index(n->type, "cents")};
        in[0] = b;
        fx_run(n, in, out, len, FX_BLOCK, after_block, &c);
        if (c.misses || !(fabs(c.worst_cents) <= 1.0))
            fail_msg("%.2f Hz -> %.2f Hz: off by %.4f cents (%d misses)", pairs[p][0], f,
                     c.worst_cents, c.misses);
    }
    free(a), free(b), free(y);
    pt_node_destroy(n);
}

/* Other sample rates (the analysis rate is rate / round(rate / 12 kHz)). */
static void test_sines_at_44k1_and_96k(void **state)
{
    (void)state;
    static const double rates[] = {44100.0, 96000.0};
    for (int r = 0; r < 2; r++) {
        pt_node *n = tu_node("tuner", "t", NULL);
        pt_error err = {0};
        assert_int_equal(pt_node_prepare(n, rates[r], 128, 1, &err), 0);
        int len = (int)(0.3 * rates[r]);
        float *y = malloc((size_t)len * sizeof(float));
        for (double f = 82.41; f < 1400.0; f *= 1.37) {
            float *x = tu_sine(len, rates[r], f, 0.3);
            float *in[1] = {x}, *out[1] = {y};
            n->type->reset(n);
            fx_run(n, in, out, len, 128, NULL, NULL);
            double c = 1200.0 * log2(pt_node_readout(n, pt_readout_index(n->type, "freq_hz")) / f);
            if (!(fabs(c) <= 0.1)) fail_msg("%.0f Hz rate, %.2f Hz sine: %.4f cents", rates[r], f, c);
            free(x);
        }
        free(y);
        pt_node_destroy(n);
    }
}

static void test_silence_reads_no_pitch_and_mute_silences(void **state)
{
    (void)state;
    pt_node *n = tu_node("tuner", "t", "mute", 1.0, NULL);
    fx_prepare(n, 1);
    int len = 9600;
    float *x = calloc((size_t)len, sizeof(float)), *y = malloc((size_t)len * sizeof(float));
    float *in[1] = {x}, *out[1] = {y};
    fx_run(n, in, out, len, FX_BLOCK, NULL, NULL);
    assert_true(pt_node_readout(n, pt_readout_index(n->type, "freq_hz")) == 0.0f);
    float *s = tu_sine(len, FX_RATE, 440.0, 0.5);
    in[0] = s;
    fx_run(n, in, out, len, FX_BLOCK, NULL, NULL);
    for (int i = 0; i < len; i++) assert_true(y[i] == 0.0f);
    assert_float_equal(pt_node_readout(n, pt_readout_index(n->type, "freq_hz")), 440.0, 0.05);
    free(s), free(x), free(y);
    pt_node_destroy(n);
}

static void test_reference_moves_the_cents(void **state)
{
    (void)state;
    /* 440 Hz against A4 = 442 Hz: 1200 log2(440/442) = -7.85 cents */
    pt_node *n = tu_node("tuner", "t", "reference_hz", 442.0, NULL);
    fx_prepare(n, 1);
    int len = 9600;
    float *x = tu_sine(len, FX_RATE, 440.0, 0.5), *y = malloc((size_t)len * sizeof(float));
    float *in[1] = {x}, *out[1] = {y};
    fx_run(n, in, out, len, FX_BLOCK, NULL, NULL);
    assert_float_equal(pt_node_readout(n, pt_readout_index(n->type, "note")), 69.0, 1e-6);
    assert_float_equal(pt_node_readout(n, pt_readout_index(n->type, "cents")),
                       1200.0 * log2(440.0 / 442.0), 0.1);
    free(x), free(y);
    pt_node_destroy(n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sines_within_a_tenth_of_a_cent),
        cmocka_unit_test(test_plucked_strings_within_a_cent),
        cmocka_unit_test(test_note_change_without_reset),
        cmocka_unit_test(test_sines_at_44k1_and_96k),
        cmocka_unit_test(test_silence_reads_no_pitch_and_mute_silences),
        cmocka_unit_test(test_reference_moves_the_cents),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
