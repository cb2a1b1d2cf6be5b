/* nam.c — a Neural Amp Modeler capture (.nam) running in the graph.
 *
 *   in (mono mix) -> input gain -> [resample to the model's rate] -> model
 *      -> [resample back] -> output gain
 *
 * The model is loaded and built in create() and sized in prepare(), both off
 * the audio thread; a file that does not load fails create() with a message
 * naming the file and the problem, and whatever is playing keeps playing.
 *
 * Rate: when the engine runs at the model's rate the model runs natively.
 * Otherwise it runs between two libsamplerate converters (engine -> model
 * rate -> engine). Their sinc interpolation puts each output sample exactly
 * at its own time (no phase delay); what they add is waiting for input, and a
 * fifo that starts with a fixed amount of silence turns that into a constant
 * delay, declared as latency_samples (42 samples, 0.95 ms, for a 48 kHz
 * model in a 44.1 kHz engine). Ratios libsamplerate cannot do are refused rather
 * than played at the wrong speed.
 *
 * Levels: with `normalize` on, the model's metadata sets the gains so that
 * switching captures keeps the perceived level — the input is calibrated
 * from the capture's input_level_dbu against this rig's `interface_dbu`, and
 * the output is brought to -18 dB loudness (from the capture's `loudness`),
 * or calibrated from output_level_dbu when loudness is unknown. With
 * `normalize` off, and the trims at 0 dB, the output is the model's output,
 * sample for sample.
 */
#include <math.h>
#include <samplerate.h>
#include <stdlib.h>
#include <string.h>

#include "../core/node.h"
#include "../core/rt.h"
#include "../neural/nam_file.h"
#include "../neural/nam_model.h"

enum { P_NORMALIZE, P_INPUT_DB, P_OUTPUT_DB, P_INTERFACE_DBU, P_SIZE };

#define NAM_TARGET_LOUDNESS_DB (-18.0)
/* libsamplerate's converter: its fastest sinc (97 dB SNR, 80 % band width)
 * keeps the added latency near 40 samples at 44.1 kHz <-> 48 kHz. */
#define NAM_CONVERTER SRC_SINC_FASTEST

static const pt_param_def params[] = {
    [P_NORMALIZE] = {"normalize", "", 0, 1, 1, PT_TAPER_TOGGLE, 0, NULL,
                     "use the capture's calibration and loudness so captures play at one level",
                     .label = "Normalize", .precision = 0},
    [P_INPUT_DB] = {"input_db", "dB", -24.0f, 24.0f, 0.0f, PT_TAPER_LINEAR, 20.0f, NULL,
                    "trim into the model (how hard the capture is driven)",
                    .label = "Input", .precision = 1},
    [P_OUTPUT_DB] = {"output_db", "dB", -40.0f, 24.0f, 0.0f, PT_TAPER_LINEAR, 20.0f, NULL,
                     "trim after the model", .label = "Output", .precision = 1},
    [P_INTERFACE_DBU] = {"interface_dbu", "dBu", 0.0f, 30.0f, 12.2f, PT_TAPER_LINEAR, 0, NULL,
                         "the level 0 dBFS stands for at this rig's input and output (calibration)",
                         .label = "Interface level", .precision = 1},
    /* format 0.7: a SlimmableContainer holds sub-models for ranges of a size
     * value, a slimmable WaveNet plays fewer channels at smaller sizes;
     * changing it rebuilds the node and crossfades to it */
    [P_SIZE] = {"size", "", 0.0f, 1.0f, 1.0f, PT_TAPER_LINEAR, 0, NULL,
                "which sub-model of a slimmable capture plays (1 = the largest; others ignore it)",
                PT_PARAM_REBUILD, .label = "Model size", .precision = 2},
};

static const pt_asset_def assets[] = {
    {"model", "nam", true, "Neural Amp Modeler capture (.nam)"},
};

typedef struct nam_state {
    pt_nam_file file;
    pt_nam_model *model;
    int resampled;
    SRC_STATE *up, *down;  /* engine -> model rate, and back */
    double ratio_up;       /* model rate / engine rate */
    float *mono;           /* max_frames */
    float *mbuf;           /* model-rate samples, model_max of them */
    int model_max;
    float *fifo;           /* engine-rate model output waiting to be played */
    int fifo_cap, fifo_rd, fifo_wr;
    int pad;               /* samples of silence the fifo starts with = the latency */
    long settle;           /* engine samples of silence run through after a reset */
    unsigned underruns;    /* blocks the fifo could not fill (never, if pad is right) */
    int max_frames;
    /* the calibration gains in dB, ramped over NAM_CAL_RAMP_MS when
     * normalize or interface_dbu change, so switching makes no click */
    pt_smoothed cal_in, cal_out;
} nam_state;

