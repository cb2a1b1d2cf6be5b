/* wavenet_train.c — forward and backward of the A1 WaveNet for training.
 * See wavenet_train.h for the layout; the player's matrix kernel
 * (pt_nn_matmul, AVX-512 / AVX2 / baseline picked at start-up) does every
 * product whose output runs along time, including the backward pass's
 * transposed ones; the weight gradients are blocked dot products here. */
#include "wavenet_train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../neural/nam_internal.h"
#include "train_kernels.h"

int pt_wavenet_train_init(pt_wavenet_train *m, const pt_nam_wavenet_config *cfg, float head_scale,
                          pt_error *err)
{
    memset(m, 0, sizeof *m);
    m->cfg = *cfg;
    m->n_arrays = cfg->n_arrays;
    m->head_scale = head_scale;
    long p = 0, t = 0;
    int rf = 1;
    for (int a = 0; a < cfg->n_arrays; a++) {
        const pt_nam_layer_array *la = &cfg->arrays[a];
        tw_array *A = &m->arrays[a];
        if (la->gated)
            return pt_error_set(err, PT_ERR_UNSUPPORTED, NULL, 0, 0,
                                "training gated WaveNet layers is not supported (the A1 sizes are ungated)");
        if (la->activation != PT_ACT_TANH)
            return pt_error_set(err, PT_ERR_UNSUPPORTED, NULL, 0, 0, "training supports Tanh WaveNets only");
        if (a > 0 && cfg->arrays[a - 1].head_size != la->channels)
            return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                                "layer array %d: head size of the previous array must equal its channels", a);
        A->in = la->input_size;
        A->C = la->channels;
        A->K = la->kernel_size;
        A->head = la->head_size;
        A->n = la->n_dilations;
        A->head_bias = la->head_bias;
        const int C = A->C, K = A->K;
        A->R = p;
        p += (long)C * A->in;
        A->RT = t;
        t += (long)C * A->in;
        for (int l = 0; l < A->n; l++) {
            tw_layer *L = &A->layers[l];
            L->d = la->dilations[l];
            rf += (K - 1) * L->d;
            L->W = p;
            p += (long)C * (K * C + 1);
            L->b = p;
            p += C;
            L->V = p;
            p += (long)C * C;
            L->c = p;
            p += C;
            L->WT = t;
            t += (long)K * C * C;
            L->VT = t;
            t += (long)C * C;
        }
        A->G = p;
        p += (long)A->head * C;
        A->GT = t;
        t += (long)A->head * C;
        A->g = p;
        if (A->head_bias) p += A->head;
    }
    if (m->arrays[m->n_arrays - 1].head != 1)
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "the last layer array must have head size 1");
    m->n_params = p;
    m->rf = rf;
    m->n_trans = t;
    m->perm = malloc((size_t)p * sizeof *m->perm);
    m->packed = pt_nn_alloc((size_t)p);
    m->trans = pt_nn_alloc((size_t)t);
    if (!m->perm || !m->packed || !m->trans) return pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
    /* the file's order, as nam_wavenet.c reads it */
    long f = 0;
    for (int a = 0; a < m->n_arrays; a++) {
        const tw_array *A = &m->arrays[a];
        const int C = A->C, K = A->K, cols = K * C + 1;
        for (long i = 0; i < (long)C * A->in; i++) m->perm[f++] = A->R + i;
        for (int l = 0; l < A->n; l++) {
            const tw_layer *L = &A->layers[l];
            for (int o = 0; o < C; o++)
                for (int i = 0; i < C; i++)
                    for (int k = 0; k < K; k++) m->perm[f++] = L->W + (long)o * cols + k * C + i;
            for (int o = 0; o < C; o++) m->perm[f++] = L->b + o;
            for (int o = 0; o < C; o++) m->perm[f++] = L->W + (long)o * cols + K * C;
            for (long i = 0; i < (long)C * C; i++) m->perm[f++] = L->V + i;
            for (int o = 0; o < C; o++) m->perm[f++] = L->c + o;
        }
        for (long i = 0; i < (long)A->head * C; i++) m->perm[f++] = A->G + i;
        if (A->head_bias)
            for (int o = 0; o < A->head; o++) m->perm[f++] = A->g + o;
    }
    return 0;
}

