/* fft_simd.c — the project's real FFT for power-of-two sizes (see fft.h).
 *
 * A real transform of n points is a complex transform of M = n/2 points
 * (even samples as real parts, odd as imaginary) and one O(n) pass that
 * separates the two halves (fft_kernels.inc). The complex transform is a
 * Stockham FFT on split arrays: with the real and imaginary parts apart,
 * every butterfly works on whole vectors and needs no shuffles but in its
 * first log2(VL) stages; stages go two at a time (radix 4) wherever they
 * can, the first ones with shuffles, the later ones without. The kernels are
 * compiled per instruction set (AVX-512 and AVX2 + FMA on x86-64, NEON on
 * 64-bit ARM, portable vectors of 4 everywhere) and a plan takes the best
 * this CPU runs when it is made. Twiddles are computed in double and
 * rounded once. */
#if defined(__clang__)
#pragma clang fp contract(fast)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=fast")
#pragma GCC diagnostic ignored "-Wpsabi" /* vectors never cross a function boundary */
#endif

#include "fft.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "fft_kiss.h"
#include "platform/platform.h"

enum { ISA_PORTABLE, ISA_AVX2, ISA_AVX512, ISA_NEON, ISA_KISS, N_ISA };
static const char *const isa_names[] = {"portable", "avx2", "avx512", "neon", "kiss"};

struct pt_fft {
    int n, m, isa;
    pt_kfft *kiss;      /* ISA_KISS */
    float *w1r, *w1i;   /* exp(-2 pi i k / M), k < M */
    float *wxr[4], *wxi[4]; /* [1..3]: w1 at s * (j / s) for s = 2, 4, 8, j < M/2 */
    float *wnr, *wni;   /* exp(-2 pi i k / n), k < M */
    /* [i][r-1]: w1 at r s (j / s) for s = 2^i (i < 3), r = 1..3, j < M/4:
     * the radix-4 small stages' twiddles */
    float *wqr[3][3], *wqi[3][3];
    float *buf[4];      /* M each: two split complex buffers */
};

#define PT_FFT_MIN 64 /* smallest size of the SIMD kernels: M/2 >= 16 lanes */

#define PT_ISA_KERNELS "../conv/fft_kernels.inc"
#include "../core/isa_builds.inc"
#ifdef PT_ISA_DISPATCH
#define PT_FFT_DISPATCH 1
#endif
#ifdef PT_ISA_NEON
#define PT_FFT_NEON 1
#endif

