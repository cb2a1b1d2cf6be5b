/* tuner.c — chromatic tuner: passes the audio (or mutes it) and estimates
 * its pitch on the audio thread, with a bounded amount of work per block.
 *
 *   in -> 6th-order Butterworth low-pass -> keep every D-th sample (about
 *   12 kHz) -> ring buffer
 *
 * Every HOP_MS a snapshot of the last SPAN_MS of the ring is analysed, the
 * work spread over the following blocks in units of one lag (one dot
 * product over the window), at a fixed number of units per input sample:
 *
 * 1. Coarse period: McLeod & Wyvill's normalised square difference
 *    ("A smarter way to find pitch", 2005): n(t) = 2 r(t) / m(t) for lags
 *    up to 1/MIN_HZ; the first key maximum above PEAK_K times the highest
 *    one, refined by a parabola.
 * 2. Fine period: the squared difference d(t) = sum (x[i] - x[i+t])^2 has
 *    its minimum at every multiple of the period. Measuring the lag of the
 *    m-th multiple and dividing by m divides the interpolation error by m,
 *    so the estimate is refined at growing multiples (x8 a stage, each
 *    stage's guess close enough for the next) up to the largest multiple
 *    the span holds with a window of at least two periods.
 *
 * Read-outs: freq_hz (0 when there is no clear pitch), note (MIDI number,
 * -1 when none) and cents from that note, with A4 = reference_hz. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/node.h"
#include "../dsp/biquad.h"

enum { P_MUTE, P_REFERENCE };
enum { R_FREQ, R_NOTE, R_CENTS };

#define TARGET_RATE 12000.0 /* analysis rate, roughly */
#define LOWPASS_RATIO 0.2   /* anti-alias cutoff / analysis rate */
#define SPAN_MS 60.0        /* analysed stretch */
#define HOP_MS 16.0         /* one analysis this often */
#define MIN_HZ 60.0
#define MAX_HZ 1600.0
#define MIN_WINDOW_MS 8.0   /* the fine stage's window is at least this and two periods */
#define PEAK_K 0.9f         /* McLeod's threshold for the first key maximum */
#define MIN_CLARITY 0.6f    /* below it: no clear pitch */
#define MIN_POWER 1e-9f     /* mean square below it (-90 dBFS): no pitch */
#define FINE_LAGS 7         /* lags evaluated around each expected multiple */
#define MAX_STAGES 5

static const pt_param_def params[] = {
    [P_MUTE] = {"mute", "", 0, 1, 0, PT_TAPER_TOGGLE, 5.0f, NULL, "silence the output while tuning",
                .label = "Mute", .precision = 0},
    [P_REFERENCE] = {"reference_hz", "Hz", 400.0f, 480.0f, 440.0f, PT_TAPER_LINEAR, 0, NULL,
                     "frequency of A4", .label = "Reference A", .precision = 0},
};

static const pt_readout_def readouts[] = {
    [R_FREQ] = {"freq_hz", "Hz", "estimated pitch (0 = none)"},
    [R_NOTE] = {"note", "", "nearest equal-tempered note, MIDI number (-1 = none)"},
    [R_CENTS] = {"cents", "cents", "deviation from that note, -50..+50"},
};

enum { ST_IDLE, ST_COARSE, ST_PICK, ST_FINE, ST_DONE };

typedef struct tuner_state {
    pt_biquad aa[3];
    int decim, phase; /* keep one sample in decim */
    double arate;     /* analysis rate */
    float *ring;      /* RING samples */
    int ring_mask, ring_pos;
    int span, hop, since_hop;
    int tau_max, win_coarse, min_window;
    float *x;         /* snapshot, span samples, oldest first */
    double *energy;   /* prefix sums of x^2, span + 1 */
    float *nsdf;      /* tau_max + 1 */
    /* the analysis in progress */
    int stage, tau;
    float period;     /* current estimate, analysis samples */
    int mult, mult_final, centre, win_fine;
    float d[FINE_LAGS];
    float units_per_sample, budget;
} tuner_state;

