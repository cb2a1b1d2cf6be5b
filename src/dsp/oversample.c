/* oversample.c — see oversample.h.
 *
 * A half-band filter h of odd length N = 4K+3 has centre c = 2K+1 (odd),
 * h[c] = 1/2, and zeros at every other odd index, so only the even-indexed
 * taps and the centre are non-zero. That gives the polyphase forms:
 *   up:   y[2n]   = sum_i 2 h[2i] x[n-i]      y[2n+1] = x[n - (c-1)/2]
 *   down: y[n]    = sum_i h[2i] v[2n-2i] + v[2n-c] / 2
 * Each direction delays by c high-rate samples, so a round trip through one
 * stage costs c samples of its lower rate.
 */
#include "oversample.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static double bessel_i0(double x)
{
    double sum = 1.0, term = 1.0;
    for (int k = 1; k < 64; k++) {
        term *= (x / (2.0 * k)) * (x / (2.0 * k));
        sum += term;
        if (term < 1e-17 * sum) break;
    }
    return sum;
}

/* Design the side taps of a half-band low-pass whose pass band ends at
 * `pass` (fraction of the high rate, < 0.25). */
static int design(pt_halfband_stage *s, double pass)
{
    const double atten_db = 100.0;
    double width = 0.5 - 2.0 * pass;
    int n = (int)ceil((atten_db - 7.95) / (2.285 * 2.0 * M_PI * width)) + 1;
    while ((n - 3) % 4 != 0) n++;
    int c = (n - 1) / 2;
    double beta = 0.1102 * (atten_db - 8.7);
    s->taps = (n + 1) / 2;
    s->g = calloc((size_t)s->taps, sizeof(float));
    if (!s->g) return -1;
    double sum = 0.0;
    double *h = calloc((size_t)s->taps, sizeof(double));
    if (!h) return -1;
    for (int i = 0; i < s->taps; i++) {
        int j = 2 * i, k = j - c; /* k is odd */
        double sinc = sin(M_PI * 0.5 * k) / (M_PI * k);
        double r = (double)k / (double)c;
        double w = bessel_i0(beta * sqrt(fmax(0.0, 1.0 - r * r))) / bessel_i0(beta);
        h[i] = sinc * w;
        sum += h[i];
    }
    for (int i = 0; i < s->taps; i++) s->g[i] = (float)(h[i] * 0.5 / sum); /* DC: side taps sum to 1/2 */
    free(h);
    s->center_delay = (c - 1) / 2;
    s->up_hist = calloc((size_t)s->taps * 2, sizeof(float));
    s->dn_even = calloc((size_t)s->taps * 2, sizeof(float));
    s->dn_odd_len = (c + 1) / 2 + 1;
    s->dn_odd = calloc((size_t)s->dn_odd_len, sizeof(float));
    return s->up_hist && s->dn_even && s->dn_odd ? c : -1;
}

int pt_oversampler_init(pt_oversampler *os, int factor, int max_frames)
{
    memset(os, 0, sizeof *os);
    os->factor = factor;
    os->max_frames = max_frames;
    os->stages = factor == 8 ? 3 : factor == 4 ? 2 : factor == 2 ? 1 : 0;
    if (factor != 1 && factor != 2 && factor != 4 && factor != 8) return -1;
    /* latency in units of the highest rate */
    int top = factor, lat_top = 0;
    double pass = 20000.0 / 48000.0 / 2.0; /* 0.2083 of the first stage's high rate */
    for (int k = 0; k < os->stages; k++) {
        int c = design(&os->st[k], pass / (double)(1 << k));
        if (c < 0) return -1;
        lat_top += c * 2 * (top >> (k + 1)); /* c at rate 2^(k+1), round trip 2c */
    }
    os->pad_len = (top - lat_top % top) % top;
    os->latency = (lat_top + os->pad_len) / top;
    if (os->pad_len) {
        os->pad = calloc((size_t)os->pad_len, sizeof(float));
        if (!os->pad) return -1;
    }
    for (int b = 0; b < 2; b++) {
        os->buf[b] = calloc((size_t)max_frames * (size_t)factor, sizeof(float));
        if (!os->buf[b]) return -1;
    }
    return 0;
}

