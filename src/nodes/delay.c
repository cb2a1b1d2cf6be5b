/* delay.c — echo: a delay line with feedback through a high-cut filter,
 * optional ping-pong (stereo out), modulation of the delay time, and a time
 * either in ms or a note division of the shared tempo (`sync`).
 *
 *   time: the echo comes `time` after the sound, exactly to the sample when
 *         the time is a whole number of samples (a fractional remainder is
 *         interpolated). Changes glide: the read position follows the target
 *         through a one-pole (GLIDE_MS), which bends the pitch of the echoes
 *         like a tape delay instead of clicking.
 *   feedback: the loop returns through a one-pole low-pass at high_cut_hz,
 *         so repeats darken; the first echo is unfiltered.
 *   ping_pong: the input goes to the left line, whose echoes feed the right
 *         line and back, so repeats alternate L, R, L... Two channels out.
 *         Changing it changes the channel count, so it rebuilds the node.
 *   mix:  dry and wet both at full level at 0.5 (see pt_mix_echo).
 */
#include <math.h>
#include <stdlib.h>

#include "../core/node.h"
#include "../dsp/delayline.h"
#include "../dsp/modulation.h"

enum { P_TIME, P_SYNC, P_DIVISION, P_FEEDBACK, P_HIGH_CUT, P_PING_PONG, P_MOD_DEPTH, P_MOD_RATE, P_MIX };

#define MAX_TIME_MS 4000.0 /* also the cap on synced times at slow tempos */
#define MAX_MOD_MS 10.0f
#define GLIDE_MS 60.0
#define SNAP_SAMPLES 1e-4 /* closer than this, the glide lands on the target */

static const pt_param_def params[] = {
    [P_TIME] = {"time_ms", "ms", 1.0f, (float)MAX_TIME_MS, 400.0f, PT_TAPER_LOG, 50.0f, NULL,
                "delay time when not synced", .label = "Time", .precision = 0},
    [P_SYNC] = {"sync", "", 0, 1, 0, PT_TAPER_TOGGLE, 0, NULL,
                "delay time = a note division of the tempo",
                .label = "Sync to tempo", .precision = 0},
    [P_DIVISION] = {"division", "", 0, PT_DIVISIONS - 1, PT_DIVISION_QUARTER, PT_TAPER_ENUM, 0,
                    pt_division_names, "note division when synced",
                    .label = "Note value", .precision = 0},
    [P_FEEDBACK] = {"feedback", "", 0.0f, 0.98f, 0.35f, PT_TAPER_LINEAR, 20.0f, NULL,
                    "share of each echo that returns", .label = "Feedback", .precision = 2},
    [P_HIGH_CUT] = {"high_cut_hz", "Hz", 500.0f, 20000.0f, 6000.0f, PT_TAPER_LOG, 20.0f, NULL,
                    "low-pass in the feedback loop", .label = "High cut", .precision = 0},
    [P_PING_PONG] = {"ping_pong", "", 0, 1, 0, PT_TAPER_TOGGLE, 0, NULL,
                     "repeats alternate left and right (stereo out)", PT_PARAM_REBUILD,
                     .label = "Ping-pong", .precision = 0},
    [P_MOD_DEPTH] = {"mod_depth_ms", "ms", 0.0f, MAX_MOD_MS, 0.0f, PT_TAPER_LINEAR, 20.0f, NULL,
                     "how far an LFO swings the delay time",
                     .label = "Modulation depth", .precision = 1},
    [P_MOD_RATE] = {"mod_rate_hz", "Hz", 0.05f, 10.0f, 0.5f, PT_TAPER_LOG, 20.0f, NULL,
                    "rate of that LFO", .label = "Modulation rate", .precision = 2},
    [P_MIX] = {"mix", "", 0.0f, 1.0f, 0.5f, PT_TAPER_LINEAR, 20.0f, NULL,
               "0 = dry, 0.5 = dry and echoes at full level, 1 = echoes only",
               .label = "Mix", .precision = 2},
};

typedef struct delay_state {
    pt_delayline line[PT_MAX_CHANNELS];
    float lp[PT_MAX_CHANNELS]; /* high-cut states */
    double delay;              /* current read delay in samples (gliding) */
    double glide;
    int ping_pong;
    pt_lfo lfo;
} delay_state;

static int delay_create(pt_node *n, const pt_node_config *cfg, pt_error *err)
{
    (void)cfg;
    n->state = calloc(1, sizeof(delay_state));
    if (!n->state) return pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
    return 0;
}

static void delay_destroy(pt_node *n)
{
    delay_state *s = n->state;
    if (!s) return;
    for (int k = 0; k < PT_MAX_CHANNELS; k++) pt_delayline_free(&s->line[k]);
    free(s);
}

