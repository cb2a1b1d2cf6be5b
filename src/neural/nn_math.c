/* nn_math.c — matrix products and activations for the neural models.
 *
 * Why these loops look the way they do:
 * - pt_nn_matmul keeps a tile of 32 frames of two (AVX2) or four (AVX-512)
 *   output rows in vector accumulators (registers) and streams the input
 *   rows past them: each input vector loaded feeds two or four
 *   multiply-adds, each weight is broadcast once per tile.
 * - tanh is a rational function (no exp), sigmoid an exp; both on whole
 *   vectors without branches (clamps by min/max), the AVX builds' divisions
 *   by reciprocal estimate and Newton steps. A WaveNet layer's tanh and its
 *   head-sum addition run on the matrix tile's registers
 *   (pt_nn_matmul_tanh).
 * - the LSTM cell is packed per vector width so one step is a register tile
 *   of gate sums, the gates and the state update (pt_nn_lstm_cell).
 * - FMA contraction is allowed in this file: a*b+c may be fused, which makes
 *   the result more accurate, not less.
 */
#if defined(__clang__)
#pragma clang fp contract(fast)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=fast")
#endif

#include "nam_internal.h" /* pt_nn_alloc */
#include "nn_math.h"

/* The vector helpers below are static and always inlined, so no
 * vector value crosses a function boundary; GCC's note that an AVX vector
 * return would change the ABI does not apply. */
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The kernels, once per instruction set (GCC and clang on x86-64; other
 * targets get the portable build only). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(PT_NO_TARGET_CLONES)
#define PT_NN_DISPATCH 1
#include <immintrin.h> /* the reciprocal, minimum and maximum of each build */
#define VL 16
#define ROWS 4
#define TARGET __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")))
#define F(name) name##_v4
/* vrcp14ps: 14 bits, one Newton step */
#define NN_RCP(d) _mm512_rcp14_ps(d)
#define NN_RCP_STEPS 1
#define NN_MIN(a, b) _mm512_min_ps(a, b)
#define NN_MAX(a, b) _mm512_max_ps(a, b)
#include "nn_kernels.inc"
#undef NN_RCP
#undef NN_RCP_STEPS
#undef NN_MIN
#undef NN_MAX
#undef VL
#undef ROWS
#undef TARGET
#undef F
#define VL 8
#define ROWS 2
#define TARGET __attribute__((target("avx2,fma")))
#define F(name) name##_v3
/* vrcpps: 12 bits, two Newton steps */
#define NN_RCP(d) _mm256_rcp_ps(d)
#define NN_RCP_STEPS 2
#define NN_MIN(a, b) _mm256_min_ps(a, b)
#define NN_MAX(a, b) _mm256_max_ps(a, b)
#include "nn_kernels.inc"
#undef NN_RCP
#undef NN_RCP_STEPS
#undef NN_MIN
#undef NN_MAX
#undef VL
#undef ROWS
#undef TARGET
#undef F
#endif
/* 64-bit ARM: Advanced SIMD (NEON) is part of every ARMv8-A CPU, so its build
 * needs no attribute; one 128-bit register per vector and two rows per tile
 * (16 accumulators, 8 input vectors and a weight in its 32 registers). */
#if defined(__aarch64__) && defined(__GNUC__) && defined(__ARM_NEON)
#define PT_NN_NEON 1
#define VL 4
#define ROWS 2
#define TARGET
#define F(name) name##_neon
#define NN_TILE_FRAMES 16
#include "nn_kernels.inc"
#undef NN_TILE_FRAMES
#undef VL
#undef ROWS
#undef TARGET
#undef F
#endif
/* the portable build: vectors of 4 (what SSE2 and NEON hold; 8-float
 * vectors there are emulated in pairs and spill) and tiles of 2 rows x 16
 * frames, 8 sums in 16 registers: 1.7x faster than 8 x 2 x 32 on x86-64
 * (thread CPU, standard WaveNet), the same results to the bit */
#define VL 4
#define ROWS 2
#define TARGET
#define F(name) name##_base
#define NN_TILE_FRAMES 16
#ifdef PT_NN_DISPATCH /* x86-64: SSE is part of the baseline */
#define NN_MIN(a, b) _mm_min_ps(a, b)
#define NN_MAX(a, b) _mm_max_ps(a, b)
#endif
#include "nn_kernels.inc"
#undef NN_MIN
#undef NN_MAX
#undef NN_TILE_FRAMES
#undef VL
#undef ROWS
#undef TARGET
#undef F

/* Which build runs: asked of the CPU on every call — a read of a flag
 * the compiler's runtime filled in at start-up, no locks, no system calls —
 * unless a test
 * chose one with pt_nn_set_isa(). */
