/* cab.c — a cabinet (or any impulse response): zero-latency convolution.
 *
 *   in -> convolve with the IR -> mix with the dry signal -> level
 *
 * The IR file is read and checked in create (so a bad file fails the rig
 * load with a message naming it); prepare resamples it to the engine rate,
 * applies trim and normalisation and builds the convolver (src/conv/). A
 * mono IR keeps the channel count; a stereo IR makes the node stereo (a mono
 * input feeds both IR channels; a stereo input is convolved channel by
 * channel). The node adds no latency: the convolver's first partition is a
 * direct-form FIR computed in the callback.
 *
 * With normalize = 0, mix_pct = 100 and level_db = 0 the output is exactly
 * the raw convolution of the input with the file's samples (resampled if
 * the rates differ) — what `pytone render IR.wav IN.wav OUT.wav` wants. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../conv/conv.h"
#include "../conv/ir.h"
#include "../core/node.h"
#include "../core/rt.h"

enum { P_MIX, P_LEVEL, P_NORMALIZE, P_TRIM };
enum { R_LATE };

static const pt_param_def params[] = {
    [P_MIX] = {"mix_pct", "%", 0.0f, 100.0f, 100.0f, PT_TAPER_LINEAR, 20.0f, NULL,
               "share of the convolved signal: 0 = dry only, 100 = IR only",
               .label = "Mix", .precision = 0},
    [P_LEVEL] = {"level_db", "dB", -40.0f, 12.0f, 0.0f, PT_TAPER_LINEAR, 20.0f, NULL,
                 "output level", .label = "Level", .precision = 1},
    [P_NORMALIZE] = {"normalize", "", 0, 1, 1, PT_TAPER_TOGGLE, 0, NULL,
                     "scale the IR to unit energy (white noise passes at 0 dB)", PT_PARAM_REBUILD,
                     .label = "Normalize", .precision = 0},
    [P_TRIM] = {"trim_ms", "ms", 0.0f, 20000.0f, 0.0f, PT_TAPER_LINEAR, 0, NULL,
                "use at most this much of the IR, faded out at the end (0 = all of it)",
                PT_PARAM_REBUILD, .label = "IR length", .precision = 0},
};

static const pt_asset_def assets[] = {
    {"ir", "ir", true, "impulse response file (WAV, AIFF, FLAC; mono or stereo; any rate)"},
};

static const pt_readout_def readouts[] = {
    [R_LATE] = {"late_blocks", "",
                "tail blocks the convolution worker thread delivered too late (should stay 0)"},
};

typedef struct cab_state {
    pt_ir *raw; /* as read from the file */
    pt_conv *conv[PT_MAX_CHANNELS];
    int n_conv;
} cab_state;

static void free_convs(cab_state *s)
{
    for (int k = 0; k < PT_MAX_CHANNELS; k++) {
        pt_conv_free(s->conv[k]);
        s->conv[k] = NULL;
    }
    s->n_conv = 0;
}

static int cab_create(pt_node *n, const pt_node_config *cfg, pt_error *err)
{
    cab_state *s = calloc(1, sizeof *s);
    if (!s) return pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
    n->state = s;
    const char *path = cfg && cfg->asset ? cfg->asset[0] : NULL;
    pt_error e = {0};
    if (!path || pt_ir_load(path, &s->raw, &e) != 0) {
        free(s);
        n->state = NULL;
        if (!path) return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "cab needs an 'ir' file");
        /* in a rig: point at the node, and still name the IR file */
        if (cfg->rig_file)
            return pt_error_set(err, e.code, cfg->rig_file, cfg->line, cfg->col,
                                "node '%s': %s: %s", n->id, path, e.msg);
        if (err) *err = e;
        return e.code;
    }
    return 0;
}

static void cab_destroy(pt_node *n)
{
    cab_state *s = n->state;
    if (!s) return;
    free_convs(s);
    pt_ir_free(s->raw);
    free(s);
}

