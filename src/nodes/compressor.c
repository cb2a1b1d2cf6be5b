/* compressor.c — feed-forward compressor after Giannoulis, Massberg & Reiss,
 * "Digital Dynamic Range Compressor Design — A Tutorial and Analysis"
 * (JAES 60(6), 2012):
 *
 *   level detector -> x_dB -> gain computer -> x_dB - y_dB -> smooth
 *   (attack/release, "smooth decoupled" peak detector) -> gain reduction
 *
 * Gain computer with threshold T, ratio R and knee width W (all in dB):
 *   y = x                                  for 2(x - T) < -W
 *   y = x + (1/R - 1)(x - T + W/2)^2 / 2W  for |2(x - T)| <= W
 *   y = T + (x - T)/R                      for 2(x - T) > W
 *
 * Detection: `peak` feeds the gain computer the instantaneous |x| in dB (the
 * attack/release smoothing then holds the peaks); `rms` feeds it the mean
 * square over an RMS_MS window. A stereo input is linked: the louder channel
 * sets the gain of both. The read-out gain_reduction_db (>= 0) is the
 * smoothed reduction at the end of each block. */
#include <math.h>
#include <stdlib.h>

#include "../core/node.h"
#include "../core/rt.h"
#include "../dsp/modulation.h"

enum { P_DETECT, P_THRESHOLD, P_RATIO, P_KNEE, P_ATTACK, P_RELEASE, P_MAKEUP, P_MIX };
enum { DETECT_PEAK, DETECT_RMS };
enum { R_GAIN_REDUCTION };

#define RMS_MS 10.0 /* time constant of the mean-square detector */

static const char *const detect_names[] = {"peak", "rms", NULL};

static const pt_param_def params[] = {
    [P_DETECT] = {"detection", "", 0, 1, DETECT_PEAK, PT_TAPER_ENUM, 0, detect_names,
                  "level detector: instantaneous peak, or RMS over 10 ms",
                  .label = "Detection", .precision = 0},
    [P_THRESHOLD] = {"threshold_db", "dB", -60.0f, 0.0f, -20.0f, PT_TAPER_LINEAR, 20.0f, NULL,
                     "level above which the gain is reduced", .label = "Threshold", .precision = 1},
    [P_RATIO] = {"ratio", "x", 1.0f, 50.0f, 4.0f, PT_TAPER_LOG, 20.0f, NULL,
                 "input dB above threshold per output dB", .label = "Ratio", .precision = 1},
    [P_KNEE] = {"knee_db", "dB", 0.0f, 24.0f, 6.0f, PT_TAPER_LINEAR, 20.0f, NULL,
                "width of the soft knee around the threshold (0 = hard)",
                .label = "Knee", .precision = 1},
    [P_ATTACK] = {"attack_ms", "ms", 0.05f, 200.0f, 5.0f, PT_TAPER_LOG, 20.0f, NULL,
                  "time constant of the gain reduction rising", .label = "Attack", .precision = 2},
    [P_RELEASE] = {"release_ms", "ms", 5.0f, 3000.0f, 150.0f, PT_TAPER_LOG, 20.0f, NULL,
                   "time constant of the gain reduction falling",
                   .label = "Release", .precision = 0},
    [P_MAKEUP] = {"makeup_db", "dB", -12.0f, 36.0f, 0.0f, PT_TAPER_LINEAR, 20.0f, NULL,
                  "gain after compression", .label = "Make-up gain", .precision = 1},
    [P_MIX] = {"mix", "", 0.0f, 1.0f, 1.0f, PT_TAPER_LINEAR, 20.0f, NULL,
               "parallel compression: 0 = dry, 1 = compressed", .label = "Mix", .precision = 2},
};

static const pt_readout_def readouts[] = {
    [R_GAIN_REDUCTION] = {"gain_reduction_db", "dB", "current gain reduction (0 = none)"},
};

