/* nam_convnet.c — the ConvNet and Linear architectures of the .nam format.
 *
 * ConvNet: blocks of a kernel-2 dilated convolution, then (optionally) batch
 * norm, then an activation; a linear head on the last block's channels.
 *
 *   u_b[t] = W0 u_{b-1}[t - d_b] + W1 u_{b-1}[t] (+ bias, without batch norm)
 *   u_b    = act(scale * u_b + loc)     scale = gamma / sqrt(eps + var),
 *                                      loc = beta - scale * mean
 *   y      = w_head . u_last + b_head
 *
 * Weights per block: conv as [out][in][k] (k = 0 is the older tap), then the
 * conv bias (C) without batch norm, or running mean, running var, gamma, beta
 * (C each) and eps with it. Then the head: C weights, bias. Batch norm is
 * folded into the conv weights at load.
 *
 * Linear: an FIR filter, y[t] = b + sum_k w[k] x[t - k], weights w[0..RF-1]
 * then the bias if "bias" is true.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nam_internal.h"

typedef struct cn_block {
    int cin, dilation;
    pt_nn_hist in; /* cin rows */
    float *W;      /* C x 2*cin: the lagged tap's columns, then the current tap's */
    float *b;      /* C */
} cn_block;

typedef struct convnet {
    int C, n_blocks;
    pt_nam_act act;
    cn_block *blocks;
    float *head_w, head_b;
    float *last;   /* C x max_frames */
    const float **rows;
    float **orows;
} convnet;

/* RT: one block through the ConvNet blocks and head. */
static void convnet_process(pt_nam_model *m, const float *in, float *out, int N)
{
    convnet *s = m->impl;
    for (int b = 0; b < s->n_blocks; b++) pt_nn_hist_prepare(&s->blocks[b].in, N);
    memcpy(pt_nn_hist_at(&s->blocks[0].in, 0, 0), in, (size_t)N * sizeof(float));
    for (int b = 0; b < s->n_blocks; b++) {
        cn_block *B = &s->blocks[b];
        for (int i = 0; i < B->cin; i++) {
            s->rows[i] = pt_nn_hist_at(&B->in, i, B->dilation);
            s->rows[B->cin + i] = pt_nn_hist_at(&B->in, i, 0);
        }
        for (int o = 0; o < s->C; o++)
            s->orows[o] = b + 1 < s->n_blocks ? pt_nn_hist_at(&s->blocks[b + 1].in, o, 0)
                                              : s->last + (size_t)o * N;
        pt_nn_matmul(s->C, 2 * B->cin, B->W, B->b, s->rows, NULL, s->orows, N);
        for (int o = 0; o < s->C; o++) pt_nn_activate(s->act, s->orows[o], N);
    }
    for (int i = 0; i < s->C; i++) s->rows[i] = s->last + (size_t)i * N;
    float *o1[1] = {out};
    pt_nn_matmul(1, s->C, s->head_w, &s->head_b, s->rows, NULL, o1, N);
    for (int b = 0; b < s->n_blocks; b++) pt_nn_hist_advance(&s->blocks[b].in, N);
}

static void convnet_destroy(pt_nam_model *m)
{
    convnet *s = m->impl;
    if (!s) return;
    if (s->blocks)
        for (int b = 0; b < s->n_blocks; b++) {
            pt_nn_hist_free(&s->blocks[b].in);
            free(s->blocks[b].W);
            free(s->blocks[b].b);
        }
    free(s->blocks);
    free(s->head_w);
    free(s->last);
    free(s->rows);
    free(s->orows);
    free(s);
    m->impl = NULL;
}

static const pt_nam_arch_ops convnet_ops = {convnet_process, convnet_destroy};

