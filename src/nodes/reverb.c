/* reverb.c — algorithmic reverb: a feedback delay network (Jot & Chaigne
 * 1991; Stautner & Puckette 1982).
 *
 *   in (mono sum) -> pre-delay -> 4 series Schroeder all-passes (diffusion)
 *      -> 8 delay lines, each: damping low-pass, decay gain g_i
 *      -> 8x8 Hadamard matrix (orthogonal, so the loop loses only what g_i
 *         and the low-pass take) -> back into the lines, plus the input
 *   left and right outputs: two different sign patterns over the lines.
 *
 * Decay: g_i = 10^(-3 L_i / (rate * decay_s)) makes every path lose 60 dB in
 * decay_s seconds (below damping_hz; above it the low-pass shortens the
 * decay). Line lengths are mutually prime-ish between 29 and 67 ms so that
 * the modes spread evenly. Always two channels out. */
#include <math.h>
#include <stdlib.h>

#include "../core/node.h"
#include "../dsp/delayline.h"
#include "../dsp/modulation.h"

enum { P_DECAY, P_PREDELAY, P_DAMPING, P_MIX };

#define LINES 8
#define DIFFUSERS 4
#define MAX_PREDELAY_MS 250.0f
#define DIFFUSION 0.625f

static const double line_ms[LINES] = {29.71, 33.17, 37.93, 41.29, 46.61, 51.83, 58.19, 66.97};
static const double diffuser_ms[DIFFUSERS] = {4.771, 3.595, 12.73, 9.307};
/* output sign patterns (rows of a Hadamard matrix, so L and R are uncorrelated) */
static const float out_l[LINES] = {1, -1, 1, -1, 1, -1, 1, -1};
static const float out_r[LINES] = {1, 1, -1, -1, 1, 1, -1, -1};

static const pt_param_def params[] = {
    [P_DECAY] = {"decay_s", "s", 0.1f, 30.0f, 2.0f, PT_TAPER_LOG, 50.0f, NULL,
                 "time for the tail to fall 60 dB (RT60)", .label = "Decay", .precision = 1},
    [P_PREDELAY] = {"predelay_ms", "ms", 0.0f, MAX_PREDELAY_MS, 10.0f, PT_TAPER_LINEAR, 50.0f, NULL,
                    "gap before the reverb starts", .label = "Pre-delay", .precision = 1},
    [P_DAMPING] = {"damping_hz", "Hz", 500.0f, 20000.0f, 6000.0f, PT_TAPER_LOG, 50.0f, NULL,
                   "above this the tail decays faster", .label = "Damping", .precision = 0},
    [P_MIX] = {"mix", "", 0.0f, 1.0f, 0.3f, PT_TAPER_LINEAR, 20.0f, NULL,
               "0 = dry, 0.5 = dry and reverb at full level, 1 = reverb only",
               .label = "Mix", .precision = 2},
};

typedef struct reverb_state {
    pt_delayline pre;
    pt_delayline diff[DIFFUSERS];
    int diff_len[DIFFUSERS];
    pt_delayline line[LINES];
    int len[LINES];
    float lp[LINES];
    float g[LINES];
    float decay_s; /* the value g[] was computed for */
} reverb_state;

static int reverb_create(pt_node *n, const pt_node_config *cfg, pt_error *err)
{
    (void)cfg;
    n->state = calloc(1, sizeof(reverb_state));
    if (!n->state) return pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
    return 0;
}

static void reverb_destroy(pt_node *n)
{
    reverb_state *s = n->state;
    if (!s) return;
    pt_delayline_free(&s->pre);
    for (int j = 0; j < DIFFUSERS; j++) pt_delayline_free(&s->diff[j]);
    for (int j = 0; j < LINES; j++) pt_delayline_free(&s->line[j]);
    free(s);
}

/* RT */
static void reverb_reset(pt_node *n)
{
    reverb_state *s = n->state;
    pt_delayline_reset(&s->pre);
    for (int j = 0; j < DIFFUSERS; j++) pt_delayline_reset(&s->diff[j]);
    for (int j = 0; j < LINES; j++) {
        pt_delayline_reset(&s->line[j]);
        s->lp[j] = 0.0f;
    }
}