static int tuner_create(pt_node *n, const pt_node_config *cfg, pt_error *err)
{
    (void)cfg;
    n->state = calloc(1, sizeof(tuner_state));
    if (!n->state) return pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
    return 0;
}

static void free_buffers(tuner_state *s)
{
    free(s->ring), free(s->x), free(s->energy), free(s->nsdf);
    s->ring = s->x = s->nsdf = NULL;
    s->energy = NULL;
}

static void tuner_destroy(pt_node *n)
{
    tuner_state *s = n->state;
    if (!s) return;
    free_buffers(s);
    free(s);
}

/* RT */
static void publish_none(pt_node *n)
{
    pt_node_publish(n, R_FREQ, 0.0f);
    pt_node_publish(n, R_NOTE, -1.0f);
    pt_node_publish(n, R_CENTS, 0.0f);
}

/* RT */
static void tuner_reset(pt_node *n)
{
    tuner_state *s = n->state;
    for (int k = 0; k < 3; k++) pt_biquad_reset(&s->aa[k]);
    memset(s->ring, 0, (size_t)(s->ring_mask + 1) * sizeof(float));
    s->phase = 0;
    s->ring_pos = 0;
    s->since_hop = 0;
    s->stage = ST_IDLE;
    s->budget = 0.0f;
    publish_none(n);
}

static int tuner_prepare(pt_node *n, double rate, int max_frames, pt_error *err)
{
    (void)max_frames;
    tuner_state *s = n->state;
    s->decim = (int)lrint(rate / TARGET_RATE);
    if (s->decim < 1) s->decim = 1;
    s->arate = rate / s->decim;
    static const double butter6_q[3] = {0.51763809, 0.70710678, 1.93185165};
    for (int k = 0; k < 3; k++) {
        pt_biquad_coefs c;
        pt_biquad_design(&c, PT_BQ_LOWPASS, rate, LOWPASS_RATIO * s->arate, butter6_q[k], 0.0);
        pt_biquad_set(&s->aa[k], &c);
    }
    s->span = (int)lrint(SPAN_MS * 0.001 * s->arate);
    s->hop = (int)lrint(HOP_MS * 0.001 * s->arate);
    s->tau_max = (int)ceil(s->arate / MIN_HZ);
    s->win_coarse = s->span - s->tau_max;
    s->min_window = (int)lrint(MIN_WINDOW_MS * 0.001 * s->arate);
    int ring = 1;
    while (ring < 2 * s->span) ring *= 2;
    free_buffers(s);
    s->ring = calloc((size_t)ring, sizeof(float));
    s->x = calloc((size_t)s->span, sizeof(float));
    s->energy = calloc((size_t)s->span + 1, sizeof(double));
    s->nsdf = calloc((size_t)s->tau_max + 1, sizeof(float));
    if (!s->ring || !s->x || !s->energy || !s->nsdf)
        return pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
    s->ring_mask = ring - 1;
    /* every analysis must end within 3/4 of a hop: coarse lags, a pick, and
     * the fine stages */
    int units = s->tau_max + 2 + MAX_STAGES * FINE_LAGS;
    s->units_per_sample = (float)units / (0.75f * (float)(s->hop * s->decim));
    tuner_reset(n);
    return 0;
}

/* RT: dot product and squared difference over w samples, four partial sums
 * so that the compiler can use vector registers. */
static float dot(const float *a, const float *b, int w)
{
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int i = 0;
    for (; i + 4 <= w; i += 4) {
        s0 += a[i] * b[i];
        s1 += a[i + 1] * b[i + 1];
        s2 += a[i + 2] * b[i + 2];
        s3 += a[i + 3] * b[i + 3];
    }
    for (; i < w; i++) s0 += a[i] * b[i];
    return (s0 + s1) + (s2 + s3);
}