int pt_nam_convnet_create(pt_nam_model *m, const pt_nam_file *f, pt_error *err)
{
    const pt_nam_convnet_config *cfg = &f->cfg.convnet;
    convnet *s = calloc(1, sizeof *s);
    if (!s) return -1;
    m->impl = s;
    m->ops = &convnet_ops;
    const int C = cfg->channels, N = m->max_frames;
    s->C = C;
    s->n_blocks = cfg->n_dilations;
    s->act = cfg->activation;
    s->blocks = calloc((size_t)s->n_blocks, sizeof *s->blocks);
    s->head_w = pt_nn_alloc((size_t)C);
    s->last = pt_nn_alloc((size_t)C * N);
    s->rows = calloc((size_t)(2 * C + 2), sizeof *s->rows);
    s->orows = calloc((size_t)C, sizeof *s->orows);
    if (!s->blocks || !s->head_w || !s->last || !s->rows || !s->orows) return -1;
    const float *w = f->weights;
    for (int b = 0; b < s->n_blocks; b++) {
        cn_block *B = &s->blocks[b];
        B->cin = b == 0 ? 1 : C;
        B->dilation = cfg->dilations[b];
        if (pt_nn_hist_init(m, &B->in, B->cin, B->dilation, N)) return -1;
        const int cols = 2 * B->cin;
        B->W = pt_nn_alloc((size_t)C * cols);
        B->b = pt_nn_alloc((size_t)C);
        if (!B->W || !B->b) return -1;
        for (int o = 0; o < C; o++)
            for (int i = 0; i < B->cin; i++)
                for (int k = 0; k < 2; k++) B->W[(size_t)o * cols + k * B->cin + i] = *w++;
        if (!cfg->batchnorm) {
            memcpy(B->b, w, (size_t)C * sizeof(float)), w += C;
        } else {
            const float *mean = w, *var = w + C, *gamma = w + 2 * C, *beta = w + 3 * C;
            float eps = w[4 * C];
            for (int o = 0; o < C; o++) {
                float scale = gamma[o] / sqrtf(eps + var[o]);
                for (int j = 0; j < cols; j++) B->W[(size_t)o * cols + j] *= scale;
                B->b[o] = beta[o] - scale * mean[o];
            }
            w += 4 * C + 1;
        }
    }
    memcpy(s->head_w, w, (size_t)C * sizeof(float)), w += C;
    s->head_b = *w++;
    if (w != f->weights + f->n_weights)
        return pt_error_set(err, PT_ERR, f->path, 0, 0, "internal: ConvNet used %ld of %d weights",
                            (long)(w - f->weights), f->n_weights);
    m->prewarm_samples = pt_nam_receptive_field(f) + 1;
    return 0;
}

/* ---- Linear ---- */

typedef struct linear {
    int rf;
    pt_nn_hist in;
    float *w;     /* rf */
    float bias;
    const float **rows;
} linear;

/* RT: one block through the FIR. */
static void linear_process(pt_nam_model *m, const float *in, float *out, int N)
{
    linear *s = m->impl;
    pt_nn_hist_prepare(&s->in, N);
    memcpy(pt_nn_hist_at(&s->in, 0, 0), in, (size_t)N * sizeof(float));
    for (int k = 0; k < s->rf; k++) s->rows[k] = pt_nn_hist_at(&s->in, 0, k);
    float *o1[1] = {out};
    pt_nn_matmul(1, s->rf, s->w, &s->bias, s->rows, NULL, o1, N);
    pt_nn_hist_advance(&s->in, N);
}

static void linear_destroy(pt_nam_model *m)
{
    linear *s = m->impl;
    if (!s) return;
    pt_nn_hist_free(&s->in);
    free(s->w);
    free(s->rows);
    free(s);
    m->impl = NULL;
}

static const pt_nam_arch_ops linear_ops = {linear_process, linear_destroy};

int pt_nam_linear_create(pt_nam_model *m, const pt_nam_file *f, pt_error *err)
{
    (void)err;
    linear *s = calloc(1, sizeof *s);
    if (!s) return -1;
    m->impl = s;
    m->ops = &linear_ops;
    s->rf = f->cfg.linear.receptive_field;
    s->w = pt_nn_alloc((size_t)s->rf);
    s->rows = calloc((size_t)s->rf, sizeof *s->rows);
    if (!s->w || !s->rows || pt_nn_hist_init(m, &s->in, 1, s->rf - 1, m->max_frames)) return -1;
    memcpy(s->w, f->weights, (size_t)s->rf * sizeof(float));
    s->bias = f->cfg.linear.bias ? f->weights[s->rf] : 0.0f;
    m->prewarm_samples = 0; /* silence in, the bias out: nothing to settle */
    return 0;
}
