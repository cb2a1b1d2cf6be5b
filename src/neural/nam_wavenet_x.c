/* nam_wavenet_x.c — the WaveNet of .nam formats 0.6 and 0.7.
 *
 * The 0.5 WaveNet (nam_wavenet.c) is this one with every new option at its
 * default. A layer array has C channels, a bottleneck B, and per layer a
 * kernel K, dilation d, gating mode and activations. With X the layer input
 * (C rows) and c the condition (the model input, or a conditioning model's
 * output when the file has a condition_dsp):
 *
 *   X'  = F_conv_pre(X)                       FiLM: X * s(c) + t(c)
 *   z   = F_conv_post(conv_K,d(X') + b)       Bz rows: 2B gated/blended, else B
 *       + F_mixin_post(M F_mixin_pre(c))      the input mixin, no bias
 *   z   = F_act_pre(z)
 *   a   = act(z)                              none
 *       | act(top) * act2(bottom)             gated
 *       | g act(top) + (1 - g) top, g = act2(bottom)   blended
 *   a   = F_act_post(a)                       B rows
 *   out = X + V a + v   (layer1x1 active; F_layer1x1_post on V a + v when blended)
 *       | X             (layer1x1 inactive: B = C)
 *   head sum += H a + h (head1x1 active, then F_head1x1_post) | a
 *
 * Every FiLM is optional; the scale/shift come from a 1x1 convolution of c.
 * All convolutions may be grouped (block-diagonal weights; kept here as dense
 * matrices with zeros). An array ends with the head rechannel, a convolution
 * of the head sum (kernel, dilation and bias from its `head` object); its
 * input is the first layer's rechannel (1x1, no bias) of the model input or
 * of the previous array's last layer output, and its head sum starts from
 * the previous array's head output. The model output is head_scale (the
 * last weight) times the last array's head output, then, if the config has
 * a post-stack `head`, that goes through its convolutions, each after the
 * head's activation.
 *
 * Weight order, per array: rechannel; per layer: conv (+ bias), mixin,
 * layer1x1 (+ bias), head1x1 (+ bias), then the active FiLMs in the order of
 * pt_nam_film_at (each 1x1 + bias); then the head rechannel (+ bias). After
 * the arrays, the post-stack head's convolutions (+ bias), then head_scale.
 * A grouped convolution's weights are stored group by group, each group as
 * [out][in][k].
 *
 * Quirks of the reference player kept here so files play as they were made
 * to: a layer1x1_post_film is applied only in blended layers.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nam_internal.h"

typedef struct xconv {
    int in, out, K, dil;
    float *W; /* out x (K*in): taps k-major, oldest tap first */
    float *b; /* out, or NULL */
} xconv;

typedef struct xfilm {
    bool active, shift;
    int dim;
    xconv conv; /* condition -> scale (dim rows), then shift (dim rows) */
} xfilm;

typedef struct xlayer {
    int K, dil, Bz;
    pt_nam_gating gate;
    pt_nam_actcfg act, act2;
    pt_nn_hist in; /* the conv input (after conv_pre_film), C rows */
    xconv conv, mixin, l1, h1;
    bool has_l1, has_h1;
    /* no FiLM between them: conv and mixin as one product, Bz x (K*C + cs) */
    float *fused;
    xfilm film[PT_FILM_COUNT];
} xlayer;

typedef struct xarray {
    int C, B, cs, in_size, hin, head_size, n_layers;
    xconv rechannel;
    xlayer *layers;
    pt_nn_hist head_sum; /* hin rows */
    xconv head;
    float *x, *y;        /* C x N: layer input / output */
    float *z, *m;        /* 2B x N */
    float *t;            /* FiLM scale/shift: 2 * max dim x N */
    float *u;            /* FiLM of the condition: cs x N */
    float *l1o, *h1o;    /* C x N, head1x1 out x N */
    float *head_out;     /* head_size x N */
} xarray;

