/* nam_internal.h — what the architecture files share: history buffers, the
 * state list that reset() restores, and each architecture's entry points. */
#ifndef PT_NAM_INTERNAL_H
#define PT_NAM_INTERNAL_H

#include <stddef.h>

#include "nam_model.h"
#include "nn_math.h"

/* A per-channel history: `rows` rows of `cap` floats. New frames are written
 * at `pos`; a reader looking `lag` frames back reads at pos - lag, for up to
 * `keep` frames of lag. When a block would not fit, the last `keep` frames of
 * every row move to the front (rare: cap leaves room for many blocks). */
typedef struct pt_nn_hist {
    float *data;
    int rows, cap, keep, pos;
} pt_nn_hist;

/* What reset() restores: a list of (pointer, bytes) regions. */
typedef struct pt_nn_state_ref {
    void *ptr;
    size_t bytes;
} pt_nn_state_ref;

typedef struct pt_nam_arch_ops {
    void (*process)(pt_nam_model *m, const float *in, float *out, int frames); /* RT, frames <= max */
    void (*destroy)(pt_nam_model *m);
} pt_nam_arch_ops;

struct pt_nam_model {
    pt_nam_arch arch;
    const pt_nam_arch_ops *ops;
    void *impl;
    int max_frames;
    long prewarm_samples;
    pt_nn_state_ref *state;
    int n_state, cap_state;
    unsigned char *saved; /* concatenated copy of the state regions */
    size_t saved_bytes;
    float *io_tmp; /* max_frames, for in-place calls */
};

int pt_nn_hist_init(pt_nam_model *m, pt_nn_hist *h, int rows, int keep, int max_frames);
void pt_nn_hist_free(pt_nn_hist *h);
/* RT: make room for `frames` new frames (moves history if needed). */
void pt_nn_hist_prepare(pt_nn_hist *h, int frames);
/* RT: pointer to row r, `lag` frames before the first new frame. */
static inline float *pt_nn_hist_at(const pt_nn_hist *h, int r, int lag)
{
    return h->data + (size_t)r * h->cap + h->pos - lag;
}
static inline void pt_nn_hist_advance(pt_nn_hist *h, int frames) { h->pos += frames; }

/* Register a region as model state (saved by prewarm, restored by reset). */
int pt_nn_add_state(pt_nam_model *m, void *ptr, size_t bytes);

/* A zeroed float array (NULL on out-of-memory). */
float *pt_nn_alloc(size_t n);

int pt_nam_wavenet_create(pt_nam_model *m, const pt_nam_file *f, pt_error *err);
int pt_nam_lstm_create(pt_nam_model *m, const pt_nam_file *f, pt_error *err);
int pt_nam_convnet_create(pt_nam_model *m, const pt_nam_file *f, pt_error *err);
int pt_nam_linear_create(pt_nam_model *m, const pt_nam_file *f, pt_error *err);
int pt_nam_xwavenet_create(pt_nam_model *m, const pt_nam_file *f, pt_error *err);

#endif
