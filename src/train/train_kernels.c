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

/* dW rows o..o+R (R <= 4) against input rows r..r+Q (Q <= 3), over m samples:
 * 12 accumulators stay in registers, each loaded vector feeds 3 or 4 of them */
static inline __attribute__((always_inline)) void block43(const float *const *ar, const float *const *br, int m,
                                                          double s[4][3])
{
    v8 acc[4][3] = {{{0}}};
    const int mv = m & ~7;
    for (int t = 0; t < mv; t += 8) {
        v8 b0 = LD8(br[0] + t), b1 = LD8(br[1] + t), b2 = LD8(br[2] + t);
        for (int k = 0; k < 4; k++) {
            v8 a = LD8(ar[k] + t);
            acc[k][0] += a * b0;
            acc[k][1] += a * b1;
            acc[k][2] += a * b2;
        }
    }
    for (int k = 0; k < 4; k++)
        for (int j = 0; j < 3; j++) {
            double v = hsum8(acc[k][j]);
            for (int t = mv; t < m; t++) v += (double)ar[k][t] * br[j][t];
            s[k][j] = v;
        }
}

PT_HOT void pt_train_dots(int n_out, int n_rows, const float *const *a, const float *const *b, int n, double *dW,
                          int ldw)
{
    for (int t0 = 0; t0 < n; t0 += CHUNK) {
        const int m = n - t0 < CHUNK ? n - t0 : CHUNK;
        for (int o = 0; o < n_out; o += 4) {
            const int R = n_out - o < 4 ? n_out - o : 4;
            const float *ar[4];
            for (int k = 0; k < 4; k++) ar[k] = a[o + (k < R ? k : R - 1)] + t0;
            for (int r = 0; r < n_rows; r += 3) {
                const int Q = n_rows - r < 3 ? n_rows - r : 3;
                const float *br[3];
                for (int j = 0; j < 3; j++) br[j] = b[r + (j < Q ? j : Q - 1)] + t0;
                double s[4][3];
                block43(ar, br, m, s);
                for (int k = 0; k < R; k++)
                    for (int j = 0; j < Q; j++) dW[(long)(o + k) * ldw + r + j] += s[k][j];
            }
        }
    }
}

PT_HOT double pt_train_sum(const float *x, int n)
{
    double s = 0;
    for (int t0 = 0; t0 < n; t0 += CHUNK) {
        const int m = n - t0 < CHUNK ? n - t0 : CHUNK, mv = m & ~7;
        v8 acc = {0};
        for (int t = 0; t < mv; t += 8) acc += LD8(x + t0 + t);
        s += hsum8(acc);
        for (int t = mv; t < m; t++) s += x[t0 + t];
    }
    return s;
}

PT_HOT void pt_train_tanh_back(float *restrict da, const float *restrict dz, const float *restrict z, int n)
{
    for (int t = 0; t < n; t++) da[t] = dz[t] * (1.0f - z[t] * z[t]);
}
