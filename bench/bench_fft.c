/* bench_fft.c — the project's real FFT (src/conv/fft_simd.c) per kernel set
 * against KissFFT, for the sizes the convolver's partitions use: ns per
 * forward + inverse pair (the work of one partition block with one output),
 * the least of 5 rounds; a column for each kernel set, "-" where this CPU
 * has not got it (neon: 64-bit ARM). Prints numbers; never fails on timing. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "conv/fft.h"

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(void)
{
    static const char *const isas[] = {"kiss", "portable", "avx2", "avx512", "neon"};
    printf("real FFT, forward + inverse, ns per pair (least of 5 rounds; ratio to KissFFT)\n");
    printf("%7s", "points");
    for (int i = 0; i < 5; i++) printf(" %18s", isas[i]);
    printf("\n");
    for (int n = 128; n <= 32768; n *= 2) {
        float *x = aligned_alloc(64, (size_t)n * sizeof(float));
        float *re = aligned_alloc(64, (size_t)(n + 64) * sizeof(float));
        float *im = aligned_alloc(64, (size_t)(n + 64) * sizeof(float));
        float *y = aligned_alloc(64, (size_t)n * sizeof(float));
        for (int i = 0; i < n; i++) x[i] = (float)((i * 7919) % 1000) / 500.0f - 1.0f;
        printf("%7d", n);
        double kiss = 0;
        for (int i = 0; i < 5; i++) {
            pt_fft *f = pt_fft_new_isa(n, isas[i]);
            if (!f) {
                printf(" %18s", "-");
                continue;
            }
            int reps = (int)(2e7 / n) + 1;
            double best = 1e30;
            for (int r = 0; r < 5; r++) {
                double t0 = now_ns();
                for (int k = 0; k < reps; k++) {
                    pt_fft_forward(f, x, re, im);
                    pt_fft_inverse(f, re, im, y);
                }
                double t = (now_ns() - t0) / reps;
                if (t < best) best = t;
            }
            if (i == 0) kiss = best;
            printf(" %10.0f (%4.2fx)", best, best / kiss);
            pt_fft_free(f);
        }
        printf("\n");
        free(x);
        free(re);
        free(im);
        free(y);
    }
    return 0;
}
