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
        w->gates[l] = malloc((size_t)T * 4 * H * sizeof(double));
        w->h[l] = malloc((size_t)(T + 1) * H * sizeof(double));
        w->c[l] = malloc((size_t)(T + 1) * H * sizeof(double));
        if (!w->gates[l] || !w->h[l] || !w->c[l]) return -1;
    }
    w->dh_in = malloc((size_t)T * H * sizeof(double));
    w->dx = malloc((size_t)T * H * sizeof(double));
    w->grad = calloc((size_t)m->n_params, sizeof(double));
    w->dg = malloc(4 * (size_t)H * sizeof(double));
    w->dhr = malloc((size_t)H * sizeof(double));
    w->dcr = malloc((size_t)H * sizeof(double));
    w->tmp = malloc((size_t)(2 * H + 1) * sizeof(double));
    return w->dh_in && w->dx && w->grad && w->dg && w->dhr && w->dcr && w->tmp ? 0 : -1;
}

void lstm_work_free(lstm_work *w, const pt_lstm_train *m)
{
    for (int l = 0; l < PT_LSTM_MAX_LAYERS && m; l++) free(w->gates[l]), free(w->h[l]), free(w->c[l]);
    free(w->dh_in), free(w->dx), free(w->grad), free(w->dg), free(w->dhr), free(w->dcr), free(w->tmp);
    memset(w, 0, sizeof *w);
}

static inline double sigm(double v) { return 1.0 / (1.0 + exp(-v)); }

void pt_lstm_train_forward(const pt_lstm_train *m, lstm_work *w, const float *x, float *y)
{
    const int H = m->H, G = 4 * H, T = w->T;
    const float *P = m->params;
    for (int l = 0; l < m->n_layers; l++) {
        const int in = l == 0 ? 1 : H, cols = in + H;
        const float *W = P + m->W[l], *b = P + m->b[l];
        double *h = w->h[l], *c = w->c[l], *gt = w->gates[l];
        for (int j = 0; j < H; j++) h[j] = P[m->h0[l] + j], c[j] = P[m->c0[l] + j];
        const double *hbelow = l == 0 ? NULL : w->h[l - 1] + H;
        for (int t = 0; t < T; t++) {
            const double *hp = h + (size_t)t * H;
            double *g = gt + (size_t)t * G;
            for (int r = 0; r < G; r++) {
                const float *wr = W + (size_t)r * cols;
                double a = b[r];
                if (l == 0)
                    a += (double)wr[0] * x[t];
                else
                    for (int j = 0; j < in; j++) a += (double)wr[j] * hbelow[(size_t)t * H + j];
                for (int j = 0; j < H; j++) a += (double)wr[in + j] * hp[j];
                g[r] = a;
            }
            const double *cp = c + (size_t)t * H;
            double *cn = c + (size_t)(t + 1) * H, *hn = h + (size_t)(t + 1) * H;
            for (int j = 0; j < H; j++) {
                double i = sigm(g[j]), f = sigm(g[H + j]), gg = tanh(g[2 * H + j]), o = sigm(g[3 * H + j]);
                g[j] = i, g[H + j] = f, g[2 * H + j] = gg, g[3 * H + j] = o;
                cn[j] = f * cp[j] + i * gg;
                hn[j] = o * tanh(cn[j]);
            }
        }
    }
    const double *ht = w->h[m->n_layers - 1] + H;
    const float *hw = P + m->head_w;
    for (int t = 0; t < T; t++) {
        double a = P[m->head_b];
        for (int j = 0; j < H; j++) a += hw[j] * ht[(size_t)t * H + j];
        y[t] = (float)a;
    }
}

void pt_lstm_train_backward(const pt_lstm_train *m, lstm_work *w, const float *x, const float *dy)
{
    const int H = m->H, G = 4 * H, T = w->T;
    const float *P = m->params;
    double *gr = w->grad;
    /* head */
    const double *ht = w->h[m->n_layers - 1] + H;
    const float *hw = P + m->head_w;
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
        const double *h = w->h[l], *c = w->c[l], *gt = w->gates[l];
        const double *hbelow = l == 0 ? NULL : w->h[l - 1] + H;
        double *dW = gr + m->W[l], *db = gr + m->b[l];
        double *dg = w->dg, *dhr = w->dhr, *dcr = w->dcr, *tmp = w->tmp;
        memset(dhr, 0, (size_t)H * sizeof(double));
        memset(dcr, 0, (size_t)H * sizeof(double));
        for (int t = T - 1; t >= 0; t--) {
            const double *g = gt + (size_t)t * G, *cn = c + (size_t)(t + 1) * H, *cp = c + (size_t)t * H;
            const double *dh_out = w->dh_in + (size_t)t * H;
            for (int j = 0; j < H; j++) {
                double i = g[j], f = g[H + j], gg = g[2 * H + j], o = g[3 * H + j];
                double th = tanh(cn[j]);
                double dh = dh_out[j] + dhr[j];
                double dc = dcr[j] + dh * o * (1 - th * th);
                dg[j] = dc * gg * i * (1 - i);
                dg[H + j] = dc * cp[j] * f * (1 - f);
                dg[2 * H + j] = dc * i * (1 - gg * gg);
                dg[3 * H + j] = dh * th * o * (1 - o);
                dcr[j] = dc * f;
            }
            const double *hp = h + (size_t)t * H;
            for (int j = 0; j < in; j++) tmp[j] = l == 0 ? x[t] : hbelow[(size_t)t * H + j];
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
                const double d = dg[r];
                const float *wr = W + (size_t)r * cols;
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
            double *s = w->dh_in;
            w->dh_in = w->dx;
            w->dx = s;
        }
    }
}
