/* kernels.c — inner loops of the convolver. The same source is compiled
 * twice: plain (SSE2 on x86-64, whatever the target has elsewhere) and, on
 * x86-64, for AVX2 + FMA (with an AVX-512 head FIR where the CPU has it);
 * on 64-bit ARM a NEON set is added.
 * pt_conv_kernels_best() picks one at run time. */
#include "kernels.h"

#include <math.h>
#include <stdlib.h>

#define MUL_ADD(a, b, c) ((c) + (a) * (b))

#define CMAC_BODY(MADD)                                                                        \
    for (int i = 0; i < n; i++) {                                                              \
        float r = acc_re[i], m = acc_im[i];                                                    \
        r = MADD(xr[i], hr[i], r);                                                             \
        r = MADD(-xi[i], hi[i], r);                                                            \
        m = MADD(xr[i], hi[i], m);                                                             \
        m = MADD(xi[i], hr[i], m);                                                             \
        acc_re[i] = r;                                                                         \
        acc_im[i] = m;                                                                         \
    }

/* y = 0; then one axpy per tap: vectorises with plain SSE */
#define FIR_BODY(MADD)                                                                         \
    for (int i = 0; i < n; i++) y[i] = 0.0f;                                                   \
    for (int k = 0; k < taps; k++) {                                                           \
        float g = h[k];                                                                        \
        const float *xx = x - k;                                                               \
        for (int i = 0; i < n; i++) y[i] = MADD(g, xx[i], y[i]);                               \
    }

/* RT: see kernels.h */
static void cmac_generic(float *restrict acc_re, float *restrict acc_im, const float *restrict xr,
                         const float *restrict xi, const float *restrict hr,
                         const float *restrict hi, int n)
{
    CMAC_BODY(MUL_ADD)
}

/* RT: see kernels.h */
static void fir_generic(float *restrict y, const float *restrict h, int taps,
                        const float *restrict x, int n)
{
    FIR_BODY(MUL_ADD)
}

static const pt_conv_kernels generic = {"generic", cmac_generic, fir_generic};

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define PT_HAVE_AVX2 1
/* RT: see kernels.h */
__attribute__((target("avx2,fma"))) static void
cmac_avx2(float *restrict acc_re, float *restrict acc_im, const float *restrict xr,
          const float *restrict xi, const float *restrict hr, const float *restrict hi, int n)
{
    CMAC_BODY(fmaf)
}

/* RT: 32 outputs at a time held in four registers while the taps go by */
__attribute__((target("avx2,fma"))) static void
fir_avx2(float *restrict y, const float *restrict h, int taps, const float *restrict x, int n)
{
    int i0 = 0;
    for (; i0 + 32 <= n; i0 += 32) {
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (int k = 0; k < taps; k++) {
            __m256 g = _mm256_set1_ps(h[k]);
            const float *xx = x + i0 - k;
            a0 = _mm256_fmadd_ps(g, _mm256_loadu_ps(xx), a0);
            a1 = _mm256_fmadd_ps(g, _mm256_loadu_ps(xx + 8), a1);
            a2 = _mm256_fmadd_ps(g, _mm256_loadu_ps(xx + 16), a2);
            a3 = _mm256_fmadd_ps(g, _mm256_loadu_ps(xx + 24), a3);
        }
        _mm256_storeu_ps(y + i0, a0);
        _mm256_storeu_ps(y + i0 + 8, a1);
        _mm256_storeu_ps(y + i0 + 16, a2);
        _mm256_storeu_ps(y + i0 + 24, a3);
    }
    for (; i0 + 8 <= n; i0 += 8) {
        __m256 a0 = _mm256_setzero_ps();
        for (int k = 0; k < taps; k++)
            a0 = _mm256_fmadd_ps(_mm256_set1_ps(h[k]), _mm256_loadu_ps(x + i0 - k), a0);
        _mm256_storeu_ps(y + i0, a0);
    }
    for (; i0 < n; i0++) {
        float a = 0.0f;
        for (int k = 0; k < taps; k++) a = fmaf(h[k], x[i0 - k], a);
        y[i0] = a;
    }
}

static const pt_conv_kernels avx2 = {"avx2+fma", cmac_avx2, fir_avx2};

/* RT: as fir_avx2 with 64 outputs in four 16-lane registers (the head's
 * usual block), which halves the loads and multiply-adds per tap; what is
 * left over goes through fir_avx2. */
