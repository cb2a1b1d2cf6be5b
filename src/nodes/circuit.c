/* circuit.c — a node that runs a circuit file (a Wave Digital Filter model of
 * a pedal or amp stage, see src/wdf/wdf.h and docs/circuits.md).
 *
 *   in -> input gain -> volts (x input_scale) -> [oversample] -> WDF stages
 *      -> [decimate] -> x output_scale -> output gain
 *
 * The parameter table is static per node type, so every circuit node has the
 * same generic controls (drive, tone, level, gain, bass, mid, treble, volume,
 * each 0..1). The circuit file maps its pots and switches onto them by name;
 * a control the circuit does not use is simply ignored. Oversampling (1x to
 * 8x, default from the file) rebuilds the node; its latency is declared. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/node.h"
#include "../core/rt.h"
#include "../dsp/oversample.h"
#include "../wdf/wdf.h"

enum {
    P_DRIVE, P_TONE, P_LEVEL, P_GAIN, P_BASS, P_MID, P_TREBLE, P_VOLUME, /* = PT_WDF_CTL_* */
    P_PRESENCE, P_MASTER, P_CUT, P_BRIGHT, P_VOLUME2, P_RESONANCE,
    P_OVERSAMPLE, P_IN_GAIN, P_OUT_GAIN, P_PHASE, P_FULL_SCALE, P_COUNT
};

static const char *const os_names[] = {"1x", "2x", "4x", "8x", NULL};
static const char *const phase_names[] = {"minimum", "linear", NULL}; /* = pt_os_phase */

#define KNOB(name, label_, doc) \
    {name, "", 0.0f, 1.0f, 0.5f, PT_TAPER_LINEAR, 30.0f, NULL, doc, .label = label_, .precision = 2}

static const pt_param_def params[] = {
    [P_DRIVE] = KNOB("drive", "Drive", "the circuit's drive control (ignored if it has none)"),
    [P_TONE] = KNOB("tone", "Tone", "the circuit's tone control (ignored if it has none)"),
    [P_LEVEL] = KNOB("level", "Level", "the circuit's level control (ignored if it has none)"),
    [P_GAIN] = KNOB("gain", "Gain", "the circuit's gain control (ignored if it has none)"),
    [P_BASS] = KNOB("bass", "Bass", "the circuit's bass control (ignored if it has none)"),
    [P_MID] = KNOB("mid", "Middle", "the circuit's mid control (ignored if it has none)"),
    [P_TREBLE] = KNOB("treble", "Treble", "the circuit's treble control (ignored if it has none)"),
    [P_VOLUME] = KNOB("volume", "Volume", "the circuit's volume control (ignored if it has none)"),
    [P_PRESENCE] = KNOB("presence", "Presence", "the amp's presence control (ignored if it has none)"),
    [P_MASTER] = KNOB("master", "Master", "the amp's master volume (ignored if it has none)"),
    [P_CUT] = KNOB("cut", "Cut", "the amp's cut control (ignored if it has none)"),
    [P_BRIGHT] = {"bright", "", 0, 1, 0, PT_TAPER_TOGGLE, 0, NULL,
                  "the amp's bright switch (ignored if it has none)", .label = "Bright",
                  .precision = 0},
    [P_VOLUME2] = KNOB("volume2", "Volume 2",
                       "the amp's second channel volume (ignored if it has none)"),
    [P_RESONANCE] = KNOB("resonance", "Resonance",
                         "the amp's resonance or depth control (ignored if it has none)"),
    [P_OVERSAMPLE] = {"oversample", "", 0, 3, 0, PT_TAPER_ENUM, 0, os_names,
                      "oversampling factor (default from the circuit file)", PT_PARAM_REBUILD,
                      .label = "Oversampling", .precision = 0},
    [P_IN_GAIN] = {"input_gain_db", "dB", -24.0f, 24.0f, 0.0f, PT_TAPER_LINEAR, 20.0f, NULL,
                   "gain before the circuit (1.0 at the input is 1 V unless the file scales it)",
                   .label = "Input gain", .precision = 1},
    [P_OUT_GAIN] = {"output_gain_db", "dB", -48.0f, 24.0f, 0.0f, PT_TAPER_LINEAR, 20.0f, NULL,
                    "gain after the circuit", .label = "Output gain", .precision = 1},
    [P_PHASE] = {"oversample_phase", "", 0, 1, 0, PT_TAPER_ENUM, 0, phase_names,
                 "oversampling filters: minimum phase (3-4 samples of latency, for playing) or "
                 "linear phase (tens of samples, for offline re-amping)", PT_PARAM_REBUILD,
                 .label = "Oversampling filters", .precision = 0},
    [P_FULL_SCALE] = {"full_scale_v", "V", 0.05f, 10.0f, 1.0f, PT_TAPER_LOG, 20.0f, NULL,
                      "volts at the input jack for a full-scale (0 dBFS) sample: calibrates "
                      "how hard the signal drives the circuit (1 V: a guitar's strongest "
                      "peaks near full scale)", .label = "Input full scale", .precision = 2},
};

