/* phaser.c — a chain of first-order all-pass stages whose break frequency
 * an LFO sweeps exponentially between `low_hz` and `high_hz`; mixing the
 * chain's output with the dry signal puts a notch wherever the chain has
 * turned the phase by an odd multiple of 180 degrees (stages/2 notches).
 * Feedback from the last stage to the first sharpens them.
 *
 * Each stage is y = a*x + x1 - a*y1 with a = (t - 1)/(t + 1), t =
 * tan(pi*f/rate): its phase passes -90 degrees at f. The coefficient follows
 * the LFO every UPDATE_EVERY samples. */
#include <math.h>
#include <stdlib.h>

#include "../core/node.h"
#include "../dsp/modulation.h"

enum { P_RATE, P_SYNC, P_DIVISION, P_STAGES, P_LOW, P_HIGH, P_FEEDBACK, P_MIX };

#define MAX_STAGES 12
#define UPDATE_EVERY 4

static const char *const stage_names[] = {"2", "4", "6", "8", "10", "12", NULL};

static const pt_param_def params[] = {
    [P_RATE] = {"rate_hz", "Hz", 0.02f, 10.0f, 0.5f, PT_TAPER_LOG, 50.0f, NULL,
                "LFO rate when not synced", .label = "Rate", .precision = 2},
    [P_SYNC] = {"sync", "", 0, 1, 0, PT_TAPER_TOGGLE, 0, NULL,
                "one LFO cycle per note division of the tempo",
                .label = "Sync to tempo", .precision = 0},
    [P_DIVISION] = {"division", "", 0, PT_DIVISIONS - 1, 0, PT_TAPER_ENUM, 0, pt_division_names,
                    "note division when synced", .label = "Note value", .precision = 0},
    [P_STAGES] = {"stages", "", 0, 5, 1, PT_TAPER_ENUM, 0, stage_names, "all-pass stages",
                  .label = "Stages", .precision = 0},
    [P_LOW] = {"low_hz", "Hz", 50.0f, 5000.0f, 300.0f, PT_TAPER_LOG, 50.0f, NULL,
               "bottom of the sweep", .label = "Low sweep", .precision = 0},
    [P_HIGH] = {"high_hz", "Hz", 100.0f, 15000.0f, 2500.0f, PT_TAPER_LOG, 50.0f, NULL,
                "top of the sweep", .label = "High sweep", .precision = 0},
    [P_FEEDBACK] = {"feedback", "", -0.9f, 0.9f, 0.3f, PT_TAPER_LINEAR, 20.0f, NULL,
                    "last stage fed back into the first", .label = "Feedback", .precision = 2},
    [P_MIX] = {"mix", "", 0.0f, 1.0f, 0.5f, PT_TAPER_LINEAR, 20.0f, NULL,
               "0 = dry only, 1 = all-pass chain only (0.5 gives the deepest notches)",
               .label = "Mix", .precision = 2},
};

typedef struct phaser_state {
    float x1[PT_MAX_CHANNELS][MAX_STAGES], y1[PT_MAX_CHANNELS][MAX_STAGES];
    float last[PT_MAX_CHANNELS]; /* chain output, for the feedback */
    float a[PT_MAX_CHANNELS];
    int countdown;
    pt_lfo lfo;
} phaser_state;

static int phaser_create(pt_node *n, const pt_node_config *cfg, pt_error *err)
{
    (void)cfg;
    n->state = calloc(1, sizeof(phaser_state));
    if (!n->state) return pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
    return 0;
}

/* RT */
static void phaser_reset(pt_node *n)
{
    phaser_state *s = n->state;
    for (int k = 0; k < PT_MAX_CHANNELS; k++) {
        for (int j = 0; j < MAX_STAGES; j++) s->x1[k][j] = s->y1[k][j] = 0.0f;
        s->last[k] = 0.0f;
    }
    s->countdown = 0;
    s->lfo.phase = 0.0;
}

/* RT: all-pass coefficient with its -90 degree point at f. */
static inline float allpass_coef(float f, float rate)
{
    float lim = 0.45f * rate;
    if (f > lim) f = lim;
    float t = tanf((float)M_PI * f / rate);
    return (t - 1.0f) / (t + 1.0f);
}

/* RT */
static void phaser_process(pt_node *n, const float *const *in, float *const *out, int frames)
{
    phaser_state *s = n->state;
    int sync = n->param[P_SYNC].current > 0.5f;
    double synced_hz = 1.0 / pt_division_seconds((int)n->param[P_DIVISION].current);
    int stages = 2 * ((int)n->param[P_STAGES].current + 1);
    int ch = n->out_channels;
    float rate = (float)n->rate;
    for (int i = 0; i < frames; i++) {
        double rate_hz = pt_param_next(&n->param[P_RATE]);
        float lo = pt_param_next(&n->param[P_LOW]);
        float hi = pt_param_next(&n->param[P_HIGH]);
        float fb = pt_param_next(&n->param[P_FEEDBACK]);
        float mix = pt_param_next(&n->param[P_MIX]);
        double ph = pt_lfo_step(&s->lfo, sync ? synced_hz : rate_hz, n->rate);
        if (--s->countdown <= 0) {
            s->countdown = UPDATE_EVERY;
            for (int k = 0; k < ch; k++) {
                float w = 0.5f * (1.0f + pt_lfo_wave(PT_LFO_SINE, ph + 0.25 * k));
                s->a[k] = allpass_coef(lo * powf(hi / lo, w), rate);
            }
        }
        for (int k = 0; k < ch; k++) {
            float a = s->a[k];
            float x = in[k][i];
            float v = x + fb * s->last[k];
            float *x1 = s->x1[k], *y1 = s->y1[k];
            for (int j = 0; j < stages; j++) {
                float y = a * v + x1[j] - a * y1[j];
                x1[j] = v;
                y1[j] = y;
                v = y;
            }
            s->last[k] = v;
            out[k][i] = (1.0f - mix) * x + mix * v;
        }
    }
}

static void phaser_destroy(pt_node *n) { free(n->state); }

const pt_node_type pt_node_phaser = {
    .name = "phaser",
    .summary = "Phaser: LFO-swept all-pass chain (2-12 stages) with feedback",
    .params = params,
    .n_params = 8,
    .create = phaser_create,
    .process = phaser_process,
    .reset = phaser_reset,
    .destroy = phaser_destroy,
};
