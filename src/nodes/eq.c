/* eq.c — one biquad band with the RBJ cookbook shapes. Coefficients follow
 * the smoothed frequency, Q and gain every 16 samples while a knob moves. */
#include <stdlib.h>

#include "../core/node.h"
#include "../dsp/biquad.h"

enum { P_SHAPE, P_FREQ, P_Q, P_GAIN };
#define UPDATE_EVERY 16

static const pt_param_def params[] = {
    [P_SHAPE] = {"shape", "", 0, PT_BQ_SHAPES - 1, PT_BQ_PEAK, PT_TAPER_ENUM, 0, pt_biquad_shape_names,
                 "filter shape", .label = "Shape", .precision = 0},
    [P_FREQ] = {"freq_hz", "Hz", 20.0f, 20000.0f, 1000.0f, PT_TAPER_LOG, 30.0f, NULL,
                "centre or corner frequency", .label = "Frequency", .precision = 0},
    [P_Q] = {"q", "", 0.1f, 18.0f, 0.7071f, PT_TAPER_LOG, 30.0f, NULL, "resonance / bandwidth",
             .label = "Width (Q)", .precision = 2},
    [P_GAIN] = {"gain_db", "dB", -24.0f, 24.0f, 0.0f, PT_TAPER_LINEAR, 30.0f, NULL,
                "boost or cut (peak and shelves)", .label = "Gain", .precision = 1},
};

typedef struct eq_state {
    pt_biquad f[PT_MAX_CHANNELS];
    int countdown; /* samples until the next coefficient update while smoothing */
    int dirty;     /* a parameter changed: update before the next sample */
} eq_state;

static int eq_create(pt_node *n, const pt_node_config *cfg, pt_error *err)
{
    (void)cfg;
    n->state = calloc(1, sizeof(eq_state));
    if (!n->state) return pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
    return 0;
}

/* RT */
static void update(pt_node *n)
{
    eq_state *s = n->state;
    pt_biquad_coefs c;
    pt_biquad_design(&c, (pt_biquad_shape)(int)n->param[P_SHAPE].current, n->rate,
                     n->param[P_FREQ].current, n->param[P_Q].current, n->param[P_GAIN].current);
    for (int k = 0; k < PT_MAX_CHANNELS; k++) pt_biquad_set(&s->f[k], &c);
}

static int eq_prepare(pt_node *n, double rate, int max_frames, pt_error *err)
{
    (void)rate, (void)max_frames, (void)err;
    update(n);
    return 0;
}

static void eq_set_param(pt_node *n, int index, float value)
{
    (void)value;
    eq_state *s = n->state;
    if (index == P_SHAPE) update(n);
    s->dirty = 1;
    s->countdown = 0; /* recompute at the next sample */
}

/* RT: coefficients are recomputed at the start of every 16-sample run while
 * a parameter moves (counted across blocks, so the output does not depend on
 * the block size), and once more when it has settled. */
static void eq_process(pt_node *n, const float *const *in, float *const *out, int frames)
{
    eq_state *s = n->state;
    for (int i = 0; i < frames;) {
        int moving = pt_param_smoothing(&n->param[P_FREQ]) || pt_param_smoothing(&n->param[P_Q]) ||
                     pt_param_smoothing(&n->param[P_GAIN]);
        int run = frames - i;
        if (s->countdown <= 0 && (moving || s->dirty)) {
            update(n);
            s->dirty = moving;
            s->countdown = UPDATE_EVERY;
        }
        if (s->countdown > 0) {
            if (run > s->countdown) run = s->countdown;
            pt_param_block(&n->param[P_FREQ], run);
            pt_param_block(&n->param[P_Q], run);
            pt_param_block(&n->param[P_GAIN], run);
            s->countdown -= run;
        }
        for (int k = 0; k < n->out_channels; k++) {
            pt_biquad *f = &s->f[k];
            const float *x = in[k] + i;
            float *y = out[k] + i;
            for (int j = 0; j < run; j++) y[j] = pt_biquad_tick(f, x[j]);
        }
        i += run;
    }
}

static void eq_reset(pt_node *n)
{
    eq_state *s = n->state;
    for (int k = 0; k < PT_MAX_CHANNELS; k++) pt_biquad_reset(&s->f[k]);
}

static void eq_destroy(pt_node *n) { free(n->state); }

const pt_node_type pt_node_eq = {
    .name = "eq",
    .summary = "Biquad EQ band: low/high-pass, band-pass, notch, peak, shelves (RBJ cookbook)",
    .params = params,
    .n_params = 4,
    .create = eq_create,
    .prepare = eq_prepare,
    .process = eq_process,
    .set_param = eq_set_param,
    .reset = eq_reset,
    .destroy = eq_destroy,
};