void pt_wavenet_train_free(pt_wavenet_train *m)
{
    free(m->perm);
    free(m->packed);
    free(m->trans);
    memset(m, 0, sizeof *m);
}

static uint64_t mix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static float unif(uint64_t *s, double bound)
{
    return (float)(bound * (2.0 * ((double)(mix64(s) >> 11) / 9007199254740992.0) - 1.0));
}

void pt_wavenet_train_init_weights(const pt_wavenet_train *m, float *params, uint64_t seed)
{
    /* in file order, with each tensor's fan-in as PyTorch's Conv1d uses it */
    uint64_t s = seed * 0x2545F4914F6CDD1DULL + 1;
    long f = 0;
    for (int a = 0; a < m->n_arrays; a++) {
        const tw_array *A = &m->arrays[a];
        const int C = A->C, K = A->K;
        for (long i = 0; i < (long)C * A->in; i++) params[f++] = unif(&s, 1.0 / sqrt(A->in));
        for (int l = 0; l < A->n; l++) {
            double bc = 1.0 / sqrt((double)C * K);
            for (long i = 0; i < (long)C * C * K; i++) params[f++] = unif(&s, bc);
            for (int o = 0; o < C; o++) params[f++] = unif(&s, bc);
            for (int o = 0; o < C; o++) params[f++] = unif(&s, 1.0);
            for (long i = 0; i < (long)C * C + C; i++) params[f++] = unif(&s, 1.0 / sqrt(C));
        }
        for (long i = 0; i < (long)A->head * C + (A->head_bias ? A->head : 0); i++)
            params[f++] = unif(&s, 1.0 / sqrt(C));
    }
}

void pt_wavenet_train_set(pt_wavenet_train *m, const float *params)
{
    for (long f = 0; f < m->n_params; f++) m->packed[m->perm[f]] = params[f];
    const float *P = m->packed;
    for (int a = 0; a < m->n_arrays; a++) {
        const tw_array *A = &m->arrays[a];
        const int C = A->C, K = A->K, cols = K * C + 1;
        for (int c = 0; c < C; c++)
            for (int i = 0; i < A->in; i++) m->trans[A->RT + (long)i * C + c] = P[A->R + (long)c * A->in + i];
        for (int l = 0; l < A->n; l++) {
            const tw_layer *L = &A->layers[l];
            for (int k = 0; k < K; k++) /* WT: C x (K C), row i = input channel, column k C + o */
                for (int i = 0; i < C; i++)
                    for (int o = 0; o < C; o++)
                        m->trans[L->WT + (long)i * K * C + k * C + o] = P[L->W + (long)o * cols + k * C + i];
            for (int o = 0; o < C; o++)
                for (int c = 0; c < C; c++) m->trans[L->VT + (long)c * C + o] = P[L->V + (long)o * C + c];
        }
        for (int o = 0; o < A->head; o++)
            for (int c = 0; c < C; c++) m->trans[A->GT + (long)c * A->head + o] = P[A->G + (long)o * C + c];
    }
}

void pt_wavenet_train_gather(const pt_wavenet_train *m, const double *packed_grad, double *g)
{
    for (long f = 0; f < m->n_params; f++) g[f] += packed_grad[m->perm[f]];
}

