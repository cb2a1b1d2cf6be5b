/* nn_math.c — matrix products and activations for the neural models.
 *
 * Why these loops look the way they do:
 * - pt_nn_matmul keeps a tile of 32 frames of one or two output rows in
 *   local accumulators and streams the input rows past them, so the
 *   compiler holds the tile in vector registers and each weight is
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

#include <math.h>
#include <stdint.h>
#include <string.h>

#define TILE 32

/* RT */
PT_HOT void pt_nn_matmul(int n_out, int n_rows, const float *W, const float *bias,
                         const float *const *rows, const float *const *init, float *const *out,
                         int frames)
{
    int o = 0;
    /* two output rows at a time: every input load feeds two FMAs */
    for (; o + 2 <= n_out; o += 2) {
        const float *w0 = W + (size_t)o * n_rows, *w1 = w0 + n_rows;
        float b0 = bias ? bias[o] : 0.0f, b1 = bias ? bias[o + 1] : 0.0f;
        float *restrict y0 = out[o], *restrict y1 = out[o + 1];
        for (int t = 0; t < frames; t += TILE) {
            int m = frames - t < TILE ? frames - t : TILE;
            float a0[TILE], a1[TILE];
            if (m == TILE) {
                for (int j = 0; j < TILE; j++) a0[j] = b0, a1[j] = b1;
                if (init)
                    for (int j = 0; j < TILE; j++) a0[j] += init[o][t + j], a1[j] += init[o + 1][t + j];
                for (int r = 0; r < n_rows; r++) {
                    const float *restrict x = rows[r] + t;
                    float c0 = w0[r], c1 = w1[r];
                    for (int j = 0; j < TILE; j++) {
                        a0[j] += c0 * x[j];
                        a1[j] += c1 * x[j];
                    }
                }
                for (int j = 0; j < TILE; j++) y0[t + j] = a0[j], y1[t + j] = a1[j];
            } else {
                for (int j = 0; j < m; j++) a0[j] = b0, a1[j] = b1;
                if (init)
                    for (int j = 0; j < m; j++) a0[j] += init[o][t + j], a1[j] += init[o + 1][t + j];
                for (int r = 0; r < n_rows; r++) {
                    const float *restrict x = rows[r] + t;
                    float c0 = w0[r], c1 = w1[r];
                    for (int j = 0; j < m; j++) {
                        a0[j] += c0 * x[j];
                        a1[j] += c1 * x[j];
                    }
                }
                for (int j = 0; j < m; j++) y0[t + j] = a0[j], y1[t + j] = a1[j];
            }
        }
    }
    for (; o < n_out; o++) {
        const float *w0 = W + (size_t)o * n_rows;
        float b0 = bias ? bias[o] : 0.0f;
        float *restrict y0 = out[o];
        for (int t = 0; t < frames; t += TILE) {
            int m = frames - t < TILE ? frames - t : TILE;
            float a0[TILE];
            if (m == TILE) {
                for (int j = 0; j < TILE; j++) a0[j] = b0;
                if (init)
                    for (int j = 0; j < TILE; j++) a0[j] += init[o][t + j];
                for (int r = 0; r < n_rows; r++) {
                    const float *restrict x = rows[r] + t;
                    float c0 = w0[r];
                    for (int j = 0; j < TILE; j++) a0[j] += c0 * x[j];
                }
                for (int j = 0; j < TILE; j++) y0[t + j] = a0[j];
            } else {
                for (int j = 0; j < m; j++) a0[j] = b0;
                if (init)
                    for (int j = 0; j < m; j++) a0[j] += init[o][t + j];
                for (int r = 0; r < n_rows; r++) {
                    const float *restrict x = rows[r] + t;
                    float c0 = w0[r];
                    for (int j = 0; j < m; j++) a0[j] += c0 * x[j];
                }
                for (int j = 0; j < m; j++) y0[t + j] = a0[j];
            }
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

/* exp(y) for y in [-87.3, 88]: y = n ln2 + r with |r| <= ln2/2, exp(r) by its
 * Taylor series to r^7 (error < 6e-9 relative), 2^n built in the exponent
 * bits. Branch-free so that callers' loops vectorise. */
static inline __attribute__((always_inline)) float exp_core(float y)
{
    float t = y * 1.44269504088896341f;
    float n = (t + 12582912.0f) - 12582912.0f; /* round to nearest (|t| < 2^22) */
    float r = y - n * 0.693145751953125f;      /* ln2 in two parts (Cody-Waite) */
    r = r - n * 1.428606765330187e-6f;
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    union { int32_t i; float f; } s;
    s.i = ((int32_t)n + 127) << 23;
    return p * s.f;
}

/* tanh: near zero an odd polynomial (a least-squares fit of tanh(x)/x on
 * |x| <= 0.55, error 1.3e-9 relative); beyond, 1 - 2/(exp(2|x|) + 1), where the
 * subtraction loses no more than a factor ~1 of relative accuracy. Saturates
 * to +-1 past |x| = 10 (tanhf is 1 in float from 9.01). */
static inline __attribute__((always_inline)) float tanh_core(float x)
{
    float ax = fabsf(x);
    float x2 = x * x;
    float p = -6.321879914e-03f;
    p = p * x2 + 2.110860363e-02f;
    p = p * x2 - 5.386235589e-02f;
    p = p * x2 + 1.333269712e-01f;
    p = p * x2 - 3.333332159e-01f;
    float small = x + x * x2 * p;
    float e = exp_core(2.0f * (ax < 10.0f ? ax : 10.0f));
    float big = 1.0f - 2.0f / (e + 1.0f);
    big = x < 0.0f ? -big : big;
    return ax < 0.55f ? small : big;
}

static inline __attribute__((always_inline)) float sigmoid_core(float x)
{
    float y = -x;
    y = y < -87.0f ? -87.0f : y;
    y = y > 87.0f ? 87.0f : y;
    return 1.0f / (1.0f + exp_core(y));
}

/* RT */
PT_HOT void pt_nn_tanh(float *restrict x, int n)
{
    for (int i = 0; i < n; i++) x[i] = tanh_core(x[i]);
}

/* RT */
PT_HOT void pt_nn_sigmoid(float *restrict x, int n)
{
    for (int i = 0; i < n; i++) x[i] = sigmoid_core(x[i]);
}

float pt_nn_tanh1(float x) { return tanh_core(x); }
float pt_nn_sigmoid1(float x) { return sigmoid_core(x); }

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