#define NAM_CAL_RAMP_MS 20.0

/* RT: aim a ramp at `target` (linear in dB over the smoother's ramp). */
static void aim(pt_smoothed *p, float target)
{
    if (p->target == target) return;
    p->target = target;
    if (p->ramp_samples <= 1) {
        p->current = target;
        p->remaining = 0;
        return;
    }
    p->step = (target - p->current) / (float)p->ramp_samples;
    p->remaining = p->ramp_samples;
}

static void free_pipeline(nam_state *s)
{
    pt_nam_model_free(s->model);
    s->model = NULL;
    if (s->up) src_delete(s->up);
    if (s->down) src_delete(s->down);
    s->up = s->down = NULL;
    free(s->mono);
    free(s->mbuf);
    free(s->fifo);
    s->mono = s->mbuf = s->fifo = NULL;
    s->resampled = 0;
}

static int nam_create(pt_node *n, const pt_node_config *cfg, pt_error *err)
{
    nam_state *s = calloc(1, sizeof *s);
    if (!s) return pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
    const char *path = cfg && cfg->asset ? cfg->asset[0] : NULL;
    if (!path) {
        free(s);
        return pt_error_set(err, PT_ERR_INVALID, cfg ? cfg->rig_file : NULL, cfg ? cfg->line : 0,
                            cfg ? cfg->col : 0, "a nam node needs a 'model' (.nam file)");
    }
    pt_error e = {0};
    if (pt_nam_file_load(&s->file, path, &e) != 0) {
        free(s);
        /* in a rig: point at the node, and still name the model file */
        if (cfg->rig_file)
            return pt_error_set(err, e.code, cfg->rig_file, cfg->line, cfg->col, "node '%s': %s: %s",
                                n->id, path, e.msg);
        if (err) *err = e;
        return e.code;
    }
    /* Build once now, so a model that cannot be built fails here, off the
     * audio thread; prepare() rebuilds for the real block size. */
    s->model = pt_nam_model_create(&s->file, 64, err);
    if (!s->model) {
        pt_nam_file_free(&s->file);
        free(s);
        return err ? err->code : PT_ERR;
    }
    n->state = s;
    return 0;
}

static void nam_destroy(pt_node *n)
{
    nam_state *s = n->state;
    if (!s) return;
    free_pipeline(s);
    pt_nam_file_free(&s->file);
    free(s);
}

/* RT: the calibration gains in dB that normalize applies, given the rig's
 * interface level. */
static void calibration(const nam_state *s, float interface_dbu, float *in_db, float *out_db)
{
    const pt_nam_metadata *md = &s->file.meta;
    *in_db = md->has_input_level ? (float)(interface_dbu - md->input_level_dbu) : 0.0f;
    if (md->has_loudness)
        *out_db = (float)(NAM_TARGET_LOUDNESS_DB - md->loudness_db);
    else if (md->has_output_level)
        *out_db = (float)(md->output_level_dbu - interface_dbu);
    else
        *out_db = 0.0f;
}

static void nam_reset(pt_node *n);
static void run_model(pt_node *n, const float *x, float *y, int frames);

/* How much silence the output fifo must start with so it never runs dry.
 * A converter's output count depends only on how much input it has had in
 * total, not on how that input was split, so feeding a pair of converters
 * one sample at a time and noting how far the output lags finds the worst
 * case of every block pattern. Also sets *settle, the silence run through
 * after a reset. Off the audio thread; -1 on out-of-memory. */
static int probe_latency(double ratio_up, long *settle)
{
    int e1 = 0, e2 = 0;
    SRC_STATE *up = src_new(NAM_CONVERTER, 1, &e1), *down = src_new(NAM_CONVERTER, 1, &e2);
    if (!up || !down) {
        if (up) src_delete(up);
        if (down) src_delete(down);
        return -1;
    }
    float zero = 0.0f, mid[64], out[64];
    long produced = 0, pad = 0;
    const long span = 8192 + (long)(4096 * (ratio_up > 1 ? ratio_up : 1.0 / ratio_up));
    for (long e = 1; e <= span; e++) {
        SRC_DATA a = {.data_in = &zero, .input_frames = 1, .data_out = mid, .output_frames = 64,
                      .src_ratio = ratio_up};
        src_process(up, &a);
        SRC_DATA b = {.data_in = mid, .input_frames = a.output_frames_gen, .data_out = out,
                      .output_frames = 64, .src_ratio = 1.0 / ratio_up};
        src_process(down, &b);
        produced += b.output_frames_gen;
        if (e - produced > pad) pad = e - produced;
    }
    src_delete(up);
    src_delete(down);
    /* two samples more than the worst case: the converters count time in
     * floating point, and a rounding slip hours later must not empty the
     * fifo (the delay is still exactly `pad`) */
    pad += 2;
    *settle = 4 * pad + 256;
    return (int)pad;
}

