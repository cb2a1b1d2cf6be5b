/* limiter.c — see limiter.h. */
#include "limiter.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

static float estimates_base(float *h, const float *x, int n, float *m, float *d, float *dmax);
#if defined(__x86_64__) && defined(__GNUC__)
#define LIM_AVX2 1
static float estimates_avx2(float *h, const float *x, int n, float *m, float *d, float *dmax);
static int tp_clamp_avx2(pt_limiter *l, int ch, float *x, int n, float *ratio);
#endif
static int tp_clamp_base(pt_limiter *l, int ch, float *x, int n, float *ratio);

#define TP_DECAY 0.9 /* the witness: per sample (limiter.h) */

/* The zeroth-order modified Bessel function, for the Kaiser window. */
static double bessel_i0(double x)
{
    double sum = 1.0, term = 1.0;
    for (int k = 1; k < 40 && term > 1e-12 * sum; k++) {
        term *= (x / (2.0 * k)) * (x / (2.0 * k));
        sum += term;
    }
    return sum;
}

/* The last stage's interpolator: a 4x polyphase lowpass of 2 * 4 * SPAN + 1
 * taps, sinc(d) under a Kaiser window (beta 5), cut off at the original
 * Nyquist and scaled to unity gain at DC, as a true-peak meter's filter.
 * The weight of the sample going out (at 0) for the point at d samples from
 * it is w(d); the open points, oldest first, are d = r - SPAN + k/4 for
 * segments r = 0..2*SPAN-1 and phases k = 1, 2, 3. The point at d = 0 is
 * the sample itself (w(0); the other whole-sample points have weight 0).
 * For sample n the segment at ring slot q is r = (q - n + SPAN) mod RING,
 * so its weights are a window of the doubled table from (SPAN - n) mod
 * RING: read-only loads that slide, over partial sums that stay put. */
static void tp_design(pt_limiter *l)
{
    enum { SPAN = PT_LIMITER_TP_SPAN, TAPS = 2 * 4 * SPAN + 1 };
    const double beta = 5.0;
    double w[TAPS], sum = 0.0;
    for (int i = 0; i < TAPS; i++) {
        double d = (i - 4 * SPAN) / 4.0, u = d / SPAN;
        double sinc = d == 0.0 ? 1.0 : sin(M_PI * d) / (M_PI * d);
        w[i] = sinc * bessel_i0(beta * sqrt(fmax(0.0, 1.0 - u * u))) / bessel_i0(beta);
        sum += w[i];
    }
    for (int i = 0; i < TAPS; i++) w[i] *= 4.0 / sum;
    memset(l->tp_w, 0, sizeof l->tp_w);
    memset(l->tp_we, 0, sizeof l->tp_we);
    double gain = w[4 * SPAN]; /* the most any point can be, per unit of the loudest sample */
    for (int r = 0; r < 2 * SPAN; r++)
        for (int k = 1; k <= 3; k++) {
            int i = 4 * (r - SPAN) + k + 4 * SPAN; /* the tap of d */
            /* the witness: the samples after this one taken as it decaying
             * by TP_DECAY per sample (the point's weights for them, k on) */
            double we = w[i], decay = 1.0, most = 0.0;
            for (int j = 1; j <= 2 * SPAN; j++) {
                decay *= TP_DECAY;
                if (i - 4 * j >= 0) we += w[i - 4 * j] * decay, most += fabs(w[i - 4 * j]) * decay;
            }
            for (int j = k; j < TAPS; j += 4) most += fabs(w[j]); /* its whole window */
            gain = most > gain ? most : gain;
            for (int twice = 0; twice < 2; twice++) {
                l->tp_w[k - 1][r + twice * PT_LIMITER_TP_RING] = (float)w[i];
                l->tp_we[k - 1][r + twice * PT_LIMITER_TP_RING] = (float)we;
            }
            l->tp_inv[k - 1][r] = (float)(1.0 / fmax(fabs(we), 1e-20));
            l->tp_sign[k - 1][r] = we < 0 ? -1.0f : 1.0f;
        }
    l->tp_w0 = (float)w[4 * SPAN];
    l->tp_ceiling =
        powf(10.0f, (PT_LIMITER_CEILING_DBTP - PT_LIMITER_CLAMP_MARGIN_DB) / 20.0f);
    l->tp_quiet = (float)(l->tp_ceiling / (gain * 1.001)); /* 1.001: rounding */
}

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
    l->tp_clamp = tp_clamp_base;
    tp_design(l);
