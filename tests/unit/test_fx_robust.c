/* test_fx_robust.c — every effect type stays finite and resets cleanly.
 *
 * For each effect, mono and stereo in:
 * - silence in -> exactly silence out (nothing made up from nothing);
 * - full-scale uniform noise in -> finite output below the graph's runaway
 *   level (PT_RUNAWAY_LEVEL);
 * - the same with parameters at extremes: all at minimum, all at maximum,
 *   alternating min/max, and random values; and with parameters jumping
 *   between extremes while it runs;
 * - reset after noise (long feedback and tails) -> silence in gives exactly
 *   silence out, i.e. no tail survives a reset.
 * Reference: finiteness and exact zero need no outside reference; the bound
 * is the graph's own fault threshold. */
#include <math.h>
#include <stdio.h>

#include "fxutil.h"
#include "testutil.h"

static const char *const effects[] = {"tuner",   "compressor", "wah",   "phaser", "flanger",
                                      "chorus",  "tremolo",    "delay", "reverb"};
#define N_EFFECTS (int)(sizeof effects / sizeof effects[0])
#define LEN 24000 /* 0.5 s */

static float *buf[6];

static int setup(void **state)
{
    (void)state;
    unsigned seed = 99;
    for (int k = 0; k < 6; k++) buf[k] = calloc(LEN, sizeof(float));
    for (int i = 0; i < LEN; i++) buf[2][i] = fx_noise(&seed), buf[3][i] = fx_noise(&seed);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (int k = 0; k < 6; k++) free(buf[k]);
    return 0;
}

/* Run n over LEN frames of (silent or noise) input; check the output. */
static double run(pt_node *n, int noise, const char *what)
{
    float *in[2] = {noise ? buf[2] : buf[0], noise ? buf[3] : buf[1]};
    float *out[2] = {buf[4], buf[5]};
    fx_run(n, in, out, LEN, FX_BLOCK, NULL, NULL);
    double peak = 0.0;
    for (int k = 0; k < n->out_channels; k++)
        for (int i = 0; i < LEN; i++) {
            float v = out[k][i];
            if (!isfinite(v) || fabsf(v) >= PT_RUNAWAY_LEVEL)
                fail_msg("%s (%s, %d ch in): sample %d of channel %d is %g", n->type->name, what,
                         n->in_channels, i, k, v);
            peak = fmax(peak, fabsf(v));
        }
    if (!noise && peak != 0.0)
        fail_msg("%s (%s, %d ch in): silence in, %g out", n->type->name, what, n->in_channels, peak);
    return peak;
}

static pt_node *make(const char *type, int in_ch, int pattern, unsigned *seed)
{
    pt_node *n = tu_node(type, type, NULL);
    const pt_node_type *t = n->type;
    for (int i = 0; i < t->n_params; i++) {
        const pt_param_def *d = &t->params[i];
        float v = d->def;
        switch (pattern) {
        case 1: v = d->min; break;
        case 2: v = d->max; break;
        case 3: v = i & 1 ? d->max : d->min; break;
        case 4: v = i & 1 ? d->min : d->max; break;
        case 5: v = d->min + (d->max - d->min) * 0.5f * (1.0f + fx_noise(seed)); break;
        default: break;
        }
        pt_node_set_param_now(n, i, v);
    }
    fx_prepare(n, in_ch);
    return n;
}

static void test_silence_noise_extremes_reset(void **state)
{
    (void)state;
    unsigned seed = 5;
    static const char *const pattern_names[] = {"defaults", "all min", "all max", "odd max",
                                                "even max", "random"};
    for (int e = 0; e < N_EFFECTS; e++)
        for (int ch = 1; ch <= 2; ch++)
            for (int pattern = 0; pattern < 9; pattern++) {
                int pat = pattern < 6 ? pattern : 5; /* several random draws */
                pt_node *n = make(effects[e], ch, pat, &seed);
                run(n, 0, pattern_names[pat]);
                double peak = run(n, 1, pattern_names[pat]);
                if (pattern == 0) printf("%-10s %d ch in: noise peak out %.2f\n", effects[e], ch, peak);
                n->type->reset(n);
                run(n, 0, "after reset");
                pt_node_destroy(n);
            }
}

