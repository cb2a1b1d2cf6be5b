/* nn_math.c — matrix products and activations for the neural models.
 *
 * Why these loops look the way they do:
 * - pt_nn_matmul keeps a tile of 32 frames of two output rows in eight
 *   vector accumulators (registers) and streams the input rows past them:
 *   each input vector loaded feeds two multiply-adds, each weight is
 *   broadcast once per tile.
 * - tanh and sigmoid are computed without branches (both candidate
 *   formulas, then a select), so the loops vectorise.
 * - FMA contraction is allowed in this file: a*b+c may be fused, which makes
 *   the result more accurate, not less.
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=fast")
#endif

#include "nn_math.h"

/* The 8-float vector helpers below are static and always inlined, so no
 * vector value crosses a function boundary; GCC's note that an AVX vector
 * return would change the ABI does not apply. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

#include <math.h>
#include <stdint.h>
#include <string.h>

/* 8 floats; GCC/clang vector extensions, lowered to two SSE registers in
 * the baseline build and one AVX register in the x86-64-v3 one. The
 * unaligned, may_alias twin is for loading from and storing to rows. */
typedef float vf __attribute__((vector_size(32)));
typedef float vfu __attribute__((vector_size(32), aligned(4), __may_alias__));
#define LD(p) (*(const vfu *)(p))
#define ST(p, v) (*(vfu *)(p) = (v))
typedef int32_t vi __attribute__((vector_size(32)));

/* all lanes = v (compiles to one broadcast; note 0 + -0.0f is +0.0f, so
 * sign masks are built from integers instead) */
static inline __attribute__((always_inline)) vf splat(float v) { return (vf){0} + v; }

/* RT: two output rows, 32 frames from t: y0[0..32), y1[0..32). */
static inline __attribute__((always_inline)) void tile2_32(int n_rows, const float *w0, const float *w1,
                                                            float b0, float b1, const float *const *rows,
                                                            const float *i0, const float *i1, float *y0,
                                                            float *y1, int t)
{
    vf a0 = splat(b0), a1 = a0, a2 = a0, a3 = a0;
    vf c0 = splat(b1), c1 = c0, c2 = c0, c3 = c0;
    if (i0) {
        a0 += LD(i0 + t), a1 += LD(i0 + t + 8), a2 += LD(i0 + t + 16), a3 += LD(i0 + t + 24);
        c0 += LD(i1 + t), c1 += LD(i1 + t + 8), c2 += LD(i1 + t + 16), c3 += LD(i1 + t + 24);
    }
    for (int r = 0; r < n_rows; r++) {
        const float *x = rows[r] + t;
        const vf x0 = LD(x), x1 = LD(x + 8), x2 = LD(x + 16), x3 = LD(x + 24);
        const vf p = splat(w0[r]), q = splat(w1[r]);
        a0 += p * x0, a1 += p * x1, a2 += p * x2, a3 += p * x3;
        c0 += q * x0, c1 += q * x1, c2 += q * x2, c3 += q * x3;
    }
    ST(y0, a0), ST(y0 + 8, a1), ST(y0 + 16, a2), ST(y0 + 24, a3);
    ST(y1, c0), ST(y1 + 8, c1), ST(y1 + 16, c2), ST(y1 + 24, c3);
}

/* RT */
PT_HOT void pt_nn_matmul(int n_out, int n_rows, const float *W, const float *bias,
                         const float *const *rows, const float *const *init, float *const *out,
                         int frames)
{
    const int full = frames & ~31, tail = frames - full;
    float tmp0[32], tmp1[32];
    for (int o = 0; o < n_out; o += 2) {
        /* an odd last row is computed twice over and the copy dropped */
        const int two = o + 1 < n_out;
        const int o1 = two ? o + 1 : o;
        const float *w0 = W + (size_t)o * n_rows, *w1 = W + (size_t)o1 * n_rows;
        const float b0 = bias ? bias[o] : 0.0f, b1 = bias ? bias[o1] : 0.0f;
        const float *i0 = init ? init[o] : NULL, *i1 = init ? init[o1] : NULL;
        float *y0 = out[o], *y1 = two ? out[o1] : tmp1;
        for (int t = 0; t < full; t += 32)
            tile2_32(n_rows, w0, w1, b0, b1, rows, i0, i1, y0 + t, two ? y1 + t : tmp1, t);
        if (tail) {
            /* the rows are readable past `frames` (see nn_math.h); only
             * `tail` results are kept */
            tile2_32(n_rows, w0, w1, b0, b1, rows, i0, i1, tmp0, tmp1, full);
            memcpy(y0 + full, tmp0, (size_t)tail * sizeof(float));
            if (two) memcpy(y1 + full, tmp1, (size_t)tail * sizeof(float));
        }
    }
}

/* RT */
PT_HOT void pt_nn_add(float *restrict y, const float *restrict x, int n)
{
    for (int i = 0; i < n; i++) y[i] += x[i];
}

/* RT */
PT_HOT void pt_nn_mul(float *restrict y, const float *restrict x, int n)
{
    for (int i = 0; i < n; i++) y[i] *= x[i];
}

/* lanes where mask is set from a, others from b */
static inline __attribute__((always_inline)) vf select(vi mask, vf a, vf b)
{
    return (vf)((mask & (vi)a) | (~mask & (vi)b));
}

/* exp(y) for y in [-87.3, 88]: y = n ln2 + r with |r| <= ln2/2, exp(r) by its
 * Taylor series to r^7 (error < 6e-9 relative), 2^n built in the exponent
 * bits. */
