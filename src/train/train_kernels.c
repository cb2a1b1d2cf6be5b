/* train_kernels.c — see train_kernels.h. The dot products run over time in
 * chunks small enough that four gradient rows and one input row stay in L1
 * while every input row of the layer streams past. */
#include "train_kernels.h"

/* a*b+c may be fused into one FMA here (more accurate, not less), as in
 * nn_math.c; ISO C mode otherwise keeps them apart */
#if defined(__clang__)
#pragma clang fp contract(fast)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=fast")
#endif

#include <string.h>

#include "../neural/nn_math.h"

#define CHUNK 1024

/* 8 lanes in the AVX-512 build too: rows start anywhere (a dilated tap is a
 * row at an offset), so 64-byte loads would split cache lines every time, and
 * on the CI's AMD cores (512-bit ops run as two 256-bit halves) it measured
 * half the speed of 8 lanes */
#define PT_ISA_V4_VL 8
#define PT_ISA_KERNELS "../train/train_kernels.inc"
#include "../core/isa_builds.inc"
#ifdef PT_ISA_DISPATCH
#define TRAIN_DISPATCH 1
#endif

/* the build the player's kernels use (pt_nn_isa: the CPU's best, or the one
 * a test chose) */
void pt_train_dots(int n_out, int n_rows, const float *const *a, const float *const *b, int n, double *dW, int ldw)
{
#ifdef TRAIN_DISPATCH
    const char *isa = pt_nn_isa();
    if (!strcmp(isa, "avx512")) return dots_v4(n_out, n_rows, a, b, n, dW, ldw);
    if (!strcmp(isa, "avx2")) return dots_v3(n_out, n_rows, a, b, n, dW, ldw);
#endif
#ifdef PT_ISA_NEON
    if (!strcmp(pt_nn_isa(), "neon")) return dots_neon(n_out, n_rows, a, b, n, dW, ldw);
#endif
    dots_base(n_out, n_rows, a, b, n, dW, ldw);
}

PT_HOT double pt_train_sum(const float *restrict x, int n)
{
    double s = 0;
    for (int t0 = 0; t0 < n; t0 += CHUNK) {
        const int m = n - t0 < CHUNK ? n - t0 : CHUNK;
        float acc[16] = {0}; /* sixteen partial sums: vectorised, in chunks, then double */
        int t = 0;
        for (; t + 16 <= m; t += 16)
            for (int i = 0; i < 16; i++) acc[i] += x[t0 + t + i];
        for (; t < m; t++) acc[0] += x[t0 + t];
        for (int i = 0; i < 16; i++) s += acc[i];
    }
    return s;
}

PT_HOT void pt_train_tanh_back(float *restrict da, const float *restrict dz, const float *restrict z, int n)
{
    for (int t = 0; t < n; t++) da[t] = dz[t] * (1.0f - z[t] * z[t]);
}
