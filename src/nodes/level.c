/* level.c — a smoothed gain: input trim, output level, branch makeup. */
#include <math.h>
#include <stdlib.h>

#include "../core/node.h"
#include "../core/rt.h"

enum { P_GAIN_DB };

static const pt_param_def params[] = {
    [P_GAIN_DB] = {"gain_db", "dB", -60.0f, 24.0f, 0.0f, PT_TAPER_LINEAR, 20.0f, NULL,
                   "gain applied to the signal", .label = "Gain", .precision = 1},
};

/* RT */
static void level_process(pt_node *n, const float *const *in, float *const *out, int frames)
{
    pt_smoothed *p = &n->param[P_GAIN_DB];
    if (!pt_param_smoothing(p)) {
        float g = pt_db_to_gain(p->current);
        for (int k = 0; k < n->out_channels; k++)
            for (int i = 0; i < frames; i++) out[k][i] = g * in[k][i];
        return;
    }
    /* ramp in dB, one gain per sample, identical on every channel */
    for (int i = 0; i < frames; i++) {
        float g = pt_db_to_gain(pt_param_next(p));
        for (int k = 0; k < n->out_channels; k++) out[k][i] = g * in[k][i];
    }
}

const pt_node_type pt_node_level = {
    .name = "level",
    .summary = "Gain in dB (input trim, output level)",
    .params = params,
    .n_params = 1,
    .process = level_process,
};