static inline __attribute__((always_inline)) vf exp_v(vf y)
{
    const vf magic = splat(12582912.0f); /* 1.5 * 2^23: adding it rounds to an integer */
    vf n = (y * 1.44269504088896341f + magic) - magic;
    vf r = y - n * 0.693145751953125f; /* ln2 in two parts (Cody-Waite) */
    r = r - n * 1.428606765330187e-6f;
    vf p = splat(1.0f / 5040.0f);
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    vi e = (__builtin_convertvector(n, vi) + 127) << 23;
    return p * (vf)e;
}

/* tanh: near zero an odd polynomial (a least-squares fit of tanh(x)/x on
 * |x| <= 0.55, error 1.3e-9 relative); beyond, 1 - 2/(exp(2|x|) + 1), where the
 * subtraction loses no more than a factor ~1 of relative accuracy. Saturates
 * to +-1 past |x| = 10 (tanhf is 1 in float from 9.01). Both branches are
 * computed and one selected per lane, so it runs 8 lanes at a time. */
static inline __attribute__((always_inline)) vf tanh_v(vf x)
{
    const vi signbit = (vi){0} + INT32_MIN;
    const vi sign = (vi)x & signbit;
    vf ax = (vf)((vi)x & ~signbit);
    vf x2 = x * x;
    vf p = splat(-6.321879914e-03f);
    p = p * x2 + 2.110860363e-02f;
    p = p * x2 - 5.386235589e-02f;
    p = p * x2 + 1.333269712e-01f;
    p = p * x2 - 3.333332159e-01f;
    vf small = x + x * x2 * p;
    vf a = select(ax < 10.0f, ax, splat(10.0f)); /* also maps NaN to 10 */
    vf e = exp_v(a + a);
    vf big = 1.0f - 2.0f / (e + 1.0f);
    big = (vf)((vi)big | sign);
    return select(ax < 0.55f, small, big);
}

static inline __attribute__((always_inline)) vf sigmoid_v(vf x)
{
    vf y = -x;
    y = select(y < -87.0f, splat(-87.0f), y);
    y = select(y > 87.0f, splat(87.0f), y);
    return 1.0f / (1.0f + exp_v(y));
}

/* RT */
PT_HOT void pt_nn_tanh(float *restrict x, int n)
{
    int i = 0;
    for (; i + 8 <= n; i += 8) ST(x + i, tanh_v(LD(x + i)));
    if (i < n) {
        vf t = {0};
        memcpy(&t, x + i, (size_t)(n - i) * sizeof(float));
        t = tanh_v(t);
        memcpy(x + i, &t, (size_t)(n - i) * sizeof(float));
    }
}

/* RT */
PT_HOT void pt_nn_sigmoid(float *restrict x, int n)
{
    int i = 0;
    for (; i + 8 <= n; i += 8) ST(x + i, sigmoid_v(LD(x + i)));
    if (i < n) {
        vf t = {0};
        memcpy(&t, x + i, (size_t)(n - i) * sizeof(float));
        t = sigmoid_v(t);
        memcpy(x + i, &t, (size_t)(n - i) * sizeof(float));
    }
}

float pt_nn_tanh1(float x)
{
    vf t = splat(x);
    return tanh_v(t)[0];
}

float pt_nn_sigmoid1(float x)
{
    vf t = splat(x);
    return sigmoid_v(t)[0];
}

/* The format's fast tanh (a rational function of x and |x|). */
float pt_nn_fasttanh1(float x)
{
    float ax = fabsf(x), x2 = x * x;
    return (x * (2.45550750702956f + 2.45550750702956f * ax +
                 (0.893229853513558f + 0.821226666969744f * ax) * x2)) /
           (2.44506634652299f + (2.44506634652299f + x2) * fabsf(x + 0.814642734961073f * x * ax));
}

/* RT */
PT_HOT static void fasttanh_block(float *restrict x, int n)
{
    for (int i = 0; i < n; i++) {
        float v = x[i], ax = fabsf(v), x2 = v * v;
        x[i] = (v * (2.45550750702956f + 2.45550750702956f * ax +
                     (0.893229853513558f + 0.821226666969744f * ax) * x2)) /
               (2.44506634652299f + (2.44506634652299f + x2) * fabsf(v + 0.814642734961073f * v * ax));
    }
}

/* RT */
PT_HOT static void simple_block(pt_nam_act a, float *restrict x, int n)
{
    switch (a) {
    case PT_ACT_HARDTANH:
        for (int i = 0; i < n; i++) x[i] = x[i] < -1.0f ? -1.0f : (x[i] > 1.0f ? 1.0f : x[i]);
        break;
    case PT_ACT_RELU:
        for (int i = 0; i < n; i++) x[i] = x[i] > 0.0f ? x[i] : 0.0f;
        break;
    case PT_ACT_LEAKYRELU:
        for (int i = 0; i < n; i++) x[i] = x[i] > 0.0f ? x[i] : 0.01f * x[i];
        break;
    default: break;
    }
}

/* RT */
void pt_nn_activate(pt_nam_act a, float *x, int n)
{
    switch (a) {
    case PT_ACT_TANH: pt_nn_tanh(x, n); break;
    case PT_ACT_SIGMOID: pt_nn_sigmoid(x, n); break;
    case PT_ACT_FASTTANH: fasttanh_block(x, n); break;
    default: simple_block(a, x, n); break;
    }
}
