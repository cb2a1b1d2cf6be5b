/* test_node_circuit.c — the `circuit` node: its generic controls, its
 * oversampling and declared latency, click-free knob moves.
 *
 * References: the same circuit run at 1x (the declared latency must be the
 * real delay of the oversampled path); the node's own output with the knob
 * held at either end (a swept knob must not step further between samples
 * than the steepest of those); bit-identical output when a control the
 * circuit does not use moves; a node whose knob and gains were moved while
 * it ran against one prepared with them there (once the ramp has passed). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

static pt_node *circuit_node(const char *file, int os_index)
{
    const pt_node_type *t = pt_node_type_find("circuit");
    assert_non_null(t);
    const char *asset[1] = {tu_src(file)};
    pt_node_config cfg = {.id = "c", .asset = asset};
    pt_error err = {0};
    pt_node *n = pt_node_create(t, &cfg, &err);
    if (!n) fail_msg("%s", err.msg);
    if (os_index >= 0) pt_node_set_param_now(n, pt_param_index(t, "oversample"), (float)os_index);
    return n;
}

static void run(pt_node *n, const float *x, float *y, int len)
{
    for (int off = 0; off < len; off += 64) {
        int m = len - off < 64 ? len - off : 64;
        const float *ip[1] = {x + off};
        float *op[1] = {y + off};
        n->type->process(n, ip, op, m);
    }
}

static void has_the_generic_controls(void **state)
{
    (void)state;
    const pt_node_type *t = pt_node_type_find("circuit");
    const char *names[] = {"drive", "tone", "level", "gain", "bass", "mid", "treble", "volume",
                           "oversample", "input_gain_db", "output_gain_db"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        assert_true(pt_param_index(t, names[i]) >= 0);
    const pt_param_def *os = &t->params[pt_param_index(t, "oversample")];
    assert_int_equal(pt_param_choice_index(os, "8x"), 3);
    assert_true(os->flags & PT_PARAM_REBUILD);
    /* the file's default oversampling becomes the parameter's value */
    pt_node *n = circuit_node("circuits/ts808.yaml", -1);
    assert_int_equal((int)n->param[pt_param_index(t, "oversample")].current, 2); /* 4x */
    pt_node_destroy(n);
}

static void bad_file_fails_with_its_location(void **state)
{
    (void)state;
    char path[] = "/tmp/pt_bad_circuitXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("circuit: bad\nparts:\n  R1: {type: resistor, R: 1k}\n  C1: {type: capacitor}\n", f);
    fclose(f);
    const pt_node_type *t = pt_node_type_find("circuit");
    const char *asset[1] = {path};
    pt_node_config cfg = {.id = "c", .asset = asset};
    pt_error err = {0};
    pt_node *n = pt_node_create(t, &cfg, &err);
    remove(path);
    assert_null(n);
    assert_int_equal(err.line, 4);
    assert_int_equal(err.col, 7);
    assert_non_null(strstr(err.msg, "missing its value"));
}

static void unused_control_is_ignored(void **state)
{
    (void)state;
    const int len = 4800;
    float *x = tu_sine(len, 48000, 440, 1.0);
    float *a = calloc(len, sizeof *a), *b = calloc(len, sizeof *b), *c = calloc(len, sizeof *c);
    const pt_node_type *t = pt_node_type_find("circuit");
    float *outs[3] = {a, b, c};
    const char *knob[3] = {"drive", "drive", "tone"};
    const float val[3] = {0.0f, 1.0f, 1.0f};
    for (int k = 0; k < 3; k++) {
        pt_node *n = circuit_node("circuits/bigmuff_tonestack.yaml", 0);
        pt_node_set_param_now(n, pt_param_index(t, knob[k]), val[k]);
        pt_error err = {0};
        assert_int_equal(pt_node_prepare(n, 48000, 64, 1, &err), 0);
        run(n, x, outs[k], len);
        pt_node_destroy(n);
    }
    assert_memory_equal(a, b, len * sizeof(float)); /* the Big Muff tone stack has no drive */
    double diff = 0;
    for (int i = 0; i < len; i++) diff = fmax(diff, fabs(a[i] - c[i]));
    assert_true(diff > 0.05); /* but it has a tone control */
    free(x), free(a), free(b), free(c);
}

