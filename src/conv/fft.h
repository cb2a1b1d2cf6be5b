/* fft.h — the one real-FFT interface the convolver uses.
 *
 * A thin wrapper so that the FFT library can be swapped without touching the
 * convolver: today KissFFT (Debian's libkissfft, BSD-3-Clause). Spectra are
 * kept in split form (separate real and imaginary arrays of n/2+1 bins),
 * which is what the convolver's multiply-accumulate loops vectorise best.
 *
 * Plans are made off the audio thread; running one (forward/inverse) is RT:
 * no allocation, no locks — every buffer lives in the plan.
 */
#ifndef PT_FFT_H
#define PT_FFT_H

typedef struct pt_fft pt_fft;

/* A plan for real transforms of n points (n even; powers of two are fastest).
 * NULL on out-of-memory. */
pt_fft *pt_fft_new(int n);
void pt_fft_free(pt_fft *f);
int pt_fft_size(const pt_fft *f);

/* RT: re/im[0..n/2] = DFT of x[0..n). Unnormalised. */
void pt_fft_forward(pt_fft *f, const float *x, float *re, float *im);
/* RT: x[0..n) = inverse DFT of (re, im)[0..n/2], unnormalised: inverse of
 * forward multiplies by n. */
void pt_fft_inverse(pt_fft *f, const float *re, const float *im, float *x);

#endif