static int best_isa(void)
{
#ifdef PT_FFT_NEON
    return ISA_NEON; /* in every ARMv8-A CPU */
#endif
#ifdef PT_FFT_DISPATCH
    __builtin_cpu_init();
    const int v3 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    if (v3 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq"))
        return ISA_AVX512;
    if (v3) return ISA_AVX2;
#endif
    return ISA_PORTABLE;
}

/* whether this CPU runs the kernels `isa` (the x86 ones rank portable <
 * avx2 < avx512; NEON is on ARM alone) */
static bool cpu_runs(int isa)
{
    if (isa == ISA_PORTABLE || isa == ISA_KISS) return true;
    int best = best_isa();
    if (isa == ISA_NEON || best == ISA_NEON) return isa == best;
    return isa <= best;
}

static float *falloc(size_t n)
{
    size_t bytes = (n * sizeof(float) + 63) & ~(size_t)63;
    float *p = pt_aligned_alloc(64, bytes);
    if (p) memset(p, 0, bytes);
    return p;
}

void pt_fft_free(pt_fft *f)
{
    if (!f) return;
    pt_kfft_free(f->kiss);
    pt_aligned_free(f->w1r);
    pt_aligned_free(f->w1i);
    for (int i = 0; i < 4; i++) {
        pt_aligned_free(f->wxr[i]);
        pt_aligned_free(f->wxi[i]);
        pt_aligned_free(f->buf[i]);
    }
    pt_aligned_free(f->wnr);
    pt_aligned_free(f->wni);
    for (int i = 0; i < 3; i++)
        for (int r = 0; r < 3; r++) {
            pt_aligned_free(f->wqr[i][r]);
            pt_aligned_free(f->wqi[i][r]);
        }
    free(f);
}

static pt_fft *make(int n, int isa)
{
    if (n < 2 || (n & 1)) return NULL;
    bool pow2 = (n & (n - 1)) == 0;
    if (isa != ISA_KISS && (!pow2 || n < PT_FFT_MIN)) return NULL;
    pt_fft *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->n = n;
    f->m = n / 2;
    f->isa = isa;
    if (isa == ISA_KISS) {
        f->kiss = pt_kfft_new(n);
        if (!f->kiss) goto fail;
        return f;
    }
    const int M = f->m, h = M / 2;
    f->w1r = falloc((size_t)M);
    f->w1i = falloc((size_t)M);
    f->wnr = falloc((size_t)M);
    f->wni = falloc((size_t)M);
    if (!f->w1r || !f->w1i || !f->wnr || !f->wni) goto fail;
    for (int i = 0; i < 4; i++)
        if (!(f->buf[i] = falloc((size_t)M))) goto fail;
    const double pi = 3.14159265358979323846;
    for (int k = 0; k < M; k++) {
        f->w1r[k] = (float)cos(2 * pi * k / M);
        f->w1i[k] = (float)-sin(2 * pi * k / M);
    }
    for (int k = 0; k < M; k++) {
        f->wnr[k] = (float)cos(2 * pi * k / n);
        f->wni[k] = (float)-sin(2 * pi * k / n);
    }
    for (int i = 1; i < 4; i++) {
        int s = 1 << i;
        f->wxr[i] = falloc((size_t)h);
        f->wxi[i] = falloc((size_t)h);
        if (!f->wxr[i] || !f->wxi[i]) goto fail;
        for (int j = 0; j < h; j++) {
            f->wxr[i][j] = f->w1r[s * (j / s)];
            f->wxi[i][j] = f->w1i[s * (j / s)];
        }
    }
    for (int i = 0; i < 3; i++) {
        int s = 1 << i, q = M / 4;
        for (int r = 0; r < 3; r++) {
            f->wqr[i][r] = falloc((size_t)q);
            f->wqi[i][r] = falloc((size_t)q);
            if (!f->wqr[i][r] || !f->wqi[i][r]) goto fail;
            for (int j = 0; j < q; j++) {
                f->wqr[i][r][j] = f->w1r[(r + 1) * s * (j / s)];
                f->wqi[i][r][j] = f->w1i[(r + 1) * s * (j / s)];
            }
        }
    }
    return f;
fail:
    pt_fft_free(f);
    return NULL;
}

pt_fft *pt_fft_new_isa(int n, const char *isa)
{
    for (int i = 0; i < N_ISA; i++)
        if (isa && strcmp(isa, isa_names[i]) == 0) {
            if (!cpu_runs(i)) return NULL;
            return make(n, i);
        }
    return NULL;
}

pt_fft *pt_fft_new(int n)
{
    const char *env = getenv("PT_FFT_ISA");
    if (env && *env) {
        pt_fft *f = pt_fft_new_isa(n, env);
        if (f) return f;
    }
    const char *generic = getenv("PT_CONV_GENERIC");
    int isa = generic && generic[0] == '1' ? ISA_PORTABLE : best_isa();
    /* AVX-512 where the CPU has it: with the radix-4 stages it is the
     * faster at every size the convolver uses (0.6-0.9x the AVX2 time from
     * 128 to 32768 points; thread CPU time, least of 40, same run) */
    pt_fft *f = make(n, isa);
    return f ? f : make(n, ISA_KISS);
}

int pt_fft_size(const pt_fft *f) { return f->n; }

const char *pt_fft_isa(const pt_fft *f) { return isa_names[f->isa]; }

/* RT: dispatch to the plan's kernels */
void pt_fft_forward(pt_fft *f, const float *x, float *re, float *im)
{
    switch (f->isa) {
#ifdef PT_FFT_DISPATCH
    case ISA_AVX512: forward_v4(f, x, re, im); return;
    case ISA_AVX2: forward_v3(f, x, re, im); return;
#endif
#ifdef PT_FFT_NEON
    case ISA_NEON: forward_neon(f, x, re, im); return;
#endif
    case ISA_KISS: pt_kfft_forward(f->kiss, x, re, im); return;
    default: forward_base(f, x, re, im); return;
    }
}

/* RT: dispatch to the plan's kernels */
void pt_fft_inverse(pt_fft *f, const float *re, const float *im, float *x)
{
    switch (f->isa) {
#ifdef PT_FFT_DISPATCH
    case ISA_AVX512: inverse_v4(f, re, im, x); return;
    case ISA_AVX2: inverse_v3(f, re, im, x); return;
#endif
#ifdef PT_FFT_NEON
    case ISA_NEON: inverse_neon(f, re, im, x); return;
#endif
    case ISA_KISS: pt_kfft_inverse(f->kiss, re, im, x); return;
    default: inverse_base(f, re, im, x); return;
    }
}