int tw_work_init(tw_work *w, const pt_wavenet_train *m, int L)
{
    memset(w, 0, sizeof *w);
    w->L = L;
    w->Lp = (L + PT_NN_PAD + 15) & ~15;
    long rows = 1, maxC = 1, maxcols = 1;
    for (int a = 0; a < m->n_arrays; a++) {
        const tw_array *A = &m->arrays[a];
        rows += (long)(A->n + 1) * A->C + (long)A->n * A->C + A->C + A->head + A->C + A->head;
        if (A->C > maxC) maxC = A->C;
        if (A->head > maxC) maxC = A->head;
        if (A->K * A->C + 1 > maxcols) maxcols = A->K * A->C + 1;
        if (A->in > maxcols) maxcols = A->in;
        w->h[a] = calloc((size_t)A->n + 1, sizeof(float *));
        w->z[a] = calloc((size_t)A->n, sizeof(float *));
        if (!w->h[a] || !w->z[a]) return -1;
    }
    rows += 3 * maxC;
    w->mem = pt_nn_alloc((size_t)rows * w->Lp);
    w->grad = calloc((size_t)m->n_params, sizeof(double));
    w->rows = calloc((size_t)(maxcols + maxC), sizeof *w->rows);
    w->irows = calloc((size_t)(maxcols + maxC), sizeof *w->irows);
    w->orows = calloc((size_t)(maxcols + maxC), sizeof *w->orows);
    if (!w->mem || !w->grad || !w->rows || !w->irows || !w->orows) return -1;
    float *p = w->mem;
#define TAKE(n) (p += (size_t)(n) * w->Lp, p - (size_t)(n) * w->Lp)
    w->cond = TAKE(1);
    for (int a = 0; a < m->n_arrays; a++) {
        const tw_array *A = &m->arrays[a];
        for (int l = 0; l <= A->n; l++) w->h[a][l] = TAKE(A->C);
        for (int l = 0; l < A->n; l++) w->z[a][l] = TAKE(A->C);
        w->hs[a] = TAKE(A->C);
        w->ho[a] = TAKE(A->head);
        w->dh[a] = TAKE(A->C);
        w->dho[a] = TAKE(A->head);
    }
    w->dz = TAKE(maxC);
    w->ds = TAKE(maxC);
#undef TAKE
    /* da is read up to (K-1) * dilation past L by the fused backward product: zeros there */
    int reach = 0;
    for (int a = 0; a < m->n_arrays; a++)
        for (int l = 0; l < m->arrays[a].n; l++)
            if ((m->arrays[a].K - 1) * m->arrays[a].layers[l].d > reach) reach = (m->arrays[a].K - 1) * m->arrays[a].layers[l].d;
    w->Lda = (w->Lp + reach + 15) & ~15;
    w->da = pt_nn_alloc((size_t)maxC * w->Lda);
    if (!w->da) return -1;
    return 0;
}

void tw_work_free(tw_work *w)
{
    for (int a = 0; a < PT_NAM_MAX_ARRAYS; a++) {
        free(w->h[a]);
        free(w->z[a]);
    }
    free(w->mem);
    free(w->da);
    free(w->grad);
    free(w->rows);
    free(w->irows);
    free(w->orows);
    memset(w, 0, sizeof *w);
}

/* rows of a C x Lp buffer, from sample t */
static void rowptrs(const float **r, const float *buf, int n, int Lp, long t)
{
    for (int i = 0; i < n; i++) r[i] = buf + (size_t)i * Lp + t;
}
static void orowptrs(float **r, float *buf, int n, int Lp, long t)
{
    for (int i = 0; i < n; i++) r[i] = buf + (size_t)i * Lp + t;
}

