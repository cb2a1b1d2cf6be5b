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
 * Otherwise it runs between two fixed-ratio polyphase resamplers
 * (src/dsp/resample.h) whose combined delay is a whole number of engine
 * samples and is declared as latency_samples (64 samples, 1.45 ms, for a
 * 48 kHz model in a 44.1 kHz engine; pass band to 0.46 of the lower rate,
 * ~90 dB stop band). Rates that are not a small whole-number ratio are
 * refused rather than played at the wrong speed.
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
#include <stdlib.h>
#include <string.h>

#include "../core/node.h"
#include "../core/rt.h"
#include "../dsp/resample.h"
#include "../neural/nam_file.h"
#include "../neural/nam_model.h"

enum { P_NORMALIZE, P_INPUT_DB, P_OUTPUT_DB, P_INTERFACE_DBU };

#define NAM_TARGET_LOUDNESS_DB (-18.0)
#define NAM_RESAMPLE_HALF_TAPS 32

static const pt_param_def params[] = {
    [P_NORMALIZE] = {"normalize", "", 0, 1, 1, PT_TAPER_TOGGLE, 0, NULL,
                     "use the capture's calibration and loudness so captures play at one level"},
    [P_INPUT_DB] = {"input_db", "dB", -24.0f, 24.0f, 0.0f, PT_TAPER_LINEAR, 20.0f, NULL,
                    "trim into the model (how hard the capture is driven)"},
    [P_OUTPUT_DB] = {"output_db", "dB", -40.0f, 24.0f, 0.0f, PT_TAPER_LINEAR, 20.0f, NULL,
                     "trim after the model"},
    [P_INTERFACE_DBU] = {"interface_dbu", "dBu", 0.0f, 30.0f, 12.2f, PT_TAPER_LINEAR, 0, NULL,
                         "the level 0 dBFS stands for at this rig's input and output (calibration)"},
};

static const pt_asset_def assets[] = {
    {"model", "nam", true, "Neural Amp Modeler capture (.nam)"},
};