#ifdef LIM_AVX2
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2")) l->estimates = estimates_avx2, l->tp_clamp = tp_clamp_avx2;
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

/* RT: the largest magnitude among a channel's last three samples h[] and
 * its n new ones, in four lanes (the compiler leaves a float max reduction
 * scalar by itself). */
static float block_peak(const float *h, const float *x, int n)
{
    lim_v4 av = {0};
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        lim_v4 xv;
        memcpy(&xv, x + i, sizeof xv);
        av = lim_max((lim_v4)((lim_i4)xv & 0x7fffffff), av);
    }
    float a = 0.0f;
    for (int k = 0; k < 4; k++) a = av[k] > a ? av[k] : a;
    for (; i < n; i++) a = fabsf(x[i]) > a ? fabsf(x[i]) : a;
    for (int k = 0; k < 3; k++) a = fabsf(h[k]) > a ? fabsf(h[k]) : a;
    return a;
}

/* RT: a block whose samples (and the three before it) stay within q can
 * be proved under the ceiling c without the cubic between each pair: a
 * Catmull-Rom cubic never exceeds 1.25 times its largest point (its
 * weights' magnitudes sum to at most 1.25, at t = 1/2), and no jump exceeds
 * 2q. The margin covers float rounding in between(). */
static bool provably_quiet(float q, float ring, float c)
{
    float jump = GIBBS * 2.0f * q;
    return 1.26f * q + (jump > ring ? jump : ring) <= c;
}

/* RT: d[i] of estimates_body alone (the Gibbs overshoot of each jump), with
 * the history updated the same way. */
static void jumps(float *h, const float *x, int n, float *d)
{
    float prev = n ? h[2] : 0.0f;
    for (int i = 0; i < n; i++) {
        d[i] = GIBBS * fabsf(x[i] - prev);
        prev = x[i];
    }
    if (n >= 3) {
        h[0] = x[n - 3], h[1] = x[n - 2], h[2] = x[n - 1];
    } else if (n == 2) {
        h[0] = h[2], h[1] = x[0], h[2] = x[1];
    } else if (n == 1) {
        h[0] = h[1], h[1] = h[2], h[2] = x[0];
    }
}

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

/* RT: stage 2 on channel ch's n samples from the limiter's sample count
 * (limiter.h). Each sample goes out as it is when every open point, with it
 * and the witness after it, stays within the bound; else as the value
 * nearest it for which they all do (that set always holds the witness's own
 * next sample: the last one decayed). Writes each sample's ratio out/in to
 * ratio[] (1 where it went out as it was) and returns how many moved. */