typedef struct xwn {
    struct xwn *cond;   /* the conditioning model, or NULL */
    int cond_rows;
    float *in;          /* the block's input, 1 x N */
    int n_arrays;
    xarray *arrays;
    float head_scale;
    int n_hc;
    xconv hc[PT_NAM_MAX_HEAD_CONVS];
    pt_nn_hist hh[PT_NAM_MAX_HEAD_CONVS]; /* each head conv's (activated) input */
    pt_nam_actcfg hact;
    int out_rows;
    float *out;         /* out_rows x N */
    const float **rows;
    const float **rows2;
    float **orows;
    int max_rows;
} xwn;

/* ---- building ---- */

/* Read a convolution's weights (grouped layout) into a dense matrix. */
static int xconv_load(xconv *cv, int in, int out, int K, int dil, int groups, bool bias,
                      const float **w)
{
    cv->in = in, cv->out = out, cv->K = K, cv->dil = dil;
    cv->W = pt_nn_alloc((size_t)out * K * in);
    if (!cv->W) return -1;
    const int opg = out / groups, ipg = in / groups;
    for (int g = 0; g < groups; g++)
        for (int i = 0; i < opg; i++)
            for (int j = 0; j < ipg; j++)
                for (int k = 0; k < K; k++)
                    cv->W[(size_t)(g * opg + i) * K * in + (size_t)k * in + g * ipg + j] = *(*w)++;
    if (bias) {
        cv->b = pt_nn_alloc((size_t)out);
        if (!cv->b) return -1;
        memcpy(cv->b, *w, (size_t)out * sizeof(float));
        *w += out;
    }
    return 0;
}

static void xconv_free(xconv *cv)
{
    free(cv->W);
    free(cv->b);
    cv->W = cv->b = NULL;
}

/* ---- running (all RT) ---- */

/* RT: out rows = conv of input rows `src` (pointers to lag 0 of rows that
 * hold at least (K-1)*dil frames of history before them). */
static void xconv_run(xwn *X, const xconv *cv, const float *const *src, const float *const *init,
                      float *const *dst, int N)
{
    for (int k = 0; k < cv->K; k++) {
        int lag = (cv->K - 1 - k) * cv->dil;
        for (int j = 0; j < cv->in; j++) X->rows[k * cv->in + j] = src[j] - lag;
    }
    pt_nn_matmul(cv->out, cv->K * cv->in, cv->W, cv->b, X->rows, init, dst, N);
}

/* Row pointers of a plain rows x N buffer. */
static void buf_rows(const float **r, const float *buf, int rows, int N)
{
    for (int i = 0; i < rows; i++) r[i] = buf + (size_t)i * N;
}

/* RT: dst = x * scale(cond) + shift(cond), dim rows of N (dst may be x). */
static void film_run(xwn *X, xarray *A, const xfilm *f, const float *x, float *dst, int N)
{
    float **o = X->orows;
    const float **c = X->rows2;
    for (int i = 0; i < f->conv.out; i++) o[i] = A->t + (size_t)i * N;
    const float *cond = X->cond ? X->cond->out : X->in;
    buf_rows(c, cond, A->cs, N);
    pt_nn_matmul(f->conv.out, f->conv.in, f->conv.W, f->conv.b, c, NULL, o, N);
    const size_t n = (size_t)f->dim * N;
    const float *s = A->t, *sh = A->t + n;
    if (f->shift)
        for (size_t i = 0; i < n; i++) dst[i] = x[i] * s[i] + sh[i];
    else
        for (size_t i = 0; i < n; i++) dst[i] = x[i] * s[i];
}

static inline float sigm(float x) { return 1.0f / (1.0f + expf(-x)); }