static int cab_prepare(pt_node *n, double rate, int max_frames, pt_error *err)
{
    (void)max_frames; /* the convolver takes any block size */
    cab_state *s = n->state;
    free_convs(s);
    pt_ir_options opt = {
        .rate = rate,
        .trim_ms = n->param[P_TRIM].current,
        .normalize = n->param[P_NORMALIZE].current >= 0.5f,
    };
    pt_ir *ir = NULL;
    if (pt_ir_prepare(s->raw, &opt, &ir, err) != 0) return -1;
    pt_conv_config cc = {.offline = pt_conv_offline_default()};
    int rc = 0;
    if (n->in_channels == 1) {
        const float *h[2] = {ir->data[0], ir->data[1]};
        s->conv[0] = pt_conv_new(h, ir->channels, ir->frames, &cc, err);
        s->n_conv = 1;
        rc = s->conv[0] ? 0 : -1;
    } else {
        for (int k = 0; k < n->in_channels && rc == 0; k++) {
            const float *h[1] = {ir->data[ir->channels > 1 ? k : 0]};
            s->conv[k] = pt_conv_new(h, 1, ir->frames, &cc, err);
            s->n_conv = k + 1;
            if (!s->conv[k]) rc = -1;
        }
    }
    int ir_channels = ir->channels;
    pt_ir_free(ir);
    if (rc) {
        free_convs(s);
        return -1;
    }
    n->out_channels = n->in_channels > ir_channels ? n->in_channels : ir_channels;
    n->latency_samples = 0;
    return 0;
}

/* RT: forget past input */
static void cab_reset(pt_node *n)
{
    cab_state *s = n->state;
    for (int k = 0; k < s->n_conv; k++) pt_conv_reset(s->conv[k]);
}

/* RT: convolve, then mix with the dry signal and apply the level */
static void cab_process(pt_node *n, const float *const *in, float *const *out, int frames)
{
    cab_state *s = n->state;
    uint64_t late = 0;
    if (s->n_conv == 1) {
        pt_conv_process(s->conv[0], in[0], out, frames);
        late = pt_conv_late_blocks(s->conv[0]);
    } else {
        for (int k = 0; k < s->n_conv; k++) {
            pt_conv_process(s->conv[k], in[k], &out[k], frames);
            late += pt_conv_late_blocks(s->conv[k]);
        }
    }
    pt_node_publish(n, R_LATE, (float)late);

    pt_smoothed *mix = &n->param[P_MIX], *level = &n->param[P_LEVEL];
    if (!pt_param_smoothing(mix) && !pt_param_smoothing(level)) {
        float m = mix->current * 0.01f;
        float g = pt_db_to_gain(level->current);
        if (m == 1.0f && g == 1.0f) return; /* the raw convolution */
        float gw = g * m, gd = g * (1.0f - m);
        for (int k = 0; k < n->out_channels; k++) {
            const float *dry = in[k < n->in_channels ? k : 0];
            for (int i = 0; i < frames; i++) out[k][i] = gw * out[k][i] + gd * dry[i];
        }
        return;
    }
    /* ramps: every channel sees the same gains */
    pt_smoothed mix_save = *mix, level_save = *level;
    for (int k = 0; k < n->out_channels; k++) {
        *mix = mix_save;
        *level = level_save;
        const float *dry = in[k < n->in_channels ? k : 0];
        for (int i = 0; i < frames; i++) {
            float m = pt_param_next(mix) * 0.01f;
            float g = pt_db_to_gain(pt_param_next(level));
            out[k][i] = g * (m * out[k][i] + (1.0f - m) * dry[i]);
        }
    }
}

const pt_node_type pt_node_cab = {
    .name = "cab",
    .summary = "Cabinet / impulse response convolution, zero latency",
    .params = params,
    .n_params = 4,
    .assets = assets,
    .n_assets = 1,
    .readouts = readouts,
    .n_readouts = 1,
    .create = cab_create,
    .prepare = cab_prepare,
    .process = cab_process,
    .reset = cab_reset,
    .destroy = cab_destroy,
};
