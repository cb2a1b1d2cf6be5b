/* resample.c — polyphase FIR resampler with a whole-sample delay. See
 * resample.h. */
#include "resample.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int gcd(int a, int b)
{
    while (b) {
        int t = a % b;
        a = b, b = t;
    }
    return a;
}

/* floor(a / b) for b > 0 and any sign of a */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

/* zeroth-order modified Bessel function, for the Kaiser window */
static double bessel_i0(double x)
{
    double sum = 1.0, term = 1.0;
    for (int k = 1; k < 64; k++) {
        term *= (x / (2.0 * k)) * (x / (2.0 * k));
        sum += term;
        if (term < 1e-12 * sum) break;
    }
    return sum;
}

int pt_resampler_init(pt_resampler *r, int in_rate, int out_rate, int backlog, int half_taps,
                      pt_resample_delay mode)
{
    memset(r, 0, sizeof *r);
    if (in_rate <= 0 || out_rate <= 0 || half_taps < 1) return -1;
    int g = gcd(in_rate, out_rate);
    r->L = out_rate / g;
    r->M = in_rate / g;
    if (r->L > PT_RESAMPLE_MAX_FACTOR || r->M > PT_RESAMPLE_MAX_FACTOR) return -1;
    const int L = r->L, M = r->M;
    /* a lower output rate needs a longer filter for the same transition
     * width relative to that rate */
    int gh = half_taps;
    if (M > L) gh = (int)ceil((double)half_taps * M / L);
    r->taps = (2 * gh + 1 + 7) & ~7; /* whole vectors; the extra oldest taps are 0 */
    const int T = r->taps;
    const long len = 2L * gh * L + 1; /* prototype, centre at gh*L */
    double *proto = malloc((size_t)len * sizeof(double));
    r->h = calloc((size_t)L * T, sizeof(float));
    if (!proto || !r->h) {
        free(proto);
        pt_resampler_free(r);
        return -1;
    }
    const double fc = 0.46 / (L > M ? L : M); /* cycles per upsampled sample */
    const double beta = 8.96;                 /* Kaiser: ~90 dB stop band */
    const double i0b = bessel_i0(beta);
    double sum = 0.0;
    for (long m = 0; m < len; m++) {
        double t = (double)(m - (long)gh * L);
        double s = t == 0 ? 2.0 * fc : sin(2.0 * M_PI * fc * t) / (M_PI * t);
        double u = t / ((double)gh * L);
        double win = bessel_i0(beta * sqrt(fmax(0.0, 1.0 - u * u))) / i0b;
        proto[m] = s * win;
        sum += proto[m];
    }
    for (int p = 0; p < L; p++)
        for (int i = 0; i < T; i++) {
            long m = p + (long)i * L;
            double v = m < len ? proto[m] * L / sum : 0.0; /* each phase: DC gain ~1 */
            r->h[(size_t)p * T + (T - 1 - i)] = (float)v;
        }
    free(proto);
    if (mode == PT_DELAY_WHOLE_INPUT) {
        r->offset = 0;
        r->delay = gh; /* centre gh*L upsampled samples = gh inputs */
    } else {
        long c = (long)gh * L;
        r->offset = (int)(c % M);
        r->delay = (int)((c - r->offset) / M);
    }
    r->ring_len = 2 * T + 2 * (backlog > 0 ? backlog : 1) + 64;
    r->ring = calloc((size_t)2 * r->ring_len, sizeof(float));
    if (!r->ring) {
        pt_resampler_free(r);
        return -1;
    }
    pt_resampler_reset(r);
    return 0;
}

void pt_resampler_free(pt_resampler *r)
{
    free(r->h);
    free(r->ring);
    r->h = NULL;
    r->ring = NULL;
}

/* RT: set the index of the next output. */
void pt_resampler_start_at(pt_resampler *r, int64_t first_out)
{
    r->next_out = first_out;
    int64_t u = first_out * r->M + r->offset;
    r->next_base = floor_div(u, r->L);
    r->next_phase = (int)(u - r->next_base * r->L);
}

/* RT: silence the history, restart at output 0. */
void pt_resampler_reset(pt_resampler *r)
{
    memset(r->ring, 0, (size_t)2 * r->ring_len * sizeof(float));
    r->n_in = 0;
    pt_resampler_start_at(r, 0);
}

/* RT: append input to the ring. */
void pt_resample_push(pt_resampler *r, const float *in, int n)
{
    const int R = r->ring_len;
    int w = (int)(r->n_in % R);
    for (int i = 0; i < n; i++) {
        r->ring[w] = r->ring[w + R] = in[i];
        if (++w == R) w = 0;
    }
    r->n_in += n;
}

int64_t pt_resample_outputs_for(const pt_resampler *r, int64_t total_in, int64_t first_out)
{
    /* output j is ready when floor((j*M + offset)/L) <= total_in - 1 */
    int64_t end = -floor_div(-(total_in * r->L - r->offset), r->M); /* ceil */
    return end > first_out ? end - first_out : 0;
}

/* RT: outputs the pushed input allows. */
int pt_resample_available(const pt_resampler *r)
{
    return (int)pt_resample_outputs_for(r, r->n_in, r->next_out);
}

/* RT: compute the next n outputs. */
void pt_resample_pull(pt_resampler *r, float *out, int n)
{
    const int T = r->taps, R = r->ring_len, L = r->L, M = r->M;
    for (int k = 0; k < n; k++) {
        int64_t start = r->next_base - T + 1;
        int pos = (int)(start % R);
        if (pos < 0) pos += R;
        const float *restrict x = r->ring + pos;
        const float *restrict h = r->h + (size_t)r->next_phase * T;
        float acc[8] = {0};
        for (int i = 0; i < T; i += 8)
            for (int j = 0; j < 8; j++) acc[j] += h[i + j] * x[i + j];
        out[k] = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
        r->next_out++;
        r->next_phase += M;
        r->next_base += r->next_phase / L;
        r->next_phase %= L;
    }
}

/* RT: push, then compute what is available. */
int pt_resample_process(pt_resampler *r, const float *in, int n, float *out, int max_out)
{
    pt_resample_push(r, in, n);
    int k = pt_resample_available(r);
    if (k > max_out) k = max_out;
    pt_resample_pull(r, out, k);
    return k;
}
