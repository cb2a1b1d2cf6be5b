/* test_wdf_core.c — the WDF library's numerics, its circuit-file errors and
 * the factory circuits' robustness.
 *
 * References: the Wright omega function's defining equation w + ln w = x
 * (and the omega constant W(1) = 0.5671432904097838); the Shockley diode
 * equation with series resistance, which the closed-form diode must satisfy;
 * for the error tests, the line and column of the offending YAML node. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "wdf/wdf.h"

static void wright_omega_solves_its_equation(void **state)
{
    (void)state;
    assert_true(fabs(pt_wright_omega(0.0) - 0.5671432904097838) < 1e-15);
    assert_true(fabs(pt_wright_omega(1.0) - 1.0) < 1e-15);
    double worst = 0;
    for (double x = -700; x < 1e8; x = x < 0 ? x * 0.93 + 0.01 : x * 1.07 + 0.01) {
        double w = pt_wright_omega(x);
        assert_true(w > 0 && isfinite(w));
        /* relative residual of w + ln w = x, measured on the scale of w */
        double r = fabs(w + log(w) - x) / fmax(1.0, fabs(x));
        if (x < -30) r = fabs(w - exp(x - w)) / w; /* w = e^(x - w) */
        if (r > worst) worst = r;
    }
    print_message("wright omega: worst relative residual %.3g\n", worst);
    assert_true(worst < 1e-13);
    /* the faster forms, against the accurate one */
    double worst_fast = 0, worst_table = 0;
    for (double x = -60; x < 200; x += 0.00731) {
        double w = pt_wright_omega(x);
        worst_fast = fmax(worst_fast, fabs(pt_wright_omega_fast(x) - w) / w);
        worst_table = fmax(worst_table, fabs(pt_wright_omega_table(x) - w) / w);
    }
    print_message("wright omega: one iteration %.3g, table %.3g (relative)\n", worst_fast,
                  worst_table);
    assert_true(worst_fast < 1e-8);
    assert_true(worst_table < 1e-8);
}

static void diode_reflection_satisfies_shockley(void **state)
{
    (void)state;
    const double is = 2.52e-9, nvt = 1.752 * PT_WDF_VT_27C, rs = 0.568;
    double worst = 0;
    for (double R = 10; R < 1e6; R *= 3.7)
        for (double a = -20; a <= 20; a += 0.173) {
            double b = pt_wdf_diode_reflect(a, R, is, nvt, rs);
            double v = 0.5 * (a + b), i = (a - b) / (2 * R);
            double want = is * (exp((v - i * rs) / nvt) - 1.0);
            double err = fabs(i - want) / (fabs(want) + is);
            if (err > worst) worst = err;
        }
    print_message("diode: worst current error %.3g of (|i| + Is)\n", worst);
    assert_true(worst < 1e-7);
}

static void asymmetric_pair_satisfies_shockley(void **state)
{
    (void)state;
    /* a silicon diode one way, a germanium-like one (larger Is, n) the other */
    const double is1 = 2.52e-9, n1 = 1.752, is2 = 5e-6, n2 = 1.3, vt = PT_WDF_VT_27C;
    double worst = 0;
    for (double R = 100; R < 1e5; R *= 2.9)
        for (double a = -15; a <= 15; a += 0.0371) {
            double b = pt_wdf_diode_pair_reflect(a, R, is1, n1 * vt, 0, is2, n2 * vt, 0);
            double v = 0.5 * (a + b), i = (a - b) / (2 * R);
            double want = is1 * (exp(v / (n1 * vt)) - 1.0) - is2 * (exp(-v / (n2 * vt)) - 1.0);
            double err = fabs(i - want) / (fabs(want) + is1 + is2);
            if (err > worst) worst = err;
        }
    print_message("asymmetric pair: worst current error %.3g of (|i| + Is1 + Is2)\n", worst);
    /* by design within e^-8 = 3.4e-4 of the reverse diode's Is (see wdf_math_inline.h) */
    assert_true(worst < 5e-4);
}

/* Where both diodes of a pair conduct (|v| < 8 nVt) the reflection comes
 * from the pair's table (wdf_pair_table_build): it must agree with the port
 * voltage found by bisection on the pair's equation
 *   a = v + R (Is1 (e^(v/nVt1) - 1) - Is2 (e^(-v/nVt2) - 1))
 * to well below anything audible, for the clipper's 1N4148 pair and an
 * asymmetric pair, over port resistances from 10 ohm to 1 Mohm. (Beyond
 * 20 nVt of a the table stops and the Newton path of before takes over.) */