void pt_wavenet_train_forward(const pt_wavenet_train *m, tw_work *w, const float *x, float *y)
{
    const int L = w->L, Lp = w->Lp;
    const float *P = m->packed;
    memcpy(w->cond, x, (size_t)L * sizeof(float));
    int s = 0; /* first valid sample of the current signal */
    for (int a = 0; a < m->n_arrays; a++) {
        const tw_array *A = &m->arrays[a];
        const int C = A->C, K = A->K;
        if (a == 0)
            w->rows[0] = w->cond + s;
        else
            rowptrs(w->rows, w->h[a - 1][m->arrays[a - 1].n], A->in, Lp, s);
        orowptrs(w->orows, w->h[a][0], C, Lp, s);
        pt_nn_matmul(C, A->in, P + A->R, NULL, w->rows, NULL, w->orows, L - s);
        /* head sum: zero, or the previous array's head output */
        for (int c = 0; c < C; c++) {
            float *hs = w->hs[a] + (size_t)c * Lp;
            if (a == 0)
                memset(hs, 0, (size_t)L * sizeof(float));
            else
                memcpy(hs + s, w->ho[a - 1] + (size_t)c * Lp + s, (size_t)(L - s) * sizeof(float));
        }
        for (int l = 0; l < A->n; l++) {
            const tw_layer *Ly = &A->layers[l];
            const float *h = w->h[a][l];
            float *z = w->z[a][l];
            const int s2 = s + (K - 1) * Ly->d, n = L - s2;
            for (int k = 0; k < K; k++) rowptrs(w->rows + k * C, h, C, Lp, s2 - (K - 1 - k) * Ly->d);
            w->rows[K * C] = w->cond + s2;
            orowptrs(w->orows, z, C, Lp, s2);
            pt_nn_matmul(C, K * C + 1, P + Ly->W, P + Ly->b, w->rows, NULL, w->orows, n);
            for (int c = 0; c < C; c++) {
                float *zc = z + (size_t)c * Lp + s2;
                pt_nn_tanh(zc, n);
                pt_nn_add(w->hs[a] + (size_t)c * Lp + s2, zc, n);
            }
            rowptrs(w->rows, z, C, Lp, s2);
            rowptrs(w->irows, h, C, Lp, s2);
            orowptrs(w->orows, w->h[a][l + 1], C, Lp, s2);
            pt_nn_matmul(C, C, P + Ly->V, P + Ly->c, w->rows, w->irows, w->orows, n);
            s = s2;
        }
        rowptrs(w->rows, w->hs[a], C, Lp, s);
        orowptrs(w->orows, w->ho[a], A->head, Lp, s);
        pt_nn_matmul(A->head, C, P + A->G, A->head_bias ? P + A->g : NULL, w->rows, NULL, w->orows, L - s);
    }
    const float *out = w->ho[m->n_arrays - 1];
    for (int t = s; t < L; t++) y[t - s] = m->head_scale * out[t];
}

