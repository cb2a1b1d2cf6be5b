/* nam_wavenet.c — the WaveNet architecture of the .nam format.
 *
 * The model is a chain of layer arrays. Array a has `channels` C, kernel K
 * and one layer per dilation d. With x the model input (the "condition"):
 *
 *   h_0 = R x_in                         rechannel, 1x1, no bias
 *   for each layer l (dilation d):
 *     z   = sum_k W_k h_l[t - (K-1-k) d] + b + M x[t]   dilated conv + input mixin
 *     z   = act(z)                       or, gated (2C rows): act(top) * sigmoid(bottom)
 *     s  += z                            the head ("skip") sum
 *     h_{l+1} = h_l + V z + c            1x1 with bias, residual
 *   head_out = G s (+ g)                 head rechannel to head_size rows
 *
 * x_in of array 0 is x; of array a > 0 it is h_L of array a-1, and its head
 * sum starts from array a-1's head_out. The model output is head_scale times
 * the last head_out (one row); head_scale is the last weight of the file.
 *
 * Weights, in file order, per array: R (C x in, row-major); per layer: W as
 * [out][in][k], conv bias, M (Cz x 1), V (C x C), c; then G (+ g). Last,
 * head_scale.
 *
 * Each layer's input h_l lives in a history buffer so the dilated taps are
 * plain pointers into the past; a block of frames goes through every layer as
 * one matrix product.
 */
#include <stdlib.h>
#include <string.h>

#include "nam_internal.h"

typedef struct wn_layer {
    int dilation;
    pt_nn_hist in;   /* h_l: C rows */
    float *W;        /* Cz x (K*C + 1): taps k-major, then the mixin column */
    float *b;        /* Cz */
    float *V, *c;    /* C x C, C */
} wn_layer;

typedef struct wn_array {
    int C, Cz, K, in_size, head_size, n_layers;
    pt_nam_act act;
    int gated;
    float *R;        /* C x in_size */
    float *G, *g;    /* head_size x C, head_size or NULL */
    wn_layer *layers;
    float *z;        /* Cz x max_frames, rows of `frames` (stride = frames) */
    float *head_sum; /* C x max_frames */
    float *head_out; /* head_size x max_frames */
    float *out;      /* C x max_frames: the last layer's output */
    const float **rows; /* K*C + 1 (or more) row pointers */
    const float **rows2;
    float **orows;
    float **srows;   /* C: the head sum's rows */
} wn_array;

typedef struct wavenet {
    float *cond; /* the block's input, copied (rows are read past the block end) */
    int n_arrays;
    wn_array *arrays;
    float head_scale;
} wavenet;

static float *take(const float **w, size_t n)
{
    float *p = pt_nn_alloc(n);
    if (p) memcpy(p, *w, n * sizeof(float));
    *w += n;
    return p;
}

/* RT: one block through every layer array. */
static void wavenet_process(pt_nam_model *m, const float *in, float *out, int N)
{
    wavenet *wn = m->impl;
    memcpy(wn->cond, in, (size_t)N * sizeof(float));
    const float *cond = wn->cond;
    for (int a = 0; a < wn->n_arrays; a++) {
        wn_array *A = &wn->arrays[a];
        const int C = A->C, K = A->K;
        for (int l = 0; l < A->n_layers; l++) pt_nn_hist_prepare(&A->layers[l].in, N);

        /* rechannel into h_0 */
        if (a == 0) {
            A->rows[0] = cond;
        } else {
            const wn_array *P = &wn->arrays[a - 1];
            for (int i = 0; i < A->in_size; i++) A->rows[i] = P->out + (size_t)i * N;
        }
        for (int c = 0; c < C; c++) A->orows[c] = pt_nn_hist_at(&A->layers[0].in, c, 0);
        pt_nn_matmul(C, A->in_size, A->R, NULL, A->rows, NULL, A->orows, N);

        /* the head sum starts at zero, or at the previous array's head output */
        if (a == 0)
            memset(A->head_sum, 0, (size_t)C * N * sizeof(float));
        else
            memcpy(A->head_sum, wn->arrays[a - 1].head_out, (size_t)C * N * sizeof(float));

        for (int l = 0; l < A->n_layers; l++) {
            wn_layer *L = &A->layers[l];
            for (int k = 0; k < K; k++) {
                int lag = (K - 1 - k) * L->dilation;
                for (int i = 0; i < C; i++) A->rows[k * C + i] = pt_nn_hist_at(&L->in, i, lag);
            }
            A->rows[K * C] = cond;
            for (int o = 0; o < A->Cz; o++) A->orows[o] = A->z + (size_t)o * N;
            if (A->act == PT_ACT_TANH && !A->gated) {
                /* the common case in one pass: conv, tanh, head sum */
                for (int o = 0; o < C; o++) A->srows[o] = A->head_sum + (size_t)o * N;
                pt_nn_matmul_tanh(C, K * C + 1, L->W, L->b, A->rows, A->orows, A->srows, N);
            } else {
                pt_nn_matmul(A->Cz, K * C + 1, L->W, L->b, A->rows, NULL, A->orows, N);
                pt_nn_activate(A->act, A->z, C * N);
                if (A->gated) {
                    pt_nn_sigmoid(A->z + (size_t)C * N, C * N);
                    pt_nn_mul(A->z, A->z + (size_t)C * N, C * N);
                }
                pt_nn_add(A->head_sum, A->z, C * N);
            }

            /* h_{l+1} = h_l + V z + c */
            for (int i = 0; i < C; i++) {
                A->rows[i] = A->z + (size_t)i * N;
                A->rows2[i] = pt_nn_hist_at(&L->in, i, 0);
                A->orows[i] = l + 1 < A->n_layers ? pt_nn_hist_at(&A->layers[l + 1].in, i, 0)
                                                  : A->out + (size_t)i * N;
            }
            pt_nn_matmul(C, C, L->V, L->c, A->rows, A->rows2, A->orows, N);
        }

        for (int i = 0; i < C; i++) A->rows[i] = A->head_sum + (size_t)i * N;
        for (int o = 0; o < A->head_size; o++) A->orows[o] = A->head_out + (size_t)o * N;
        pt_nn_matmul(A->head_size, C, A->G, A->g, A->rows, NULL, A->orows, N);

        for (int l = 0; l < A->n_layers; l++) pt_nn_hist_advance(&A->layers[l].in, N);
    }
    const float *y = wn->arrays[wn->n_arrays - 1].head_out;
    for (int t = 0; t < N; t++) out[t] = wn->head_scale * y[t];
}

