/* wah.c — an expression-controlled band-pass: `position` (0 = heel, 1 = toe,
 * from a pedal via MIDI or the UI) moves the centre frequency geometrically
 * from low_hz to high_hz, f = low * (high/low)^position, with resonance q.
 * The filter is a trapezoidal state-variable band-pass normalised to 0 dB at
 * its peak. This is the plain filter model; a model of a real wah circuit
 * (inductor, transistor stage) may come later as its own type. */
#include <math.h>
#include <stdlib.h>

#include "../core/node.h"
#include "../core/rt.h"
#include "../dsp/svf.h"

enum { P_POSITION, P_LOW, P_HIGH, P_Q, P_LEVEL };

static const pt_param_def params[] = {
    [P_POSITION] = {"position", "", 0.0f, 1.0f, 0.5f, PT_TAPER_LINEAR, 10.0f, NULL,
                    "pedal position: 0 heel (low_hz) .. 1 toe (high_hz)",
                    .label = "Position", .precision = 2},
    [P_LOW] = {"low_hz", "Hz", 100.0f, 1000.0f, 400.0f, PT_TAPER_LOG, 30.0f, NULL,
               "centre frequency at the heel", .label = "Low sweep", .precision = 0},
    [P_HIGH] = {"high_hz", "Hz", 600.0f, 5000.0f, 2200.0f, PT_TAPER_LOG, 30.0f, NULL,
                "centre frequency at the toe", .label = "High sweep", .precision = 0},
    [P_Q] = {"q", "", 0.5f, 20.0f, 5.0f, PT_TAPER_LOG, 30.0f, NULL, "resonance",
             .label = "Width (Q)", .precision = 2},
    [P_LEVEL] = {"level_db", "dB", -24.0f, 24.0f, 0.0f, PT_TAPER_LINEAR, 20.0f, NULL,
                 "output level (the peak is at 0 dB before it)", .label = "Level", .precision = 1},
};

typedef struct wah_state {
    pt_svf f[PT_MAX_CHANNELS];
    float level_db, level; /* cached output gain */
} wah_state;

/* RT: the centre frequency for a pedal position. */
static float centre_hz(float position, float lo, float hi) { return lo * powf(hi / lo, position); }

static int wah_create(pt_node *n, const pt_node_config *cfg, pt_error *err)
{
    (void)cfg;
    wah_state *s = calloc(1, sizeof(wah_state));
    if (!s) return pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
    s->level_db = NAN; /* computed at the first sample */
    n->state = s;
    return 0;
}

/* RT */
static void update(pt_node *n)
{
    wah_state *s = n->state;
    float fc = centre_hz(n->param[P_POSITION].current, n->param[P_LOW].current,
                         n->param[P_HIGH].current);
    for (int k = 0; k < PT_MAX_CHANNELS; k++)
        pt_svf_set(&s->f[k], fc, n->param[P_Q].current, (float)n->rate);
}

/* RT */
static void wah_reset(pt_node *n)
{
    wah_state *s = n->state;
    for (int k = 0; k < PT_MAX_CHANNELS; k++) pt_svf_reset(&s->f[k]);
}

static int wah_prepare(pt_node *n, double rate, int max_frames, pt_error *err)
{
    (void)rate, (void)max_frames, (void)err;
    update(n);
    wah_reset(n);
    return 0;
}

/* RT */
static void wah_set_param(pt_node *n, int index, float value)
{
    (void)index, (void)value;
    update(n); /* takes effect now if the parameter does not ramp */
}

/* RT: the coefficients follow the smoothed parameters every sample while any
 * of them moves (the SVF stays well-behaved under fast sweeps). */
static void wah_process(pt_node *n, const float *const *in, float *const *out, int frames)
{
    wah_state *s = n->state;
    int ch = n->out_channels;
    for (int i = 0; i < frames; i++) {
        int moving = pt_param_smoothing(&n->param[P_POSITION]) ||
                     pt_param_smoothing(&n->param[P_LOW]) ||
                     pt_param_smoothing(&n->param[P_HIGH]) || pt_param_smoothing(&n->param[P_Q]);
        if (moving) {
            pt_param_next(&n->param[P_POSITION]);
            pt_param_next(&n->param[P_LOW]);
            pt_param_next(&n->param[P_HIGH]);
            pt_param_next(&n->param[P_Q]);
            update(n);
        }
        pt_smoothed *lv = &n->param[P_LEVEL];
        if (pt_param_smoothing(lv) || s->level_db != lv->current) {
            s->level_db = pt_param_next(lv);
            s->level = pt_db_to_gain(s->level_db);
        }
        float g = s->level * s->f[0].k;
        for (int k = 0; k < ch; k++) out[k][i] = g * pt_svf_tick_bp(&s->f[k], in[k][i], NULL);
    }
}

static void wah_destroy(pt_node *n) { free(n->state); }

const pt_node_type pt_node_wah = {
    .name = "wah",
    .summary = "Wah: pedal-swept resonant band-pass (position 0..1)",
    .params = params,
    .n_params = 5,
    .create = wah_create,
    .prepare = wah_prepare,
    .process = wah_process,
    .set_param = wah_set_param,
    .reset = wah_reset,
    .destroy = wah_destroy,
};