typedef struct compressor_state {
    float ms;        /* mean square (rms detector) */
    float ms_coef;
    float gr1, gr;   /* smoothed gain reduction in dB: release stage, attack stage */
} compressor_state;

/* RT: the static curve: output level in dB for input level x in dB. */
static inline float gain_computer(float x, float t, float r, float w)
{
    float over = x - t;
    if (2.0f * over <= -w) return x; /* also x = t with a hard knee */
    if (2.0f * over > w) return t + over / r;
    float u = over + 0.5f * w;
    return x + (1.0f / r - 1.0f) * u * u / (2.0f * w);
}

static int compressor_create(pt_node *n, const pt_node_config *cfg, pt_error *err)
{
    (void)cfg;
    n->state = calloc(1, sizeof(compressor_state));
    if (!n->state) return pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
    return 0;
}

/* RT */
static void compressor_reset(pt_node *n)
{
    compressor_state *s = n->state;
    s->ms = 0.0f;
    s->gr1 = s->gr = 0.0f;
    pt_node_publish(n, R_GAIN_REDUCTION, 0.0f);
}

static int compressor_prepare(pt_node *n, double rate, int max_frames, pt_error *err)
{
    (void)max_frames, (void)err;
    compressor_state *s = n->state;
    s->ms_coef = pt_onepole_coef(RMS_MS, rate);
    compressor_reset(n);
    return 0;
}

/* RT */
static void compressor_process(pt_node *n, const float *const *in, float *const *out, int frames)
{
    compressor_state *s = n->state;
    int rms = (int)n->param[P_DETECT].current == DETECT_RMS;
    int ch = n->out_channels;
    /* time constants follow their smoothed values once a block */
    float a_att = pt_onepole_coef(pt_param_block(&n->param[P_ATTACK], frames), n->rate);
    float a_rel = pt_onepole_coef(pt_param_block(&n->param[P_RELEASE], frames), n->rate);
    float gr1 = s->gr1, gr = s->gr, msq = s->ms;
    for (int i = 0; i < frames; i++) {
        float t = pt_param_next(&n->param[P_THRESHOLD]);
        float r = pt_param_next(&n->param[P_RATIO]);
        float w = pt_param_next(&n->param[P_KNEE]);
        float makeup = pt_param_next(&n->param[P_MAKEUP]);
        float mix = pt_param_next(&n->param[P_MIX]);
        float a = fabsf(in[0][i]);
        if (ch > 1 && fabsf(in[1][i]) > a) a = fabsf(in[1][i]);
        float x_db;
        if (rms) {
            msq += s->ms_coef * (a * a - msq);
            x_db = 10.0f * log10f(msq + 1e-30f);
        } else {
            x_db = 20.0f * log10f(a + 1e-30f);
        }
        float target = x_db - gain_computer(x_db, t, r, w); /* >= 0 */
        /* smooth decoupled peak detector: instant rise, release; then attack */
        gr1 = target > gr1 ? target : gr1 + a_rel * (target - gr1);
        gr += a_att * (gr1 - gr);
        float g = pt_db_to_gain(makeup - gr);
        float dry = 1.0f - mix;
        for (int k = 0; k < ch; k++) out[k][i] = (dry + mix * g) * in[k][i];
    }
    s->gr1 = gr1, s->gr = gr, s->ms = msq;
    pt_node_publish(n, R_GAIN_REDUCTION, gr);
}

static void compressor_destroy(pt_node *n) { free(n->state); }

const pt_node_type pt_node_compressor = {
    .name = "compressor",
    .summary = "Feed-forward compressor: peak/RMS, soft knee, attack/release, make-up",
    .params = params,
    .n_params = 8,
    .readouts = readouts,
    .n_readouts = 1,
    .create = compressor_create,
    .prepare = compressor_prepare,
    .process = compressor_process,
    .reset = compressor_reset,
    .destroy = compressor_destroy,
};
