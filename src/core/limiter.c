/* limiter.c — see limiter.h. */
#include "limiter.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

static float estimates_base(float *h, const float *x, int n, float *m, float *d, float *dmax);
#if defined(__x86_64__) && defined(__GNUC__)
#define LIM_AVX2 1
static float estimates_avx2(float *h, const float *x, int n, float *m, float *d, float *dmax);
#endif

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
    l->estimates = estimates_base;
#ifdef LIM_AVX2
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2")) l->estimates = estimates_avx2;
#endif
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
static inline __attribute__((always_inline)) float between(float p0, float p1, float p2, float p3)
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
 * overshoot of the jump into sample i. Updates the channel's history.
 * Returns the largest of m[i] and |x[i]|, and in *dmax the largest d[i]. */
enum { LIM_CHUNK = 64 };
typedef float lim_v4 __attribute__((vector_size(16)));
typedef int32_t lim_i4 __attribute__((vector_size(16)));
/* a > b ? a : b per lane */
static inline __attribute__((always_inline)) lim_v4 lim_max(lim_v4 a, lim_v4 b)
{
    lim_i4 k = a > b;
    return (lim_v4)((k & (lim_i4)a) | (~k & (lim_i4)b));
}
static inline __attribute__((always_inline)) float estimates_body(float *h, const float *x, int n,
                                                                  float *m, float *d, float *dmax)
{
    float e[LIM_CHUNK + 3];
    e[0] = h[0], e[1] = h[1], e[2] = h[2];
    memcpy(e + 3, x, (size_t)n * sizeof(float));
    for (int i = 0; i < n; i++) {
        m[i] = between(e[i], e[i + 1], e[i + 2], e[i + 3]);
        d[i] = GIBBS * fabsf(e[i + 3] - e[i + 2]);
    }
    h[0] = e[n], h[1] = e[n + 1], h[2] = e[n + 2];
    /* four lanes of maxima (the compiler leaves a float max reduction
     * scalar by itself) */
    lim_v4 av = {0}, dv = {0};
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        lim_v4 xv, mv, ddv;
        memcpy(&xv, x + i, sizeof xv), memcpy(&mv, m + i, sizeof mv), memcpy(&ddv, d + i, sizeof ddv);
        xv = (lim_v4)((lim_i4)xv & 0x7fffffff);
        av = lim_max(lim_max(mv, xv), av);
        dv = lim_max(ddv, dv);
    }
    float am[8] = {0}, dm[8] = {0};
    memcpy(am, &av, sizeof av), memcpy(dm, &dv, sizeof dv);
    for (; i < n; i++) {
        float a = fabsf(x[i]);
        a = m[i] > a ? m[i] : a;
        am[0] = a > am[0] ? a : am[0];
        dm[0] = d[i] > dm[0] ? d[i] : dm[0];
    }
    float a = 0.0f, dd = 0.0f;
    for (int k = 0; k < 8; k++) {
        a = am[k] > a ? am[k] : a;
        dd = dm[k] > dd ? dm[k] : dd;
    }
    *dmax = dd;
    return a;
}

/* RT: the same compiled for the CPU's baseline and, on x86-64, for AVX2
 * (eight lanes; no FMA, so the results are the same to the bit) */
static float estimates_base(float *h, const float *x, int n, float *m, float *d, float *dmax)
{
    return estimates_body(h, x, n, m, d, dmax);
}
#ifdef LIM_AVX2
__attribute__((target("avx2"))) static float estimates_avx2(float *h, const float *x, int n,
                                                            float *m, float *d, float *dmax)
{
    return estimates_body(h, x, n, m, d, dmax);
}
#endif

/* RT: the Gibbs overshoot state of both channels after d[.][0..n) (the
 * recursion of the loop in pt_limiter_process alone), written as selects
 * between two computed values so that it compiles without branches (which
 * a noisy signal would mispredict), the two chains side by side */
static void ring_after(float *ring, const float *d0, const float *d1, int n)
{
    lim_v4 r = {ring[0], ring[1], 0.0f, 0.0f};
    for (int i = 0; i < n; i++) {
        lim_v4 d = {d0[i], d1[i], 0.0f, 0.0f};
        lim_i4 take = d > r; /* all ones where the new jump is larger */
        r = (lim_v4)((take & (lim_i4)d) | (~take & (lim_i4)(r * RING_DECAY)));
    }
    ring[0] = r[0], ring[1] = r[1];
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
        float d0, d1;
        float a0 = l->estimates(l->hist[0], L, n, m[0], d[0], &d0);
        float a1 = l->estimates(l->hist[1], R, n, m[1], d[1], &d1);
        /* The common case, nothing to limit: at unity gain with every
         * sample's peak estimate provably under the ceiling (the overshoot
         * never exceeds its value at the start or the largest new jump),
         * the block passes untouched; only the overshoot state moves on.
         * (The hold counter matters only while the gain is below 1.) */
        if (g == 1.0f && a0 + (d0 > l->ring[0] ? d0 : l->ring[0]) <= c &&
            a1 + (d1 > l->ring[1] ? d1 : l->ring[1]) <= c) {
            ring_after(l->ring, d[0], d[1], n);
            l->hold = l->hold > n ? l->hold - n : 0;
            continue;
        }
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
