/* chorus.c — stereo chorus: each output channel reads the input through a
 * delay line whose length an LFO sweeps around `delay_ms` by ±`depth_ms`;
 * the right channel's LFO runs `spread_deg` ahead of the left one, which is
 * what makes the width. A mono input feeds one line that both channels read;
 * a stereo input gives each channel its own line. Always two channels out. */
#include <math.h>
#include <stdlib.h>

#include "../core/node.h"
#include "../dsp/delayline.h"
#include "../dsp/modulation.h"

enum { P_RATE, P_SYNC, P_DIVISION, P_DEPTH, P_DELAY, P_SPREAD, P_MIX };

#define MAX_DELAY_MS 40.0f
#define MAX_DEPTH_MS 10.0f

static const pt_param_def params[] = {
    [P_RATE] = {"rate_hz", "Hz", 0.05f, 10.0f, 0.8f, PT_TAPER_LOG, 50.0f, NULL,
                "LFO rate when not synced", .label = "Rate", .precision = 2},
    [P_SYNC] = {"sync", "", 0, 1, 0, PT_TAPER_TOGGLE, 0, NULL,
                "one LFO cycle per note division of the tempo",
                .label = "Sync to tempo", .precision = 0},
    [P_DIVISION] = {"division", "", 0, PT_DIVISIONS - 1, 1, PT_TAPER_ENUM, 0, pt_division_names,
                    "note division when synced", .label = "Note value", .precision = 0},
    [P_DEPTH] = {"depth_ms", "ms", 0.0f, MAX_DEPTH_MS, 3.0f, PT_TAPER_LINEAR, 50.0f, NULL,
                 "how far the delay swings either side of delay_ms",
                 .label = "Depth", .precision = 1},
    [P_DELAY] = {"delay_ms", "ms", 1.0f, MAX_DELAY_MS, 12.0f, PT_TAPER_LOG, 50.0f, NULL,
                 "centre delay", .label = "Delay", .precision = 1},
    [P_SPREAD] = {"spread_deg", "deg", 0.0f, 180.0f, 90.0f, PT_TAPER_LINEAR, 50.0f, NULL,
                  "LFO phase of the right channel ahead of the left",
                  .label = "Stereo spread", .precision = 0},
    [P_MIX] = {"mix", "", 0.0f, 1.0f, 0.5f, PT_TAPER_LINEAR, 20.0f, NULL,
               "0 = dry only, 1 = chorus only", .label = "Mix", .precision = 2},
};

typedef struct chorus_state {
    pt_delayline line[PT_MAX_CHANNELS];
    pt_lfo lfo;
} chorus_state;

static int chorus_create(pt_node *n, const pt_node_config *cfg, pt_error *err)
{
    (void)cfg;
    n->state = calloc(1, sizeof(chorus_state));
    if (!n->state) return pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
    return 0;
}

static void chorus_destroy(pt_node *n)
{
    chorus_state *s = n->state;
    if (!s) return;
    for (int k = 0; k < PT_MAX_CHANNELS; k++) pt_delayline_free(&s->line[k]);
    free(s);
}

/* RT */
static void chorus_reset(pt_node *n)
{
    chorus_state *s = n->state;
    for (int k = 0; k < PT_MAX_CHANNELS; k++) pt_delayline_reset(&s->line[k]);
    s->lfo.phase = 0.0;
}

static int chorus_prepare(pt_node *n, double rate, int max_frames, pt_error *err)
{
    (void)max_frames;
    chorus_state *s = n->state;
    int max_delay = (int)ceil((MAX_DELAY_MS + MAX_DEPTH_MS) * 0.001 * rate) + 4;
    for (int k = 0; k < n->in_channels; k++)
        if (pt_delayline_init(&s->line[k], max_delay) != 0)
            return pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
    n->out_channels = 2;
    chorus_reset(n);
    return 0;
}

/* RT */
static void chorus_process(pt_node *n, const float *const *in, float *const *out, int frames)
{
    chorus_state *s = n->state;
    int sync = n->param[P_SYNC].current > 0.5f;
    double synced_hz = 1.0 / pt_division_seconds((int)n->param[P_DIVISION].current);
    float ms = (float)(0.001 * n->rate); /* samples per ms */
    int stereo_in = n->in_channels > 1;
    for (int i = 0; i < frames; i++) {
        double rate_hz = pt_param_next(&n->param[P_RATE]);
        float depth = pt_param_next(&n->param[P_DEPTH]) * ms;
        float centre = pt_param_next(&n->param[P_DELAY]) * ms;
        double spread = pt_param_next(&n->param[P_SPREAD]) * (1.0 / 360.0);
        float mix = pt_param_next(&n->param[P_MIX]);
        double ph = pt_lfo_step(&s->lfo, sync ? synced_hz : rate_hz, n->rate);
        float xl = in[0][i], xr = in[stereo_in][i];
        pt_delayline_push(&s->line[0], xl);
        if (stereo_in) pt_delayline_push(&s->line[1], xr);
        /* push first, so a delay of d reads x[n - d + 1]: add one sample */
        float dl = centre + depth * pt_lfo_wave(PT_LFO_SINE, ph) + 1.0f;
        float dr = centre + depth * pt_lfo_wave(PT_LFO_SINE, ph + spread) + 1.0f;
        float wl = pt_delayline_read(&s->line[0], dl < 2.0f ? 2.0f : dl);
        float wr = pt_delayline_read(&s->line[stereo_in], dr < 2.0f ? 2.0f : dr);
        out[0][i] = (1.0f - mix) * xl + mix * wl;
        out[1][i] = (1.0f - mix) * xr + mix * wr;
    }
}

const pt_node_type pt_node_chorus = {
    .name = "chorus",
    .summary = "Stereo chorus: LFO-swept short delays, right channel phase-offset",
    .params = params,
    .n_params = 7,
    .create = chorus_create,
    .prepare = chorus_prepare,
    .process = chorus_process,
    .reset = chorus_reset,
    .destroy = chorus_destroy,
};
