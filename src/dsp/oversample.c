/* oversample.c — see oversample.h: the oversampler (stage plan, latency,
 * up and down) and its minimum-phase stages, polyphase IIR half-bands.
 *
 * Half-band design: an odd-order (2n+1) elliptic low-pass whose pass and
 * stop edges sit symmetrically about a quarter of the rate has all its poles
 * on the imaginary axis, at +-j sqrt(a_i); splitting them alternately
 * between two all-pass branches gives H(z) = (A0(z^2) + z^-1 A1(z^2)) / 2
 * (Valenzuela & Constantinides, "Digital signal processing schemes for
 * efficient interpolation and decimation", IEE Proc. 1983). The a_i follow
 * in closed form from the selectivity k = tan^2(pi/4 (1 - 2 tb)) through
 * the elliptic nome q (series in the theta functions). */
#include "oversample.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Nome q of the complementary modulus k' = sqrt(1 - k^2), by its series. */
static double elliptic_nome(double k)
{
    double r = pow(1.0 - k * k, 0.25);
    double e = 0.5 * (1.0 - r) / (1.0 + r), e4 = pow(e, 4);
    return e * (1.0 + e4 * (2.0 + e4 * (15.0 + 150.0 * e4)));
}

int pt_halfband_design(pt_halfband *h, int n, double tb)
{
    memset(h, 0, sizeof *h);
    if (n < 1 || n > PT_HB_MAX_COEFS || !(tb > 0.0 && tb < 0.5)) return -1;
    double k = pow(tan(M_PI / 4.0 * (1.0 - 2.0 * tb)), 2.0), q = elliptic_nome(k);
    int order = 2 * n + 1;
    for (int i = 1; i <= n; i++) {
        double num = 0.0, den = 0.5;
        for (int m = 0; m < 12; m++) {
            double sign = (m & 1) ? -1.0 : 1.0;
            num += sign * pow(q, m * (m + 1.0)) * sin((2 * m + 1) * i * M_PI / order);
            if (m) den += sign * pow(q, (double)m * m) * cos(2.0 * m * i * M_PI / order);
        }
        double w = pow(q, 0.25) * num / den, w2 = w * w;
        double x = sqrt((1.0 - w2 * k) * (1.0 - w2 / k)) / (1.0 + w2);
        h->a[i - 1] = (float)((1.0 - x) / (1.0 + x));
    }
    /* ascending (the formula gives them so; keep it explicit) */
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && h->a[j - 1] > h->a[j]; j--) {
            float t = h->a[j];
            h->a[j] = h->a[j - 1];
            h->a[j - 1] = t;
        }
    h->n = n;
    /* each section delays DC by 2 (1 - a) / (1 + a) high-rate samples;
     * branch 1 one more (z^-1); H's delay at DC is the branches' mean */
    double tau0 = 0.0, tau1 = 1.0;
    for (int i = 0; i < n; i++) {
        double d = 2.0 * (1.0 - h->a[i]) / (1.0 + h->a[i]);
        if (i % 2 == 0) tau0 += d;
        else tau1 += d;
    }
    h->delay = 0.5 * (tau0 + tau1);
    return 0;
}

void pt_halfband_reset(pt_halfband *h)
{
    memset(h->s0, 0, sizeof h->s0);
    memset(h->s1, 0, sizeof h->s1);
    h->odd = 0.0f;
}

/* RT: m first-order all-passes in a chain, coefficients a[0], a[2], ...
 * s[i] is section i's previous input (= section i-1's previous output). */
static inline float allpass_chain(const float *a, int m, float *s, float x)
{
    for (int i = 0; i < m; i++) {
        float y = a[2 * i] * (x - s[i + 1]) + s[i];
        s[i] = x;
        x = y;
    }
    s[m] = x;
    return x;
}

/* RT: y[2i] = A0(x)[i], y[2i+1] = A1(x)[i] (the 1/2 and the zero-stuffing
 * gain of 2 cancel). */
