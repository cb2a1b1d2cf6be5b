/* nam_lstm.c — the LSTM architecture of the .nam format.
 *
 * A stack of LSTM cells (PyTorch's gate order i, f, g, o) and a linear head:
 *
 *   [i f g o] = W [x; h] + b
 *   c = sigmoid(f) c + sigmoid(i) tanh(g)
 *   h = sigmoid(o) tanh(c)
 *   y = w_head . h_last + b_head
 *
 * Weights per layer, in file order: W (4H x (in + H), row-major), b (4H), then
 * the initial hidden state h0 (H) and cell state c0 (H) — the state the model
 * starts from before prewarm. Then the head: H weights and a bias.
 *
 * The recurrence runs sample by sample; each cell's weights are packed for
 * the vector kernels (pt_nn_lstm_cell, nn_math.c: the gate sums in
 * registers, the activations and the state update fused, per instruction
 * set).
 */
#include <stdlib.h>
#include <string.h>

#include "nam_internal.h"

typedef struct lstm_layer {
    pt_nn_lstm_cell *cell;
    float *h, *c; /* state */
} lstm_layer;

typedef struct lstm {
    int n_layers, H;
    lstm_layer *layers;
    float *head_w;
    float head_b;
} lstm;

/* RT: the recurrence, sample by sample. */
static void lstm_process(pt_nam_model *m, const float *in, float *out, int N)
{
    lstm *s = m->impl;
    const int H = s->H;
    for (int t = 0; t < N; t++) {
        const float *x = &in[t];
        for (int l = 0; l < s->n_layers; l++) {
            lstm_layer *L = &s->layers[l];
            pt_nn_lstm_step(L->cell, x, L->h, L->c);
            x = L->h;
        }
        /* the head: four partial sums, so the additions do not wait on
         * each other */
        const float *h = s->layers[s->n_layers - 1].h;
        float y[4] = {0};
        int j = 0;
        for (; j + 4 <= H; j += 4)
            for (int k = 0; k < 4; k++) y[k] += s->head_w[j + k] * h[j + k];
        for (; j < H; j++) y[0] += s->head_w[j] * h[j];
        out[t] = s->head_b + ((y[0] + y[1]) + (y[2] + y[3]));
    }
}

static void lstm_destroy(pt_nam_model *m)
{
    lstm *s = m->impl;
    if (!s) return;
    if (s->layers)
        for (int l = 0; l < s->n_layers; l++) {
            pt_nn_lstm_cell_free(s->layers[l].cell);
            free(s->layers[l].h);
            free(s->layers[l].c);
        }
    free(s->layers);
    free(s->head_w);
    free(s);
    m->impl = NULL;
}

static const pt_nam_arch_ops lstm_ops = {lstm_process, lstm_destroy};

int pt_nam_lstm_create(pt_nam_model *m, const pt_nam_file *f, pt_error *err)
{
    const pt_nam_lstm_config *cfg = &f->cfg.lstm;
    lstm *s = calloc(1, sizeof *s);
    if (!s) return -1;
    m->impl = s;
    m->ops = &lstm_ops;
    const int H = cfg->hidden_size, G = 4 * H;
    s->n_layers = cfg->num_layers;
    s->H = H;
    s->layers = calloc((size_t)s->n_layers, sizeof *s->layers);
    s->head_w = pt_nn_alloc((size_t)H);
    if (!s->layers || !s->head_w) return -1;
    const float *w = f->weights;
    for (int l = 0; l < s->n_layers; l++) {
        lstm_layer *L = &s->layers[l];
        const int in = l == 0 ? cfg->input_size : H, cols = in + H;
        L->cell = pt_nn_lstm_cell_create(in, H, w, w + (size_t)G * cols);
        w += (size_t)G * cols + G;
        L->h = pt_nn_alloc((size_t)H);
        L->c = pt_nn_alloc((size_t)H);
        if (!L->cell || !L->h || !L->c) return -1;
        memcpy(L->h, w, (size_t)H * sizeof(float)), w += H;
        memcpy(L->c, w, (size_t)H * sizeof(float)), w += H;
        if (pt_nn_add_state(m, L->h, (size_t)H * sizeof(float)) ||
            pt_nn_add_state(m, L->c, (size_t)H * sizeof(float)))
            return -1;
    }
    memcpy(s->head_w, w, (size_t)H * sizeof(float)), w += H;
    s->head_b = *w++;
    if (w != f->weights + f->n_weights)
        return pt_error_set(err, PT_ERR, f->path, 0, 0, "internal: LSTM used %ld of %d weights",
                            (long)(w - f->weights), f->n_weights);
    /* the reference player's settling time: half a second at the model rate
     * (a file without sample_rate means 48 kHz here; the reference player
     * then settles for a single block instead) */
    m->prewarm_samples = (long)(0.5 * f->sample_rate_hz);
    return 0;
}
