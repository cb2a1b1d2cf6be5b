/* drive.c — an asymmetric soft-clipping drive stage.
 *
 *   in -> gain -> [oversample] -> f(x) = tanh(x + b) - tanh(b) -> [decimate]
 *      -> DC blocker -> one-pole tone -> level
 *
 * The bias b (from `asymmetry`) clips one half-wave earlier than the other,
 * which adds even harmonics. Aliasing is kept down two ways: polyphase
 * half-band oversampling (2x/4x/8x), and first-order antiderivative
 * anti-aliasing (ADAA) of the shaper, which evaluates the mean of f over each
 * step instead of f at the sample. ADAA delays by half a sample of the
 * oversampled rate (1/8 of a base sample at 4x); the minimum-phase
 * oversampler counts it in the whole-sample latency it tops up to, the
 * linear-phase one (whole samples only) leaves it uncompensated. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/node.h"
#include "../core/rt.h"
#include "../dsp/oversample.h"

enum { P_DRIVE, P_ASYM, P_TONE, P_LEVEL, P_OVERSAMPLE, P_PHASE };

static const char *const os_names[] = {"1x", "2x", "4x", "8x", NULL};
static const char *const phase_names[] = {"minimum", "linear", NULL}; /* = pt_os_phase */

static const pt_param_def params[] = {
    [P_DRIVE] = {"drive_db", "dB", 0.0f, 24.0f, 12.0f, PT_TAPER_LINEAR, 20.0f, NULL,
                 "gain into the clipper", .label = "Drive", .precision = 1},
    [P_ASYM] = {"asymmetry", "", 0.0f, 1.0f, 0.3f, PT_TAPER_LINEAR, 20.0f, NULL,
                "how much earlier one half-wave clips (even harmonics)",
                .label = "Asymmetry", .precision = 2},
    [P_TONE] = {"tone_hz", "Hz", 500.0f, 20000.0f, 8000.0f, PT_TAPER_LOG, 20.0f, NULL,
                "low-pass after the clipper", .label = "Tone", .precision = 0},
    [P_LEVEL] = {"level_db", "dB", -40.0f, 12.0f, -6.0f, PT_TAPER_LINEAR, 20.0f, NULL,
                 "output level", .label = "Level", .precision = 1},
    [P_OVERSAMPLE] = {"oversample", "", 0, 3, 2, PT_TAPER_ENUM, 0, os_names,
                      "oversampling factor", PT_PARAM_REBUILD,
                      .label = "Oversampling", .precision = 0},
    [P_PHASE] = {"oversample_phase", "", 0, 1, 0, PT_TAPER_ENUM, 0, phase_names,
                 "oversampling filters: minimum phase (3-4 samples of latency, for playing) or "
                 "linear phase (65 samples at 4x, for offline re-amping)", PT_PARAM_REBUILD,
                 .label = "Oversampling filters", .precision = 0},
};

typedef struct drive_state {
    pt_oversampler os[PT_MAX_CHANNELS];
    float *gained; /* max_frames */
    double xp[PT_MAX_CHANNELS], Fp[PT_MAX_CHANNELS];
    float dc_x[PT_MAX_CHANNELS], dc_y[PT_MAX_CHANNELS], dc_r;
    float lp[PT_MAX_CHANNELS];
} drive_state;

static int drive_create(pt_node *n, const pt_node_config *cfg, pt_error *err)
{
    (void)cfg;
    n->state = calloc(1, sizeof(drive_state));
    if (!n->state) return pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
    return 0;
}

static void drive_destroy(pt_node *n)
{
    drive_state *s = n->state;
    if (!s) return;
    for (int k = 0; k < PT_MAX_CHANNELS; k++) pt_oversampler_free(&s->os[k]);
    free(s->gained);
    free(s);
}