static int nam_prepare(pt_node *n, double rate, int max_frames, pt_error *err)
{
    nam_state *s = n->state;
    const char *path = s->file.path;
    free_pipeline(s);
    n->out_channels = 1; /* the capture is mono; stereo input is mixed down */
    n->latency_samples = 0;
    {
        float in_cal = 0.0f, out_cal = 0.0f;
        if (n->param[P_NORMALIZE].current >= 0.5f)
            calibration(s, n->param[P_INTERFACE_DBU].current, &in_cal, &out_cal);
        int ramp = (int)lrint(NAM_CAL_RAMP_MS * 0.001 * rate);
        s->cal_in = (pt_smoothed){.current = in_cal, .target = in_cal, .ramp_samples = ramp};
        s->cal_out = (pt_smoothed){.current = out_cal, .target = out_cal, .ramp_samples = ramp};
    }
    s->mono = calloc((size_t)max_frames, sizeof(float));
    if (!s->mono) return pt_error_set(err, PT_ERR_NOMEM, path, 0, 0, "out of memory");

    const double model_rate = s->file.sample_rate_hz;
    s->resampled = fabs(rate - model_rate) > 1e-6;
    s->model_max = max_frames;
    s->max_frames = max_frames;
    if (s->resampled) {
        s->ratio_up = model_rate / rate;
        if (!src_is_valid_ratio(s->ratio_up))
            return pt_error_set(err, PT_ERR_UNSUPPORTED, path, 0, 0,
                                "the model runs at %g Hz and cannot be converted from the engine's "
                                "%g Hz (ratio out of range)", model_rate, rate);
        int e1 = 0, e2 = 0;
        s->up = src_new(NAM_CONVERTER, 1, &e1);
        s->down = src_new(NAM_CONVERTER, 1, &e2);
        if (!s->up || !s->down)
            return pt_error_set(err, PT_ERR, path, 0, 0, "sample-rate converter: %s",
                                src_strerror(e1 ? e1 : e2));
        s->pad = probe_latency(s->ratio_up, &s->settle);
        if (s->pad < 0) return pt_error_set(err, PT_ERR_NOMEM, path, 0, 0, "out of memory");
        /* the converters may hold back a few dozen samples and release
         * them later: room for that on top of a block */
        s->model_max = (int)ceil((max_frames + 256) * s->ratio_up) + 16;
        s->fifo_cap = s->pad + 2 * (max_frames + 256) + (int)ceil(s->model_max / s->ratio_up) + 64;
        s->fifo = calloc((size_t)s->fifo_cap, sizeof(float));
        if (!s->fifo) return pt_error_set(err, PT_ERR_NOMEM, path, 0, 0, "out of memory");
        n->latency_samples = s->pad;
    }
    s->mbuf = calloc((size_t)s->model_max, sizeof(float));
    /* the size picks a container's sub-model, or slims a slimmable WaveNet */
    const pt_nam_file *pick = pt_nam_file_pick(&s->file, n->param[P_SIZE].current);
    pt_nam_file slim;
    int slimmed = pt_nam_file_slim(pick, n->param[P_SIZE].current, &slim, err);
    if (slimmed < 0) return err && err->code ? err->code : PT_ERR;
    s->model = pt_nam_model_create(slimmed ? &slim : pick, s->model_max, err);
    if (slimmed) pt_nam_file_free(&slim);
    if (!s->mbuf || !s->model)
        return err && err->code ? err->code : pt_error_set(err, PT_ERR_NOMEM, path, 0, 0, "out of memory");

    /* settle the model on silence as the reference player does (this state
     * is what reset() restores), then the converters (see nam_reset) */
    pt_nam_model_prewarm(s->model);
    nam_reset(n);
    return 0;
}

/* RT: x -> (resample) -> model -> (resample) -> y, `frames` engine samples.
 * Resampled, the converters give out as much as their input allows (a
 * varying count per block), and the engine-rate result waits in a fifo that
 * started with `pad` samples of silence: the output is the model's output
 * exactly `pad` samples late, whatever the block sizes. */