/* RT */
static float sqdiff(const float *a, const float *b, int w)
{
    float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int i = 0;
    for (; i + 4 <= w; i += 4) {
        float d0 = a[i] - b[i], d1 = a[i + 1] - b[i + 1];
        float d2 = a[i + 2] - b[i + 2], d3 = a[i + 3] - b[i + 3];
        s0 += d0 * d0, s1 += d1 * d1, s2 += d2 * d2, s3 += d3 * d3;
    }
    for (; i < w; i++) {
        float d0 = a[i] - b[i];
        s0 += d0 * d0;
    }
    return (s0 + s1) + (s2 + s3);
}

/* RT: vertex offset (-0.5..0.5) of the parabola through three points. */
static float parabola(float ym1, float y0, float yp1)
{
    float den = ym1 - 2.0f * y0 + yp1;
    if (den == 0.0f) return 0.0f;
    float off = 0.5f * (ym1 - yp1) / den;
    return off < -0.5f ? -0.5f : off > 0.5f ? 0.5f : off;
}

/* RT: copy the last `span` analysis samples, less their mean, and their
 * energy prefix sums. Removing the mean matters to the NSDF (a plucked
 * string's slowly decaying DC would keep it from crossing zero); the squared
 * difference of the fine stage does not see a constant at all. */
static void snapshot(tuner_state *s)
{
    int start = s->ring_pos - s->span; /* ring_pos: where the next sample goes */
    double mean = 0.0, e = 0.0;
    for (int i = 0; i < s->span; i++) mean += s->ring[(start + i) & s->ring_mask];
    mean /= s->span;
    s->energy[0] = 0.0;
    for (int i = 0; i < s->span; i++) {
        float v = s->ring[(start + i) & s->ring_mask] - (float)mean;
        s->x[i] = v;
        e += (double)v * v;
        s->energy[i + 1] = e;
    }
}

/* RT: the McLeod pick over the finished NSDF. Returns 0 if no clear pitch. */
static int pick(tuner_state *s)
{
    const float *nf = s->nsdf;
    int tmax = s->tau_max, tmin = (int)floor(s->arate / MAX_HZ);
    if (tmin < 2) tmin = 2;
    float best = 0.0f;
    /* highest key maximum: the largest value of each positive lobe after the
     * first negative stretch */
    int t = 1;
    while (t < tmax && nf[t] > 0.0f) t++;
    if (t >= tmax) /* never crossed zero: start after the first dip instead */
        for (t = 2; t < tmax && !(nf[t] < nf[t - 1] && nf[t] <= nf[t + 1]); t++) {}
    int first = t;
    for (; t < tmax; t++)
        if (nf[t] > best && nf[t] >= nf[t - 1] && nf[t] >= nf[t + 1]) best = nf[t];
    if (best < MIN_CLARITY) return 0;
    for (t = first; t < tmax; t++) {
        if (t >= tmin && nf[t] >= PEAK_K * best && nf[t] >= nf[t - 1] && nf[t] >= nf[t + 1]) {
            s->period = (float)t + parabola(nf[t - 1], nf[t], nf[t + 1]);
            return 1;
        }
    }
    return 0;
}

/* RT: set up the next fine stage at multiple `mult` of the period. */
static void fine_stage(tuner_state *s, int mult)
{
    s->mult = mult;
    s->centre = (int)lrintf(s->period * (float)mult);
    s->win_fine = s->span - s->centre - FINE_LAGS / 2 - 1;
    s->tau = 0;
}

