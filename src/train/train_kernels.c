/* train_kernels.c — see train_kernels.h. The dot products run over time in
 * chunks small enough that four gradient rows and one input row stay in L1
 * while every input row of the layer streams past. */
#include "train_kernels.h"

#include <string.h>

#include "../neural/nn_math.h"

typedef float v8 __attribute__((vector_size(32)));
typedef float v8u __attribute__((vector_size(32), aligned(4), __may_alias__));
#define LD8(p) (*(const v8u *)(p))

#define CHUNK 256

static inline double hsum8(v8 v)
{
    double s = 0;
    for (int i = 0; i < 8; i++) s += v[i];
    return s;
}

PT_HOT void pt_train_dots(int n_out, int n_rows, const float *const *a, const float *const *b, int n, double *dW,
                          int ldw)
{
    for (int t0 = 0; t0 < n; t0 += CHUNK) {
        const int m = n - t0 < CHUNK ? n - t0 : CHUNK;
        const int mv = m & ~7;
        for (int o = 0; o < n_out; o += 4) {
            const int R = n_out - o < 4 ? n_out - o : 4;
            const float *ar[4];
            for (int k = 0; k < 4; k++) ar[k] = a[o + (k < R ? k : R - 1)] + t0;
            for (int r = 0; r < n_rows; r++) {
                const float *br = b[r] + t0;
                v8 acc0 = {0}, acc1 = {0}, acc2 = {0}, acc3 = {0};
                for (int t = 0; t < mv; t += 8) {
                    v8 x = LD8(br + t);
                    acc0 += LD8(ar[0] + t) * x;
                    acc1 += LD8(ar[1] + t) * x;
                    acc2 += LD8(ar[2] + t) * x;
                    acc3 += LD8(ar[3] + t) * x;
                }
                double s[4] = {hsum8(acc0), hsum8(acc1), hsum8(acc2), hsum8(acc3)};
                for (int t = mv; t < m; t++)
                    for (int k = 0; k < 4; k++) s[k] += ar[k][t] * br[t];
                for (int k = 0; k < R; k++) dW[(long)(o + k) * ldw + r] += s[k];
            }
        }
    }
}

double pt_train_sum(const float *x, int n)
{
    double s = 0;
    for (int t = 0; t < n; t++) s += x[t];
    return s;
}

PT_HOT void pt_train_tanh_back(float *restrict da, const float *restrict dz, const float *restrict z, int n)
{
    for (int t = 0; t < n; t++) da[t] = dz[t] * (1.0f - z[t] * z[t]);
}
