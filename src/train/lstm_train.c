/* lstm_train.c — see lstm_train.h. The recurrence is sequential in time;
 * the windows of a batch run on threads side by side (batch.c). */
#include "lstm_train.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#if defined(__clang__)
#pragma clang fp contract(fast)
#elif defined(__GNUC__)
#pragma GCC optimize("fp-contract=fast")
#endif

int pt_lstm_train_init(pt_lstm_train *m, int n_layers, int H)
{
    memset(m, 0, sizeof *m);
    if (n_layers < 1 || n_layers > PT_LSTM_MAX_LAYERS || H < 1) return -1;
    m->n_layers = n_layers;
    m->H = H;
    long p = 0;
    for (int l = 0; l < n_layers; l++) {
        int in = l == 0 ? 1 : H;
        m->W[l] = p;
        p += 4L * H * (in + H);
        m->b[l] = p;
        p += 4L * H;
        m->h0[l] = p;
        p += H;
        m->c0[l] = p;
        p += H;
    }
    m->head_w = p;
    p += H;
    m->head_b = p++;
    m->n_params = p;
    return 0;
}

static double unif(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return 2.0 * ((double)(z >> 11) / 9007199254740992.0) - 1.0;
}

void pt_lstm_train_init_weights(const pt_lstm_train *m, float *params, uint64_t seed)
{
    /* PyTorch's nn.LSTM and nn.Linear: uniform within 1/sqrt(H); b = b_ih + b_hh;
     * NAM starts the learnt initial states at zero */
    uint64_t s = seed * 0x2545F4914F6CDD1DULL + 7;
    const double k = 1.0 / sqrt(m->H);
    for (int l = 0; l < m->n_layers; l++) {
        int in = l == 0 ? 1 : m->H;
        for (long i = 0; i < 4L * m->H * (in + m->H); i++) params[m->W[l] + i] = (float)(k * unif(&s));
        for (long i = 0; i < 4L * m->H; i++) params[m->b[l] + i] = (float)(k * unif(&s) + k * unif(&s));
        for (int i = 0; i < 2 * m->H; i++) params[m->h0[l] + i] = 0;
    }
    for (int i = 0; i < m->H; i++) params[m->head_w + i] = (float)(k * unif(&s));
    params[m->head_b] = (float)(k * unif(&s));
}

int lstm_work_init(lstm_work *w, const pt_lstm_train *m, int T)
{
    memset(w, 0, sizeof *w);
    w->T = T;
    const int H = m->H;
    for (int l = 0; l < m->n_layers; l++) {
        w->gates[l] = malloc((size_t)T * 4 * H * sizeof(float));
        w->h[l] = malloc((size_t)(T + 1) * H * sizeof(float));
        w->c[l] = malloc((size_t)(T + 1) * H * sizeof(float));
        if (!w->gates[l] || !w->h[l] || !w->c[l]) return -1;
    }
    w->dh_in = malloc((size_t)T * H * sizeof(float));
    w->dx = malloc((size_t)T * H * sizeof(float));
    w->grad = calloc((size_t)m->n_params, sizeof(double));
    w->dg = malloc(4 * (size_t)H * sizeof(float));
    w->dhr = malloc((size_t)H * sizeof(float));
    w->dcr = malloc((size_t)H * sizeof(float));
    w->tmp = malloc((size_t)(2 * H + 1) * sizeof(float));
    return w->dh_in && w->dx && w->grad && w->dg && w->dhr && w->dcr && w->tmp ? 0 : -1;
}

void lstm_work_free(lstm_work *w, const pt_lstm_train *m)
{
    for (int l = 0; l < PT_LSTM_MAX_LAYERS && m; l++) free(w->gates[l]), free(w->h[l]), free(w->c[l]);
    free(w->dh_in), free(w->dx), free(w->grad), free(w->dg), free(w->dhr), free(w->dcr), free(w->tmp);
    memset(w, 0, sizeof *w);
}

static inline float sigm(float v) { return 1.0f / (1.0f + expf(-v)); }

