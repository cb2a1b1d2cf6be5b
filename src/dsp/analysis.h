/* analysis.h — measuring signals off the audio thread (responses for the UI,
 * tests). */
#ifndef PT_ANALYSIS_H
#define PT_ANALYSIS_H

/* |X(f)|: one DFT bin of x[0..n) at freq_hz, for any frequency (not only
 * bin centres), in double precision. */
double pt_dft_mag(const float *x, int n, double rate, double freq_hz);

#endif