static void pair_table_matches_bisection(void **state)
{
    (void)state;
    const double vt = PT_WDF_VT_27C;
    const double pairs[2][4] = {{2.52e-9, 1.752, 2.52e-9, 1.752}, {2.52e-9, 1.752, 5e-6, 1.3}};
    double worst = 0;
    int checked = 0;
    for (int k = 0; k < 2; k++) {
        const double is1 = pairs[k][0], nvt1 = pairs[k][1] * vt, is2 = pairs[k][2],
                     nvt2 = pairs[k][3] * vt;
        for (double R = 10; R < 1.1e6; R *= 4.3)
            for (double x = -1; x <= 1; x += 0.00731) {
                /* a spread over the conducting region: its edges are
                   a(-8 nVt1) and a(8 nVt2), or 20 nVt where that is nearer */
                double vend = x < 0 ? -8 * nvt1 : 8 * nvt2;
                double aend = vend + R * (is1 * (exp(vend / nvt1) - 1) - is2 * (exp(-vend / nvt2) - 1));
                double cap = 20 * fmax(nvt1, nvt2); /* the table's reach */
                double a = x * fmin(fabs(aend), cap) * 0.999;
                double lo = a < 0 ? a : 0, hi = a < 0 ? 0 : a;
                for (int it = 0; it < 200; it++) {
                    double v = 0.5 * (lo + hi);
                    double g = v + R * (is1 * (exp(v / nvt1) - 1) - is2 * (exp(-v / nvt2) - 1)) - a;
                    if (g > 0) hi = v;
                    else lo = v;
                }
                double v_ref = 0.5 * (lo + hi);
                double b = pt_wdf_diode_pair_reflect(a, R, is1, nvt1, 0, is2, nvt2, 0);
                double err = fabs(0.5 * (a + b) - v_ref);
                if (err > worst) worst = err;
                checked++;
            }
    }
    print_message("pair table: worst port-voltage error %.3g V over %d points\n", worst, checked);
    assert_true(worst < 1e-9); /* 2.9e-10 V measured: -190 dB re 1 V */
}

/* ---- bad circuit files: file:line:col and a message that says why ---- */

static void expect_error(const char *text, int line, int col, const char *words)
{
    pt_wdf_desc *d = NULL;
    pt_error err = {0};
    int rc = pt_circuit_parse(text, "bad.yaml", &d, &err);
    if (rc == 0) {
        pt_wdf_circuit *c = pt_wdf_compile(d, 48000, &err);
        if (c) {
            pt_wdf_free(c);
            pt_wdf_desc_free(d);
            fail_msg("expected an error containing '%s'", words);
        }
        pt_wdf_desc_free(d);
    }
    char buf[1600];
    pt_error_format(&err, buf, sizeof buf);
    print_message("  %s\n", buf);
    assert_string_equal(err.file, "bad.yaml");
    assert_int_equal(err.line, line);
    assert_int_equal(err.col, col);
    if (!strstr(err.msg, words)) fail_msg("'%s' does not say '%s'", err.msg, words);
}

static const char *const RC_OK =
    "circuit: ok\n"
    "parts:\n"
    "  Vin: {type: voltage_source}\n"
    "  R1: {type: resistor, R: 10k}\n"
    "  C1: {type: capacitor, C: 10n}\n"
    "input: Vin\n"
    "output: {across: C1}\n"
    "tree:\n"
    "  root: Vin\n"
    "  child: {series: [R1, C1]}\n";