static const pt_asset_def assets[] = {
    {"circuit", "circuit", true, "the circuit file (.yaml, see docs/circuits.md)"},
};

enum { R_ITER_MAX, R_FAILURES, R_ITER_MEAN };
static const pt_readout_def readouts[] = {
    [R_ITER_MAX] = {"newton_iterations_max", "", "most Newton-Raphson iterations a sample took"},
    [R_FAILURES] = {"newton_failures", "", "samples whose Newton-Raphson solve hit its bound"},
    [R_ITER_MEAN] = {"newton_iterations_mean", "", "mean Newton-Raphson iterations per sample"},
};

#define SUB 32 /* control update period, base-rate samples */

typedef struct circuit_state {
    pt_wdf_desc *desc;
    pt_wdf_circuit *wdf[PT_MAX_CHANNELS];
    pt_oversampler os[PT_MAX_CHANNELS];
    float *tmp;     /* SUB */
    double *work;   /* SUB * 8 */
    /* the audio thread's own: the controls and gains whose target changed
       and whose ramp has not yet reached the WDFs or the gains (bit =
       parameter index; none while no knob moves), the control values the
       WDFs were last given, and the two gains */
    unsigned moving;
    float sent[PT_WDF_N_CONTROLS];
    float gin, gout;
} circuit_state;

static void free_runtime(circuit_state *s)
{
    for (int k = 0; k < PT_MAX_CHANNELS; k++) {
        pt_wdf_free(s->wdf[k]);
        s->wdf[k] = NULL;
        pt_oversampler_free(&s->os[k]);
    }
}

static int circuit_create(pt_node *n, const pt_node_config *cfg, pt_error *err)
{
    circuit_state *s = calloc(1, sizeof *s);
    if (!s) return pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
    n->state = s;
    if (pt_circuit_load(cfg->asset[0], &s->desc, err) != 0) {
        free(s);
        n->state = NULL;
        return err ? err->code : PT_ERR_INVALID;
    }
    /* compile once now so a circuit that cannot be realised fails at load */
    pt_wdf_circuit *trial = pt_wdf_compile(s->desc, 48000.0 * s->desc->oversample, err);
    if (!trial) {
        pt_wdf_desc_free(s->desc);
        free(s);
        n->state = NULL;
        return err ? err->code : PT_ERR_INVALID;
    }
    pt_wdf_free(trial);
    float os = (float)(s->desc->oversample == 8 ? 3 : s->desc->oversample == 4 ? 2
                                                 : s->desc->oversample == 2 ? 1 : 0);
    n->param[P_OVERSAMPLE].current = n->param[P_OVERSAMPLE].target = os;
    n->control_value[P_OVERSAMPLE] = os;
    s->tmp = calloc(SUB, sizeof(float));
    s->work = calloc(SUB * 8, sizeof(double));
    if (!s->tmp || !s->work) {
        free(s->tmp);
        free(s->work);
        pt_wdf_desc_free(s->desc);
        free(s);
        n->state = NULL;
        return pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
    }
    return 0;
}