void pt_oversampler_free(pt_oversampler *os)
{
    for (int k = 0; k < PT_OS_MAX_STAGES; k++) {
        free(os->st[k].g);
        free(os->st[k].up_hist);
        free(os->st[k].dn_even);
        free(os->st[k].dn_odd);
    }
    free(os->pad);
    free(os->buf[0]);
    free(os->buf[1]);
    memset(os, 0, sizeof *os);
}

void pt_oversampler_reset(pt_oversampler *os)
{
    for (int k = 0; k < os->stages; k++) {
        pt_halfband_stage *s = &os->st[k];
        memset(s->up_hist, 0, (size_t)s->taps * 2 * sizeof(float));
        memset(s->dn_even, 0, (size_t)s->taps * 2 * sizeof(float));
        memset(s->dn_odd, 0, (size_t)s->dn_odd_len * sizeof(float));
        s->up_pos = s->dn_pos = s->dn_odd_pos = 0;
    }
    if (os->pad) memset(os->pad, 0, (size_t)os->pad_len * sizeof(float));
    os->pad_pos = 0;
}

/* RT: dot product of the taps with a mirrored ring read from its newest
 * sample backwards; hist[pos..pos+taps) holds newest-first samples. */
static inline float dot(const float *g, const float *h, int taps)
{
    float acc = 0.0f;
    for (int i = 0; i < taps; i++) acc += g[i] * h[i];
    return acc;
}

/* The ring stores samples newest-first: writing at pos-1 (and pos-1+taps)
 * keeps hist[pos..pos+taps) contiguous. */
static inline const float *ring_push(float *hist, int *pos, int taps, float x)
{
    int p = *pos - 1;
    if (p < 0) p += taps;
    hist[p] = x;
    hist[p + taps] = x;
    *pos = p;
    return hist + p;
}

static void stage_up(pt_halfband_stage *s, const float *in, float *out, int n)
{
    for (int i = 0; i < n; i++) {
        const float *h = ring_push(s->up_hist, &s->up_pos, s->taps, in[i]);
        out[2 * i] = 2.0f * dot(s->g, h, s->taps);
        out[2 * i + 1] = h[s->center_delay];
    }
}

static void stage_down(pt_halfband_stage *s, const float *in, float *out, int n)
{
    int d = s->dn_odd_len - 1; /* (c+1)/2 */
    for (int i = 0; i < n; i++) {
        const float *h = ring_push(s->dn_even, &s->dn_pos, s->taps, in[2 * i]);
        /* odd sample delayed by (c+1)/2 odd-sample steps */
        int rp = s->dn_odd_pos - d;
        if (rp < 0) rp += s->dn_odd_len;
        float center = s->dn_odd[rp];
        s->dn_odd[s->dn_odd_pos] = in[2 * i + 1];
        if (++s->dn_odd_pos == s->dn_odd_len) s->dn_odd_pos = 0;
        out[i] = dot(s->g, h, s->taps) + 0.5f * center;
    }
}

float *pt_oversampler_up(pt_oversampler *os, const float *in, int frames)
{
    if (os->factor == 1) {
        memcpy(os->buf[0], in, (size_t)frames * sizeof(float));
        return os->buf[0];
    }
    const float *src = in;
    int n = frames;
    int b = 0;
    for (int k = 0; k < os->stages; k++) {
        float *dst = os->buf[b];
        stage_up(&os->st[k], src, dst, n);
        src = dst;
        n *= 2;
        b ^= 1;
    }
    if (os->pad_len) {
        float *x = (float *)src;
        for (int i = 0; i < n; i++) {
            float y = os->pad[os->pad_pos];
            os->pad[os->pad_pos] = x[i];
            x[i] = y;
            if (++os->pad_pos == os->pad_len) os->pad_pos = 0;
        }
    }
    return (float *)src;
}

void pt_oversampler_down(pt_oversampler *os, const float *high, float *out, int frames)
{
    if (os->factor == 1) {
        if (out != high) memmove(out, high, (size_t)frames * sizeof(float));
        return;
    }
    /* innermost stage first: from the highest rate down */
    const float *src = high;
    int n = frames * os->factor;
    int b = (high == os->buf[0]) ? 1 : 0;
    for (int k = os->stages - 1; k >= 0; k--) {
        n /= 2;
        float *dst = k == 0 ? out : os->buf[b];
        stage_down(&os->st[k], src, dst, n);
        src = dst;
        b ^= 1;
    }
}