/* RT: one unit of analysis work. */
static void work(pt_node *n, tuner_state *s)
{
    switch (s->stage) {
    case ST_COARSE: {
        int t = ++s->tau; /* lags 1..tau_max */
        int w = s->win_coarse;
        float r = dot(s->x, s->x + t, w);
        double m = (s->energy[w] - s->energy[0]) + (s->energy[t + w] - s->energy[t]);
        s->nsdf[t] = m > 0.0 ? (float)(2.0 * r / m) : 0.0f;
        if (t >= s->tau_max) s->stage = ST_PICK;
        break;
    }
    case ST_PICK: {
        double power = s->energy[s->span] / s->span;
        if (power < MIN_POWER || !pick(s)) {
            publish_none(n);
            s->stage = ST_IDLE;
            break;
        }
        float wmin = 2.0f * s->period > (float)s->min_window ? 2.0f * s->period : (float)s->min_window;
        s->mult_final = (int)floorf(((float)s->span - wmin - FINE_LAGS) / s->period);
        if (s->mult_final < 1) s->mult_final = 1;
        fine_stage(s, s->mult_final < 8 ? s->mult_final : 8);
        s->stage = ST_FINE;
        break;
    }
    case ST_FINE: {
        int lag = s->centre - FINE_LAGS / 2 + s->tau;
        s->d[s->tau] = lag > 0 ? sqdiff(s->x, s->x + lag, s->win_fine) : INFINITY;
        if (++s->tau < FINE_LAGS) break;
        int j = 1; /* the smallest of the inner lags, so both neighbours exist */
        for (int k = 2; k < FINE_LAGS - 1; k++)
            if (s->d[k] < s->d[j]) j = k;
        float lag_min = (float)(s->centre - FINE_LAGS / 2 + j) + parabola(s->d[j - 1], s->d[j], s->d[j + 1]);
        s->period = lag_min / (float)s->mult;
        if (s->mult < s->mult_final) {
            int next = s->mult * 8;
            fine_stage(s, next < s->mult_final ? next : s->mult_final);
        } else {
            s->stage = ST_DONE;
        }
        break;
    }
    case ST_DONE: {
        double f = s->arate / s->period;
        double ref = n->param[P_REFERENCE].current;
        double semis = 12.0 * log2(f / ref);
        double note = floor(semis + 0.5);
        pt_node_publish(n, R_FREQ, (float)f);
        pt_node_publish(n, R_NOTE, (float)(69.0 + note));
        pt_node_publish(n, R_CENTS, (float)(100.0 * (semis - note)));
        s->stage = ST_IDLE;
        break;
    }
    default:
        break;
    }
}

/* RT */
static void tuner_process(pt_node *n, const float *const *in, float *const *out, int frames)
{
    tuner_state *s = n->state;
    int ch = n->out_channels;
    int fresh = 0;
    for (int i = 0; i < frames; i++) {
        float x = in[0][i];
        if (ch > 1) x = 0.5f * (x + in[1][i]);
        for (int k = 0; k < 3; k++) x = pt_biquad_tick(&s->aa[k], x);
        if (++s->phase >= s->decim) {
            s->phase = 0;
            s->ring[s->ring_pos] = x;
            s->ring_pos = (s->ring_pos + 1) & s->ring_mask;
            fresh++;
        }
        float g = 1.0f - pt_param_next(&n->param[P_MUTE]);
        for (int k = 0; k < ch; k++) out[k][i] = g * in[k][i];
    }
    s->since_hop += fresh;
    if (s->stage == ST_IDLE) {
        if (s->since_hop < s->hop) return;
        s->since_hop = 0;
        snapshot(s);
        s->tau = 0;
        s->stage = ST_COARSE;
        s->budget = 0.0f;
    }
    s->budget += s->units_per_sample * (float)frames;
    while (s->budget >= 1.0f && s->stage != ST_IDLE) {
        work(n, s);
        s->budget -= 1.0f;
    }
}

const pt_node_type pt_node_tuner = {
    .name = "tuner",
    .summary = "Tuner: pitch, note and cents read-outs (McLeod NSDF + multi-period refinement)",
    .params = params,
    .n_params = 2,
    .readouts = readouts,
    .n_readouts = 3,
    .create = tuner_create,
    .prepare = tuner_prepare,
    .process = tuner_process,
    .reset = tuner_reset,
    .destroy = tuner_destroy,
};