static inline __attribute__((always_inline)) int tp_clamp_body(pt_limiter *l, int ch, float *x,
                                                               int n, float *ratio)
{
    enum { RING = PT_LIMITER_TP_RING, SPAN = PT_LIMITER_TP_SPAN, NV = RING / 4 };
    const float T = l->tp_ceiling;
    float (*acc)[RING] = l->tp_acc[ch], *hist = l->tp_hist[ch];
    const unsigned s0 = l->tp_n;
    /* A quiet stretch: no point can reach the bound when no sample in its
     * window does, here or in the last 2 * SPAN out, come near tp_quiet.
     * It goes out as it is, unchecked, and the sums are left to be made
     * again from the samples kept when a louder one comes. */
    float loud = 0.0f;
    for (int i = 0; i < n; i++) loud = fabsf(x[i]) > loud ? fabsf(x[i]) : loud;
    for (int j = 0; j < 2 * SPAN; j++) {
        float h = fabsf(hist[(s0 - 1 - (unsigned)j) & (RING - 1)]);
        loud = h > loud ? h : loud;
    }
    if (loud <= l->tp_quiet) {
        for (int i = 0; i < n; i++) {
            hist[(s0 + (unsigned)i) & (RING - 1)] = x[i];
            ratio[i] = 1.0f;
        }
        l->tp_last[ch] = n ? x[n - 1] : l->tp_last[ch];
        l->tp_summed[ch] = false;
        return 0;
    }
    if (!l->tp_summed[ch]) {
        /* the sums of the open points, from the samples kept, in the order
         * the loop below adds them (so the result is the same to the bit) */
        memset(acc, 0, sizeof l->tp_acc[ch]);
        for (int r = 0; r < 2 * SPAN - 1; r++) {
            unsigned m = s0 - SPAN + (unsigned)r; /* the segment */
            for (unsigned j = m - (SPAN - 1); j != s0; j++)
                for (int k = 0; k < 3; k++)
                    acc[k][m & (RING - 1)] += l->tp_w[k][m - j + SPAN] * hist[j & (RING - 1)];
        }
        l->tp_summed[ch] = true;
    }
    int moved = 0;
    for (int i = 0; i < n; i++) {
        const unsigned s = s0 + (unsigned)i, off = (SPAN - s) & (RING - 1);
        const float xi = x[i];
        /* the segment that opens with this sample starts from nothing */
        for (int k = 0; k < 3; k++) acc[k][(s + SPAN - 1) & (RING - 1)] = 0.0f;
        /* four maxima side by side: one chain of 24 would wait on itself */
        lim_v4 worst[4] = {{0}};
        for (int k = 0; k < 3; k++)
            for (int q = 0; q < NV; q++) {
                lim_v4 a, we;
                memcpy(&a, &acc[k][4 * q], sizeof a);
                memcpy(&we, &l->tp_we[k][off + 4 * q], sizeof we);
                lim_v4 v = a + we * xi;
                worst[q & 3] = lim_max(worst[q & 3], (lim_v4)((lim_i4)v & 0x7fffffff));
            }
        worst[0] = lim_max(lim_max(worst[0], worst[1]), lim_max(worst[2], worst[3]));
        float m = fabsf(l->tp_w0 * xi);
        for (int k = 0; k < 4; k++) m = worst[0][k] > m ? worst[0][k] : m;
        float y = xi;
        ratio[i] = 1.0f;
        if (m > T) {
            /* each open point: |a + we y| <= T, an interval of y */
            float lo = -T / l->tp_w0, hi = T / l->tp_w0;
            for (int k = 0; k < 3; k++)
                for (int r = 0; r < 2 * SPAN; r++) {
                    float sa = l->tp_sign[k][r] * acc[k][(s + (unsigned)r - SPAN) & (RING - 1)];
                    float h = (T - sa) * l->tp_inv[k][r], g = (-T - sa) * l->tp_inv[k][r];
                    hi = h < hi ? h : hi;
                    lo = g > lo ? g : lo;
                }
            /* lo > hi only by rounding: the witness's sample is still safe */
            y = lo > hi ? l->tp_last[ch] * (float)TP_DECAY : xi > hi ? hi : xi < lo ? lo : xi;
            ratio[i] = fabsf(y) < fabsf(xi) ? fabsf(y / xi) : 1.0f;
            x[i] = y;
            moved++;
        }
        l->tp_last[ch] = y;
        hist[s & (RING - 1)] = y;
        for (int k = 0; k < 3; k++)
            for (int q = 0; q < NV; q++) {
                lim_v4 a, w;
                memcpy(&a, &acc[k][4 * q], sizeof a);
                memcpy(&w, &l->tp_w[k][off + 4 * q], sizeof w);
                a += w * y;
                memcpy(&acc[k][4 * q], &a, sizeof a);
            }
        /* the oldest segment is whole now: out of the checks */
        for (int k = 0; k < 3; k++) acc[k][(s - SPAN) & (RING - 1)] = 0.0f;
    }
    return moved;
}

static int tp_clamp_base(pt_limiter *l, int ch, float *x, int n, float *ratio)
{
    return tp_clamp_body(l, ch, x, n, ratio);
}
#ifdef LIM_AVX2
__attribute__((target("avx2"))) static int tp_clamp_avx2(pt_limiter *l, int ch, float *x, int n,
                                                         float *ratio)
{
    return tp_clamp_body(l, ch, x, n, ratio);
}
#endif

