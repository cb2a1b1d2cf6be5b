/* fft_kiss.c — pt_fft on top of KissFFT's real transforms (kiss_fftr).
 *
 * KissFFT works on interleaved complex numbers; the convolver wants split
 * arrays, so each plan owns one interleaved scratch buffer and the wrapper
 * converts on the way in and out (O(n), small beside the transform). */
#include "fft.h"

#include <kiss_fftr.h>
#include <stdlib.h>

struct pt_fft {
    int n;
    kiss_fftr_cfg fwd, inv;
    kiss_fft_cpx *spec; /* n/2 + 1 */
};

pt_fft *pt_fft_new(int n)
{
    if (n < 2 || (n & 1)) return NULL;
    pt_fft *f = calloc(1, sizeof *f);
    if (!f) return NULL;
    f->n = n;
    f->fwd = kiss_fftr_alloc(n, 0, NULL, NULL);
    f->inv = kiss_fftr_alloc(n, 1, NULL, NULL);
    f->spec = malloc((size_t)(n / 2 + 1) * sizeof *f->spec);
    if (!f->fwd || !f->inv || !f->spec) {
        pt_fft_free(f);
        return NULL;
    }
    return f;
}

void pt_fft_free(pt_fft *f)
{
    if (!f) return;
    kiss_fftr_free(f->fwd);
    kiss_fftr_free(f->inv);
    free(f->spec);
    free(f);
}

int pt_fft_size(const pt_fft *f) { return f->n; }

/* RT: forward transform, split output */
void pt_fft_forward(pt_fft *f, const float *x, float *re, float *im)
{
    kiss_fftr(f->fwd, x, f->spec);
    int bins = f->n / 2 + 1;
    for (int i = 0; i < bins; i++) {
        re[i] = f->spec[i].r;
        im[i] = f->spec[i].i;
    }
}

/* RT: inverse transform from split input */
void pt_fft_inverse(pt_fft *f, const float *re, const float *im, float *x)
{
    int bins = f->n / 2 + 1;
    for (int i = 0; i < bins; i++) {
        f->spec[i].r = re[i];
        f->spec[i].i = im[i];
    }
    kiss_fftri(f->inv, f->spec, x);
}
