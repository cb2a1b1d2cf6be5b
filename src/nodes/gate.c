/* gate.c — noise gate with hysteresis, hold, and linear attack/release
 * ramps. The detector is a peak follower (instant rise, 10 ms fall) shared
 * by all channels, so a stereo signal opens and closes as one. */
#include <math.h>
#include <stdlib.h>

#include "../core/node.h"
#include "../core/rt.h"

enum { P_THRESHOLD, P_HYSTERESIS, P_ATTACK, P_HOLD, P_RELEASE, P_RANGE };

static const pt_param_def params[] = {
    [P_THRESHOLD] = {"threshold_db", "dB", -96.0f, 0.0f, -60.0f, PT_TAPER_LINEAR, 0, NULL,
                     "level above which the gate opens", .label = "Threshold", .precision = 1},
    [P_HYSTERESIS] = {"hysteresis_db", "dB", 0.0f, 24.0f, 6.0f, PT_TAPER_LINEAR, 0, NULL,
                      "how far below the threshold the level must fall to close",
                      .label = "Hysteresis", .precision = 1},
    [P_ATTACK] = {"attack_ms", "ms", 0.05f, 50.0f, 0.5f, PT_TAPER_LOG, 0, NULL, "time to open fully",
                  .label = "Attack", .precision = 2},
    [P_HOLD] = {"hold_ms", "ms", 0.0f, 1000.0f, 50.0f, PT_TAPER_LINEAR, 0, NULL,
                "time the gate stays open after the level falls", .label = "Hold", .precision = 0},
    [P_RELEASE] = {"release_ms", "ms", 1.0f, 2000.0f, 100.0f, PT_TAPER_LOG, 0, NULL,
                   "time to close fully", .label = "Release", .precision = 0},
    [P_RANGE] = {"range_db", "dB", -96.0f, 0.0f, -80.0f, PT_TAPER_LINEAR, 0, NULL,
                 "attenuation when closed", .label = "Range", .precision = 1},
};

typedef struct gate_state {
    float env, env_decay;
    float gain;
    int open, hold_left;
} gate_state;

static int gate_create(pt_node *n, const pt_node_config *cfg, pt_error *err)
{
    (void)cfg;
    n->state = calloc(1, sizeof(gate_state));
    if (!n->state) return pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
    return 0;
}

static void gate_reset(pt_node *n)
{
    gate_state *s = n->state;
    s->env = 0.0f;
    s->open = 0;
    s->hold_left = 0;
    s->gain = pt_db_to_gain(n->param[P_RANGE].current);
}

static int gate_prepare(pt_node *n, double rate, int max_frames, pt_error *err)
{
    (void)max_frames, (void)err;
    gate_state *s = n->state;
    s->env_decay = (float)exp(-1.0 / (0.010 * rate));
    gate_reset(n);
    return 0;
}

/* RT */
static void gate_process(pt_node *n, const float *const *in, float *const *out, int frames)
{
    gate_state *s = n->state;
    float open_lvl = pt_db_to_gain(n->param[P_THRESHOLD].current);
    float close_lvl = pt_db_to_gain(n->param[P_THRESHOLD].current - n->param[P_HYSTERESIS].current);
    float floor = pt_db_to_gain(n->param[P_RANGE].current);
    float up = (1.0f - floor) / fmaxf(1.0f, n->param[P_ATTACK].current * 0.001f * (float)n->rate);
    float down = (1.0f - floor) / fmaxf(1.0f, n->param[P_RELEASE].current * 0.001f * (float)n->rate);
    int hold = (int)(n->param[P_HOLD].current * 0.001f * (float)n->rate);
    int ch = n->out_channels;
    for (int i = 0; i < frames; i++) {
        float a = fabsf(in[0][i]);
        if (ch > 1 && fabsf(in[1][i]) > a) a = fabsf(in[1][i]);
        s->env = a > s->env ? a : s->env * s->env_decay;
        if (s->env >= open_lvl) {
            s->open = 1;
            s->hold_left = hold;
        } else if (s->open && s->env < close_lvl) {
            if (s->hold_left > 0) s->hold_left--;
            else s->open = 0;
        }
        if (s->open) s->gain = fminf(1.0f, s->gain + up);
        else s->gain = fmaxf(floor, s->gain - down);
        for (int k = 0; k < ch; k++) out[k][i] = s->gain * in[k][i];
    }
}

static void gate_destroy(pt_node *n) { free(n->state); }

const pt_node_type pt_node_gate = {
    .name = "gate",
    .summary = "Noise gate: threshold, hysteresis, attack, hold, release",
    .params = params,
    .n_params = 6,
    .create = gate_create,
    .prepare = gate_prepare,
    .process = gate_process,
    .reset = gate_reset,
    .destroy = gate_destroy,
};
