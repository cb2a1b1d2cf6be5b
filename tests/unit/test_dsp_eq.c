/* test_dsp_eq.c — the eq node's magnitude response against the analytic
 * responses of the RBJ cookbook shapes.
 *
 * Reference: the cookbook derives each digital filter from an analog
 * prototype H(s) by the bilinear transform with the corner prewarped, so its
 * exact magnitude at frequency f is |H(j tan(pi f/fs) / tan(pi f0/fs))|. The
 * prototypes below are written out from the cookbook's analog formulas,
 * independently of the coefficient code in src/dsp/biquad.c. The node's
 * response is measured from its impulse response (single-bin DFTs). */
#include <complex.h>
#include <math.h>
#include <stdlib.h>

#include "testutil.h"

static double complex prototype(int shape, double complex s, double q, double gain_db)
{
    double A = pow(10.0, gain_db / 40.0), sA = sqrt(A);
    double complex den = s * s + s / q + 1.0;
    switch (shape) {
    case 0: return 1.0 / den;                                              /* lowpass */
    case 1: return s * s / den;                                            /* highpass */
    case 2: return (s / q) / den;                                          /* bandpass, 0 dB peak */
    case 3: return (s * s + 1.0) / den;                                    /* notch */
    case 4: return (s * s + s * (A / q) + 1.0) / (s * s + s / (A * q) + 1.0); /* peak */
    case 5: return A * (s * s + (sA / q) * s + A) / (A * s * s + (sA / q) * s + 1.0); /* low shelf */
    default: return A * (A * s * s + (sA / q) * s + 1.0) / (s * s + (sA / q) * s + A); /* high shelf */
    }
}

static double analytic_db(int shape, double rate, double f0, double q, double gain_db, double f)
{
    double complex s = I * tan(M_PI * f / rate) / tan(M_PI * f0 / rate);
    return 20.0 * log10(cabs(prototype(shape, s, q, gain_db)));
}

static void check(double rate, int shape, double f0, double q, double gain_db, double *worst)
{
    pt_chain *c = pt_chain_new();
    pt_chain_add_node(c, tu_node("eq", "eq", "shape", (double)shape, "freq_hz", f0, "q", q,
                                 "gain_db", gain_db, NULL));
    pt_program *p = tu_build(c, rate, 256);
    int n = (int)rate; /* one second: every response here has decayed by then */
    float *x = calloc((size_t)n, sizeof(float)), *y = malloc((size_t)n * sizeof(float));
    x[0] = 1.0f;
    tu_run(p, x, y, NULL, n, 256);
    for (int k = 0; k < 40; k++) {
        double f = 20.0 * pow(1000.0, k / 39.0); /* 20 Hz .. 20 kHz, log spaced */
        if (f > 0.45 * rate) continue;
        double want = analytic_db(shape, rate, f0, q, gain_db, f);
        if (want < -60.0) continue; /* deep in a stop band: float noise, not shape */
        double got = 20.0 * log10(tu_dft_mag(y, n, rate, f));
        double d = fabs(got - want);
        if (d > *worst) *worst = d;
        if (d > 0.05)
            fail_msg("shape %d f0=%g q=%g gain=%g at %g Hz/%g: got %.4f dB, want %.4f dB", shape, f0,
                     q, gain_db, f, rate, got, want);
    }
    free(x);
    free(y);
    pt_program_free(p);
}

static void eq_matches_rbj_analytic_response(void **state)
{
    (void)state;
    const double rates[] = {44100, 48000, 96000};
    const double f0s[] = {80, 1000, 8000};
    const double qs[] = {0.5, 0.7071, 4.0};
    const double gains[] = {-12, 6};
    double worst = 0;
    for (int r = 0; r < 3; r++)
        for (int shape = 0; shape < 7; shape++)
            for (int fi = 0; fi < 3; fi++)
                for (int qi = 0; qi < 3; qi++)
                    for (int gi = 0; gi < (shape >= 4 ? 2 : 1); gi++)
                        check(rates[r], shape, f0s[fi], qs[qi], gains[gi], &worst);
    print_message("worst deviation from the analytic response: %.5f dB\n", worst);
}

/* Moving a knob must glide: the output of a steady sine never jumps more
 * than the sine's own largest step allows while the frequency sweeps. */
static void eq_knob_moves_without_steps(void **state)
{
    (void)state;
    double rate = 48000;
    pt_chain *c = pt_chain_new();
    pt_chain_add_node(c, tu_node("eq", "eq", "shape", 4.0, "freq_hz", 200.0, "gain_db", 12.0, NULL));
    pt_program *p = tu_build(c, rate, 64);
    int n = 24000;
    float *x = tu_sine(n, rate, 440, 0.5), *y = malloc((size_t)n * sizeof(float));
    pt_node *eq = pt_program_node(p, 0);
    for (int off = 0; off < n; off += 64) {
        if (off == 4800) pt_node_set_param(eq, pt_param_index(eq->type, "freq_hz"), 4000.0f);
        tu_run(p, x + off, y + off, NULL, 64, 64);
    }
    double max_step = 0, sine_step = 2 * M_PI * 440 / rate * 0.5 * 4.0; /* 12 dB boost max */
    for (int i = 4800; i < n - 1; i++) max_step = fmax(max_step, fabs(y[i + 1] - y[i]));
    assert_true(max_step < sine_step * 1.1);
    free(x), free(y);
    pt_program_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(eq_matches_rbj_analytic_response),
        cmocka_unit_test(eq_knob_moves_without_steps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
