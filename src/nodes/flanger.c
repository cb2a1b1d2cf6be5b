/* flanger.c — a short delay swept by an LFO between `delay_ms` and
 * `delay_ms + depth_ms`, with feedback (negative feedback moves the comb's
 * peaks onto its notches) mixed with the dry signal. A stereo input is
 * processed per channel, the right LFO a quarter cycle ahead. */
#include <math.h>
#include <stdlib.h>

#include "../core/node.h"
#include "../dsp/delayline.h"
#include "../dsp/modulation.h"

enum { P_RATE, P_SYNC, P_DIVISION, P_DELAY, P_DEPTH, P_FEEDBACK, P_MIX };

#define MAX_DELAY_MS 10.0f
#define MAX_DEPTH_MS 10.0f

static const pt_param_def params[] = {
    [P_RATE] = {"rate_hz", "Hz", 0.02f, 10.0f, 0.3f, PT_TAPER_LOG, 50.0f, NULL,
                "LFO rate when not synced", .label = "Rate", .precision = 2},
    [P_SYNC] = {"sync", "", 0, 1, 0, PT_TAPER_TOGGLE, 0, NULL,
                "one LFO cycle per note division of the tempo",
                .label = "Sync to tempo", .precision = 0},
    [P_DIVISION] = {"division", "", 0, PT_DIVISIONS - 1, 0, PT_TAPER_ENUM, 0, pt_division_names,
                    "note division when synced", .label = "Note value", .precision = 0},
    [P_DELAY] = {"delay_ms", "ms", 0.05f, MAX_DELAY_MS, 0.5f, PT_TAPER_LOG, 50.0f, NULL,
                 "shortest delay of the sweep", .label = "Delay", .precision = 2},
    [P_DEPTH] = {"depth_ms", "ms", 0.0f, MAX_DEPTH_MS, 3.0f, PT_TAPER_LINEAR, 50.0f, NULL,
                 "width of the sweep above delay_ms", .label = "Depth", .precision = 1},
    [P_FEEDBACK] = {"feedback", "", -0.95f, 0.95f, 0.5f, PT_TAPER_LINEAR, 20.0f, NULL,
                    "share of the delayed signal fed back (negative inverts it)",
                    .label = "Feedback", .precision = 2},
    [P_MIX] = {"mix", "", 0.0f, 1.0f, 0.5f, PT_TAPER_LINEAR, 20.0f, NULL,
               "0 = dry only, 1 = delayed only (0.5 gives the deepest notches)",
               .label = "Mix", .precision = 2},
};

typedef struct flanger_state {
    pt_delayline line[PT_MAX_CHANNELS];
    pt_lfo lfo;
} flanger_state;

static int flanger_create(pt_node *n, const pt_node_config *cfg, pt_error *err)
{
    (void)cfg;
    n->state = calloc(1, sizeof(flanger_state));
    if (!n->state) return pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
    return 0;
}

static void flanger_destroy(pt_node *n)
{
    flanger_state *s = n->state;
    if (!s) return;
    for (int k = 0; k < PT_MAX_CHANNELS; k++) pt_delayline_free(&s->line[k]);
    free(s);
}

/* RT */
static void flanger_reset(pt_node *n)
{
    flanger_state *s = n->state;
    for (int k = 0; k < PT_MAX_CHANNELS; k++) pt_delayline_reset(&s->line[k]);
    s->lfo.phase = 0.0;
}

static int flanger_prepare(pt_node *n, double rate, int max_frames, pt_error *err)
{
    (void)max_frames;
    flanger_state *s = n->state;
    int max_delay = (int)ceil((MAX_DELAY_MS + MAX_DEPTH_MS) * 0.001 * rate) + 4;
    for (int k = 0; k < n->in_channels; k++)
        if (pt_delayline_init(&s->line[k], max_delay) != 0)
            return pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
    flanger_reset(n);
    return 0;
}

/* RT: the loop reads the echo before writing input + feedback, so the delay
 * can go down to one sample without reading the sample being written. */
static void flanger_process(pt_node *n, const float *const *in, float *const *out, int frames)
{
    flanger_state *s = n->state;
    int sync = n->param[P_SYNC].current > 0.5f;
    double synced_hz = 1.0 / pt_division_seconds((int)n->param[P_DIVISION].current);
    float ms = (float)(0.001 * n->rate);
    int ch = n->out_channels;
    for (int i = 0; i < frames; i++) {
        double rate_hz = pt_param_next(&n->param[P_RATE]);
        float lo = pt_param_next(&n->param[P_DELAY]) * ms;
        float width = pt_param_next(&n->param[P_DEPTH]) * ms;
        float fb = pt_param_next(&n->param[P_FEEDBACK]);
        float mix = pt_param_next(&n->param[P_MIX]);
        double ph = pt_lfo_step(&s->lfo, sync ? synced_hz : rate_hz, n->rate);
        for (int k = 0; k < ch; k++) {
            float w = pt_lfo_wave(PT_LFO_SINE, ph + 0.25 * k);
            float d = lo + width * 0.5f * (1.0f + w);
            float y = pt_delayline_read(&s->line[k], d < 2.0f ? 2.0f : d);
            float x = in[k][i];
            pt_delayline_push(&s->line[k], x + fb * y);
            out[k][i] = (1.0f - mix) * x + mix * y;
        }
    }
}

const pt_node_type pt_node_flanger = {
    .name = "flanger",
    .summary = "Flanger: LFO-swept short delay with feedback",
    .params = params,
    .n_params = 7,
    .create = flanger_create,
    .prepare = flanger_prepare,
    .process = flanger_process,
    .reset = flanger_reset,
    .destroy = flanger_destroy,
};