static void circuit_destroy(pt_node *n)
{
    circuit_state *s = n->state;
    if (!s) return;
    free_runtime(s);
    pt_wdf_desc_free(s->desc);
    free(s->tmp);
    free(s->work);
    free(s);
}

/* RT */
static void circuit_reset(pt_node *n)
{
    circuit_state *s = n->state;
    for (int k = 0; k < PT_MAX_CHANNELS; k++) {
        if (s->wdf[k]) pt_wdf_reset(s->wdf[k]);
        if (s->os[k].max_frames) pt_oversampler_reset(&s->os[k]);
    }
}

/* Start from the DC operating point when the circuit has supplies: solved
 * directly (pt_wdf_operating_point), or, when the file sets `settle_ms`, by
 * running that much silence as before. */
static void start_at_rest(pt_wdf_circuit *c, const pt_wdf_desc *d)
{
    if (d->settle_ms >= 0) {
        pt_wdf_settle(c, d->settle_ms * 1e-3);
        return;
    }
    for (int i = 0; i < d->n_part; i++) {
        const pt_wdf_part *p = &d->part[i];
        if ((p->kind == PT_WDF_VOLTAGE_SOURCE && p->v_volt != 0) ||
            (p->kind == PT_WDF_CURRENT_SOURCE && p->i_amp != 0)) {
            pt_error e = {0};
            int iters = 0;
            pt_wdf_operating_point(c, &iters, &e); /* on failure it has settled by simulation */
            return;
        }
    }
}

static int circuit_prepare(pt_node *n, double rate, int max_frames, pt_error *err)
{
    circuit_state *s = n->state;
    free_runtime(s);
    int factor = 1 << (int)n->param[P_OVERSAMPLE].current;
    pt_os_phase phase = (pt_os_phase)(int)n->param[P_PHASE].current;
    for (int k = 0; k < n->in_channels; k++) {
        if (pt_oversampler_init_phase(&s->os[k], factor, SUB, phase, 0.0) != 0)
            return pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
        s->wdf[k] = pt_wdf_compile(s->desc, rate * factor, err);
        if (!s->wdf[k]) return err ? err->code : PT_ERR_INVALID;
        for (int c = 0; c < PT_WDF_N_CONTROLS; c++)
            pt_wdf_set_control(s->wdf[k], c, n->param[c].current);
        pt_wdf_update(s->wdf[k]);
        start_at_rest(s->wdf[k], s->desc);
        pt_wdf_clear_stats(s->wdf[k]);
    }
    for (int c = 0; c < PT_WDF_N_CONTROLS; c++) s->sent[c] = n->param[c].current;
    s->moving = 1u << P_IN_GAIN; /* the first block computes both gains */
    n->latency_samples = s->os[0].latency;
    (void)max_frames;
    return 0;
}

static const char *circuit_param_label(const pt_node *n, int index)
{
    const circuit_state *s = n->state;
    if (index >= PT_WDF_N_CONTROLS || !s || !s->desc) return n->type->params[index].label;
    if (!(s->desc->controls_used & (1u << index))) return NULL;
    return s->desc->control_label[index][0] ? s->desc->control_label[index]
                                            : n->type->params[index].label;
}

#define GAINS ((1u << P_IN_GAIN) | (1u << P_FULL_SCALE) | (1u << P_OUT_GAIN))
#define CONTROLS ((1u << PT_WDF_N_CONTROLS) - 1)

/* RT: a parameter's target changed (engine hook): look at it each SUB
 * samples until its smoothed value has arrived. */
static void circuit_set_param(pt_node *n, int index, float value)
{
    circuit_state *s = n->state;
    (void)value;
    if (s && index >= 0 && index < P_COUNT) s->moving |= (1u << index) & (CONTROLS | GAINS);
}

