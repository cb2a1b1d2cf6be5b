/* test_graph.c — the compiled graph: parallel branches sum as the analytic
 * formula says, latency is compensated, bypass does not click, and a node
 * that produces NaN or runaway output is muted while the rest plays on. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

/* ---- test node types, defined here: a pure delay that declares its
 * latency, and a node that turns bad on request ---- */

typedef struct delay_state { float *buf; int len, pos; } delay_state;

static const pt_param_def delay_params[] = {
    {"samples", "", 0, 4096, 0, PT_TAPER_LINEAR, 0, NULL, "", PT_PARAM_REBUILD},
};

static int delay_prepare(pt_node *n, double rate, int max_frames, pt_error *err)
{
    delay_state *s = calloc(1, sizeof *s);
    s->len = (int)n->param[0].current;
    s->buf = calloc((size_t)s->len + 1, sizeof(float));
    n->state = s;
    n->latency_samples = s->len;
    return 0;
}

static void delay_process(pt_node *n, const float *const *in, float *const *out, int frames)
{
    delay_state *s = n->state;
    for (int i = 0; i < frames; i++) {
        if (s->len == 0) {
            out[0][i] = in[0][i];
            continue;
        }
        out[0][i] = s->buf[s->pos];
        s->buf[s->pos] = in[0][i];
        s->pos = (s->pos + 1) % s->len;
    }
}

static void delay_destroy(pt_node *n)
{
    delay_state *s = n->state;
    if (s) free(s->buf);
    free(s);
}

static const pt_node_type delay_type = {
    .name = "test_delay", .params = delay_params, .n_params = 1,
    .prepare = delay_prepare, .process = delay_process, .destroy = delay_destroy,
};

static int bad_now; /* set by the test: the next block is NaN */
static void bad_process(pt_node *n, const float *const *in, float *const *out, int frames)
{
    for (int i = 0; i < frames; i++) out[0][i] = bad_now ? NAN : in[0][i];
}
static const pt_node_type bad_type = {.name = "test_bad", .process = bad_process};

static pt_node *make(const pt_node_type *t, const char *id, float p0)
{
    pt_node_config cfg = {.id = id};
    pt_node *n = pt_node_create(t, &cfg, NULL);
    if (t->n_params) pt_node_set_param_now(n, 0, p0);
    return n;
}

/* ---- tests ---- */

/* Reference: y_L = sum_b g_b * L(pan_b) * x, y_R likewise, with the balance
 * pan law (centre unity, the far side attenuated linearly). */
static void split_mix_equals_analytic_sum_of_branches(void **state)
{
    (void)state;
    const float gains_db[3] = {-6.0f, 3.0f, -20.0f}, pans[3] = {-0.5f, 0.0f, 1.0f};
    pt_chain *c = pt_chain_new();
    pt_item *s = pt_chain_add_split(c, 3);
    for (int b = 0; b < 3; b++) {
        s->branches[b].level_db = gains_db[b];
        s->branches[b].pan = pans[b];
        char id[8];
        snprintf(id, sizeof id, "g%d", b);
        pt_chain_add_node(s->branches[b].chain, tu_node("level", id, "gain_db", (double)(b - 1), NULL));
    }
    pt_program *p = tu_build(c, 48000, 64);
    int n = 4800;
    float *x = tu_sine(n, 48000, 997, 0.3), *l = malloc(n * sizeof(float)), *r = malloc(n * sizeof(float));
    tu_run(p, x, l, r, n, 64);
    int ch;
    pt_program_output(p, &ch);
    assert_int_equal(ch, 2);
    double gl = 0, gr = 0;
    for (int b = 0; b < 3; b++) {
        double g = pow(10.0, (gains_db[b] + (b - 1)) / 20.0);
        gl += g * (pans[b] > 0 ? 1.0 - pans[b] : 1.0);
        gr += g * (pans[b] < 0 ? 1.0 + pans[b] : 1.0);
    }
    for (int i = 0; i < n; i++) {
        assert_float_equal(l[i], gl * x[i], 1e-6);
        assert_float_equal(r[i], gr * x[i], 1e-6);
    }
    free(x), free(l), free(r);
    pt_program_free(p);
}

/* A branch with a node that declares 37 samples of latency: the other
 * branches are delayed to match, so an impulse comes out once, summed, at
 * sample 37 + 11 (the graph's total latency). */
static void latency_in_one_branch_is_compensated_in_the_others(void **state)
{
    (void)state;
    pt_chain *c = pt_chain_new();
    pt_item *s = pt_chain_add_split(c, 3);
    pt_chain_add_node(s->branches[0].chain, make(&delay_type, "d37", 37));
    pt_chain_add_node(s->branches[1].chain, make(&delay_type, "d5", 5));
    /* branch 2 is dry */
    pt_chain_add_node(c, make(&delay_type, "d11", 11));
    pt_program *p = tu_build(c, 48000, 32);
    assert_int_equal(pt_program_latency(p), 48);
    int n = 256;
    float *x = calloc(n, sizeof(float)), *y = malloc(n * sizeof(float));
    x[3] = 1.0f;
    tu_run(p, x, y, NULL, n, 32);
    for (int i = 0; i < n; i++) assert_float_equal(y[i], i == 3 + 48 ? 3.0f : 0.0f, 1e-7);
    free(x), free(y);
    pt_program_free(p);
}