void pt_lstm_train_forward(const pt_lstm_train *m, lstm_work *w, const float *x, float *y)
{
    const int H = m->H, G = 4 * H, T = w->T;
    const float *P = m->params;
    for (int l = 0; l < m->n_layers; l++) {
        const int in = l == 0 ? 1 : H, cols = in + H;
        const float *W = P + m->W[l], *b = P + m->b[l];
        float *h = w->h[l], *c = w->c[l], *gt = w->gates[l];
        memcpy(h, P + m->h0[l], (size_t)H * sizeof(float));
        memcpy(c, P + m->c0[l], (size_t)H * sizeof(float));
        const float *xin = l == 0 ? x : w->h[l - 1] + H;
        for (int t = 0; t < T; t++) {
            const float *xt = xin + (size_t)t * in, *hp = h + (size_t)t * H;
            float *g = gt + (size_t)t * G;
            for (int r = 0; r < G; r++) {
                const float *wr = W + (size_t)r * cols;
                float a = b[r];
                for (int j = 0; j < in; j++) a += wr[j] * xt[j];
                for (int j = 0; j < H; j++) a += wr[in + j] * hp[j];
                g[r] = a;
            }
            const float *cp = c + (size_t)t * H;
            float *cn = c + (size_t)(t + 1) * H, *hn = h + (size_t)(t + 1) * H;
            for (int j = 0; j < H; j++) {
                float i = sigm(g[j]), f = sigm(g[H + j]), gg = tanhf(g[2 * H + j]), o = sigm(g[3 * H + j]);
                g[j] = i, g[H + j] = f, g[2 * H + j] = gg, g[3 * H + j] = o;
                cn[j] = f * cp[j] + i * gg;
                hn[j] = o * tanhf(cn[j]);
            }
        }
    }
    const float *ht = w->h[m->n_layers - 1] + H, *hw = P + m->head_w;
    for (int t = 0; t < T; t++) {
        float a = P[m->head_b];
        for (int j = 0; j < H; j++) a += hw[j] * ht[(size_t)t * H + j];
        y[t] = a;
    }
}

void pt_lstm_train_backward(const pt_lstm_train *m, lstm_work *w, const float *x, const float *dy)
{
    const int H = m->H, G = 4 * H, T = w->T;
    const float *P = m->params;
    double *gr = w->grad;
    /* head */
    const float *ht = w->h[m->n_layers - 1] + H, *hw = P + m->head_w;
    for (int t = 0; t < T; t++) {
        gr[m->head_b] += dy[t];
        for (int j = 0; j < H; j++) {
            gr[m->head_w + j] += (double)dy[t] * ht[(size_t)t * H + j];
            w->dh_in[(size_t)t * H + j] = dy[t] * hw[j];
        }
    }
    for (int l = m->n_layers - 1; l >= 0; l--) {
        const int in = l == 0 ? 1 : H, cols = in + H;
        const float *W = P + m->W[l];
        const float *h = w->h[l], *c = w->c[l], *gt = w->gates[l];
        const float *xin = l == 0 ? x : w->h[l - 1] + H;
        double *dW = gr + m->W[l], *db = gr + m->b[l];
        float *dg = w->dg, *dhr = w->dhr, *dcr = w->dcr, *tmp = w->tmp;
        memset(dhr, 0, (size_t)H * sizeof(float));
        memset(dcr, 0, (size_t)H * sizeof(float));
        /* float accumulators for dW over a block of steps, then into double */
        for (int t = T - 1; t >= 0; t--) {
            const float *g = gt + (size_t)t * G, *cn = c + (size_t)(t + 1) * H, *cp = c + (size_t)t * H;
            const float *dh_out = w->dh_in + (size_t)t * H;
            for (int j = 0; j < H; j++) {
                float i = g[j], f = g[H + j], gg = g[2 * H + j], o = g[3 * H + j];
                float th = tanhf(cn[j]);
                float dh = dh_out[j] + dhr[j];
                float dc = dcr[j] + dh * o * (1 - th * th);
                dg[j] = dc * gg * i * (1 - i);
                dg[H + j] = dc * cp[j] * f * (1 - f);
                dg[2 * H + j] = dc * i * (1 - gg * gg);
                dg[3 * H + j] = dh * th * o * (1 - o);
                dcr[j] = dc * f;
            }
            const float *xt = xin + (size_t)t * in, *hp = h + (size_t)t * H;
            for (int j = 0; j < in; j++) tmp[j] = xt[j];
            for (int j = 0; j < H; j++) tmp[in + j] = hp[j];
            for (int r = 0; r < G; r++) {
                const double d = dg[r];
                double *dwr = dW + (size_t)r * cols;
                for (int j = 0; j < cols; j++) dwr[j] += d * tmp[j];
                db[r] += d;
            }
            /* d[x; h_prev] = W^T dg */
            for (int j = 0; j < cols; j++) tmp[j] = 0;
            for (int r = 0; r < G; r++) {
                const float d = dg[r], *wr = W + (size_t)r * cols;
                for (int j = 0; j < cols; j++) tmp[j] += d * wr[j];
            }
            if (l > 0)
                for (int j = 0; j < in; j++) w->dx[(size_t)t * H + j] = tmp[j];
            for (int j = 0; j < H; j++) dhr[j] = tmp[in + j];
        }
        for (int j = 0; j < H; j++) {
            gr[m->h0[l] + j] += dhr[j];
            gr[m->c0[l] + j] += dcr[j];
        }
        if (l > 0) {
            float *s = w->dh_in;
            w->dh_in = w->dx;
            w->dx = s;
        }
    }
}