static void declared_latency_is_the_delay(void **state)
{
    (void)state;
    const int len = 9600;
    float *x = tu_sine(len, 48000, 200, 0.5);
    float *y1 = calloc(len, sizeof *y1), *y8 = calloc(len, sizeof *y8);
    pt_error err = {0};
    pt_node *n1 = circuit_node("circuits/rc_lowpass.yaml", 0);
    pt_node *n8 = circuit_node("circuits/rc_lowpass.yaml", 3);
    assert_int_equal(pt_node_prepare(n1, 48000, 64, 1, &err), 0);
    assert_int_equal(pt_node_prepare(n8, 48000, 64, 1, &err), 0);
    assert_int_equal(n1->latency_samples, 0);
    int lat = n8->latency_samples;
    assert_true(lat > 0);
    run(n1, x, y1, len);
    run(n8, x, y8, len);
    double e = 0, r = 0;
    for (int i = 4800; i < len; i++) {
        double d = y8[i] - y1[i - lat];
        e += d * d, r += (double)y1[i - lat] * y1[i - lat];
    }
    print_message("8x vs 1x, shifted by the declared %d samples: %.2e relative RMS\n", lat,
                  sqrt(e / r));
    assert_true(sqrt(e / r) < 1e-3);
    pt_node_destroy(n1), pt_node_destroy(n8);
    free(x), free(y1), free(y8);
}

/* steepest sample-to-sample step of y over [a, b) */
static double steepest(const float *y, int a, int b)
{
    double m = 0;
    for (int i = a + 1; i < b; i++) m = fmax(m, fabs(y[i] - y[i - 1]));
    return m;
}

static void knob_moves_do_not_click(void **state)
{
    (void)state;
    const pt_node_type *t = pt_node_type_find("circuit");
    const int len = 24000;
    float *x = tu_sine(len, 48000, 100, 1.0); /* slow: a click would stand out */
    float *y = calloc(len, sizeof *y);
    const char *files[2] = {"circuits/bassman_tonestack.yaml", "circuits/ts808.yaml"};
    const char *knobs[2] = {"treble", "drive"};
    for (int f = 0; f < 2; f++) {
        double ends = 0;
        for (int k = 0; k < 2; k++) { /* the knob held at 0, then at 1 */
            pt_node *n = circuit_node(files[f], -1);
            pt_node_set_param_now(n, pt_param_index(t, knobs[f]), (float)k);
            pt_error err = {0};
            assert_int_equal(pt_node_prepare(n, 48000, 64, 1, &err), 0);
            run(n, x, y, len);
            ends = fmax(ends, steepest(y, len / 2, len));
            pt_node_destroy(n);
        }
        pt_node *n = circuit_node(files[f], -1);
        pt_node_set_param_now(n, pt_param_index(t, knobs[f]), 0.0f);
        pt_error err = {0};
        assert_int_equal(pt_node_prepare(n, 48000, 64, 1, &err), 0);
        run(n, x, y, len / 2);
        /* now sweep it 0 -> 1 in one go (the node ramps it over 30 ms) */
        pt_node_set_param(n, pt_param_index(t, knobs[f]), 1.0f);
        run(n, x + len / 2, y + len / 2, len / 2);
        double sweep = steepest(y, len / 2 - 10, len);
        print_message("%s: steepest step while sweeping %s %.4f, held at either end %.4f\n",
                      files[f], knobs[f], sweep, ends);
        assert_true(sweep <= 1.25 * ends); /* a click would be many times larger */
        pt_node_destroy(n);
    }
    free(x), free(y);
}