static void drive_reset(pt_node *n)
{
    drive_state *s = n->state;
    for (int k = 0; k < PT_MAX_CHANNELS; k++) {
        if (s->os[k].max_frames) pt_oversampler_reset(&s->os[k]);
        s->xp[k] = s->Fp[k] = 0.0;
        s->dc_x[k] = s->dc_y[k] = s->lp[k] = 0.0f;
    }
}

static int drive_prepare(pt_node *n, double rate, int max_frames, pt_error *err)
{
    drive_state *s = n->state;
    int factor = 1 << (int)n->param[P_OVERSAMPLE].current;
    pt_os_phase phase = (pt_os_phase)(int)n->param[P_PHASE].current;
    for (int k = 0; k < PT_MAX_CHANNELS; k++) {
        pt_oversampler_free(&s->os[k]);
        if (k < n->in_channels &&
            pt_oversampler_init_phase(&s->os[k], factor, max_frames, phase, 0.5) != 0)
            return pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
    }
    free(s->gained);
    s->gained = calloc((size_t)max_frames, sizeof(float));
    if (!s->gained) return pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
    s->dc_r = (float)exp(-2.0 * M_PI * 10.0 / rate);
    n->latency_samples = s->os[0].latency;
    drive_reset(n);
    return 0;
}

/* log(cosh(u)) without overflow. Double: at high drive F(x) is about |x|
 * (~16) while successive samples differ by ~1e-3, so the ADAA difference
 * quotient needs more digits than a float has. */
static inline double logcosh(double u)
{
    double a = fabs(u);
    return a + log1p(exp(-2.0 * a)) - 0.6931471805599453;
}

/* RT */
static void drive_process(pt_node *n, const float *const *in, float *const *out, int frames)
{
    drive_state *s = n->state;
    float b = 0.5f * pt_param_block(&n->param[P_ASYM], frames);
    float tb = tanhf(b);
    float fc = pt_param_block(&n->param[P_TONE], frames);
    float a_lp = 1.0f - expf(-2.0f * (float)M_PI * fc / (float)n->rate);
    pt_smoothed drive_save = n->param[P_DRIVE], level_save = n->param[P_LEVEL];
    int factor = s->os[0].factor;
    for (int k = 0; k < n->out_channels; k++) {
        /* every channel sees the same gain ramps */
        n->param[P_DRIVE] = drive_save;
        n->param[P_LEVEL] = level_save;
        for (int i = 0; i < frames; i++)
            s->gained[i] = in[k][i] * pt_db_to_gain(pt_param_next(&n->param[P_DRIVE]));
        float *hi = pt_oversampler_up(&s->os[k], s->gained, frames);
        double xp = s->xp[k], Fp = s->Fp[k];
        for (int i = 0; i < frames * factor; i++) {
            double x = (double)hi[i] + b;
            double F = logcosh(x);
            double dx = x - xp;
            double y = fabs(dx) > 1e-6 ? (F - Fp) / dx : tanh(0.5 * (x + xp));
            xp = x;
            Fp = F;
            hi[i] = (float)(y - tb);
        }
        s->xp[k] = xp, s->Fp[k] = Fp;
        pt_oversampler_down(&s->os[k], hi, out[k], frames);
        float dx = s->dc_x[k], dy = s->dc_y[k], lp = s->lp[k];
        for (int i = 0; i < frames; i++) {
            float x = out[k][i];
            dy = x - dx + s->dc_r * dy;
            dx = x;
            lp += a_lp * (dy - lp);
            out[k][i] = lp * pt_db_to_gain(pt_param_next(&n->param[P_LEVEL]));
        }
        s->dc_x[k] = dx, s->dc_y[k] = dy, s->lp[k] = lp;
    }
}

const pt_node_type pt_node_drive = {
    .name = "drive",
    .summary = "Asymmetric soft-clipping drive, 1x-8x oversampled with ADAA",
    .params = params,
    .n_params = 6,
    .create = drive_create,
    .prepare = drive_prepare,
    .process = drive_process,
    .reset = drive_reset,
    .destroy = drive_destroy,
};