typedef struct nam_state {
    pt_nam_file file;
    pt_nam_model *model;
    int resampled;
    pt_resampler up, down;
    float *up_ring_saved, *down_ring_saved; /* resampler state after prewarm */
    pt_resampler up_saved, down_saved;
    float *mono;   /* max_frames */
    float *mbuf;   /* model-rate samples, model max frames */
    int model_max;
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
    pt_resampler_free(&s->up);
    pt_resampler_free(&s->down);
    free(s->up_ring_saved);
    free(s->down_ring_saved);
    free(s->mono);
    free(s->mbuf);
    s->up_ring_saved = s->down_ring_saved = s->mono = s->mbuf = NULL;
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
    if (pt_nam_file_load(&s->file, path, err) != 0) {
        free(s);
        return err ? err->code : PT_ERR;
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

static void save_resampler(pt_resampler *dst, float *ring_copy, const pt_resampler *src)
{
    *dst = *src;
    memcpy(ring_copy, src->ring, (size_t)2 * src->ring_len * sizeof(float));
}

/* RT: put a converter back to its saved state (no allocation: the buffers stay). */
static void restore_resampler(pt_resampler *dst, const pt_resampler *saved, const float *ring_copy)
{
    float *ring = dst->ring;
    float *h = dst->h;
    *dst = *saved;
    dst->ring = ring;
    dst->h = h;
    memcpy(ring, ring_copy, (size_t)2 * dst->ring_len * sizeof(float));
}

static void nam_reset(pt_node *n);
static void run_model(pt_node *n, const float *x, float *y, int frames);

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
    if (s->resampled) {
        if (rate != floor(rate) || model_rate != floor(model_rate))
            return pt_error_set(err, PT_ERR_UNSUPPORTED, path, 0, 0,
                                "the model runs at %g Hz and the engine at %g Hz; only whole-Hz "
                                "rates can be converted", model_rate, rate);
        const int fe = (int)rate, fm = (int)model_rate;
        s->model_max = (int)ceil((double)max_frames * fm / fe) + 2;
        if (pt_resampler_init(&s->up, fe, fm, max_frames, NAM_RESAMPLE_HALF_TAPS,
                              PT_DELAY_WHOLE_INPUT) != 0)
            return pt_error_set(err, PT_ERR_UNSUPPORTED, path, 0, 0,
                                "cannot convert between the engine's %d Hz and the model's %d Hz "
                                "(the ratio is not a small fraction)", fe, fm);
        /* The down converter gives output sample j at the engine's j; how
         * far behind the block end must it run so that the model samples it
         * needs have always arrived, whatever the block sizes? Find the worst
         * case over one whole period of the two clocks. */
        pt_resampler probe;
        if (pt_resampler_init(&probe, fm, fe, 1, NAM_RESAMPLE_HALF_TAPS, PT_DELAY_WHOLE_OUTPUT))
            return pt_error_set(err, PT_ERR_NOMEM, path, 0, 0, "out of memory");
        int64_t pad = 0;
        int64_t period = 4 * (int64_t)(s->up.L > s->up.M ? s->up.L : s->up.M) + 4;
        for (int64_t e = 1; e <= period + max_frames; e++) {
            int64_t k = pt_resample_outputs_for(&s->up, e, 0);
            int64_t ready = pt_resample_outputs_for(&probe, k, 0); /* outputs 0.. ready-1 */
            if (e - ready > pad) pad = e - ready;
        }
        int down_taps = probe.taps;
        pt_resampler_free(&probe);
        int backlog = s->model_max + (int)((pad + max_frames) * (double)fm / fe) + down_taps + 16;
        if (pt_resampler_init(&s->down, fm, fe, backlog, NAM_RESAMPLE_HALF_TAPS,
                              PT_DELAY_WHOLE_OUTPUT) != 0)
            return pt_error_set(err, PT_ERR_NOMEM, path, 0, 0, "out of memory");
        pt_resampler_start_at(&s->down, -pad);
        n->latency_samples = s->up.delay + s->down.delay + (int)pad;
        s->up_ring_saved = malloc((size_t)2 * s->up.ring_len * sizeof(float));
        s->down_ring_saved = malloc((size_t)2 * s->down.ring_len * sizeof(float));
        if (!s->up_ring_saved || !s->down_ring_saved)
            return pt_error_set(err, PT_ERR_NOMEM, path, 0, 0, "out of memory");
    }
    s->mbuf = calloc((size_t)s->model_max, sizeof(float));
    s->model = pt_nam_model_create(&s->file, s->model_max, err);
    if (!s->mbuf || !s->model)
        return err && err->code ? err->code : pt_error_set(err, PT_ERR_NOMEM, path, 0, 0, "out of memory");

    /* settle: the model on silence (as the reference player does), then the
     * converters on silence so their history holds the model's response */
    pt_nam_model_prewarm(s->model);
    if (s->resampled) {
        /* a whole number of periods of the two clocks (up.M engine samples),
         * so the first real sample meets the same phase of the conversion
         * whatever max_frames is: the output does not depend on block size */
        long settle = s->up.taps + s->down.taps * 2 + n->latency_samples + 64;
        settle = (settle + s->up.M - 1) / s->up.M * s->up.M;
        float *zeros = s->mono;
        for (long done = 0; done < settle;) {
            int m = settle - done < max_frames ? (int)(settle - done) : max_frames;
            memset(zeros, 0, (size_t)m * sizeof(float));
            run_model(n, zeros, zeros, m);
            done += m;
        }
        pt_nam_model_save(s->model);
        save_resampler(&s->up_saved, s->up_ring_saved, &s->up);
        save_resampler(&s->down_saved, s->down_ring_saved, &s->down);
    }
    return 0;
}

/* RT: x -> (resample) -> model -> (resample) -> y, `frames` engine samples. */
static void run_model(pt_node *n, const float *x, float *y, int frames)
{
    nam_state *s = n->state;
    if (!s->resampled) {
        pt_nam_model_process(s->model, x, y, frames);
        return;
    }
    int k = pt_resample_process(&s->up, x, frames, s->mbuf, s->model_max);
    pt_nam_model_process(s->model, s->mbuf, s->mbuf, k);
    pt_resample_push(&s->down, s->mbuf, k);
    pt_resample_pull(&s->down, y, frames);
}

/* RT: back to the prewarmed state. */
static void nam_reset(pt_node *n)
{
    nam_state *s = n->state;
    if (!s->model) return;
    pt_nam_model_reset(s->model);
    if (s->resampled) {
        restore_resampler(&s->up, &s->up_saved, s->up_ring_saved);
        restore_resampler(&s->down, &s->down_saved, s->down_ring_saved);
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
    .summary = "Neural Amp Modeler capture (.nam: WaveNet, LSTM, ConvNet, Linear)",
    .params = params,
    .n_params = 4,
    .assets = assets,
    .n_assets = 1,
    .create = nam_create,
    .prepare = nam_prepare,
    .process = nam_process,
    .reset = nam_reset,
    .destroy = nam_destroy,
};