/* RT: the delay the parameters ask for, in samples. */
static double target_samples(pt_node *n, float time_ms)
{
    double sec = n->param[P_SYNC].current > 0.5f
                     ? pt_division_seconds((int)n->param[P_DIVISION].current)
                     : time_ms * 0.001;
    if (sec > MAX_TIME_MS * 0.001) sec = MAX_TIME_MS * 0.001;
    double d = sec * n->rate;
    return d < 1.0 ? 1.0 : d;
}

/* RT */
static void delay_reset(pt_node *n)
{
    delay_state *s = n->state;
    for (int k = 0; k < PT_MAX_CHANNELS; k++) {
        pt_delayline_reset(&s->line[k]);
        s->lp[k] = 0.0f;
    }
    s->lfo.phase = 0.0;
    s->delay = target_samples(n, n->param[P_TIME].current);
}

static int delay_prepare(pt_node *n, double rate, int max_frames, pt_error *err)
{
    (void)max_frames;
    delay_state *s = n->state;
    s->ping_pong = n->param[P_PING_PONG].current > 0.5f;
    int lines = s->ping_pong ? 2 : n->in_channels;
    int max_delay = (int)ceil((MAX_TIME_MS + MAX_MOD_MS) * 0.001 * rate) + 4;
    for (int k = 0; k < PT_MAX_CHANNELS; k++) pt_delayline_free(&s->line[k]);
    for (int k = 0; k < lines; k++)
        if (pt_delayline_init(&s->line[k], max_delay) != 0)
            return pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
    n->out_channels = s->ping_pong ? 2 : n->in_channels;
    s->glide = pt_onepole_coef(GLIDE_MS, rate);
    delay_reset(n);
    return 0;
}

/* RT */
static void delay_process(pt_node *n, const float *const *in, float *const *out, int frames)
{
    delay_state *s = n->state;
    int stereo_in = n->in_channels > 1;
    float mod_scale = (float)(0.001 * n->rate);
    /* the high-cut follows its smoothed value once a block; the time every
     * sample while it ramps, and the tempo once a block */
    float a_lp = pt_onepole_lp_coef(pt_param_block(&n->param[P_HIGH_CUT], frames), n->rate);
    double target = target_samples(n, n->param[P_TIME].current);
    for (int i = 0; i < frames; i++) {
        if (pt_param_smoothing(&n->param[P_TIME]))
            target = target_samples(n, pt_param_next(&n->param[P_TIME]));
        float fb = pt_param_next(&n->param[P_FEEDBACK]);
        float depth = pt_param_next(&n->param[P_MOD_DEPTH]) * mod_scale;
        double mod_hz = pt_param_next(&n->param[P_MOD_RATE]);
        float dry, wet;
        pt_mix_echo(pt_param_next(&n->param[P_MIX]), &dry, &wet);

        double dist = target - s->delay;
        s->delay = fabs(dist) < SNAP_SAMPLES ? target : s->delay + s->glide * dist;
        float d = (float)s->delay;
        if (depth > 0.0f) {
            /* the swing never pushes the read below one sample */
            float sw = depth < d - 1.0f ? depth : d - 1.0f;
            d += sw * pt_lfo_wave(PT_LFO_SINE, pt_lfo_step(&s->lfo, mod_hz, n->rate));
        }
        if (s->ping_pong) {
            float el = pt_delayline_read(&s->line[0], d);
            float er = pt_delayline_read(&s->line[1], d);
            float x = stereo_in ? 0.5f * (in[0][i] + in[1][i]) : in[0][i];
            s->lp[0] += a_lp * (el - s->lp[0]);
            s->lp[1] += a_lp * (er - s->lp[1]);
            pt_delayline_push(&s->line[0], x + fb * s->lp[1]);
            pt_delayline_push(&s->line[1], fb * s->lp[0]);
            out[0][i] = dry * in[0][i] + wet * el;
            out[1][i] = dry * in[stereo_in][i] + wet * er;
        } else {
            for (int k = 0; k < n->out_channels; k++) {
                float e = pt_delayline_read(&s->line[k], d);
                s->lp[k] += a_lp * (e - s->lp[k]);
                pt_delayline_push(&s->line[k], in[k][i] + fb * s->lp[k]);
                out[k][i] = dry * in[k][i] + wet * e;
            }
        }
    }
}

const pt_node_type pt_node_delay = {
    .name = "delay",
    .summary = "Delay: tempo sync, feedback with high-cut, ping-pong, modulation",
    .params = params,
    .n_params = 9,
    .create = delay_create,
    .prepare = delay_prepare,
    .process = delay_process,
    .reset = delay_reset,
    .destroy = delay_destroy,
};