static void circuit_file_errors(void **state)
{
    (void)state;
    pt_wdf_desc *d = NULL;
    pt_error err = {0};
    assert_int_equal(pt_circuit_parse(RC_OK, "ok.yaml", &d, &err), 0);
    pt_wdf_desc_free(d);

    /* unknown part in the tree (a typo: suggests the name) */
    expect_error("circuit: x\nparts:\n  Vin: {type: voltage_source}\n  R1: {type: resistor, R: 10k}\n"
                 "  C1: {type: capacitor, C: 10n}\ninput: Vin\noutput: {across: C1}\ntree:\n"
                 "  root: Vin\n  child: {series: [R2, C1]}\n",
                 10, 20, "unknown part 'R2' (did you mean 'R1'?)");
    /* unknown part type */
    expect_error("circuit: x\nparts:\n  R1: {type: resistr, R: 10k}\n", 3, 14,
                 "unknown part type 'resistr'");
    /* missing value */
    expect_error("circuit: x\nparts:\n  Vin: {type: voltage_source}\n  R1: {type: resistor}\n", 4, 7,
                 "missing its value: add `R:`");
    /* a value that is not one */
    expect_error("circuit: x\nparts:\n  C1: {type: capacitor, C: 10 nano}\n", 3, 28,
                 "'10 nano' is not a value");
    /* an adaptor with the wrong number of ports */
    expect_error("circuit: x\nparts:\n  Vin: {type: voltage_source}\n  R1: {type: resistor, R: 10k}\n"
                 "input: Vin\noutput: {across: R1}\ntree:\n  root: Vin\n  child: {series: [R1]}\n",
                 9, 19, "joins at least 2 children; this one has 1");
    expect_error("circuit: x\nparts:\n  Vin: {type: voltage_source}\n  R1: {type: resistor, R: 1k}\n"
                 "  R2: {type: resistor, R: 1k}\ninput: Vin\noutput: {across: R1}\ntree:\n"
                 "  root: Vin\n  child: {invert: [R1, R2]}\n",
                 10, 19, "exactly 1 child port; this one has 2");
    /* a device with the wrong number of terminals */
    expect_error("circuit: x\nparts:\n  Vin: {type: voltage_source, R: 1k}\n"
                 "  Q1: {type: bjt, Is: 1e-14}\ninput: Vin\noutput: {across: Vin}\ntree:\n"
                 "  rtype:\n    ports:\n      - {nodes: [b, gnd], child: Vin}\n"
                 "    devices:\n      - {part: Q1, nodes: [b, gnd]}\n",
                 12, 27, "connects 3 terminals but 2 nodes are listed");
    /* a dangling node in an R-type adaptor */
    expect_error("circuit: x\nparts:\n  Vin: {type: voltage_source}\n  R1: {type: resistor, R: 1k}\n"
                 "  R2: {type: resistor, R: 1k}\ninput: Vin\noutput: {across: R1}\ntree:\n"
                 "  root: Vin\n  child:\n    rtype:\n      up: [in, gnd]\n      ports:\n"
                 "        - {nodes: [in, gnd], child: R1}\n        - {nodes: [in, nowhere], child: R2}\n",
                 15, 24, "node 'nowhere' is dangling");
    /* a part declared and never connected */
    expect_error("circuit: x\nparts:\n  Vin: {type: voltage_source}\n  R1: {type: resistor, R: 10k}\n"
                 "  C1: {type: capacitor, C: 10n}\n  C9: {type: capacitor, C: 1n}\ninput: Vin\n"
                 "output: {across: C1}\ntree:\n  root: Vin\n  child: {series: [R1, C1]}\n",
                 6, 3, "declared but not connected");
    /* cannot be realised: an ideal source below the root */
    expect_error("circuit: x\nparts:\n  Vin: {type: voltage_source}\n  R1: {type: resistor, R: 10k}\n"
                 "  D1: {type: diode, Is: 1e-9}\ninput: Vin\noutput: {across: R1}\ntree:\n"
                 "  root: D1\n  child: {series: [Vin, R1]}\n",
                 10, 20, "can only be the root");
    /* cannot be realised: a series adaptor at the top has nothing above it */
    expect_error("circuit: x\nparts:\n  Vin: {type: voltage_source, R: 1k}\n  R1: {type: resistor, R: 1k}\n"
                 "input: Vin\noutput: {across: R1}\ntree: {series: [Vin, R1]}\n",
                 7, 7, "the top of a tree must be a root");
    /* an empty adaptor */
    expect_error("circuit: x\nparts:\n  Vin: {type: voltage_source}\n  R1: {type: resistor, R: 1k}\n"
                 "  R2: {type: resistor, R: 1k}\ninput: Vin\noutput: {across: R1}\ntree:\n"
                 "  root: Vin\n  child:\n    rtype:\n      up: [in, gnd]\n      ports:\n"
                 "        - {nodes: [x, y], child: R1}\n        - {nodes: [x, y], child: R2}\n"
                 "        - {nodes: [in, gnd], child: {series: []}}\n",
                 16, 46, "at least 2 children");
    /* cannot be realised: an island of nodes with no path to gnd */
    expect_error("circuit: x\nparts:\n  Vin: {type: voltage_source}\n  R1: {type: resistor, R: 1k}\n"
                 "  R2: {type: resistor, R: 1k}\n  R3: {type: resistor, R: 1k}\ninput: Vin\n"
                 "output: {across: R1}\ntree:\n"
                 "  root: Vin\n  child:\n    rtype:\n      up: [in, gnd]\n      ports:\n"
                 "        - {nodes: [in, gnd], child: R1}\n        - {nodes: [x, y], child: R2}\n"
                 "        - {nodes: [x, y], child: R3}\n",
                 12, 5, "cannot be realised");
    /* unknown control name */
    expect_error("circuit: x\nparts:\n  P: {type: pot, R: 10k, control: fuzziness}\n", 3, 35,
                 "'fuzziness' is not a control");
}