void pt_wavenet_train_backward(const pt_wavenet_train *m, tw_work *w, const float *dy)
{
    const int L = w->L, Lp = w->Lp;
    const float *T = m->trans;
    double *G = w->grad;
    /* the valid starts, array by array */
    int s_in[PT_NAM_MAX_ARRAYS], s_end[PT_NAM_MAX_ARRAYS], s = 0;
    for (int a = 0; a < m->n_arrays; a++) {
        s_in[a] = s;
        for (int l = 0; l < m->arrays[a].n; l++) s += (m->arrays[a].K - 1) * m->arrays[a].layers[l].d;
        s_end[a] = s;
    }
    const int last = m->n_arrays - 1;
    for (int t = s; t < L; t++) w->dho[last][t] = m->head_scale * dy[t - s];
    for (int a = last; a >= 0; a--) {
        const tw_array *A = &m->arrays[a];
        const int C = A->C, K = A->K, se = s_end[a];
        /* head: ho = G hs + g */
        rowptrs(w->rows, w->dho[a], A->head, Lp, se);
        rowptrs(w->irows, w->hs[a], C, Lp, se);
        pt_train_dots(A->head, C, w->rows, w->irows, L - se, G + A->G, C);
        if (A->head_bias)
            for (int o = 0; o < A->head; o++) G[A->g + o] += pt_train_sum(w->rows[o], L - se);
        for (int c = 0; c < C; c++) memset(w->ds + (size_t)c * Lp, 0, (size_t)L * sizeof(float));
        orowptrs(w->orows, w->ds, C, Lp, se);
        pt_nn_matmul(C, A->head, T + A->GT, NULL, w->rows, NULL, w->orows, L - se);
        if (a > 0) /* the head sum started from the previous array's head output */
            for (int c = 0; c < C; c++) {
                float *d = w->dho[a - 1] + (size_t)c * Lp;
                memset(d, 0, (size_t)L * sizeof(float));
                memcpy(d + se, w->ds + (size_t)c * Lp + se, (size_t)(L - se) * sizeof(float));
            }
        /* dh: from the next array's input (set below by a+1), else zero */
        float *dh = w->dh[a];
        if (a == last)
            for (int c = 0; c < C; c++) memset(dh + (size_t)c * Lp, 0, (size_t)L * sizeof(float));
        int s2 = se;
        for (int l = A->n - 1; l >= 0; l--) {
            const tw_layer *Ly = &A->layers[l];
            const int s1 = s2 - (K - 1) * Ly->d, n = L - s2;
            const float *z = w->z[a][l], *h = w->h[a][l];
            /* h_{l+1} = h_l + V z + c */
            rowptrs(w->rows, dh, C, Lp, s2);
            rowptrs(w->irows, z, C, Lp, s2);
            pt_train_dots(C, C, w->rows, w->irows, n, G + Ly->V, C);
            for (int o = 0; o < C; o++) G[Ly->c + o] += pt_train_sum(w->rows[o], n);
            rowptrs(w->irows, w->ds, C, Lp, s2);
            orowptrs(w->orows, w->dz, C, Lp, s2);
            pt_nn_matmul(C, C, T + Ly->VT, NULL, w->rows, w->irows, w->orows, n);
            /* z = tanh(a) */
            for (int c = 0; c < C; c++)
                pt_train_tanh_back(w->da + (size_t)c * w->Lda + s2, w->dz + (size_t)c * Lp + s2,
                                   z + (size_t)c * Lp + s2, n);
            /* a = sum_k W_k h_l[t - lag_k] + b + M cond */
            const int cols = K * C + 1;
            rowptrs(w->rows, w->da, C, w->Lda, s2);
            for (int k = 0; k < K; k++) rowptrs(w->irows + k * C, h, C, Lp, s2 - (K - 1 - k) * Ly->d);
            w->irows[K * C] = w->cond + s2;
            pt_train_dots(C, cols, w->rows, w->irows, n, G + Ly->W, cols);
            for (int o = 0; o < C; o++) G[Ly->b + o] += pt_train_sum(w->rows[o], n);
            /* dh_l[t] = dh_{l+1}[t] (residual, in place) + sum_k W_k^T da[t + lag_k], t >= s1: one
             * product over all taps, da read ahead by each lag (zero before s2 and past L) */
            for (int c = 0; c < C; c++) {
                memset(dh + (size_t)c * Lp + s1, 0, (size_t)(s2 - s1) * sizeof(float));
                memset(w->da + (size_t)c * w->Lda + s1, 0, (size_t)(s2 - s1) * sizeof(float));
            }
            for (int k = 0; k < K; k++) rowptrs(w->irows + k * C, w->da, C, w->Lda, s1 + (K - 1 - k) * Ly->d);
            orowptrs(w->orows, dh, C, Lp, s1);
            pt_nn_matmul(C, K * C, T + Ly->WT, NULL, w->irows, (const float *const *)w->orows, w->orows, L - s1);
            s2 = s1;
        }
        /* h_0 = R x_in */
        rowptrs(w->rows, dh, C, Lp, s2);
        if (a == 0) {
            w->irows[0] = w->cond + s2;
            pt_train_dots(C, 1, w->rows, w->irows, L - s2, G + A->R, 1);
        } else {
            const tw_array *P = &m->arrays[a - 1];
            rowptrs(w->irows, w->h[a - 1][P->n], A->in, Lp, s2);
            pt_train_dots(C, A->in, w->rows, w->irows, L - s2, G + A->R, A->in);
            float *dprev = w->dh[a - 1];
            for (int i = 0; i < A->in; i++) memset(dprev + (size_t)i * Lp, 0, (size_t)L * sizeof(float));
            orowptrs(w->orows, dprev, A->in, Lp, s2);
            pt_nn_matmul(A->in, C, T + A->RT, NULL, w->rows, NULL, w->orows, L - s2);
        }
        (void)s_in;
    }
}