static double peak_diff(const float *a, const float *b, int from, int to, double *peak)
{
    double d = 0;
    *peak = 0;
    for (int i = from; i < to; i++) {
        d = fmax(d, fabs(a[i] - b[i]));
        *peak = fmax(*peak, fabs(b[i]));
    }
    return d;
}

/* The node only looks at a parameter after its target changed (set_param
 * hook): a knob and both gains moved while it runs must end where a node
 * prepared with them there is, at 1x and at the file's oversampling. */
static void live_moves_arrive(void **state)
{
    (void)state;
    const pt_node_type *t = pt_node_type_find("circuit");
    const int len = 48000, half = len / 2;
    float *x = tu_sine(len, 48000, 220, 0.5);
    float *a = calloc(len, sizeof *a), *b = calloc(len, sizeof *b);
    const char *files[3] = {"circuits/bassman_tonestack.yaml", "circuits/ts808.yaml",
                            "circuits/ts808.yaml"};
    const char *knobs[3] = {"treble", "drive", "drive"};
    const int os[3] = {0, 0, -1};
    const char *names[3] = {NULL, "input_gain_db", "output_gain_db"};
    const float to[3] = {1.0f, -6.0f, 3.0f};
    for (int f = 0; f < 3; f++) {
        names[0] = knobs[f];
        pt_error err = {0};
        pt_node *na = circuit_node(files[f], os[f]), *nb = circuit_node(files[f], os[f]);
        pt_node_set_param_now(na, pt_param_index(t, knobs[f]), 0.0f);
        for (int k = 0; k < 3; k++) pt_node_set_param_now(nb, pt_param_index(t, names[k]), to[k]);
        assert_int_equal(pt_node_prepare(na, 48000, 64, 1, &err), 0);
        assert_int_equal(pt_node_prepare(nb, 48000, 64, 1, &err), 0);
        run(na, x, a, half);
        for (int k = 0; k < 3; k++) pt_node_set_param(na, pt_param_index(t, names[k]), to[k]);
        run(na, x + half, a + half, len - half);
        run(nb, x, b, len);
        double peak, before = peak_diff(a, b, half / 2, half, &peak);
        double after = peak_diff(a, b, len - len / 4, len, &peak);
        int factor = 1 << (int)na->param[pt_param_index(t, "oversample")].current;
        print_message("%s at %dx: |moved - prepared| %.3g before the move, %.3g after "
                      "(peak %.3g)\n", files[f], factor, before, after, peak);
        assert_true(before > 0.1 * peak); /* the moves change the sound */
        assert_true(after < 1e-4 * peak);  /* and all of them arrived */
        pt_node_destroy(na), pt_node_destroy(nb);
    }
    free(x), free(a), free(b);
}

static void stereo_channels_run_alike(void **state)
{
    (void)state;
    const int len = 4800;
    float *x = tu_sine(len, 48000, 440, 2.0);
    float *l = calloc(len, sizeof *l), *r = calloc(len, sizeof *r);
    pt_node *n = circuit_node("circuits/diode_clipper.yaml", -1);
    pt_error err = {0};
    assert_int_equal(pt_node_prepare(n, 48000, 64, 2, &err), 0);
    assert_int_equal(n->out_channels, 2);
    for (int off = 0; off < len; off += 64) {
        const float *ip[2] = {x + off, x + off};
        float *op[2] = {l + off, r + off};
        n->type->process(n, ip, op, 64);
    }
    assert_memory_equal(l, r, len * sizeof(float));
    pt_node_destroy(n);
    free(x), free(l), free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(has_the_generic_controls),
        cmocka_unit_test(bad_file_fails_with_its_location),
        cmocka_unit_test(unused_control_is_ignored),
        cmocka_unit_test(declared_latency_is_the_delay),
        cmocka_unit_test(knob_moves_do_not_click),
        cmocka_unit_test(live_moves_arrive),
        cmocka_unit_test(stereo_channels_run_alike),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
