/* fft.h — the one real-FFT interface the convolver uses.
 *
 * Powers of two from 64 points up run on the project's own FFT
 * (fft_simd.c: split-array radix-2 Stockham, AVX-512 / AVX2 / NEON /
 * portable vector kernels chosen at run time); other sizes on KissFFT
 * (fft_kiss.c, Debian's libkissfft, BSD-3-Clause), which is also the reference the tests
 * hold the project's FFT against. Spectra are kept in split form (separate
 * real and imaginary arrays of n/2+1 bins), which is what the convolver's
 * multiply-accumulate loops vectorise best.
 *
 * Plans are made off the audio thread; running one (forward/inverse) is RT:
 * no allocation, no locks — every buffer lives in the plan.
 */
#ifndef PT_FFT_H
#define PT_FFT_H

typedef struct pt_fft pt_fft;

/* A plan for real transforms of n points (n even; powers of two are fastest)
 * with the fastest kernels this CPU runs (env PT_FFT_ISA=portable|avx2|
 * avx512|neon|kiss chooses, if this CPU runs it). NULL on out-of-memory. */
pt_fft *pt_fft_new(int n);
/* The same with the kernels named (as above); NULL if this CPU cannot run
 * them or n is not a size they handle (kiss: any even n). */
pt_fft *pt_fft_new_isa(int n, const char *isa);
void pt_fft_free(pt_fft *f);
int pt_fft_size(const pt_fft *f);
/* "avx512", "avx2", "neon", "portable" or "kiss" */
const char *pt_fft_isa(const pt_fft *f);

/* RT: re/im[0..n/2] = DFT of x[0..n). Unnormalised. */
void pt_fft_forward(pt_fft *f, const float *x, float *re, float *im);
/* RT: x[0..n) = inverse DFT of (re, im)[0..n/2], unnormalised: inverse of
 * forward multiplies by n. The imaginary parts of bins 0 and n/2 are
 * ignored (they are zero for the spectrum of a real signal). */
void pt_fft_inverse(pt_fft *f, const float *re, const float *im, float *x);

#endif