/* RT */
void pt_limiter_process(pt_limiter *l, float *left, float *right, int frames)
{
    if (!atomic_load_explicit(&l->on, memory_order_relaxed)) {
        atomic_store_explicit(&l->reduction_bits, 0u, memory_order_relaxed);
        l->gain = 1.0f;
        l->tp_stale = true;
        return;
    }
    if (l->tp_stale) { /* what went out while off is not ours to bound */
        memset(l->tp_acc, 0, sizeof l->tp_acc);
        memset(l->tp_hist, 0, sizeof l->tp_hist);
        l->tp_last[0] = l->tp_last[1] = 0.0f;
        l->tp_stale = false;
    }
    const float c = l->ceiling_sample;
    float g = l->gain, lowest = 1.0f;
    unsigned long long limited = 0;
    for (int i0 = 0; i0 < frames; i0 += LIM_CHUNK) {
        const int n = frames - i0 < LIM_CHUNK ? frames - i0 : LIM_CHUNK;
        float *L = left + i0, *R = right ? right + i0 : L;
        float m[2][LIM_CHUNK], d[2][LIM_CHUNK];
        float gain[LIM_CHUNK], ratio[2][LIM_CHUNK];
        /* The common case, nothing to limit: at unity gain with every
         * sample's peak estimate provably under the ceiling (the overshoot
         * never exceeds its value at the start or the largest new jump),
         * the block passes untouched; only the overshoot state moves on.
         * (The hold counter matters only while the gain is below 1.) A
         * quiet block is proved so from its peak alone, without the
         * estimates (the same decision and the same state after it). */
        bool idle;
        if (g == 1.0f && provably_quiet(block_peak(l->hist[0], L, n), l->ring[0], c) &&
            provably_quiet(block_peak(l->hist[1], R, n), l->ring[1], c)) {
            jumps(l->hist[0], L, n, d[0]);
            jumps(l->hist[1], R, n, d[1]);
            idle = true;
        } else {
            float d0, d1;
            float a0 = l->estimates(l->hist[0], L, n, m[0], d[0], &d0);
            float a1 = l->estimates(l->hist[1], R, n, m[1], d[1], &d1);
            idle = g == 1.0f && a0 + (d0 > l->ring[0] ? d0 : l->ring[0]) <= c &&
                   a1 + (d1 > l->ring[1] ? d1 : l->ring[1]) <= c;
        }
        if (idle) {
            ring_after(l->ring, d[0], d[1], n);
            l->hold = l->hold > n ? l->hold - n : 0;
        }
        for (int i = 0; !idle && i < n; i++) {
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
            gain[i] = g;
            if (g < 1.0f) {
                float y0 = L[i] * g, y1 = R[i] * g;
                L[i] = y0 > c ? c : y0 < -c ? -c : y0; /* rounding: never above */
                if (right) R[i] = y1 > c ? c : y1 < -c ? -c : y1;
            }
        }
        /* the last stage, on what the gain let through */
        int moved = l->tp_clamp(l, 0, L, n, ratio[0]);
        if (right && right != left) moved += l->tp_clamp(l, 1, R, n, ratio[1]);
        else memcpy(ratio[1], ratio[0], sizeof ratio[0]);
        l->tp_n += (unsigned)n;
        if (idle && !moved) continue;
        /* the readout: each frame's reduction, gain and last stage together */
        for (int i = 0; i < n; i++) {
            float f = idle ? 1.0f : gain[i];
            if (moved) f *= ratio[0][i] < ratio[1][i] ? ratio[0][i] : ratio[1][i];
            if (f < 1.0f) {
                limited++;
                if (f < lowest) lowest = f;
            }
        }
    }
    l->gain = g;
    if (lowest < 1e-5f) lowest = 1e-5f; /* a sample moved to 0: read as 100 dB */
    float db = lowest < 1.0f ? -20.0f * log10f(lowest) : 0.0f;
    unsigned bits;
    memcpy(&bits, &db, sizeof bits);
    atomic_store_explicit(&l->reduction_bits, bits, memory_order_relaxed);
    if (limited) atomic_fetch_add_explicit(&l->limited_samples, limited, memory_order_relaxed);
}
