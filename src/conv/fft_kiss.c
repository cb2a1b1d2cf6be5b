/* fft_kiss.c — real transforms on top of KissFFT (kiss_fftr): the
 * reference the project's own FFT (fft_simd.c) is tested against, and its
 * fallback for sizes it does not handle (not a power of two, or tiny).
 *
 * KissFFT works on interleaved complex numbers; pt_fft wants split arrays,
 * so each plan owns one interleaved scratch buffer and the wrapper converts
 * on the way in and out (O(n), small beside the transform). */
#include "fft_kiss.h"

#include <kiss_fftr.h>
#include <stdlib.h>

struct pt_kfft {
    int n;
    kiss_fftr_cfg fwd, inv;
    kiss_fft_cpx *spec; /* n/2 + 1 */
};

pt_kfft *pt_kfft_new(int n)
{
    if (n < 2 || (n & 1)) return NULL;
    pt_kfft *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->n = n;
    f->fwd = kiss_fftr_alloc(n, 0, NULL, NULL);
    f->inv = kiss_fftr_alloc(n, 1, NULL, NULL);
    f->spec = malloc((size_t)(n / 2 + 1) * sizeof *f->spec);
    if (!f->fwd || !f->inv || !f->spec) {
        pt_kfft_free(f);
        return NULL;
    }
    return f;
}

void pt_kfft_free(pt_kfft *f)
{
    if (!f) return;
    kiss_fftr_free(f->fwd);
    kiss_fftr_free(f->inv);
    free(f->spec);
    free(f);
}

/* RT: forward transform, split output */
void pt_kfft_forward(pt_kfft *f, const float *x, float *re, float *im)
{
    kiss_fftr(f->fwd, x, f->spec);
    int bins = f->n / 2 + 1;
    for (int i = 0; i < bins; i++) {
        re[i] = f->spec[i].r;
        im[i] = f->spec[i].i;
    }
}

/* RT: inverse transform from split input */
void pt_kfft_inverse(pt_kfft *f, const float *re, const float *im, float *x)
{
    int bins = f->n / 2 + 1;
    for (int i = 0; i < bins; i++) {
        f->spec[i].r = re[i];
        f->spec[i].i = im[i];
    }
    kiss_fftri(f->inv, f->spec, x);
}