void pt_halfband_up(pt_halfband *h, const float *in, float *out, int n)
{
    int m0 = (h->n + 1) / 2, m1 = h->n / 2;
    for (int i = 0; i < n; i++) {
        out[2 * i] = allpass_chain(h->a, m0, h->s0, in[i]);
        out[2 * i + 1] = m1 ? allpass_chain(h->a + 1, m1, h->s1, in[i]) : in[i];
    }
}

/* RT: y[i] = (A0(v[2i]) + A1(v[2i-1])) / 2. */
void pt_halfband_down(pt_halfband *h, const float *in, float *out, int n)
{
    int m0 = (h->n + 1) / 2, m1 = h->n / 2;
    for (int i = 0; i < n; i++) {
        float b0 = allpass_chain(h->a, m0, h->s0, in[2 * i]);
        float b1 = m1 ? allpass_chain(h->a + 1, m1, h->s1, h->odd) : h->odd;
        h->odd = in[2 * i + 1];
        out[i] = 0.5f * (b0 + b1);
    }
}

/* The minimum-phase plan, per stage k (0 = next to the base rate, at twice
 * it): coefficients and transition band, up and down. Stage 0 up passes
 * 20 kHz and stops its image from 28 kHz (65 dB); stage 0 down passes
 * 23 kHz and stops from 25 kHz (72 dB, the fold-back that matters most);
 * inner stages need only keep 24 kHz and stop from (their rate's Nyquist -
 * 24 kHz): wide transitions, 62 dB and 94 dB with two coefficients. */
static const struct { int n_up, n_down; double tb_up, tb_down; } min_plan[PT_OS_MAX_STAGES] = {
    {4, 7, 8.0 / 96.0, 2.0 / 96.0},
    {2, 2, 0.25, 0.25},
    {2, 2, 0.375, 0.375},
};

static int init_linear(pt_oversampler *os)
{
    const double band = 20000.0 / 48000.0; /* kept band, fraction of the base rate */
    int lat_top = 0;                        /* in samples of the highest rate */
    for (int k = 0; k < os->stages; k++) {
        double scale = 1.0 / (double)(2 << k); /* base rate / this stage's high rate */
        /* up: pass the kept band, stop its first image */
        double up_pass = (k == 0 ? band : 0.5) * scale, up_stop = (k == 0 ? 1.0 - band : 1.5) * scale;
        /* down: the last stage stops at the base Nyquist; inner stages keep
         * the whole base band and stop what would fold onto it */
        double dn_pass = (k == 0 ? band : 0.5) * scale, dn_stop = (k == 0 ? 0.5 : 1.5) * scale;
        if (pt_fir2_design(&os->up[k], up_pass, up_stop) != 0 ||
            pt_fir2_design(&os->down[k], dn_pass, dn_stop) != 0)
            return -1;
        lat_top += (os->up[k].delay + os->down[k].delay) * (os->factor >> (k + 1));
    }
    os->delay_hi = lat_top;
    os->pad_len = (os->factor - lat_top % os->factor) % os->factor;
    os->latency = (lat_top + os->pad_len) / os->factor;
    return 0;
}

/* Whole-sample latency L = ceil((D + 1/2) / factor) for a round-trip delay
 * of D highest-rate samples: the top-up T = L factor - D is a whole pad plus
 * a fractional all-pass of d in [0.5, 1.5) samples, where a first-order
 * all-pass's delay stays flat over most of the band. */
static int init_minimum(pt_oversampler *os, double extra_hi)
{
    double d_hi = extra_hi;
    for (int k = 0; k < os->stages; k++) {
        if (pt_halfband_design(&os->hb_up[k], min_plan[k].n_up, min_plan[k].tb_up) != 0 ||
            pt_halfband_design(&os->hb_down[k], min_plan[k].n_down, min_plan[k].tb_down) != 0)
            return -1;
        d_hi += (os->hb_up[k].delay + os->hb_down[k].delay) * (os->factor >> (k + 1));
    }
    os->delay_hi = d_hi;
    os->latency = (int)ceil((d_hi + 0.5) / os->factor);
    double top = os->latency * os->factor - d_hi;
    os->pad_len = (int)floor(top - 0.5);
    double d = top - os->pad_len;
    os->frac_a = (float)((1.0 - d) / (1.0 + d));
    return 0;
}