/* RT: activation in place on `rows` rows of N; PReLU slopes by row. */
static void act_rows(const pt_nam_actcfg *a, float *x, int rows, int N)
{
    const size_t n = (size_t)rows * N;
    switch (a->type) {
    case PT_ACT_TANH:
    case PT_ACT_SIGMOID:
    case PT_ACT_FASTTANH:
    case PT_ACT_HARDTANH:
    case PT_ACT_RELU: pt_nn_activate(a->type, x, (int)n); break;
    case PT_ACT_LEAKYRELU:
        for (size_t i = 0; i < n; i++) x[i] = x[i] > 0.0f ? x[i] : a->slope * x[i];
        break;
    case PT_ACT_PRELU:
        for (int r = 0; r < rows; r++) {
            float s = a->n_slopes ? a->slopes[r % a->n_slopes] : a->slope;
            float *p = x + (size_t)r * N;
            for (int i = 0; i < N; i++) p[i] = p[i] > 0.0f ? p[i] : s * p[i];
        }
        break;
    case PT_ACT_SILU:
        for (size_t i = 0; i < n; i++) x[i] = x[i] * sigm(x[i]);
        break;
    case PT_ACT_HARDSWISH:
        for (size_t i = 0; i < n; i++) {
            float t = x[i] + 3.0f;
            t = t < 0.0f ? 0.0f : (t > 6.0f ? 6.0f : t);
            x[i] = x[i] * t * (1.0f / 6.0f);
        }
        break;
    case PT_ACT_LEAKYHARDTANH:
        for (size_t i = 0; i < n; i++) {
            float v = x[i];
            if (v < a->min_val) v = (v - a->min_val) * a->min_slope + a->min_val;
            else if (v > a->max_val) v = (v - a->max_val) * a->max_slope + a->max_val;
            x[i] = v;
        }
        break;
    case PT_ACT_SOFTSIGN:
        for (size_t i = 0; i < n; i++) x[i] = x[i] / (1.0f + fabsf(x[i]));
        break;
    default: break;
    }
}

