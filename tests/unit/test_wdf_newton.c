/* test_wdf_newton.c — the R-type root's Newton step in the devices' active
 * dimension (wdf_run.c, reduced_step) against the full M x M step, and the
 * predictor that starts each sample from the last sample's factorisation.
 *
 * Reference: the same circuit solved with the full Jacobian I + Z D (the
 * solver the amps were checked against ngspice with). Circuits: random
 * tube amplifiers from one template (two triode stages, a cathode follower,
 * a pentode into a transformer and a speaker load, a supply with sag), every
 * value drawn from a seeded generator, driven hot enough that grids conduct
 * and the pentode cuts off. Without the predictor the two solvers must take
 * the same number of Newton iterations (a wrong reduced Jacobian would
 * still converge, but slower) and give the same output to rounding; and the
 * reduced form must actually have been used. With the predictor, fewer
 * iterations, and the same output to within the solver's tolerance (its
 * solutions differ by less than the accepted step). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "wdf/wdf_impl.h"

static unsigned seed = 12345;
static double uni(void)
{
    seed = seed * 1664525u + 1013904223u;
    return (seed >> 8) / 16777216.0;
}
/* a value within a factor f of v, log-uniform */
static double near(double v, double f) { return v * exp(log(f) * (2.0 * uni() - 1.0)); }

static int random_amp(char *buf, size_t cap)
{
    const char *power = uni() < 0.5 ? "EL34" : "6V6GT";
    /* Each value is drawn in a statement of its own: C leaves the order in
     * which a call's arguments are evaluated open, and x86-64 and arm64 GCC
     * differ, so draws inside the call made different circuits on each. The
     * order is last to first, the one x86-64 GCC used when this was written,
     * so the circuits stay those the figures in git history describe. */
    static const double spec[][2] = {
        {34e3, 2},   {1.5e3, 1.5}, {25e-6, 3}, {100e3, 1.5}, {22e-9, 2},  {470e3, 2},
        {1.5e3, 1.5}, {22e3, 3},   {100e3, 1.5}, {100e3, 2}, {22e-9, 2},  {220e3, 2},
        {470, 1.5},  {8, 2},       {40, 1.3},  {8, 1.5},     {385, 1.15}, {400, 2},
        {16e-6, 2}};
    enum { NV = sizeof spec / sizeof spec[0] };
    double v[NV];
    for (int i = NV - 1; i >= 0; i--) v[i] = near(spec[i][0], spec[i][1]);
    return snprintf(
        buf, cap,
        "circuit: random amp\n"
        "oversample: 2\n"
        "parts:\n"
        "  Vin:  {type: voltage_source, R: 100, nodes: [in, gnd]}\n"
        "  Rgl:  {type: resistor, R: 1M, nodes: [in, gnd]}\n"
        "  Rgs:  {type: resistor, R: %.6g, nodes: [in, g1]}\n"
        "  V1:   {type: triode, tube: 12AX7, nodes: [p1, g1, k1]}\n"
        "  Rk1:  {type: resistor, R: %.6g, nodes: [k1, gnd]}\n"
        "  Ck1:  {type: capacitor, C: %.6g, nodes: [k1, gnd]}\n"
        "  Rp1:  {type: resistor, R: %.6g, nodes: [bc, p1]}\n"
        "  Cc1:  {type: capacitor, C: %.6g, nodes: [p1, g2]}\n"
        "  Rg2:  {type: resistor, R: %.6g, nodes: [g2, gnd]}\n"
        "  V2:   {type: triode, tube: 12AX7, nodes: [p2, g2, k2]}\n"
        "  Rk2:  {type: resistor, R: %.6g, nodes: [k2, gnd]}\n"
        "  Rnfb: {type: resistor, R: %.6g, nodes: [spk, k2]}\n"
        "  Rp2:  {type: resistor, R: %.6g, nodes: [bc, p2]}\n"
        "  V3:   {type: triode, tube: 12AX7, nodes: [bc, p2, cf]}\n"
        "  Rcf:  {type: resistor, R: %.6g, nodes: [cf, gnd]}\n"
        "  Cc2:  {type: capacitor, C: %.6g, nodes: [cf, g4]}\n"
        "  Rg4:  {type: resistor, R: %.6g, nodes: [g4, gnd]}\n"
        "  V4:   {type: pentode, tube: %s, nodes: [pa, bs, g4, k4]}\n"
        "  Rk4:  {type: resistor, R: %.6g, nodes: [k4, gnd]}\n"
        "  Ck4:  {type: capacitor, C: 25u, nodes: [k4, gnd]}\n"
        "  Lpri: {type: inductor, L: %.6g, nodes: [ba, pa]}\n"
        "  Rpri: {type: resistor, R: 100k, nodes: [ba, pa]}\n"
        "  OT:   {type: transformer, ratio: %.6g, nodes: [pa, ba, spk, gnd]}\n"
        "  Rl:   {type: resistor, R: %.6g, nodes: [spk, vc]}\n"
        "  Ll:   {type: inductor, L: 0.5m, nodes: [vc, gnd]}\n"
        "  Vps:  {type: voltage_source, V: %.6g, R: %.6g, nodes: [ba, gnd]}\n"
        "  Cf1:  {type: capacitor, C: %.6g, nodes: [ba, gnd]}\n"
        "  Rd1:  {type: resistor, R: 10k, nodes: [ba, bs]}\n"
        "  Cf2:  {type: capacitor, C: 8u, nodes: [bs, gnd]}\n"
        "  Rd2:  {type: resistor, R: 10k, nodes: [bs, bc]}\n"
        "  Cf3:  {type: capacitor, C: 8u, nodes: [bc, gnd]}\n"
        "input: Vin\n"
        "output: {node: spk, scale: 0.1}\n",
        v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], power, v[12],
        v[13], v[14], v[15], v[16], v[17], v[18]);
}

