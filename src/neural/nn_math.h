/* nn_math.h — the inner loops every neural model here is made of.
 *
 * Signals are stored channel-major: one row of `frames` contiguous floats
 * per channel, so a block of frames goes through a layer as a small matrix
 * product (out_channels x in_rows) * (in_rows x frames) whose innermost loop
 * runs along the frames and vectorises. Rows are passed as pointer arrays,
 * which lets a dilated convolution read its lagged inputs straight out of a
 * history buffer without copying.
 *
 * On x86-64 the hot functions are compiled three times (AVX-512, AVX2+FMA and
 * baseline) and the loader picks one for the CPU at start-up, so a portable
 * build still runs at full speed on a modern machine; on 64-bit ARM a NEON
 * build (128-bit vectors) is picked.
 *
 * Every function here is RT: no allocation, no locks.
 */
#ifndef PT_NN_MATH_H
#define PT_NN_MATH_H

#include "nam_file.h"

/* For the small auto-vectorised helpers (pt_nn_add, the LSTM step): three
 * builds (AVX-512, AVX2+FMA, baseline x86-64) chosen when the program loads.
 * GCC on ELF targets only (PT_NO_IFUNC: Windows, macOS); sanitizer builds keep one plain version (TSan would instrument
 * the resolvers, which run before it is initialised). The main kernels
 * (matrix product, tanh, sigmoid) are built per instruction set explicitly
 * in nn_math.c with GCC and clang alike. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && \
    !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__) && !defined(PT_NO_TARGET_CLONES) && \
    !defined(PT_NO_IFUNC)
#define PT_HOT __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define PT_HOT
#endif

/* Input rows (and init rows) must stay readable for PT_NN_PAD floats past
 * `frames`: the last partial tile of a block is computed whole and the
 * extra results dropped. Buffers from pt_nn_alloc() have that slack. */
#define PT_NN_PAD 32

/* RT: out[o][t] = bias[o] + (init ? init[o][t] : 0) + sum_r W[o*n_rows + r] * rows[r][t]
 * for o < n_out, t < frames. bias and init may be NULL. out rows must not
 * overlap the input rows; nothing is written past `frames`. */
void pt_nn_matmul(int n_out, int n_rows, const float *W, const float *bias,
                  const float *const *rows, const float *const *init, float *const *out,
                  int frames);

/* RT: pt_nn_matmul without init, then out = tanh(out) and, if sum is not
 * NULL, sum[o][t] += out[o][t], all while the results are in registers
 * (a WaveNet layer: convolution, activation and head sum in one pass). sum
 * rows must not overlap the others. */
void pt_nn_matmul_tanh(int n_out, int n_rows, const float *W, const float *bias,
                       const float *const *rows, float *const *out, float *const *sum, int frames);

/* RT: y[i] += x[i] */
void pt_nn_add(float *y, const float *x, int n);
/* RT: y[i] *= x[i] */
void pt_nn_mul(float *y, const float *x, int n);

/* RT: in place. tanh within 4e-7 relative over the whole float range
 * (checked against tanh in tests/unit/test_neural_math.c). */
void pt_nn_tanh(float *x, int n);
/* RT: in place, 1 / (1 + exp(-x)), about 1e-7 relative. */
void pt_nn_sigmoid(float *x, int n);
/* RT: apply activation `a` in place. */
void pt_nn_activate(pt_nam_act a, float *x, int n);

/* An LSTM cell (PyTorch's gate order i, f, g, o) with `in` inputs and H
 * hidden units, its weights packed for the kernels: W is 4H x (in + H),
 * row-major, acting on [x; h]; b is 4H. NULL on out-of-memory. */
typedef struct pt_nn_lstm_cell pt_nn_lstm_cell;
pt_nn_lstm_cell *pt_nn_lstm_cell_create(int in, int H, const float *W, const float *b);
void pt_nn_lstm_cell_free(pt_nn_lstm_cell *cell);

/* RT: one step of the cell: g = b + W [x; h], then c = sigmoid(f) c +
 * sigmoid(i) tanh(g), h = sigmoid(o) tanh(c), in place. h and c need
 * PT_NN_PAD floats of slack (pt_nn_alloc), zero at the start: the kernels
 * work on whole vectors and keep zeros in h and c past H. */
void pt_nn_lstm_step(pt_nn_lstm_cell *cell, const float *x, float *h, float *c);

/* The build of the kernels in use: "avx512", "avx2", "neon" or "baseline". */
const char *pt_nn_isa(void);
/* Tests and benchmarks: use the named build (NULL: the best the CPU has).
 * Returns -1 if the CPU or this build lacks it. Not while audio runs. */
int pt_nn_set_isa(const char *name);

/* Scalar versions, for tests and the odd single value. */
float pt_nn_tanh1(float x);
float pt_nn_sigmoid1(float x);
/* The format's "Fasttanh": its rational approximation, which a model trained
 * with it expects exactly. */
float pt_nn_fasttanh1(float x);

#endif
