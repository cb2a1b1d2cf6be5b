/* limiter.c — see limiter.h. */
#include "limiter.h"

#include <math.h>
#include <string.h>

void pt_limiter_init(pt_limiter *l, double rate, bool on)
{
    memset(l, 0, sizeof *l);
    atomic_init(&l->on, on);
    atomic_init(&l->reduction_bits, 0u);
    atomic_init(&l->limited_samples, 0ull);
    l->gain = 1.0f;
    l->ceiling_tp = powf(10.0f, PT_LIMITER_CEILING_DBTP / 20.0f);
    /* the estimate of the peaks between samples is held to the lower sample
     * ceiling as well: what the cubic misses near Nyquist fits in the margin */
    l->ceiling_sample = powf(10.0f, (PT_LIMITER_CEILING_DBTP - PT_LIMITER_MARGIN_DB) / 20.0f);
    l->release_coef = (float)(1.0 - exp(-1.0 / (0.060 * rate)));
    l->hold_len = (int)(0.005 * rate);
}

void pt_limiter_set(pt_limiter *l, bool on) { atomic_store(&l->on, on); }

bool pt_limiter_is_on(const pt_limiter *l) { return atomic_load((atomic_bool *)&l->on); }

float pt_limiter_reduction_db(const pt_limiter *l)
{
    unsigned bits = atomic_load_explicit((atomic_uint *)&l->reduction_bits, memory_order_relaxed);
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

uint64_t pt_limiter_limited(const pt_limiter *l)
{
    return atomic_load_explicit((atomic_ullong *)&l->limited_samples, memory_order_relaxed);
}

#define GIBBS 0.12f     /* of a jump: the reconstruction overshoots by ~9 % */
#define RING_DECAY 0.7f /* per sample */

/* RT: the largest magnitude of the Catmull-Rom cubic through p0..p3 on the
 * segment p1 -> p2, at t = 1/4, 1/2, 3/4 (4x oversampling). */
static float between(float p0, float p1, float p2, float p3)
{
    float a = -p0 + 3.0f * p1 - 3.0f * p2 + p3, b = 2.0f * p0 - 5.0f * p1 + 4.0f * p2 - p3,
          c = -p0 + p2, d = 2.0f * p1, m = 0.0f;
    for (int k = 1; k <= 3; k++) {
        float t = 0.25f * (float)k;
        float v = fabsf(0.5f * (((a * t + b) * t + c) * t + d));
        if (v > m) m = v;
    }
    return m;
}

/* RT: the peak estimates of one channel's n <= LIM_CHUNK samples that do
 * not depend on the limiter's state, in a loop the compiler vectorises:
 * m[i] the cubic's largest value between the samples, d[i] the Gibbs
 * overshoot of the jump into sample i. Updates the channel's history. */
enum { LIM_CHUNK = 64 };
static void estimates(float *h, const float *x, int n, float *m, float *d)
{
    float e[LIM_CHUNK + 3];
    e[0] = h[0], e[1] = h[1], e[2] = h[2];
    memcpy(e + 3, x, (size_t)n * sizeof(float));
    for (int i = 0; i < n; i++) {
        m[i] = between(e[i], e[i + 1], e[i + 2], e[i + 3]);
        d[i] = GIBBS * fabsf(e[i + 3] - e[i + 2]);
    }
    h[0] = e[n], h[1] = e[n + 1], h[2] = e[n + 2];
}

/* RT */
void pt_limiter_process(pt_limiter *l, float *left, float *right, int frames)
{
    if (!atomic_load_explicit(&l->on, memory_order_relaxed)) {
        atomic_store_explicit(&l->reduction_bits, 0u, memory_order_relaxed);
        l->gain = 1.0f;
        return;
    }
    const float c = l->ceiling_sample;
    float g = l->gain, lowest = 1.0f;
    unsigned long long limited = 0;
    for (int i0 = 0; i0 < frames; i0 += LIM_CHUNK) {
        const int n = frames - i0 < LIM_CHUNK ? frames - i0 : LIM_CHUNK;
        float *L = left + i0, *R = right ? right + i0 : L;
        float m[2][LIM_CHUNK], d[2][LIM_CHUNK];
        estimates(l->hist[0], L, n, m[0], d[0]);
        estimates(l->hist[1], R, n, m[1], d[1]);
        for (int i = 0; i < n; i++) {
            float peak = 0.0f;
            for (int ch = 0; ch < 2; ch++) {
                /* a jump from the last sample rings in the reconstruction
                 * (Gibbs): about 9 % of the jump, beyond the samples that
                 * follow it, dying out over a few samples */
                float ring = d[ch][i];
                l->ring[ch] = ring > l->ring[ch] ? ring : l->ring[ch] * RING_DECAY;
                float s = fabsf(ch ? R[i] : L[i]) + l->ring[ch];
                if (s > peak) peak = s;
                if (m[ch][i] > peak) peak = m[ch][i];
            }
            float need = peak > c ? c / peak : 1.0f;
            if (need < g) {
                g = need; /* attack: this very sample */
                l->hold = l->hold_len;
            } else if (l->hold > 0) {
                l->hold--;
            } else if (g < 1.0f) {
                g += (1.0f - g) * l->release_coef;
                if (g > 0.999999f) g = 1.0f; /* back to bit-transparent */
                if (g > need) g = need;
            }
            if (g < 1.0f) {
                limited++;
                if (g < lowest) lowest = g;
                float y0 = L[i] * g, y1 = R[i] * g;
                L[i] = y0 > c ? c : y0 < -c ? -c : y0; /* rounding: never above */
                if (right) R[i] = y1 > c ? c : y1 < -c ? -c : y1;
            }
        }
    }
    l->gain = g;
    float db = lowest < 1.0f ? -20.0f * log10f(lowest) : 0.0f;
    unsigned bits;
    memcpy(&bits, &db, sizeof bits);
    atomic_store_explicit(&l->reduction_bits, bits, memory_order_relaxed);
    if (limited) atomic_fetch_add_explicit(&l->limited_samples, limited, memory_order_relaxed);
}