static void wavenet_destroy(pt_nam_model *m)
{
    wavenet *wn = m->impl;
    if (!wn) return;
    for (int a = 0; a < wn->n_arrays; a++) {
        wn_array *A = &wn->arrays[a];
        if (A->layers)
            for (int l = 0; l < A->n_layers; l++) {
                pt_nn_hist_free(&A->layers[l].in);
                free(A->layers[l].W);
                free(A->layers[l].b);
                free(A->layers[l].V);
                free(A->layers[l].c);
            }
        free(A->layers);
        free(A->R);
        free(A->G);
        free(A->g);
        free(A->z);
        free(A->head_sum);
        free(A->head_out);
        free(A->out);
        free(A->rows);
        free(A->rows2);
        free(A->orows);
        free(A->srows);
    }
    free(wn->arrays);
    free(wn->cond);
    free(wn);
    m->impl = NULL;
}

static const pt_nam_arch_ops wavenet_ops = {wavenet_process, wavenet_destroy};

int pt_nam_wavenet_create(pt_nam_model *m, const pt_nam_file *f, pt_error *err)
{
    const pt_nam_wavenet_config *cfg = &f->cfg.wavenet;
    wavenet *wn = calloc(1, sizeof *wn);
    if (!wn) return -1;
    m->impl = wn;
    m->ops = &wavenet_ops;
    wn->n_arrays = cfg->n_arrays;
    wn->arrays = calloc((size_t)cfg->n_arrays, sizeof *wn->arrays);
    wn->cond = pt_nn_alloc((size_t)m->max_frames);
    if (!wn->arrays || !wn->cond) return -1;
    const int N = m->max_frames;
    const float *w = f->weights;
    for (int a = 0; a < cfg->n_arrays; a++) {
        const pt_nam_layer_array *la = &cfg->arrays[a];
        wn_array *A = &wn->arrays[a];
        const int C = la->channels, K = la->kernel_size;
        A->C = C;
        A->K = K;
        A->Cz = la->gated ? 2 * C : C;
        A->in_size = la->input_size;
        A->head_size = la->head_size;
        A->n_layers = la->n_dilations;
        A->act = la->activation;
        A->gated = la->gated;
        A->layers = calloc((size_t)A->n_layers, sizeof *A->layers);
        if (!A->layers) return -1;
        A->R = take(&w, (size_t)C * A->in_size);
        if (!A->R) return -1;
        for (int l = 0; l < A->n_layers; l++) {
            wn_layer *L = &A->layers[l];
            L->dilation = la->dilations[l];
            if (pt_nn_hist_init(m, &L->in, C, (K - 1) * L->dilation, N)) return -1;
            /* conv weights come as [out][in][k]; store taps k-major */
            const int cols = K * C + 1;
            L->W = pt_nn_alloc((size_t)A->Cz * cols);
            if (!L->W) return -1;
            for (int o = 0; o < A->Cz; o++)
                for (int i = 0; i < C; i++)
                    for (int k = 0; k < K; k++) L->W[(size_t)o * cols + k * C + i] = *w++;
            L->b = take(&w, (size_t)A->Cz);
            for (int o = 0; o < A->Cz; o++) L->W[(size_t)o * cols + K * C] = *w++; /* mixin */
            L->V = take(&w, (size_t)C * C);
            L->c = take(&w, (size_t)C);
            if (!L->b || !L->V || !L->c) return -1;
        }
        A->G = take(&w, (size_t)A->head_size * C);
        if (!A->G) return -1;
        if (la->head_bias) {
            A->g = take(&w, (size_t)A->head_size);
            if (!A->g) return -1;
        }
        int maxrows = K * C + 1;
        if (maxrows < A->in_size) maxrows = A->in_size;
        int maxo = A->Cz > A->head_size ? A->Cz : A->head_size;
        A->z = pt_nn_alloc((size_t)A->Cz * N);
        A->head_sum = pt_nn_alloc((size_t)C * N);
        A->head_out = pt_nn_alloc((size_t)A->head_size * N);
        A->out = pt_nn_alloc((size_t)C * N);
        A->rows = calloc((size_t)maxrows, sizeof *A->rows);
        A->rows2 = calloc((size_t)C, sizeof *A->rows2);
        A->orows = calloc((size_t)(maxo > C ? maxo : C), sizeof *A->orows);
        A->srows = calloc((size_t)C, sizeof *A->srows);
        if (!A->z || !A->head_sum || !A->head_out || !A->out || !A->rows || !A->rows2 || !A->orows ||
            !A->srows)
            return -1;
    }
    wn->head_scale = *w++;
    if (w != f->weights + f->n_weights)
        return pt_error_set(err, PT_ERR, f->path, 0, 0, "internal: WaveNet used %ld of %d weights",
                            (long)(w - f->weights), f->n_weights);
    m->prewarm_samples = pt_nam_receptive_field(f) + 1;
    return 0;
}
