/* wavenet_train.h — the A1 WaveNet of the .nam format, forward and backward,
 * for training (src/neural/nam_wavenet.c plays the same model).
 *
 * Parameters live in one flat vector in the .nam file's order (everything but
 * the final head_scale, which NAM keeps fixed). Before a batch they are
 * repacked into the layout the kernels want (taps k-major with the input
 * mixin as last column, and the transposes the backward pass multiplies
 * by); gradients are gathered back into file order.
 *
 * A window of L = ny + rf - 1 input samples gives ny outputs, as NAM's
 * trainer computes them: valid (unpadded) dilated convolutions, each layer's
 * output shorter by (K-1) d. Buffers keep absolute sample positions, so a
 * layer's valid part simply starts later.
 */
#ifndef PT_WAVENET_TRAIN_H
#define PT_WAVENET_TRAIN_H

#include <stdint.h>

#include "../neural/nam_file.h"

typedef struct tw_layer {
    int d;
    long W, b, V, c; /* offsets into the packed vector */
    long WT, VT;     /* offsets into the transposes */
} tw_layer;

typedef struct tw_array {
    int in, C, K, head, n;
    int head_bias;
    long R, G, g, RT, GT;
    tw_layer layers[PT_NAM_MAX_LAYERS];
} tw_array;

typedef struct pt_wavenet_train {
    pt_nam_wavenet_config cfg;
    int n_arrays;
    tw_array arrays[PT_NAM_MAX_ARRAYS];
    long n_params; /* without head_scale */
    int rf;        /* receptive field */
    float head_scale;
    long *perm;    /* file index -> packed index */
    float *packed; /* n_params */
    float *trans;  /* the transposes */
    long n_trans;
} pt_wavenet_train;

/* Per-thread buffers for windows of L samples. */
typedef struct tw_work {
    int L, Lp, Lda; /* window, row stride, row stride of da */
    float *mem;
    float *cond;
    float **h[PT_NAM_MAX_ARRAYS], **z[PT_NAM_MAX_ARRAYS];
    float *hs[PT_NAM_MAX_ARRAYS], *ho[PT_NAM_MAX_ARRAYS];
    float *dh[PT_NAM_MAX_ARRAYS], *dho[PT_NAM_MAX_ARRAYS];
    float *dz, *ds, *da;
    double *grad; /* packed layout, n_params */
    const float **rows;
    float **orows;
    const float **irows;
} tw_work;

/* A trainable model with the config of a WaveNet .nam (non-gated arrays,
 * one output). Returns 0, or -1 with err. Parameters are zero until set. */
int pt_wavenet_train_init(pt_wavenet_train *m, const pt_nam_wavenet_config *cfg, float head_scale,
                          pt_error *err);
void pt_wavenet_train_free(pt_wavenet_train *m);
/* PyTorch's default initialisation (uniform within 1/sqrt(fan_in)). */
void pt_wavenet_train_init_weights(const pt_wavenet_train *m, float *params, uint64_t seed);
/* Load `params` (file order) for the next forward/backward passes. */
void pt_wavenet_train_set(pt_wavenet_train *m, const float *params);

int tw_work_init(tw_work *w, const pt_wavenet_train *m, int L);
void tw_work_free(tw_work *w);

/* y[0..L-rf] = model(x[0..L)) (x: L samples). */
void pt_wavenet_train_forward(const pt_wavenet_train *m, tw_work *w, const float *x, float *y);
/* After forward on the same window: add d(loss)/d(params) to w->grad for
 * dy = d(loss)/dy (L-rf+1 values). */
void pt_wavenet_train_backward(const pt_wavenet_train *m, tw_work *w, const float *dy);
/* w->grad (packed) added into g (file order). */
void pt_wavenet_train_gather(const pt_wavenet_train *m, const double *packed_grad, double *g);

#endif