/* RT: one layer: A->x (input) -> A->y (output), adding to the head sum. */
static void layer_run(xwn *X, xarray *A, xlayer *L, int N)
{
    const int C = A->C, B = A->B, Bz = L->Bz;
    float **o = X->orows;
    const float **src = (const float **)X->rows2;

    /* the conv input, FiLMed or not, becomes the newest history frame */
    float *h0 = pt_nn_hist_at(&L->in, 0, 0);
    if (L->film[PT_FILM_CONV_PRE].active) {
        film_run(X, A, &L->film[PT_FILM_CONV_PRE], A->x, A->u, N);
        for (int i = 0; i < C; i++)
            memcpy(pt_nn_hist_at(&L->in, i, 0), A->u + (size_t)i * N, (size_t)N * sizeof(float));
    } else
        for (int i = 0; i < C; i++)
            memcpy(pt_nn_hist_at(&L->in, i, 0), A->x + (size_t)i * N, (size_t)N * sizeof(float));
    (void)h0;

    const float *hist_rows[1024];
    for (int i = 0; i < C; i++) hist_rows[i] = pt_nn_hist_at(&L->in, i, 0);
    for (int i = 0; i < Bz; i++) o[i] = A->z + (size_t)i * N;
    const float *cond = X->cond ? X->cond->out : X->in;
    if (L->fused) {
        /* conv and mixin in one product: the condition rows after the taps */
        const int KC = L->K * C;
        for (int k = 0; k < L->K; k++) {
            int lag = (L->K - 1 - k) * L->dil;
            for (int j = 0; j < C; j++) X->rows[k * C + j] = hist_rows[j] - lag;
        }
        for (int j = 0; j < A->cs; j++) X->rows[KC + j] = cond + (size_t)j * N;
        pt_nn_matmul(Bz, KC + A->cs, L->fused, L->conv.b, X->rows, NULL, o, N);
        goto activation;
    }
    xconv_run(X, &L->conv, hist_rows, NULL, o, N);
    if (L->film[PT_FILM_CONV_POST].active)
        film_run(X, A, &L->film[PT_FILM_CONV_POST], A->z, A->z, N);

    /* the input mixin */
    if (L->film[PT_FILM_MIXIN_PRE].active) {
        film_run(X, A, &L->film[PT_FILM_MIXIN_PRE], cond, A->u, N);
        cond = A->u;
    }
    buf_rows(src, cond, A->cs, N);
    for (int i = 0; i < Bz; i++) o[i] = A->m + (size_t)i * N;
    pt_nn_matmul(Bz, A->cs, L->mixin.W, NULL, src, NULL, o, N);
    if (L->film[PT_FILM_MIXIN_POST].active)
        film_run(X, A, &L->film[PT_FILM_MIXIN_POST], A->m, A->m, N);
    pt_nn_add(A->z, A->m, Bz * N);
activation:
    if (L->film[PT_FILM_ACT_PRE].active) film_run(X, A, &L->film[PT_FILM_ACT_PRE], A->z, A->z, N);

    /* the activation: B rows of result at the top of z */
    const size_t nb = (size_t)B * N;
    if (L->gate == PT_GATE_NONE) {
        act_rows(&L->act, A->z, B, N);
    } else if (L->gate == PT_GATE_GATED) {
        act_rows(&L->act, A->z, B, N);
        act_rows(&L->act2, A->z + nb, B, N);
        pt_nn_mul(A->z, A->z + nb, (int)nb);
    } else {
        memcpy(A->m, A->z, nb * sizeof(float));
        act_rows(&L->act, A->z, B, N);
        act_rows(&L->act2, A->z + nb, B, N);
        const float *g = A->z + nb;
        for (size_t i = 0; i < nb; i++) A->z[i] = g[i] * A->z[i] + (1.0f - g[i]) * A->m[i];
    }
    if (L->film[PT_FILM_ACT_POST].active) film_run(X, A, &L->film[PT_FILM_ACT_POST], A->z, A->z, N);

    /* the residual path */
    buf_rows(src, A->z, B, N);
    if (L->has_l1) {
        bool post = L->gate == PT_GATE_BLENDED && L->film[PT_FILM_LAYER1X1_POST].active;
        for (int i = 0; i < C; i++) o[i] = (post ? A->l1o : A->y) + (size_t)i * N;
        const float *xr[1024];
        buf_rows(xr, A->x, C, N);
        pt_nn_matmul(C, B, L->l1.W, L->l1.b, src, post ? NULL : xr, o, N);
        if (post) {
            film_run(X, A, &L->film[PT_FILM_LAYER1X1_POST], A->l1o, A->l1o, N);
            for (size_t i = 0; i < (size_t)C * N; i++) A->y[i] = A->x[i] + A->l1o[i];
        }
    } else
        memcpy(A->y, A->x, (size_t)C * N * sizeof(float));

    /* the head path */
    buf_rows(src, A->z, B, N);
    const float *hs;
    if (L->has_h1) {
        for (int i = 0; i < L->h1.out; i++) o[i] = A->h1o + (size_t)i * N;
        pt_nn_matmul(L->h1.out, B, L->h1.W, L->h1.b, src, NULL, o, N);
        if (L->film[PT_FILM_HEAD1X1_POST].active)
            film_run(X, A, &L->film[PT_FILM_HEAD1X1_POST], A->h1o, A->h1o, N);
        hs = A->h1o;
    } else
        hs = A->z;
    for (int i = 0; i < A->hin; i++) pt_nn_add(pt_nn_hist_at(&A->head_sum, i, 0), hs + (size_t)i * N, N);
}