/* RT: per-line gains for a decay time. */
static void set_decay(pt_node *n, float decay_s)
{
    reverb_state *s = n->state;
    for (int j = 0; j < LINES; j++)
        s->g[j] = powf(10.0f, -3.0f * (float)s->len[j] / ((float)n->rate * decay_s));
    s->decay_s = decay_s;
}

static int reverb_prepare(pt_node *n, double rate, int max_frames, pt_error *err)
{
    (void)max_frames;
    reverb_state *s = n->state;
    int fail = pt_delayline_init(&s->pre, (int)ceil(MAX_PREDELAY_MS * 0.001 * rate) + 4);
    for (int j = 0; j < DIFFUSERS; j++) {
        s->diff_len[j] = (int)lrint(diffuser_ms[j] * 0.001 * rate);
        if (s->diff_len[j] < 1) s->diff_len[j] = 1;
        fail |= pt_delayline_init(&s->diff[j], s->diff_len[j]);
    }
    for (int j = 0; j < LINES; j++) {
        s->len[j] = (int)lrint(line_ms[j] * 0.001 * rate);
        if (s->len[j] < 1) s->len[j] = 1;
        fail |= pt_delayline_init(&s->line[j], s->len[j]);
    }
    if (fail) return pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
    n->out_channels = 2;
    set_decay(n, n->param[P_DECAY].current);
    reverb_reset(n);
    return 0;
}

/* RT: in-place 8-point fast Walsh-Hadamard transform, scaled to be
 * orthonormal. */
static inline void hadamard8(float *v)
{
    for (int h = 1; h < LINES; h *= 2)
        for (int i = 0; i < LINES; i += 2 * h)
            for (int j = i; j < i + h; j++) {
                float a = v[j], b = v[j + h];
                v[j] = a + b;
                v[j + h] = a - b;
            }
    for (int j = 0; j < LINES; j++) v[j] *= 0.35355339f; /* 1/sqrt(8) */
}

/* RT */
static void reverb_process(pt_node *n, const float *const *in, float *const *out, int frames)
{
    reverb_state *s = n->state;
    int stereo_in = n->in_channels > 1;
    float decay = pt_param_block(&n->param[P_DECAY], frames);
    if (decay != s->decay_s) set_decay(n, decay);
    float a_damp = pt_onepole_lp_coef(pt_param_block(&n->param[P_DAMPING], frames), n->rate);
    float ms = (float)(0.001 * n->rate);
    for (int i = 0; i < frames; i++) {
        float pre_d = pt_param_next(&n->param[P_PREDELAY]) * ms;
        float dry, wet;
        pt_mix_echo(pt_param_next(&n->param[P_MIX]), &dry, &wet);
        float xl = in[0][i], xr = in[stereo_in][i];
        float x = 0.5f * (xl + xr);
        /* pre-delay (0 ms passes straight through) */
        float p = pre_d >= 1.0f ? pt_delayline_read(&s->pre, pre_d) : x;
        pt_delayline_push(&s->pre, x);
        /* diffusion */
        for (int j = 0; j < DIFFUSERS; j++) {
            float vd = pt_delayline_tap(&s->diff[j], s->diff_len[j]);
            float v = p + DIFFUSION * vd;
            pt_delayline_push(&s->diff[j], v);
            p = vd - DIFFUSION * v;
        }
        /* the network */
        float y[LINES], v[LINES];
        float wl = 0.0f, wr = 0.0f;
        for (int j = 0; j < LINES; j++) {
            y[j] = pt_delayline_tap(&s->line[j], s->len[j]);
            s->lp[j] += a_damp * (y[j] - s->lp[j]);
            v[j] = s->g[j] * s->lp[j];
            wl += out_l[j] * y[j];
            wr += out_r[j] * y[j];
        }
        hadamard8(v);
        for (int j = 0; j < LINES; j++) pt_delayline_push(&s->line[j], v[j] + (j & 1 ? -p : p) * 0.5f);
        out[0][i] = dry * xl + wet * 0.35f * wl;
        out[1][i] = dry * xr + wet * 0.35f * wr;
    }
}

const pt_node_type pt_node_reverb = {
    .name = "reverb",
    .summary = "Algorithmic reverb: 8-line feedback delay network, stereo out",
    .params = params,
    .n_params = 4,
    .create = reverb_create,
    .prepare = reverb_prepare,
    .process = reverb_process,
    .reset = reverb_reset,
    .destroy = reverb_destroy,
};