int pt_oversampler_init_phase(pt_oversampler *os, int factor, int max_frames, pt_os_phase phase,
                              double extra_hi)
{
    memset(os, 0, sizeof *os);
    os->factor = factor;
    os->max_frames = max_frames;
    os->phase = phase;
    if (factor != 1 && factor != 2 && factor != 4 && factor != 8) return -1;
    os->stages = factor == 8 ? 3 : factor == 4 ? 2 : factor == 2 ? 1 : 0;
    if (factor > 1) {
        int rc = phase == PT_OS_LINEAR ? init_linear(os) : init_minimum(os, extra_hi);
        if (rc != 0) return -1;
    }
    if (os->pad_len && !(os->pad = calloc((size_t)os->pad_len, sizeof(float)))) return -1;
    for (int b = 0; b < 2; b++)
        if (!(os->buf[b] = calloc((size_t)max_frames * (size_t)factor, sizeof(float)))) return -1;
    return 0;
}

int pt_oversampler_init(pt_oversampler *os, int factor, int max_frames)
{
    return pt_oversampler_init_phase(os, factor, max_frames, PT_OS_MINIMUM, 0.0);
}

void pt_oversampler_free(pt_oversampler *os)
{
    for (int k = 0; k < PT_OS_MAX_STAGES; k++) {
        pt_fir2_free(&os->up[k]);
        pt_fir2_free(&os->down[k]);
    }
    free(os->pad);
    free(os->buf[0]);
    free(os->buf[1]);
    memset(os, 0, sizeof *os);
}

void pt_oversampler_reset(pt_oversampler *os)
{
    for (int k = 0; k < os->stages; k++) {
        if (os->phase == PT_OS_LINEAR) {
            pt_fir2_reset(&os->up[k]);
            pt_fir2_reset(&os->down[k]);
        } else {
            pt_halfband_reset(&os->hb_up[k]);
            pt_halfband_reset(&os->hb_down[k]);
        }
    }
    if (os->pad) memset(os->pad, 0, (size_t)os->pad_len * sizeof(float));
    os->pad_pos = 0;
    os->frac_x1 = os->frac_y1 = 0.0f;
}

float *pt_oversampler_up(pt_oversampler *os, const float *in, int frames)
{
    if (os->factor == 1) {
        memcpy(os->buf[0], in, (size_t)frames * sizeof(float));
        return os->buf[0];
    }
    const float *src = in;
    int n = frames, b = 0;
    for (int k = 0; k < os->stages; k++) {
        if (os->phase == PT_OS_LINEAR) pt_fir2_up(&os->up[k], src, os->buf[b], n);
        else pt_halfband_up(&os->hb_up[k], src, os->buf[b], n);
        src = os->buf[b];
        n *= 2;
        b ^= 1;
    }
    float *x = (float *)src;
    for (int i = 0; os->pad_len && i < n; i++) {
        float y = os->pad[os->pad_pos];
        os->pad[os->pad_pos] = x[i];
        x[i] = y;
        if (++os->pad_pos == os->pad_len) os->pad_pos = 0;
    }
    if (os->phase == PT_OS_MINIMUM) {
        float a = os->frac_a, x1 = os->frac_x1, y1 = os->frac_y1;
        for (int i = 0; i < n; i++) {
            float y = a * (x[i] - y1) + x1;
            x1 = x[i];
            x[i] = y1 = y;
        }
        os->frac_x1 = x1, os->frac_y1 = y1;
    }
    return x;
}

void pt_oversampler_down(pt_oversampler *os, const float *high, float *out, int frames)
{
    if (os->factor == 1) {
        if (out != high) memmove(out, high, (size_t)frames * sizeof(float));
        return;
    }
    const float *src = high;
    int n = frames * os->factor;
    int b = (high == os->buf[0]) ? 1 : 0;
    for (int k = os->stages - 1; k >= 0; k--) {
        n /= 2;
        float *dst = k == 0 ? out : os->buf[b];
        if (os->phase == PT_OS_LINEAR) pt_fir2_down(&os->down[k], src, dst, n);
        else pt_halfband_down(&os->hb_down[k], src, dst, n);
        src = dst;
        b ^= 1;
    }
}