/* RT: one block of a model: X->in -> X->out (out_rows x N). */
static void xwn_run(xwn *X, int N)
{
    if (X->cond) {
        memcpy(X->cond->in, X->in, (size_t)N * sizeof(float));
        xwn_run(X->cond, N);
    }
    const float **src = X->rows2;
    for (int a = 0; a < X->n_arrays; a++) {
        xarray *A = &X->arrays[a];
        for (int l = 0; l < A->n_layers; l++) pt_nn_hist_prepare(&A->layers[l].in, N);
        pt_nn_hist_prepare(&A->head_sum, N);

        /* the rechannel of the model input or the previous array's output */
        if (a == 0) src[0] = X->in;
        else buf_rows(src, X->arrays[a - 1].y, A->in_size, N);
        for (int i = 0; i < A->C; i++) X->orows[i] = A->x + (size_t)i * N;
        pt_nn_matmul(A->C, A->in_size, A->rechannel.W, NULL, src, NULL, X->orows, N);

        for (int i = 0; i < A->hin; i++) {
            float *h = pt_nn_hist_at(&A->head_sum, i, 0);
            if (a == 0) memset(h, 0, (size_t)N * sizeof(float));
            else memcpy(h, X->arrays[a - 1].head_out + (size_t)i * N, (size_t)N * sizeof(float));
        }
        for (int l = 0; l < A->n_layers; l++) {
            layer_run(X, A, &A->layers[l], N);
            float *t = A->x;
            A->x = A->y, A->y = t;
        }
        /* A->x now holds the last layer's output; keep it where the next array looks */
        float *t = A->x;
        A->x = A->y, A->y = t;

        const float *hr[1024];
        for (int i = 0; i < A->hin; i++) hr[i] = pt_nn_hist_at(&A->head_sum, i, 0);
        for (int i = 0; i < A->head_size; i++) X->orows[i] = A->head_out + (size_t)i * N;
        xconv_run(X, &A->head, hr, NULL, X->orows, N);
        for (int l = 0; l < A->n_layers; l++) pt_nn_hist_advance(&A->layers[l].in, N);
        pt_nn_hist_advance(&A->head_sum, N);
    }
    const xarray *last = &X->arrays[X->n_arrays - 1];
    if (X->n_hc == 0) {
        for (size_t i = 0; i < (size_t)X->out_rows * N; i++) X->out[i] = X->head_scale * last->head_out[i];
        return;
    }
    /* the post-stack head: activation, then conv, for each */
    int rows = last->head_size;
    for (int i = 0; i < X->n_hc; i++) pt_nn_hist_prepare(&X->hh[i], N);
    for (int r = 0; r < rows; r++) {
        float *h = pt_nn_hist_at(&X->hh[0], r, 0);
        for (int t = 0; t < N; t++) h[t] = X->head_scale * last->head_out[(size_t)r * N + t];
    }
    for (int i = 0; i < X->n_hc; i++) {
        const xconv *cv = &X->hc[i];
        const float *hr[1024];
        for (int r = 0; r < cv->in; r++) {
            act_rows(&X->hact, pt_nn_hist_at(&X->hh[i], r, 0), 1, N);
            hr[r] = pt_nn_hist_at(&X->hh[i], r, 0);
        }
        for (int r = 0; r < cv->out; r++)
            X->orows[r] = i + 1 < X->n_hc ? pt_nn_hist_at(&X->hh[i + 1], r, 0) : X->out + (size_t)r * N;
        xconv_run(X, cv, hr, NULL, X->orows, N);
    }
    for (int i = 0; i < X->n_hc; i++) pt_nn_hist_advance(&X->hh[i], N);
}

static void xwavenet_process(pt_nam_model *m, const float *in, float *out, int N)
{
    xwn *X = m->impl;
    memcpy(X->in, in, (size_t)N * sizeof(float));
    xwn_run(X, N);
    memcpy(out, X->out, (size_t)N * sizeof(float));
}

static void xwn_free(xwn *X)
{
    if (!X) return;
    xwn_free(X->cond);
    free(X->cond);
    for (int a = 0; X->arrays && a < X->n_arrays; a++) {
        xarray *A = &X->arrays[a];
        for (int l = 0; A->layers && l < A->n_layers; l++) {
            xlayer *L = &A->layers[l];
            pt_nn_hist_free(&L->in);
            xconv_free(&L->conv);
            xconv_free(&L->mixin);
            xconv_free(&L->l1);
            xconv_free(&L->h1);
            free(L->fused);
            for (int f = 0; f < PT_FILM_COUNT; f++) xconv_free(&L->film[f].conv);
        }
        free(A->layers);
        xconv_free(&A->rechannel);
        xconv_free(&A->head);
        pt_nn_hist_free(&A->head_sum);
        free(A->x), free(A->y), free(A->z), free(A->m), free(A->t), free(A->u);
        free(A->l1o), free(A->h1o), free(A->head_out);
    }
    free(X->arrays);
    for (int i = 0; i < X->n_hc; i++) {
        xconv_free(&X->hc[i]);
        pt_nn_hist_free(&X->hh[i]);
    }
    free(X->in), free(X->out);
    free(X->rows), free(X->rows2), free(X->orows);
}