/* RT: a smoothed parameter's value for the next `len` samples; its bit in
 * s->moving is cleared once the ramp has ended. */
static float param_now(pt_node *n, circuit_state *s, int index, int len)
{
    pt_smoothed *p = &n->param[index];
    float v = p->remaining > 0 ? pt_param_block(p, len) : p->current;
    if (p->remaining <= 0) s->moving &= ~(1u << index);
    return v;
}

/* RT: only for the parameters that moved: hand the WDFs a control whose
 * smoothed value changed (every SUB samples while it ramps; the adaptors
 * are recomputed only then), and dB to gain only when a gain moved. */
static void update_params(pt_node *n, circuit_state *s, int len)
{
    int changed = 0;
    for (unsigned m = s->moving & CONTROLS; m; m &= m - 1) {
        int c = __builtin_ctz(m);
        float v = param_now(n, s, c, len);
        if (v == s->sent[c]) continue;
        s->sent[c] = v;
        changed = 1;
        for (int k = 0; k < n->in_channels; k++) pt_wdf_set_control(s->wdf[k], c, v);
    }
    if (changed)
        for (int k = 0; k < n->in_channels; k++) pt_wdf_update(s->wdf[k]);
    if (s->moving & GAINS) {
        float in_db = param_now(n, s, P_IN_GAIN, len);
        float full_scale = param_now(n, s, P_FULL_SCALE, len);
        float out_db = param_now(n, s, P_OUT_GAIN, len);
        s->gin = pt_db_to_gain(in_db) * full_scale;
        s->gout = pt_db_to_gain(out_db);
    }
}

/* RT */
static void circuit_process(pt_node *n, const float *const *in, float *const *out, int frames)
{
    circuit_state *s = n->state;
    int factor = s->os[0].factor;
    double *w = s->work;
    for (int off = 0; off < frames; off += SUB) {
        int len = frames - off < SUB ? frames - off : SUB;
        if (s->moving) update_params(n, s, len);
        float gin = s->gin, gout = s->gout;
        for (int k = 0; k < n->in_channels; k++) {
            const float *x = in[k] + off;
            float *y = out[k] + off;
            if (factor == 1) { /* no oversampler: straight to doubles and back */
                for (int i = 0; i < len; i++) w[i] = x[i] * gin;
                pt_wdf_process(s->wdf[k], w, w, len);
                for (int i = 0; i < len; i++) y[i] = (float)w[i] * gout;
                continue;
            }
            for (int i = 0; i < len; i++) s->tmp[i] = x[i] * gin;
            float *hi = pt_oversampler_up(&s->os[k], s->tmp, len);
            int m = len * factor;
            for (int i = 0; i < m; i++) w[i] = hi[i];
            pt_wdf_process(s->wdf[k], w, w, m);
            for (int i = 0; i < m; i++) hi[i] = (float)w[i];
            pt_oversampler_down(&s->os[k], hi, y, len);
            for (int i = 0; i < len; i++) y[i] *= gout;
        }
    }
    pt_wdf_stats st;
    pt_wdf_get_stats(s->wdf[0], &st);
    pt_node_publish(n, R_ITER_MAX, (float)st.max_iter);
    pt_node_publish(n, R_FAILURES, (float)st.not_converged);
    pt_node_publish(n, R_ITER_MEAN, st.solves ? (float)((double)st.iterations / st.solves) : 0.0f);
}

const pt_node_type pt_node_circuit = {
    .name = "circuit",
    .summary = "A circuit file (a pedal or a whole amplifier) run as a wave digital filter",
    .params = params,
    .n_params = P_COUNT,
    .assets = assets,
    .n_assets = 1,
    .readouts = readouts,
    .n_readouts = 3,
    .create = circuit_create,
    .prepare = circuit_prepare,
    .process = circuit_process,
    .reset = circuit_reset,
    .destroy = circuit_destroy,
    .param_label = circuit_param_label,
    .set_param = circuit_set_param,
};
