/* train_kernels.h — the loops the backward pass adds to the player's
 * kernels (nn_math.h): weight gradients as blocked dot products along time.
 * Built three times (AVX-512, AVX2+FMA, baseline) and chosen at load time,
 * like the player's helpers (PT_HOT). */
#ifndef PT_TRAIN_KERNELS_H
#define PT_TRAIN_KERNELS_H

/* dW[o*ldw + r] += sum_{t<n} a[o][t] * b[r][t], o < n_out, r < n_rows */
void pt_train_dots(int n_out, int n_rows, const float *const *a, const float *const *b, int n, double *dW,
                   int ldw);
/* sum of x[0..n) (in double) */
double pt_train_sum(const float *x, int n);
/* da = dz * (1 - z^2): through tanh given its output z */
void pt_train_tanh_back(float *da, const float *dz, const float *z, int n);

#endif
