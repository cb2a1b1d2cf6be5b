/* oversample_fir.c — the linear-phase stages of the oversampler (see
 * oversample.h): polyphase Kaiser-windowed sinc FIRs.
 *
 * A length-N FIR h split into phases: up by 2 is
 *     y[2n] = 2 sum_i h[2i] x[n-i],   y[2n+1] = 2 sum_i h[2i+1] x[n-i],
 * down by 2 is
 *     y[n] = sum_i h[2i] v[2n-2i] + sum_i h[2i+1] v[2n-2i-1].
 * Each direction delays by (N-1)/2 samples of the high rate.
 */
#include "oversample.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ATTEN_DB 100.0

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

/* Kaiser-windowed sinc low-pass: pass band to `pass`, stop band from `stop`
 * (fractions of the high rate), unity gain at DC. */
int pt_fir2_design(pt_fir2 *f, double pass, double stop)
{
    double width = stop - pass;
    int n = (int)ceil((ATTEN_DB - 7.95) / (2.285 * 2.0 * M_PI * width)) + 1;
    if (n % 2 == 0) n++;
    int c = (n - 1) / 2;
    double fc = 0.5 * (pass + stop), beta = 0.1102 * (ATTEN_DB - 8.7), sum = 0.0;
    double *h = malloc((size_t)n * sizeof(double));
    if (!h) return -1;
    for (int j = 0; j < n; j++) {
        int k = j - c;
        double sinc = k == 0 ? 2.0 * fc : sin(2.0 * M_PI * fc * k) / (M_PI * k);
        double r = (double)k / (double)c;
        h[j] = sinc * bessel_i0(beta * sqrt(fmax(0.0, 1.0 - r * r))) / bessel_i0(beta);
        sum += h[j];
    }
    f->taps = (n + 1) / 2;
    f->delay = c;
    f->h_even = calloc((size_t)f->taps, sizeof(float));
    f->h_odd = calloc((size_t)f->taps, sizeof(float));
    f->ring_a = calloc((size_t)f->taps * 2, sizeof(float));
    f->ring_b = calloc((size_t)f->taps * 2, sizeof(float));
    if (!f->h_even || !f->h_odd || !f->ring_a || !f->ring_b) {
        free(h);
        return -1;
    }
    for (int j = 0; j < n; j++) {
        float v = (float)(h[j] / sum);
        if (j % 2 == 0) f->h_even[j / 2] = v;
        else f->h_odd[j / 2] = v;
    }
    free(h);
    return 0;
}

void pt_fir2_free(pt_fir2 *f)
{
    free(f->h_even);
    free(f->h_odd);
    free(f->ring_a);
    free(f->ring_b);
}

void pt_fir2_reset(pt_fir2 *f)
{
    if (!f->taps) return;
    memset(f->ring_a, 0, (size_t)f->taps * 2 * sizeof(float));
    memset(f->ring_b, 0, (size_t)f->taps * 2 * sizeof(float));
    f->pos_a = f->pos_b = 0;
}

/* RT: newest-first mirrored ring; returns the window of `taps` samples. */
static inline const float *ring_push(float *ring, int *pos, int taps, float x)
{
    int p = *pos - 1;
    if (p < 0) p += taps;
    ring[p] = x;
    ring[p + taps] = x;
    *pos = p;
    return ring + p;
}

static inline float dot(const float *restrict g, const float *restrict h, int taps)
{
    float acc = 0.0f;
    for (int i = 0; i < taps; i++) acc += g[i] * h[i];
    return acc;
}

/* RT */
void pt_fir2_up(pt_fir2 *f, const float *in, float *out, int n)
{
    for (int i = 0; i < n; i++) {
        const float *w = ring_push(f->ring_a, &f->pos_a, f->taps, in[i]);
        out[2 * i] = 2.0f * dot(f->h_even, w, f->taps);
        out[2 * i + 1] = 2.0f * dot(f->h_odd, w, f->taps);
    }
}

/* RT: ring_a holds even samples v[2n], ring_b odd ones v[2n-1] (the odd
 * sample before each even one). */
void pt_fir2_down(pt_fir2 *f, const float *in, float *out, int n)
{
    for (int i = 0; i < n; i++) {
        const float *e = ring_push(f->ring_a, &f->pos_a, f->taps, in[2 * i]);
        const float *o = f->ring_b + f->pos_b;
        out[i] = dot(f->h_even, e, f->taps) + dot(f->h_odd, o, f->taps);
        ring_push(f->ring_b, &f->pos_b, f->taps, in[2 * i + 1]);
    }
}
