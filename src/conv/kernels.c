/* kernels.c — inner loops of the convolver. The same source is compiled
 * twice: plain (SSE2 on x86-64, whatever the target has elsewhere) and, on
 * x86-64, for AVX2 + FMA; pt_conv_kernels_best() picks one at run time. */
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
#endif

const pt_conv_kernels *pt_conv_kernels_generic(void) { return &generic; }

const pt_conv_kernels *pt_conv_kernels_best(void)
{
    const char *force = getenv("PT_CONV_GENERIC");
    if (force && force[0] == '1') return &generic;
#ifdef PT_HAVE_AVX2
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return &avx2;
#endif
    return &generic;
}
