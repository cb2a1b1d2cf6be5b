/* lstm_train.h — the .nam LSTM (stacked cells, PyTorch's gate order i f g o,
 * learnt initial states, a linear head) forward and backward through time,
 * for training. Parameters in the .nam file's order: per layer W (4H x
 * (in+H)), b (4H), h0 (H), c0 (H); then the head's H weights and bias.
 * As NAM's trainer runs its LSTM (train_truncate null): the whole window
 * from the initial state, gradients through every step. */
#ifndef PT_LSTM_TRAIN_H
#define PT_LSTM_TRAIN_H

#include <stdint.h>

#define PT_LSTM_MAX_LAYERS 8

typedef struct pt_lstm_train {
    int n_layers, H;
    long n_params;
    long W[PT_LSTM_MAX_LAYERS], b[PT_LSTM_MAX_LAYERS], h0[PT_LSTM_MAX_LAYERS], c0[PT_LSTM_MAX_LAYERS];
    long head_w, head_b;
    const float *params; /* set before forward/backward */
} pt_lstm_train;

typedef struct lstm_work {
    int T;
    /* in double: the recurrence over 32768 steps forward and back keeps the
     * gradients within 1e-5 of float64 PyTorch (float32 states drifted to 1e-4) */
    double *gates[PT_LSTM_MAX_LAYERS]; /* T x 4H: i f g o after their activations */
    double *h[PT_LSTM_MAX_LAYERS], *c[PT_LSTM_MAX_LAYERS]; /* (T+1) x H, row 0 the initial state */
    double *dh_in, *dx; /* T x H: gradient of a layer's outputs / inputs */
    double *grad;
    double *dg, *dhr, *dcr, *tmp; /* 4H, H, H, in+H */
} lstm_work;

int pt_lstm_train_init(pt_lstm_train *m, int n_layers, int H);
void pt_lstm_train_init_weights(const pt_lstm_train *m, float *params, uint64_t seed);
int lstm_work_init(lstm_work *w, const pt_lstm_train *m, int T);
void lstm_work_free(lstm_work *w, const pt_lstm_train *m);
/* y[0..T) for x[0..T) */
void pt_lstm_train_forward(const pt_lstm_train *m, lstm_work *w, const float *x, float *y);
/* after forward: w->grad (file order) += d(loss)/d(params) for dy[0..T) */
void pt_lstm_train_backward(const pt_lstm_train *m, lstm_work *w, const float *x, const float *dy);

#endif