static void xwavenet_destroy(pt_nam_model *m)
{
    xwn_free(m->impl);
    free(m->impl);
    m->impl = NULL;
}

static const pt_nam_arch_ops xwavenet_ops = {xwavenet_process, xwavenet_destroy};

static int max_i(int a, int b) { return a > b ? a : b; }

/* Build a model (and its conditioning model) from a validated config. */
static int xwn_build(pt_nam_model *m, xwn *X, const pt_nam_file *f, pt_error *err)
{
    const pt_nam_xwavenet_config *cfg = f->xwavenet;
    const int N = m->max_frames;
    if (cfg->condition) {
        X->cond = calloc(1, sizeof *X->cond);
        if (!X->cond || xwn_build(m, X->cond, cfg->condition, err)) return -1;
        X->cond_rows = X->cond->out_rows;
    } else
        X->cond_rows = 1;
    X->in = pt_nn_alloc((size_t)N);
    X->n_arrays = cfg->n_arrays;
    X->arrays = calloc((size_t)cfg->n_arrays, sizeof *X->arrays);
    if (!X->in || !X->arrays) return -1;
    const float *w = f->weights;
    int maxr = 1;
    for (int a = 0; a < cfg->n_arrays; a++) {
        const pt_nam_xlayer_array *la = &cfg->arrays[a];
        xarray *A = &X->arrays[a];
        const int C = la->channels, B = la->bottleneck, cs = la->condition_size;
        A->C = C, A->B = B, A->cs = cs, A->in_size = la->input_size;
        A->hin = la->head1x1 ? la->head1x1_out : B;
        A->head_size = la->head_size;
        A->n_layers = la->n_layers;
        A->layers = calloc((size_t)A->n_layers, sizeof *A->layers);
        if (!A->layers || xconv_load(&A->rechannel, la->input_size, C, 1, 1, 1, false, &w)) return -1;
        int film_max = 1;
        for (int l = 0; l < A->n_layers; l++) {
            xlayer *L = &A->layers[l];
            L->K = la->kernel[l], L->dil = la->dilations[l], L->gate = la->gating[l];
            L->Bz = L->gate == PT_GATE_NONE ? B : 2 * B;
            L->act = la->act[l], L->act2 = la->act2[l];
            L->has_l1 = la->layer1x1, L->has_h1 = la->head1x1;
            if (pt_nn_hist_init(m, &L->in, C, (L->K - 1) * L->dil, N) ||
                xconv_load(&L->conv, C, L->Bz, L->K, L->dil, la->groups_input, true, &w) ||
                xconv_load(&L->mixin, cs, L->Bz, 1, 1, la->groups_mixin, false, &w) ||
                (L->has_l1 && xconv_load(&L->l1, B, C, 1, 1, la->layer1x1_groups, true, &w)) ||
                (L->has_h1 && xconv_load(&L->h1, B, la->head1x1_out, 1, 1, la->head1x1_groups, true, &w)))
                return -1;
            const int dims[PT_FILM_COUNT] = {C, L->Bz, cs, L->Bz, L->Bz, B, C, la->head1x1_out};
            for (int i = 0; i < PT_FILM_COUNT; i++) {
                const pt_nam_film *pf = &la->film[i];
                xfilm *xf = &L->film[i];
                if (!pf->active) continue;
                xf->active = true, xf->shift = pf->shift, xf->dim = dims[i];
                if (xconv_load(&xf->conv, cs, (pf->shift ? 2 : 1) * dims[i], 1, 1, pf->groups, true, &w))
                    return -1;
                film_max = max_i(film_max, 2 * dims[i]);
            }
            if (!la->film[PT_FILM_CONV_POST].active && !la->film[PT_FILM_MIXIN_PRE].active &&
                !la->film[PT_FILM_MIXIN_POST].active) {
                const int KC = L->K * C, cols = KC + cs;
                L->fused = pt_nn_alloc((size_t)L->Bz * cols);
                if (!L->fused) return -1;
                for (int o = 0; o < L->Bz; o++) {
                    memcpy(L->fused + (size_t)o * cols, L->conv.W + (size_t)o * KC, (size_t)KC * sizeof(float));
                    memcpy(L->fused + (size_t)o * cols + KC, L->mixin.W + (size_t)o * cs, (size_t)cs * sizeof(float));
                }
            }
            maxr = max_i(maxr, L->K * C + cs);
            maxr = max_i(maxr, L->Bz);
        }
        int hin = A->hin;
        if (pt_nn_hist_init(m, &A->head_sum, hin, (la->head_kernel - 1) * la->head_dilation, N) ||
            xconv_load(&A->head, hin, la->head_size, la->head_kernel, la->head_dilation, 1, la->head_bias, &w))
            return -1;
        maxr = max_i(maxr, max_i(la->head_kernel * hin, max_i(la->input_size, max_i(cs, max_i(C, film_max)))));
        maxr = max_i(maxr, la->head_size);
        A->x = pt_nn_alloc((size_t)C * N);
        A->y = pt_nn_alloc((size_t)C * N);
        A->z = pt_nn_alloc((size_t)2 * B * N);
        A->m = pt_nn_alloc((size_t)2 * B * N);
        A->t = pt_nn_alloc((size_t)film_max * N);
        A->u = pt_nn_alloc((size_t)max_i(C, cs) * N);
        A->l1o = pt_nn_alloc((size_t)C * N);
        A->h1o = pt_nn_alloc((size_t)max_i(1, la->head1x1_out) * N);
        A->head_out = pt_nn_alloc((size_t)la->head_size * N);
        if (!A->x || !A->y || !A->z || !A->m || !A->t || !A->u || !A->l1o || !A->h1o || !A->head_out)
            return -1;
    }
    X->out_rows = cfg->has_head ? cfg->head_out : cfg->arrays[cfg->n_arrays - 1].head_size;
    if (cfg->has_head) {
        int cin = cfg->arrays[cfg->n_arrays - 1].head_size;
        X->n_hc = cfg->n_head_convs;
        X->hact = cfg->head_act;
        for (int i = 0; i < X->n_hc; i++) {
            int cout = i + 1 == X->n_hc ? cfg->head_out : cfg->head_channels;
            if (pt_nn_hist_init(m, &X->hh[i], cin, cfg->head_kernels[i] - 1, N) ||
                xconv_load(&X->hc[i], cin, cout, cfg->head_kernels[i], 1, 1, true, &w))
                return -1;
            maxr = max_i(maxr, max_i(cfg->head_kernels[i] * cin, cout));
            cin = cout;
        }
    }
    X->head_scale = *w++;
    if (w != f->weights + f->n_weights)
        return pt_error_set(err, PT_ERR, f->path, 0, 0, "internal: WaveNet used %ld of %d weights",
                            (long)(w - f->weights), f->n_weights);
    X->out = pt_nn_alloc((size_t)X->out_rows * N);
    X->max_rows = maxr;
    X->rows = calloc((size_t)maxr, sizeof *X->rows);
    X->rows2 = calloc((size_t)maxr, sizeof *X->rows2);
    X->orows = calloc((size_t)maxr, sizeof *X->orows);
    if (!X->out || !X->rows || !X->rows2 || !X->orows) return -1;
    for (int a = 0; a < X->n_arrays; a++)
        if (X->arrays[a].C > 1024 || X->arrays[a].hin > 1024 || X->arrays[a].head_size > 1024)
            return pt_error_set(err, PT_ERR_UNSUPPORTED, f->path, 0, 0, "more than 1024 channels");
    return 0;
}

int pt_nam_xwavenet_create(pt_nam_model *m, const pt_nam_file *f, pt_error *err)
{
    xwn *X = calloc(1, sizeof *X);
    if (!X) return -1;
    m->impl = X;
    m->ops = &xwavenet_ops;
    int rc = xwn_build(m, X, f, err);
    if (rc) return rc;
    if (X->out_rows != 1)
        return pt_error_set(err, PT_ERR_UNSUPPORTED, f->path, 0, 0,
                            "the model has %d output channels; only a mono output (1) is supported",
                            X->out_rows);
    m->prewarm_samples = pt_nam_receptive_field(f) + 1;
    return 0;
}