enum { ISA_BASE, ISA_V3, ISA_V4, ISA_NEON, N_ISA };
static int forced_isa = -1;

static inline int best_isa(void)
{
#ifdef PT_NN_DISPATCH
    const int v3 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (v3 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq"))
        return ISA_V4;
    if (v3) return ISA_V3;
#endif
#ifdef PT_NN_NEON
    return ISA_NEON;
#endif
    return ISA_BASE;
}

/* Whether build i runs on this CPU: the baseline always; on x86 those up
 * to the best; NEON on 64-bit ARM. */
static int isa_available(int i)
{
    int best = best_isa();
    if (i == ISA_BASE || i == best) return 1;
    return best != ISA_NEON && i < best;
}

static inline int isa(void) { return forced_isa >= 0 ? forced_isa : best_isa(); }

static const char *const isa_names[N_ISA] = {"baseline", "avx2", "avx512", "neon"};

const char *pt_nn_isa(void) { return isa_names[isa()]; }

int pt_nn_set_isa(const char *name)
{
    if (!name) {
        forced_isa = -1;
        return 0;
    }
    for (int i = 0; i < N_ISA; i++)
        if (strcmp(name, isa_names[i]) == 0) {
            if (!isa_available(i)) return -1;
            forced_isa = i;
            return 0;
        }
    return -1;
}

/* RT: dispatch to the build for this CPU. */
void pt_nn_matmul(int n_out, int n_rows, const float *W, const float *bias, const float *const *rows,
                  const float *const *init, float *const *out, int frames)
{
    switch (isa()) {
#ifdef PT_NN_DISPATCH
    case ISA_V4: matmul_v4(n_out, n_rows, W, bias, rows, init, out, frames); return;
    case ISA_V3: matmul_v3(n_out, n_rows, W, bias, rows, init, out, frames); return;
#endif
#ifdef PT_NN_NEON
    case ISA_NEON: matmul_neon(n_out, n_rows, W, bias, rows, init, out, frames); return;
#endif
    default: matmul_base(n_out, n_rows, W, bias, rows, init, out, frames); return;
    }
}

/* RT: dispatch to the build for this CPU. */
void pt_nn_matmul_tanh(int n_out, int n_rows, const float *W, const float *bias, const float *const *rows,
                       float *const *out, float *const *sum, int frames)
{
    switch (isa()) {
#ifdef PT_NN_DISPATCH
    case ISA_V4: matmul_tanh_v4(n_out, n_rows, W, bias, rows, out, sum, frames); return;
    case ISA_V3: matmul_tanh_v3(n_out, n_rows, W, bias, rows, out, sum, frames); return;
#endif
#ifdef PT_NN_NEON
    case ISA_NEON: matmul_tanh_neon(n_out, n_rows, W, bias, rows, out, sum, frames); return;
#endif
    default: matmul_tanh_base(n_out, n_rows, W, bias, rows, out, sum, frames); return;
    }
}

/* RT: dispatch to the build for this CPU. */
void pt_nn_tanh(float *x, int n)
{
    switch (isa()) {
#ifdef PT_NN_DISPATCH
    case ISA_V4: tanh_block_v4(x, n); return;
    case ISA_V3: tanh_block_v3(x, n); return;
#endif
#ifdef PT_NN_NEON
    case ISA_NEON: tanh_block_neon(x, n); return;
#endif
    default: tanh_block_base(x, n); return;
    }
}

/* RT: dispatch to the build for this CPU. */
void pt_nn_sigmoid(float *x, int n)
{
    switch (isa()) {
#ifdef PT_NN_DISPATCH
    case ISA_V4: sigmoid_block_v4(x, n); return;
    case ISA_V3: sigmoid_block_v3(x, n); return;
#endif
#ifdef PT_NN_NEON
    case ISA_NEON: sigmoid_block_neon(x, n); return;
#endif
    default: sigmoid_block_base(x, n); return;
    }
}

/* The packed weights of an LSTM cell, one packing per vector width the
 * builds use (16: AVX-512, 8: AVX2, 4: baseline and NEON), so the kernel
 * picked at run time always finds its own. For width V the H units are
 * split into half-groups of V/2 (the last padded with zero rows); a packed
 * row holds, half-group after half-group, two vectors: [i | f] and
 * [2g | o], each gate's V/2 lanes for the half-group's units. Row 0 is the
 * bias, row 1 + j column j of W ([x; h] order). The g rows are doubled
 * (exactly: a power of two), so the kernel gets every gate from one
 * sigmoid (tanh(g) = 2 sigmoid(2g) - 1). */
struct pt_nn_lstm_cell {
    int in, H;
    float *pack[3]; /* widths 16, 8, 4 */
    float *hn;      /* new h while the tiles still read the old one */
};

static const int pack_width[3] = {16, 8, 4};

pt_nn_lstm_cell *pt_nn_lstm_cell_create(int in, int H, const float *W, const float *b)
{
    pt_nn_lstm_cell *cell = calloc(1, sizeof *cell);
    if (!cell) return NULL;
    cell->in = in, cell->H = H;
    const int cols = in + H;
    cell->hn = pt_nn_alloc((size_t)H + 16);
    if (!cell->hn) goto fail;
    for (int p = 0; p < 3; p++) {
        const int V = pack_width[p], half = V / 2, NH = (H + half - 1) / half;
        const size_t row = (size_t)2 * V * NH;
        float *P = cell->pack[p] = pt_nn_alloc(row * (size_t)(1 + cols));
        if (!P) goto fail;
        for (int m = 0; m < NH; m++)
            for (int q = 0; q < 4; q++) /* PyTorch's gates i, f, g, o */
                for (int l = 0; l < half; l++) {
                    const int unit = m * half + l;
                    if (unit >= H) continue;
                    const int r = q * H + unit;
                    const float scale = q == 2 ? 2.0f : 1.0f;
                    const size_t at = (size_t)(2 * m + q / 2) * V + (size_t)(q % 2) * half + l;
                    P[at] = scale * b[r];
                    for (int j = 0; j < cols; j++) P[(size_t)(1 + j) * row + at] = scale * W[(size_t)r * cols + j];
                }
    }
    return cell;
fail:
    pt_nn_lstm_cell_free(cell);
    return NULL;
}

void pt_nn_lstm_cell_free(pt_nn_lstm_cell *cell)
{
    if (!cell) return;
    for (int p = 0; p < 3; p++) free(cell->pack[p]);
    free(cell->hn);
    free(cell);
}

/* RT: dispatch to the build for this CPU, with its packing. */
void pt_nn_lstm_step(pt_nn_lstm_cell *cell, const float *x, float *h, float *c)
{
    const int in = cell->in, H = cell->H;
    switch (isa()) {
#ifdef PT_NN_DISPATCH
    case ISA_V4: lstm_step_v4(in, H, cell->pack[0], x, h, c, cell->hn); return;
    case ISA_V3: lstm_step_v3(in, H, cell->pack[1], x, h, c, cell->hn); return;
#endif
#ifdef PT_NN_NEON
    case ISA_NEON: lstm_step_neon(in, H, cell->pack[2], x, h, c, cell->hn); return;
#endif
    default: lstm_step_base(in, H, cell->pack[2], x, h, c, cell->hn); return;
    }
}

float pt_nn_tanh1(float x)
{
    tanh_block_base(&x, 1);
    return x;
}

float pt_nn_sigmoid1(float x)
{
    sigmoid_block_base(&x, 1);
    return x;
}

/* RT: y += x. */
PT_HOT void pt_nn_add(float *restrict y, const float *restrict x, int n)
{
    for (int i = 0; i < n; i++) y[i] += x[i];
}

/* RT: y *= x. */
PT_HOT void pt_nn_mul(float *restrict y, const float *restrict x, int n)
{
    for (int i = 0; i < n; i++) y[i] *= x[i];
}

/* The format's fast tanh (a rational function of x and |x|). */
float pt_nn_fasttanh1(float x)
{
    float ax = fabsf(x), x2 = x * x;
    return (x * (2.45550750702956f + 2.45550750702956f * ax +
                 (0.893229853513558f + 0.821226666969744f * ax) * x2)) /
           (2.44506634652299f + (2.44506634652299f + x2) * fabsf(x + 0.814642734961073f * x * ax));
}

/* RT: the format's Fasttanh in place. */
PT_HOT static void fasttanh_block(float *restrict x, int n)
{
    for (int i = 0; i < n; i++) {
        float v = x[i], ax = fabsf(v), x2 = v * v;
        x[i] = (v * (2.45550750702956f + 2.45550750702956f * ax +
                     (0.893229853513558f + 0.821226666969744f * ax) * x2)) /
               (2.44506634652299f + (2.44506634652299f + x2) * fabsf(v + 0.814642734961073f * v * ax));
    }
}

/* RT: the piecewise-linear activations in place. */
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

/* RT: apply one activation in place. */
void pt_nn_activate(pt_nam_act a, float *x, int n)
{
    switch (a) {
    case PT_ACT_TANH: pt_nn_tanh(x, n); break;
    case PT_ACT_SIGMOID: pt_nn_sigmoid(x, n); break;
    case PT_ACT_FASTTANH: fasttanh_block(x, n); break;
    default: simple_block(a, x, n); break;
    }
}