static void run_model(pt_node *n, const float *x, float *y, int frames)
{
    nam_state *s = n->state;
    if (!s->resampled) {
        pt_nam_model_process(s->model, x, y, frames);
        return;
    }
    int left = frames;
    for (;;) {
        SRC_DATA a = {.data_in = x, .input_frames = left, .data_out = s->mbuf,
                      .output_frames = s->model_max, .src_ratio = s->ratio_up};
        src_process(s->up, &a);
        x += a.input_frames_used;
        left -= (int)a.input_frames_used;
        int k = (int)a.output_frames_gen;
        if (k > 0) {
            pt_nam_model_process(s->model, s->mbuf, s->mbuf, k);
            if (s->fifo_rd > 0) { /* keep the waiting samples at the front */
                memmove(s->fifo, s->fifo + s->fifo_rd, (size_t)(s->fifo_wr - s->fifo_rd) * sizeof(float));
                s->fifo_wr -= s->fifo_rd;
                s->fifo_rd = 0;
            }
            SRC_DATA b = {.data_in = s->mbuf, .input_frames = k, .data_out = s->fifo + s->fifo_wr,
                          .output_frames = s->fifo_cap - s->fifo_wr, .src_ratio = 1.0 / s->ratio_up};
            src_process(s->down, &b);
            s->fifo_wr += (int)b.output_frames_gen;
        }
        if (left == 0 || (a.input_frames_used == 0 && k == 0)) break;
    }
    int have = s->fifo_wr - s->fifo_rd;
    int m = have < frames ? have : frames;
    memcpy(y, s->fifo + s->fifo_rd, (size_t)m * sizeof(float));
    s->fifo_rd += m;
    if (m < frames) {
        memset(y + m, 0, (size_t)(frames - m) * sizeof(float));
        s->underruns++;
    }
}

/* RT: back to the state prepare() left: the prewarmed model, converters
 * cleared, the fifo holding `pad` samples of silence, then `settle` samples
 * of silence through it all so the converters hold the model's response to
 * silence. Costs about `settle` samples of model time (a few hundred). */
static void nam_reset(pt_node *n)
{
    nam_state *s = n->state;
    if (!s->model) return;
    pt_nam_model_reset(s->model);
    if (!s->resampled) return;
    src_reset(s->up);
    src_reset(s->down);
    memset(s->fifo, 0, (size_t)s->pad * sizeof(float));
    s->fifo_rd = 0;
    s->fifo_wr = s->pad;
    float *zeros = s->mono;
    for (long done = 0; done < s->settle;) {
        int m = s->settle - done < s->max_frames ? (int)(s->settle - done) : s->max_frames;
        memset(zeros, 0, (size_t)m * sizeof(float));
        run_model(n, zeros, zeros, m);
        done += m;
    }
}

/* RT: mono mix, input gain, model (resampled if needed), output gain. */
static void nam_process(pt_node *n, const float *const *in, float *const *out, int frames)
{
    nam_state *s = n->state;
    float *x = s->mono;
    if (n->in_channels > 1) {
        for (int i = 0; i < frames; i++) x[i] = 0.5f * (in[0][i] + in[1][i]);
    } else {
        memcpy(x, in[0], (size_t)frames * sizeof(float));
    }
    float in_cal = 0.0f, out_cal = 0.0f;
    if (n->param[P_NORMALIZE].current >= 0.5f)
        calibration(s, n->param[P_INTERFACE_DBU].current, &in_cal, &out_cal);
    aim(&s->cal_in, in_cal);
    aim(&s->cal_out, out_cal);

    pt_smoothed *pin = &n->param[P_INPUT_DB], *pout = &n->param[P_OUTPUT_DB];
    if (pt_param_smoothing(pin) || pt_param_smoothing(&s->cal_in)) {
        for (int i = 0; i < frames; i++)
            x[i] *= pt_db_to_gain(pt_param_next(pin) + pt_param_next(&s->cal_in));
    } else if (pin->current + s->cal_in.current != 0.0f) {
        float g = pt_db_to_gain(pin->current + s->cal_in.current);
        for (int i = 0; i < frames; i++) x[i] *= g;
    }

    float *y = out[0];
    run_model(n, x, y, frames);

    if (pt_param_smoothing(pout) || pt_param_smoothing(&s->cal_out)) {
        for (int i = 0; i < frames; i++)
            y[i] *= pt_db_to_gain(pt_param_next(pout) + pt_param_next(&s->cal_out));
    } else if (pout->current + s->cal_out.current != 0.0f) {
        float g = pt_db_to_gain(pout->current + s->cal_out.current);
        for (int i = 0; i < frames; i++) y[i] *= g;
    }
}

const pt_node_type pt_node_nam = {
    .name = "nam",
    .summary = "Neural Amp Modeler capture (.nam 0.5-0.7: WaveNet incl. A2, LSTM, ConvNet, Linear, "
               "SlimmableContainer)",
    .params = params,
    .n_params = 5,
    .assets = assets,
    .n_assets = 1,
    .create = nam_create,
    .prepare = nam_prepare,
    .process = nam_process,
    .reset = nam_reset,
    .destroy = nam_destroy,
};
