/* test_conv_fft.c — the project's real FFT (src/conv/fft_simd.c) against
 * KissFFT, and its multiply-accumulate kernel against a plain loop.
 *
 * Reference: KissFFT's real transforms (Debian's libkissfft, through
 * fft_kiss.c), an independent implementation; numpy is the reference of
 * tests/e2e/test_fft_numpy.py. For every kernel set this CPU runs (avx512,
 * avx2, neon, portable) and every power of two the convolver uses (64 .. 32768):
 *  - forward: max |X - X_kiss| / max |X_kiss| below 1e-6 for noise;
 *  - inverse of an arbitrary spectrum (not that of a real signal, so every
 *    bin's real and imaginary part matter): max |x - x_kiss| / max |x_kiss|
 *    below 1e-6;
 *  - other sizes (not a power of two, or below 64) fall back to KissFFT.
 * The delay-line multiply-accumulate of every kernel set equals a double
 * precision loop over the same partitions within 1e-5 relative. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "conv/fft.h"
#include "conv/fft_kiss.h"
#include "conv/mac.h"
#include "testutil.h"

static uint32_t rng = 5;
static float noise(void)
{
    rng = rng * 1664525u + 1013904223u;
    return (float)((rng >> 8) * (1.0 / 16777216.0) * 2.0 - 1.0);
}

static double max_abs_diff(const float *a, const float *b, int n, double *ref_max)
{
    double d = 0, m = 0;
    for (int i = 0; i < n; i++) {
        double e = fabs((double)a[i] - b[i]);
        d = e > d ? e : d;
        m = fabs(b[i]) > m ? fabs(b[i]) : m;
    }
    *ref_max = m;
    return d;
}

static void against_kiss(void **st)
{
    (void)st;
    const char *isas[] = {"avx512", "avx2", "neon", "portable"};
    int ran = 0;
    for (int k = 0; k < 4; k++)
        for (int n = 64; n <= 32768; n *= 2) {
            pt_fft *f = pt_fft_new_isa(n, isas[k]);
            if (!f) continue; /* not on this CPU */
            ran++;
            assert_string_equal(pt_fft_isa(f), isas[k]);
            pt_kfft *kf = pt_kfft_new(n);
            int bins = n / 2 + 1;
            float *x = malloc((size_t)n * sizeof(float)), *y = malloc((size_t)n * sizeof(float));
            float *yk = malloc((size_t)n * sizeof(float));
            float *re = malloc((size_t)bins * sizeof(float)), *im = malloc((size_t)bins * sizeof(float));
            float *rk = malloc((size_t)bins * sizeof(float)), *ik = malloc((size_t)bins * sizeof(float));
            for (int i = 0; i < n; i++) x[i] = noise();
            pt_fft_forward(f, x, re, im);
            pt_kfft_forward(kf, x, rk, ik);
            double m1, m2, fwd = fmax(max_abs_diff(re, rk, bins, &m1), max_abs_diff(im, ik, bins, &m2));
            fwd /= fmax(m1, m2);
            for (int i = 0; i < bins; i++) re[i] = noise(), im[i] = noise();
            im[0] = im[bins - 1] = 0.0f;
            pt_fft_inverse(f, re, im, y);
            pt_kfft_inverse(kf, re, im, yk);
            double m3, inv = max_abs_diff(y, yk, n, &m3) / m3;
            if (n == 64 || n == 32768 || fwd >= 1e-6 || inv >= 1e-6)
                print_message("%-8s n=%5d: forward %.2e, inverse %.2e of KissFFT's scale (limit 1e-6)\n",
                              isas[k], n, fwd, inv);
            assert_true(fwd < 1e-6);
            assert_true(inv < 1e-6);
            pt_fft_free(f);
            pt_kfft_free(kf);
            free(x), free(y), free(yk), free(re), free(im), free(rk), free(ik);
        }
    assert_true(ran >= 11); /* at least the portable kernels at every size */
}

static void other_sizes_fall_back(void **st)
{
    (void)st;
    const int sizes[] = {2, 32, 100, 96, 1000};
    for (int s = 0; s < 5; s++) {
        pt_fft *f = pt_fft_new(sizes[s]);
        assert_non_null(f);
        assert_string_equal(pt_fft_isa(f), "kiss");
        assert_null(pt_fft_new_isa(sizes[s], "portable"));
        pt_fft_free(f);
    }
    assert_null(pt_fft_new(7));
    pt_fft *f = pt_fft_new(1024);
    assert_string_not_equal(pt_fft_isa(f), "kiss");
    const char *mac = NULL;
    pt_conv_mac_best(&mac);
    /* make test-arm64 reads this line: the kernels the convolver runs */
    print_message("FFT kernels: %s, multiply-accumulate: %s\n", pt_fft_isa(f), mac);
    pt_fft_free(f);
}

static void mac_against_loop(void **st)
{
    (void)st;
    enum { K = 7, BINS = 513 };
    float *xr = malloc(K * BINS * sizeof(float)), *xi = malloc(K * BINS * sizeof(float));
    float *hr = malloc(K * BINS * sizeof(float)), *hi = malloc(K * BINS * sizeof(float));
    float ar[BINS], ai[BINS];
    for (int i = 0; i < K * BINS; i++) xr[i] = noise(), xi[i] = noise(), hr[i] = noise(), hi[i] = noise();
    const char *force[] = {"avx2", "portable", NULL}; /* PT_FFT_ISA picks the kernels */
    for (int fi = 0; fi < 3; fi++) {
    if (force[fi]) setenv("PT_FFT_ISA", force[fi], 1);
    else unsetenv("PT_FFT_ISA");
    const char *name = NULL;
    pt_conv_mac_fn mac = pt_conv_mac_best(&name);
    for (int head = 0; head < K; head++) {
        mac(ar, ai, xr, xi, head, hr, hi, K, BINS, BINS);
        double worst = 0;
        for (int b = 0; b < BINS; b++) {
            double r = 0, m = 0;
            for (int k = 0; k < K; k++) {
                int slot = ((head - k) % K + K) % K;
                size_t xo = (size_t)slot * BINS + b, ho = (size_t)k * BINS + b;
                r += (double)xr[xo] * hr[ho] - (double)xi[xo] * hi[ho];
                m += (double)xr[xo] * hi[ho] + (double)xi[xo] * hr[ho];
            }
            worst = fmax(worst, fmax(fabs(r - ar[b]), fabs(m - ai[b])) / sqrt(2.0 * K));
        }
        assert_true(worst < 1e-5);
    }
    print_message("multiply-accumulate (%s): matches the double loop within 1e-5\n", name);
    }
    free(xr), free(xi), free(hr), free(hi);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(against_kiss),
        cmocka_unit_test(other_sizes_fall_back),
        cmocka_unit_test(mac_against_loop),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