/* Run the circuit from its operating point over x; y gets the output.
 * Returns the Newton iterations in all, and the reduced steps in *reduced. */
static long long run(const pt_wdf_desc *d, int full, int predict, const double *x, double *y,
                     int n, long long *reduced)
{
    pt_error err = {0};
    pt_wdf_circuit *c = pt_wdf_compile(d, 96000.0, &err);
    if (!c) fail_msg("compile: %s", err.msg);
    c->st[0].root.full_newton = full;
    c->st[0].root.no_predict = !predict;
    int iters = 0;
    if (pt_wdf_operating_point(c, &iters, &err) != 0) fail_msg("operating point: %s", err.msg);
    pt_wdf_clear_stats(c);
    c->st[0].root.reduced_steps = 0;
    pt_wdf_process(c, x, y, n);
    pt_wdf_stats st;
    pt_wdf_get_stats(c, &st);
    assert_int_equal(st.nonfinite, 0);
    assert_int_equal(st.not_converged, 0);
    *reduced = c->st[0].root.reduced_steps;
    pt_wdf_free(c);
    return st.iterations;
}

static void reduced_newton_matches_full_on_random_amps(void **state)
{
    (void)state;
    const int n = 9600; /* 0.1 s at 96 kHz */
    double *x = malloc(sizeof(double) * n), *y0 = malloc(sizeof(double) * n),
           *y1 = malloc(sizeof(double) * n);
    char text[4096];
    double worst = 0;
    for (int trial = 0; trial < 6; trial++) {
        random_amp(text, sizeof text);
        pt_wdf_desc *d = NULL;
        pt_error err = {0};
        if (pt_circuit_parse(text, "random.yaml", &d, &err) != 0) fail_msg("%s", err.msg);
        /* a 220 Hz tone swelling from silence to 3 V: clean, then clipping */
        double f = near(220.0, 1.5);
        for (int t = 0; t < n; t++)
            x[t] = 3.0 * t / n * sin(2 * M_PI * f * t / 96000.0);
        long long red0 = 0, red1 = 0, red2 = 0;
        long long it0 = run(d, 1, 0, x, y0, n, &red0);
        long long it1 = run(d, 0, 0, x, y1, n, &red1);
        assert_int_equal(red0, 0);
        assert_true(red1 > n / 2); /* the tubes' grids were off most of the time */
        double peak = 0, diff = 0, diffp = 0;
        for (int t = 0; t < n; t++) {
            peak = fmax(peak, fabs(y0[t]));
            diff = fmax(diff, fabs(y1[t] - y0[t]));
        }
        long long it2 = run(d, 0, 1, x, y1, n, &red2);
        for (int t = 0; t < n; t++) diffp = fmax(diffp, fabs(y1[t] - y0[t]));
        printf("random amp %d: %lld / %lld / %lld Newton iterations (full / reduced / predicted), "
               "%lld reduced steps, output peak %.3g, worst difference %.2e (predicted %.2e)\n",
               trial, it0, it1, it2, red1, peak, diff, diffp);
        assert_true(peak > 0.05); /* it plays */
        /* the same iterations, give or take a step decided by rounding */
        assert_true(llabs(it1 - it0) <= it0 / 1000 + 2);
        assert_true(diff <= 1e-6 * peak);
        /* the predictor: fewer iterations, a solution inside the tolerance */
        assert_true(it2 < it0 * 3 / 4);
        assert_true(diffp <= 1e-4 * peak);
        worst = fmax(worst, diffp / peak);
        pt_wdf_desc_free(d);
    }
    printf("worst relative difference with the predictor %.2e\n", worst);
    free(x), free(y0), free(y1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reduced_newton_matches_full_on_random_amps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
