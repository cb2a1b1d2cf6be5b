/* pt_fft_tool.c — the project's real FFT (src/conv/fft.h) as a filter, for
 * tests/e2e/test_fft_numpy.py to hold against numpy.
 *
 *   pt_fft_tool ISA N COUNT < frames > out
 * reads COUNT frames of N float32 samples from stdin and writes, per frame,
 * re[0..N/2], im[0..N/2] of pt_fft_forward and then the round trip
 * pt_fft_inverse(pt_fft_forward(x)) / N, all float32. Exit status 2 when
 * this CPU cannot run the kernels named (portable, avx2, avx512, kiss). */
#include <stdio.h>
#include <stdlib.h>

#include "conv/fft.h"

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: pt_fft_tool ISA N COUNT < in > out\n");
        return 1;
    }
    int n = atoi(argv[2]), count = atoi(argv[3]);
    pt_fft *f = pt_fft_new_isa(n, argv[1]);
    if (!f) {
        fprintf(stderr, "pt_fft_tool: %s cannot run %d points on this CPU\n", argv[1], n);
        return 2;
    }
    int bins = n / 2 + 1;
    float *x = malloc((size_t)n * sizeof *x), *y = malloc((size_t)n * sizeof *y);
    float *re = malloc((size_t)bins * sizeof *re), *im = malloc((size_t)bins * sizeof *im);
    for (int c = 0; c < count; c++) {
        if (fread(x, sizeof *x, (size_t)n, stdin) != (size_t)n) {
            fprintf(stderr, "pt_fft_tool: short input\n");
            return 1;
        }
        pt_fft_forward(f, x, re, im);
        fwrite(re, sizeof *re, (size_t)bins, stdout);
        fwrite(im, sizeof *im, (size_t)bins, stdout);
        pt_fft_inverse(f, re, im, y);
        for (int i = 0; i < n; i++) y[i] /= (float)n;
        fwrite(y, sizeof *y, (size_t)n, stdout);
    }
    pt_fft_free(f);
    free(x);
    free(y);
    free(re);
    free(im);
    return 0;
}
