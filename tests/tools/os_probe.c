/* os_probe — the oversampler's design and its round trip, for
 * tests/e2e/test_oversample_scipy.py (which rebuilds the same filters in
 * direct form with scipy and compares).
 *
 *   os_probe FACTOR minimum|linear [N]
 *
 * Prints "latency=L delay_hi=D", then for the minimum-phase kind one line per
 * half-band, "up K a0 a1 ..." and "down K a0 a1 ..." (K = 0 next to the base
 * rate), "frac PAD A" (the top-up: whole high-rate samples and the
 * fractional all-pass's coefficient), and last "ir h0 h1 ... h(N-1)": the
 * round trip's (up then down) response to a unit impulse, N base-rate
 * samples (default 2048), run in 64-frame blocks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsp/oversample.h"

static void print_coefs(const char *what, int k, const pt_halfband *h)
{
    printf("%s %d", what, k);
    for (int i = 0; i < h->n; i++) printf(" %.9g", h->a[i]);
    printf("\n");
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: os_probe FACTOR minimum|linear [N]\n");
        return 2;
    }
    int factor = atoi(argv[1]), n = argc > 3 ? atoi(argv[3]) : 2048;
    pt_os_phase phase = strcmp(argv[2], "linear") == 0 ? PT_OS_LINEAR : PT_OS_MINIMUM;
    pt_oversampler os;
    if (n < 64 || pt_oversampler_init_phase(&os, factor, 64, phase, 0.0) != 0) {
        fprintf(stderr, "os_probe: bad factor or length\n");
        return 2;
    }
    printf("latency=%d delay_hi=%.9g\n", os.latency, os.delay_hi);
    if (phase == PT_OS_MINIMUM) {
        for (int k = 0; k < os.stages; k++) {
            print_coefs("up", k, &os.hb_up[k]);
            print_coefs("down", k, &os.hb_down[k]);
        }
        printf("frac %d %.9g\n", os.pad_len, os.frac_a);
    }
    n = (n + 63) / 64 * 64;
    float *x = calloc((size_t)n, sizeof(float)), *y = calloc((size_t)n, sizeof(float));
    if (!x || !y) return 1;
    x[0] = 1.0f;
    for (int off = 0; off < n; off += 64)
        pt_oversampler_down(&os, pt_oversampler_up(&os, x + off, 64), y + off, 64);
    printf("ir");
    for (int i = 0; i < n; i++) printf(" %.9g", y[i]);
    printf("\n");
    free(x), free(y);
    pt_oversampler_free(&os);
    return 0;
}