__attribute__((target("avx512f,avx512vl,avx2,fma"))) static void
fir_avx512(float *restrict y, const float *restrict h, int taps, const float *restrict x, int n)
{
    int i0 = 0;
    for (; i0 + 64 <= n; i0 += 64) {
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (int k = 0; k < taps; k++) {
            __m512 g = _mm512_set1_ps(h[k]);
            const float *xx = x + i0 - k;
            a0 = _mm512_fmadd_ps(g, _mm512_loadu_ps(xx), a0);
            a1 = _mm512_fmadd_ps(g, _mm512_loadu_ps(xx + 16), a1);
            a2 = _mm512_fmadd_ps(g, _mm512_loadu_ps(xx + 32), a2);
            a3 = _mm512_fmadd_ps(g, _mm512_loadu_ps(xx + 48), a3);
        }
        _mm512_storeu_ps(y + i0, a0);
        _mm512_storeu_ps(y + i0 + 16, a1);
        _mm512_storeu_ps(y + i0 + 32, a2);
        _mm512_storeu_ps(y + i0 + 48, a3);
    }
    if (i0 < n) fir_avx2(y + i0, h, taps, x + i0, n - i0);
}

static const pt_conv_kernels avx512 = {"avx512+fma", cmac_avx2, fir_avx512};
#endif

#if defined(__aarch64__) && defined(__ARM_NEON)
/* 64-bit ARM: NEON is in every ARMv8-A CPU. The same sums in the same order
 * as the AVX2 build (one fused multiply-add per term), so the two agree to
 * rounding (docs/platforms.md). */
#include <arm_neon.h>
#define PT_HAVE_NEON 1
/* RT: see kernels.h */
static void cmac_neon(float *restrict acc_re, float *restrict acc_im, const float *restrict xr,
                      const float *restrict xi, const float *restrict hr, const float *restrict hi,
                      int n)
{
    int i = 0;
    for (; i + 4 <= n; i += 4) {
        float32x4_t r = vld1q_f32(acc_re + i), m = vld1q_f32(acc_im + i);
        float32x4_t a = vld1q_f32(xr + i), b = vld1q_f32(xi + i);
        float32x4_t c = vld1q_f32(hr + i), d = vld1q_f32(hi + i);
        r = vfmaq_f32(r, a, c);
        r = vfmsq_f32(r, b, d);
        m = vfmaq_f32(m, a, d);
        m = vfmaq_f32(m, b, c);
        vst1q_f32(acc_re + i, r);
        vst1q_f32(acc_im + i, m);
    }
    for (; i < n; i++) {
        float r = acc_re[i], m = acc_im[i];
        r = fmaf(xr[i], hr[i], r);
        r = fmaf(-xi[i], hi[i], r);
        m = fmaf(xr[i], hi[i], m);
        m = fmaf(xi[i], hr[i], m);
        acc_re[i] = r;
        acc_im[i] = m;
    }
}

/* RT: 16 outputs at a time held in four registers while the taps go by */
static void fir_neon(float *restrict y, const float *restrict h, int taps, const float *restrict x, int n)
{
    int i0 = 0;
    for (; i0 + 16 <= n; i0 += 16) {
        float32x4_t a0 = vdupq_n_f32(0.0f), a1 = a0, a2 = a0, a3 = a0;
        for (int k = 0; k < taps; k++) {
            const float *xx = x + i0 - k;
            a0 = vfmaq_n_f32(a0, vld1q_f32(xx), h[k]);
            a1 = vfmaq_n_f32(a1, vld1q_f32(xx + 4), h[k]);
            a2 = vfmaq_n_f32(a2, vld1q_f32(xx + 8), h[k]);
            a3 = vfmaq_n_f32(a3, vld1q_f32(xx + 12), h[k]);
        }
        vst1q_f32(y + i0, a0);
        vst1q_f32(y + i0 + 4, a1);
        vst1q_f32(y + i0 + 8, a2);
        vst1q_f32(y + i0 + 12, a3);
    }
    for (; i0 < n; i0++) {
        float a = 0.0f;
        for (int k = 0; k < taps; k++) a = fmaf(h[k], x[i0 - k], a);
        y[i0] = a;
    }
}

static const pt_conv_kernels neon = {"neon", cmac_neon, fir_neon};
#endif

const pt_conv_kernels *pt_conv_kernels_generic(void) { return &generic; }

const pt_conv_kernels *pt_conv_kernels_best(void)
{
    const char *force = getenv("PT_CONV_GENERIC");
    if (force && force[0] == '1') return &generic;
#ifdef PT_HAVE_AVX2
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl")) return &avx512;
        return &avx2;
    }
#endif
#ifdef PT_HAVE_NEON
    return &neon;
#endif
    return &generic;
}
