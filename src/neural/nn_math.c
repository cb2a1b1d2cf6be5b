/* nn_math.c — matrix products and activations for the neural models.
 *
 * Why these loops look the way they do:
 * - pt_nn_matmul keeps a tile of 32 frames of two (AVX2) or four (AVX-512)
 *   output rows in vector accumulators (registers) and streams the input
 *   rows past them: each input vector loaded feeds two or four
 *   multiply-adds, each weight is broadcast once per tile.
 * - tanh and sigmoid are computed without branches (both candidate
 *   formulas, then a select), so the loops vectorise.
 * - FMA contraction is allowed in this file: a*b+c may be fused, which makes
 *   the result more accurate, not less.
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=fast")
#endif

#include "nn_math.h"

/* The vector helpers below are static and always inlined, so no
 * vector value crosses a function boundary; GCC's note that an AVX vector
 * return would change the ABI does not apply. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

#include <math.h>
#include <stdint.h>
#include <string.h>

/* 16 floats; GCC/clang vector extensions: one AVX-512 register in the
 * x86-64-v4 build, two AVX registers in the v3 one, four SSE registers in
 * the baseline. The unaligned, may_alias twin loads from and stores to rows. */
#define VL 16
typedef float vf __attribute__((vector_size(4 * VL)));
typedef float vfu __attribute__((vector_size(4 * VL), aligned(4), __may_alias__));
typedef int32_t vi __attribute__((vector_size(4 * VL)));
#define LD(p) (*(const vfu *)(p))
#define ST(p, v) (*(vfu *)(p) = (v))

/* all lanes = v (note (vf){0} + v is not a plain broadcast: 0 + -0 is +0,
 * so the compiler adds an instruction; splat_at broadcasts the bits) */
static inline __attribute__((always_inline)) vf splat(float v) { return (vf){0} + v; }

static inline __attribute__((always_inline)) vf splat_at(const float *p)
{
    int32_t bits;
    memcpy(&bits, p, sizeof bits);
    return (vf)((vi){0} + bits);
}

/* RT: R (2 or 4) output rows, 32 frames from t, into y[k][0..32). The
 * accumulators (2R vectors) stay in registers while the input rows stream
 * past: each input vector feeds R multiply-adds. */
static inline __attribute__((always_inline)) void tile_32(const int R, int n_rows, const float *const *w,
                                                           const float *b, const float *const *rows,
                                                           const float *const *init, float *const *y,
                                                           int t)
{
    vf a0[4], a1[4];
    for (int k = 0; k < R; k++) {
        a0[k] = splat(b[k]);
        a1[k] = a0[k];
        if (init) a0[k] += LD(init[k] + t), a1[k] += LD(init[k] + t + VL);
    }
    for (int r = 0; r < n_rows; r++) {
        const float *x = rows[r] + t;
        const vf x0 = LD(x), x1 = LD(x + VL);
        for (int k = 0; k < R; k++) {
            const vf p = splat_at(&w[k][r]);
            a0[k] += p * x0;
            a1[k] += p * x1;
        }
    }
    for (int k = 0; k < R; k++) ST(y[k], a0[k]), ST(y[k] + VL, a1[k]);
}

/* RT: the matrix product with tiles of R rows. Rows past n_out in the last
 * group repeat the last row and their results are dropped. */
static inline __attribute__((always_inline)) void matmul_tiles(const int R, int n_out, int n_rows,
                                                                const float *W, const float *bias,
                                                                const float *const *rows,
                                                                const float *const *init,
                                                                float *const *out, int frames)
{
    const int full = frames & ~31, tail = frames - full;
    float tmp[4][32];
    for (int o = 0; o < n_out; o += R) {
        const float *w[4], *in[4];
        float b[4], *y[4];
        int live = n_out - o < R ? n_out - o : R;
        for (int k = 0; k < R; k++) {
            int ok = k < live ? o + k : o + live - 1;
            w[k] = W + (size_t)ok * n_rows;
            b[k] = bias ? bias[ok] : 0.0f;
            in[k] = init ? init[ok] : NULL;
        }
        for (int t = 0; t < full; t += 32) {
            for (int k = 0; k < R; k++) y[k] = k < live ? out[o + k] + t : tmp[k];
            tile_32(R, n_rows, w, b, rows, init ? in : NULL, y, t);
        }
        if (tail) {
            /* the rows are readable past `frames` (nn_math.h); only `tail`
             * results are kept */
            for (int k = 0; k < R; k++) y[k] = tmp[k];
            tile_32(R, n_rows, w, b, rows, init ? in : NULL, y, full);
            for (int k = 0; k < live; k++) memcpy(out[o + k] + full, tmp[k], (size_t)tail * sizeof(float));
        }
    }
}

/* One build per instruction set, chosen per call from the CPU's features
 * (a cached flag read; no locks): AVX-512 takes four rows per tile, AVX2
 * and the baseline two, so the accumulators fit the register file. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(PT_NO_TARGET_CLONES)
#define PT_NN_DISPATCH 1
__attribute__((target("arch=x86-64-v4"))) static void matmul_v4(int n_out, int n_rows, const float *W,
                                                                 const float *bias, const float *const *rows,
                                                                 const float *const *init, float *const *out,
                                                                 int frames)
{
    matmul_tiles(4, n_out, n_rows, W, bias, rows, init, out, frames);
}

__attribute__((target("arch=x86-64-v3"))) static void matmul_v3(int n_out, int n_rows, const float *W,
                                                                 const float *bias, const float *const *rows,
                                                                 const float *const *init, float *const *out,
                                                                 int frames)
{
    matmul_tiles(2, n_out, n_rows, W, bias, rows, init, out, frames);
}
#endif

static void matmul_base(int n_out, int n_rows, const float *W, const float *bias, const float *const *rows,
                        const float *const *init, float *const *out, int frames)
{
    matmul_tiles(2, n_out, n_rows, W, bias, rows, init, out, frames);
}

/* RT */
void pt_nn_matmul(int n_out, int n_rows, const float *W, const float *bias, const float *const *rows,
                  const float *const *init, float *const *out, int frames)
{
#ifdef PT_NN_DISPATCH
    if (__builtin_cpu_supports("x86-64-v4")) {
        matmul_v4(n_out, n_rows, W, bias, rows, init, out, frames);
        return;
    }
    if (__builtin_cpu_supports("x86-64-v3")) {
        matmul_v3(n_out, n_rows, W, bias, rows, init, out, frames);
        return;
    }
#endif
    matmul_base(n_out, n_rows, W, bias, rows, init, out, frames);
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
    for (; i + VL <= n; i += VL) ST(x + i, tanh_v(LD(x + i)));
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
    for (; i + VL <= n; i += VL) ST(x + i, sigmoid_v(LD(x + i)));
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