/* Parameters jumping between extremes mid-stream (ramps and instant enum
 * changes), with noise in. */
static void test_parameter_jumps(void **state)
{
    (void)state;
    unsigned seed = 11;
    for (int e = 0; e < N_EFFECTS; e++) {
        pt_node *n = make(effects[e], 1, 0, &seed);
        const pt_node_type *t = n->type;
        float *in[2] = {buf[2], buf[3]}, *out[2] = {buf[4], buf[5]};
        for (int off = 0; off < LEN; off += FX_BLOCK) {
            if ((off / FX_BLOCK) % 8 == 0)
                for (int i = 0; i < t->n_params; i++) {
                    if (t->params[i].flags & PT_PARAM_REBUILD) continue;
                    const pt_param_def *d = &t->params[i];
                    pt_node_set_param(n, i, fx_noise(&seed) > 0 ? d->max : d->min);
                }
            float *ib[2] = {in[0] + off, in[1] + off}, *ob[2] = {out[0] + off, out[1] + off};
            fx_run(n, ib, ob, FX_BLOCK, FX_BLOCK, NULL, NULL);
            for (int k = 0; k < n->out_channels; k++)
                for (int i = 0; i < FX_BLOCK; i++)
                    if (!isfinite(ob[k][i]) || fabsf(ob[k][i]) >= PT_RUNAWAY_LEVEL)
                        fail_msg("%s: sample %d is %g after parameter jumps", t->name, off + i,
                                 ob[k][i]);
        }
        pt_node_destroy(n);
    }
}

/* Every continuous parameter of an effect that shapes the sound ramps
 * (smoothing_ms > 0), so a knob or MIDI move never steps. Enums and toggles
 * switch at once by design (mute ramps anyway); the tuner's reference only
 * changes a read-out. */
static void test_continuous_parameters_are_smoothed(void **state)
{
    (void)state;
    for (int e = 0; e < N_EFFECTS; e++) {
        const pt_node_type *t = pt_node_type_find(effects[e]);
        for (int i = 0; i < t->n_params; i++) {
            const pt_param_def *d = &t->params[i];
            if (d->taper == PT_TAPER_ENUM || d->taper == PT_TAPER_TOGGLE) continue;
            if (!strcmp(t->name, "tuner") && !strcmp(d->name, "reference_hz")) continue;
            if (!(d->smoothing_ms > 0.0f)) fail_msg("%s.%s is not smoothed", t->name, d->name);
        }
    }
}

/* All effects in one chain through the graph compiler: mono in, widened to
 * stereo by the chorus, every later node receiving two channels. A sine in
 * gives a finite, non-silent stereo output whose channels differ. */
static void test_whole_chain_in_a_graph(void **state)
{
    (void)state;
    pt_chain *c = pt_chain_new();
    for (int e = 0; e < N_EFFECTS; e++) pt_chain_add_node(c, tu_node(effects[e], effects[e], NULL));
    pt_program *p = tu_build(c, FX_RATE, FX_BLOCK);
    int ch;
    pt_program_output(p, &ch);
    assert_int_equal(ch, 2);
    float *x = tu_sine(LEN, FX_RATE, 938.0, 0.5); /* the wah's default centre */
    tu_run(p, x, buf[4], buf[5], LEN, FX_BLOCK);
    double diff = 0.0;
    for (int i = 0; i < LEN; i++) {
        assert_true(isfinite(buf[4][i]) && isfinite(buf[5][i]));
        diff += fabsf(buf[4][i] - buf[5][i]);
    }
    assert_true(tu_rms(buf[4], LEN) > 0.01);
    assert_true(diff > 1.0);
    free(x);
    pt_program_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_silence_noise_extremes_reset),
        cmocka_unit_test(test_parameter_jumps),
        cmocka_unit_test(test_whole_chain_in_a_graph),
        cmocka_unit_test(test_continuous_parameters_are_smoothed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
