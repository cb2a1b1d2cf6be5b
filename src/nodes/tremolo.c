/* tremolo.c — amplitude modulation by an LFO (sine, triangle or a softened
 * square), free-running in Hz or synced to a note division of the shared
 * tempo. The gain swings between 1 and 1 - depth. */
#include <stdlib.h>

#include "../core/node.h"
#include "../dsp/modulation.h"

enum { P_RATE, P_SYNC, P_DIVISION, P_DEPTH, P_SHAPE };

static const pt_param_def params[] = {
    [P_RATE] = {"rate_hz", "Hz", 0.1f, 20.0f, 4.0f, PT_TAPER_LOG, 50.0f, NULL,
                "LFO rate when not synced", .label = "Rate", .precision = 2},
    [P_SYNC] = {"sync", "", 0, 1, 0, PT_TAPER_TOGGLE, 0, NULL,
                "one LFO cycle per note division of the tempo",
                .label = "Sync to tempo", .precision = 0},
    [P_DIVISION] = {"division", "", 0, PT_DIVISIONS - 1, 3, PT_TAPER_ENUM, 0, pt_division_names,
                    "note division when synced", .label = "Note value", .precision = 0},
    [P_DEPTH] = {"depth", "", 0.0f, 1.0f, 0.5f, PT_TAPER_LINEAR, 20.0f, NULL,
                 "how far the gain dips (1 = to silence)", .label = "Depth", .precision = 2},
    [P_SHAPE] = {"shape", "", 0, PT_LFO_SHAPES - 1, PT_LFO_SINE, PT_TAPER_ENUM, 0,
                 pt_lfo_shape_names, "LFO waveform", .label = "Shape", .precision = 0},
};

typedef struct tremolo_state {
    pt_lfo lfo;
} tremolo_state;

static int tremolo_create(pt_node *n, const pt_node_config *cfg, pt_error *err)
{
    (void)cfg;
    n->state = calloc(1, sizeof(tremolo_state));
    if (!n->state) return pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
    return 0;
}

/* RT */
static void tremolo_reset(pt_node *n)
{
    tremolo_state *s = n->state;
    s->lfo.phase = 0.0;
}

/* RT */
static void tremolo_process(pt_node *n, const float *const *in, float *const *out, int frames)
{
    tremolo_state *s = n->state;
    int sync = n->param[P_SYNC].current > 0.5f;
    int division = (int)n->param[P_DIVISION].current;
    pt_lfo_shape shape = (pt_lfo_shape)(int)n->param[P_SHAPE].current;
    int ch = n->out_channels;
    double synced_hz = 1.0 / pt_division_seconds(division); /* the tempo, once a block */
    for (int i = 0; i < frames; i++) {
        double rate_hz = pt_param_next(&n->param[P_RATE]);
        double hz = sync ? synced_hz : rate_hz;
        float depth = pt_param_next(&n->param[P_DEPTH]);
        float w = pt_lfo_wave(shape, pt_lfo_step(&s->lfo, hz, n->rate));
        float g = 1.0f - depth * 0.5f * (1.0f - w);
        for (int k = 0; k < ch; k++) out[k][i] = g * in[k][i];
    }
}

static void tremolo_destroy(pt_node *n) { free(n->state); }

const pt_node_type pt_node_tremolo = {
    .name = "tremolo",
    .summary = "Tremolo: LFO amplitude modulation, free or tempo-synced",
    .params = params,
    .n_params = 5,
    .create = tremolo_create,
    .process = tremolo_process,
    .reset = tremolo_reset,
    .destroy = tremolo_destroy,
};
