/* test_spice_export.c — the netlist writer's structure and its errors
 * (ngspice runs the netlists in tests/e2e/test_spice_export.py).
 *
 * References: the pot tapers of docs/circuits.md (log: (81^x - 1) / 80, so
 * 10 % of the track at half travel), the series/parallel/inverter wiring of
 * a WDF tree, and, for the error, the line and column of the part in the
 * YAML text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "wdf/spice_export.h"
#include "wdf/wdf.h"

/* a tree with every adaptor kind: Vin (root) over R1 in series with
 * (C1 in parallel with an inverted 100k log pot) */
static const char *const TREE =
    "circuit: t\n"
    "parts:\n"
    "  Vin: {type: voltage_source}\n"
    "  R1: {type: resistor, R: 10k}\n"
    "  C1: {type: capacitor, C: 10n}\n"
    "  P1: {type: pot, R: 100k, taper: log, control: bass}\n"
    "input: Vin\n"
    "output: {across: C1}\n"
    "tree:\n"
    "  root: Vin\n"
    "  child: {series: [R1, {parallel: [C1, {invert: P1}]}]}\n";

static char *export_text(const pt_wdf_desc *d, double bass, pt_error *err, int *rc)
{
    pt_spice_opts o = {.rate = 48000, .oversample = 1, .output_gain = 1, .output_file = "/tmp/o.txt",
                       .op_file = "/tmp/o.op.txt"};
    for (int k = 0; k < PT_WDF_N_CONTROLS; k++) o.ctl[k] = 0.5;
    o.ctl[PT_WDF_CTL_BASS] = bass;
    FILE *f = tmpfile();
    assert_non_null(f);
    *rc = pt_spice_export(f, d, &o, err);
    long n = ftell(f);
    rewind(f);
    char *text = calloc((size_t)n + 1, 1);
    assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return text;
}

static void tree_becomes_a_network(void **state)
{
    (void)state;
    pt_wdf_desc *d = NULL;
    pt_error err = {0};
    assert_int_equal(pt_circuit_parse(TREE, "t.yaml", &d, &err), 0);
    int rc;
    char *text = export_text(d, 0.5, &err, &rc);
    assert_int_equal(rc, 0);
    /* the root's port: _n1 (+) to ground; R1 from + to the series node _n2,
       the parallel pair from _n2 to ground, the inverted pot the other way */
    assert_non_null(strstr(text, "R_R1 _n1 _n2 10000\n"));
    assert_non_null(strstr(text, "C_C1 _n2 0 1e-08\n"));
    /* log taper at half travel: 10 % of 100k */
    assert_non_null(strstr(text, "R_P1 0 _n2 10000\n"));
    assert_non_null(strstr(text, "E_Vin _n1 0 _x1 0 1\n"));
    assert_non_null(strstr(text, "E_y1 _y1 0 _n2 0 1\n"));
    free(text);
    /* the control moves the pot: (81^0.75 - 1) / 80 = 26 / 80 = 0.325 */
    text = export_text(d, 0.75, &err, &rc);
    assert_non_null(strstr(text, "R_P1 0 _n2 32500\n"));
    free(text);
    pt_wdf_desc_free(d);
}

static void unknown_part_kind_names_the_part(void **state)
{
    (void)state;
    pt_wdf_desc *d = NULL;
    pt_error err = {0};
    assert_int_equal(pt_circuit_parse(TREE, "t.yaml", &d, &err), 0);
    /* a kind the writer has no emitter for (as a new kind is until it gets one) */
    d->part[2].kind = PT_WDF_N_PART_KINDS;
    int rc;
    char *text = export_text(d, 0.5, &err, &rc);
    assert_int_not_equal(rc, 0);
    assert_string_equal(err.file, "t.yaml");
    assert_int_equal(err.line, 5);
    assert_int_equal(err.col, 3);
    assert_non_null(strstr(err.msg, "'C1'"));
    free(text);
    pt_wdf_desc_free(d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tree_becomes_a_network),
        cmocka_unit_test(unknown_part_kind_names_the_part),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
