/* mac.h — the convolver's multiply-accumulate over a whole frequency-domain
 * delay line, with vector kernels per instruction set (AVX-512, AVX2 + FMA,
 * NEON, portable vectors of 4) chosen at run time. */
#ifndef PT_CONV_MAC_H
#define PT_CONV_MAC_H

#include <stddef.h>

/* RT: acc[b] = sum_{k < K} X[(head - k) mod K][b] * H[k][b] for b < n, split
 * complex; partition k of X and H starts at k * stride floats. */
typedef void (*pt_conv_mac_fn)(float *restrict acc_re, float *restrict acc_im,
                               const float *restrict x_re, const float *restrict x_im, int head,
                               const float *restrict h_re, const float *restrict h_im, int K,
                               size_t stride, int n);

/* The kernel for this CPU (PT_CONV_GENERIC=1: the portable one) and its name. */
pt_conv_mac_fn pt_conv_mac_best(const char **name);

#endif