/* Bypass crossfades: while a sine plays through a +12 dB level node and the
 * node is bypassed and un-bypassed, the output never steps by more than the
 * sine's own largest step (at the higher gain). A latency-declaring node's
 * bypass keeps its latency, so the timing does not jump either. */
static void bypass_is_click_free_and_keeps_timing(void **state)
{
    (void)state;
    pt_chain *c = pt_chain_new();
    pt_chain_add_node(c, tu_node("level", "boost", "gain_db", 12.0, NULL));
    pt_chain_add_node(c, make(&delay_type, "late", 20));
    pt_program *p = tu_build(c, 48000, 64);
    int n = 48000;
    float *x = tu_sine(n, 48000, 220, 0.2), *y = malloc(n * sizeof(float));
    for (int off = 0; off < n; off += 64) {
        if (off == 9600) pt_program_set_bypass(p, 0, 1);
        if (off == 19200) pt_program_set_bypass(p, 1, 1);
        if (off == 28800) pt_program_set_bypass(p, 0, 0);
        if (off == 38400) pt_program_set_bypass(p, 1, 0);
        tu_run(p, x + off, y + off, NULL, 64, 64);
    }
    double limit = 2 * M_PI * 220 / 48000 * 0.2 * pow(10, 12 / 20.0) * 1.05;
    for (int i = 100; i < n - 1; i++)
        if (fabs(y[i + 1] - y[i]) > limit) fail_msg("step %g at %d (limit %g)", fabs(y[i + 1] - y[i]), i, limit);
    /* fully bypassed boost, delay still in: y = x delayed by 20 */
    for (int i = 12000; i < 19000; i++) assert_float_equal(y[i], x[i - 20], 1e-6);
    /* both bypassed: the delay's bypass keeps its 20 samples */
    for (int i = 21000; i < 28000; i++) assert_float_equal(y[i], x[i - 20], 1e-6);
    free(x), free(y);
    pt_program_free(p);
}

/* A node that outputs NaN is muted and counted; its sibling branch plays on,
 * nothing non-finite reaches the output, and the node comes back after. */
static void nan_from_a_node_is_muted_and_reported(void **state)
{
    (void)state;
    pt_chain *c = pt_chain_new();
    pt_item *s = pt_chain_add_split(c, 2);
    pt_chain_add_node(s->branches[0].chain, make(&bad_type, "bad", 0));
    pt_chain_add_node(s->branches[1].chain, tu_node("level", "good", NULL));
    pt_program *p = tu_build(c, 48000, 64);
    int n = 48000;
    float *x = tu_sine(n, 48000, 440, 0.25), *y = malloc(n * sizeof(float));
    for (int off = 0; off < n; off += 64) {
        bad_now = off >= 4800 && off < 4800 + 64 * 3;
        tu_run(p, x + off, y + off, NULL, 64, 64);
    }
    bad_now = 0;
    for (int i = 0; i < n; i++) assert_true(isfinite(y[i]));
    assert_int_equal(atomic_load(&pt_program_health(p, 0)->faults), 3);
    assert_int_equal(atomic_load(&pt_program_health(p, 1)->faults), 0);
    /* while muted, only the good branch: y == x */
    for (int i = 4800; i < 4800 + 2400; i++) assert_float_equal(y[i], x[i], 1e-6);
    /* long after: both branches again */
    for (int i = 40000; i < n; i++) assert_float_equal(y[i], 2 * x[i], 1e-6);
    free(x), free(y);
    pt_program_free(p);
}

/* Runaway (finite but absurd) output is caught the same way. */
static void runaway_output_is_muted(void **state)
{
    (void)state;
    pt_chain *c = pt_chain_new();
    pt_chain_add_node(c, tu_node("level", "hot", "gain_db", 24.0, NULL));
    pt_program *p = tu_build(c, 48000, 64);
    float x[64], y[64];
    for (int i = 0; i < 64; i++) x[i] = 2000.0f; /* x 15.8 = 31600, above the runaway level */
    tu_run(p, x, y, NULL, 64, 64);
    for (int i = 0; i < 64; i++) assert_float_equal(y[i], 0.0f, 0);
    assert_int_equal(atomic_load(&pt_program_health(p, 0)->faults), 1);
    pt_program_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(split_mix_equals_analytic_sum_of_branches),
        cmocka_unit_test(latency_in_one_branch_is_compensated_in_the_others),
        cmocka_unit_test(bypass_is_click_free_and_keeps_timing),
        cmocka_unit_test(nan_from_a_node_is_muted_and_reported),
        cmocka_unit_test(runaway_output_is_muted),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