static void sniff_tells_circuits_from_rigs(void **state)
{
    (void)state;
    assert_int_equal(pt_circuit_file_sniff(tu_src("circuits/diode_clipper.yaml")), 1);
    assert_int_equal(pt_circuit_file_sniff(tu_src("CMakeLists.txt")), 0);
    assert_int_equal(pt_circuit_file_sniff("/nonexistent/x.yaml"), -1);
}

/* ---- robustness: every factory circuit, knobs at min/mid/max, +-10 V ---- */

static const char *const FACTORY[] = {"rc_lowpass", "diode_clipper", "bassman_tonestack",
                                      "jcm800_tonestack", "bigmuff_tonestack", "ts808",
                                      "triode_12ax7", "fuzz_face"};

static void factory_circuits_are_robust(void **state)
{
    (void)state;
    const double base = 48000;
    int worst_iter = 0;
    const char *worst_name = "";
    for (size_t f = 0; f < sizeof FACTORY / sizeof FACTORY[0]; f++) {
        char path[256];
        snprintf(path, sizeof path, "circuits/%s.yaml", FACTORY[f]);
        pt_wdf_desc *d = NULL;
        pt_error err = {0};
        if (pt_circuit_load(tu_src(path), &d, &err) != 0) fail_msg("%s: %s", path, err.msg);
        double rate = base * d->oversample;
        pt_wdf_circuit *c = pt_wdf_compile(d, rate, &err);
        if (!c) fail_msg("%s: %s", path, err.msg);
        pt_wdf_settle(c, 0.3);
        int n = (int)(0.02 * rate);
        double *x = malloc(sizeof(double) * (size_t)n), *y = malloc(sizeof(double) * (size_t)n);
        int circuit_worst = 0;
        for (int k = 0; k < 3; k++) { /* every knob at min, mid, max */
            for (int ctl = 0; ctl < PT_WDF_N_CONTROLS; ctl++) pt_wdf_set_control(c, ctl, 0.5 * k);
            pt_wdf_update(c);
            for (int sig = 0; sig < 3; sig++) {
                unsigned seed = 12345u + (unsigned)(k * 3 + sig);
                for (int i = 0; i < n; i++) {
                    double t = i / rate;
                    if (sig == 0) x[i] = 10.0 * sin(2 * M_PI * 1000 * t);
                    else if (sig == 1) x[i] = fmod(t * 200.0, 1.0) < 0.5 ? 10.0 : -10.0;
                    else {
                        seed = seed * 1664525u + 1013904223u;
                        x[i] = 20.0 * (seed / 4294967296.0) - 10.0;
                    }
                }
                pt_wdf_clear_stats(c);
                pt_wdf_process(c, x, y, n);
                pt_wdf_stats st;
                pt_wdf_get_stats(c, &st);
                for (int i = 0; i < n; i++)
                    if (!isfinite(y[i])) fail_msg("%s: non-finite output", FACTORY[f]);
                if (st.nonfinite) fail_msg("%s: a non-finite value inside", FACTORY[f]);
                if (st.not_converged)
                    fail_msg("%s (knobs %.1f, signal %d): %lld samples hit the Newton bound of %d",
                             FACTORY[f], 0.5 * k, sig, st.not_converged, d->max_iter);
                if (st.max_iter > circuit_worst) circuit_worst = st.max_iter;
            }
        }
        print_message("%-18s at %dx: worst Newton-Raphson iterations per sample %d (bound %d)\n",
                      FACTORY[f], d->oversample, circuit_worst, d->max_iter);
        if (circuit_worst > worst_iter) worst_iter = circuit_worst, worst_name = FACTORY[f];
        free(x);
        free(y);
        pt_wdf_free(c);
        pt_wdf_desc_free(d);
    }
    print_message("worst case: %s, %d iterations\n", worst_name, worst_iter);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(wright_omega_solves_its_equation),
        cmocka_unit_test(diode_reflection_satisfies_shockley),
        cmocka_unit_test(asymmetric_pair_satisfies_shockley),
        cmocka_unit_test(pair_table_matches_bisection),
        cmocka_unit_test(circuit_file_errors),
        cmocka_unit_test(sniff_tells_circuits_from_rigs),
        cmocka_unit_test(factory_circuits_are_robust),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
