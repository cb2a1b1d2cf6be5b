/* fft_kiss.h — real FFTs through KissFFT, with the same split-spectrum
 * conventions as pt_fft (fft.h): the reference for tests and the fallback
 * for sizes the project's SIMD FFT does not handle. Plans are made off the
 * audio thread; forward and inverse are RT. */
#ifndef PT_FFT_KISS_H
#define PT_FFT_KISS_H

typedef struct pt_kfft pt_kfft;

pt_kfft *pt_kfft_new(int n); /* n even; NULL if not or out of memory */
void pt_kfft_free(pt_kfft *f);
/* RT: re/im[0..n/2] = DFT of x[0..n), unnormalised */
void pt_kfft_forward(pt_kfft *f, const float *x, float *re, float *im);
/* RT: x = inverse DFT, unnormalised (inverse of forward multiplies by n) */
void pt_kfft_inverse(pt_kfft *f, const float *re, const float *im, float *x);

#endif
