/* batch.c — see batch.h. */
#include "batch.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../neural/nam_internal.h"

int pt_batch_runner_init(pt_batch_runner *r, const pt_wavenet_train *wn, const pt_lstm_train *lstm, int ny, int mask,
                         double mrstft_weight, int n_threads)
{
    memset(r, 0, sizeof *r);
    if (n_threads < 1) n_threads = 1;
    r->n_threads = n_threads;
    r->ny = ny;
    r->mask = mask;
    r->wn = wn;
    r->lstm = lstm;
    r->L = wn ? ny + wn->rf - 1 : ny;
    r->n_params = wn ? wn->n_params : lstm->n_params;
    r->w = calloc((size_t)n_threads, sizeof *r->w);
    if (!r->w) return -1;
    for (int i = 0; i < n_threads; i++) {
        pt_batch_worker *w = &r->w[i];
        if ((wn ? tw_work_init(&w->tw, wn, r->L) : lstm_work_init(&w->lwk, lstm, r->L)) ||
            pt_loss_work_init(&w->lw, ny - mask))
            return -1;
        w->lw.mrstft_weight = mrstft_weight;
        w->y = pt_nn_alloc((size_t)ny);
        w->dy = pt_nn_alloc((size_t)ny);
        if (!w->y || !w->dy) return -1;
    }
    return 0;
}

void pt_batch_runner_free(pt_batch_runner *r)
{
    if (r->w)
        for (int i = 0; i < r->n_threads; i++) {
            tw_work_free(&r->w[i].tw);
            lstm_work_free(&r->w[i].lwk, r->lstm);
            pt_loss_work_free(&r->w[i].lw);
            free(r->w[i].y);
            free(r->w[i].dy);
        }
    free(r->w);
    memset(r, 0, sizeof *r);
}

static void *worker(void *arg)
{
    pt_batch_worker *w = arg;
    const pt_batch_runner *r = w->r;
    const int ny = r->ny, mask = r->mask;
    memset(r->wn ? w->tw.grad : w->lwk.grad, 0, (size_t)r->n_params * sizeof(double));
    w->mse = w->mrstft = 0;
    for (int b = w->first; b < w->B; b += w->step) {
        if (r->wn)
            pt_wavenet_train_forward(r->wn, &w->tw, w->xs[b], w->y);
        else
            pt_lstm_train_forward(r->lstm, &w->lwk, w->xs[b], w->y);
        memset(w->dy, 0, (size_t)ny * sizeof(float));
        pt_loss_window(&w->lw, w->y + mask, w->ts[b] + mask, w->B, &w->mse, &w->mrstft, w->dy + mask);
        if (r->wn)
            pt_wavenet_train_backward(r->wn, &w->tw, w->dy);
        else
            pt_lstm_train_backward(r->lstm, &w->lwk, w->xs[b], w->dy);
    }
    return NULL;
}

int pt_batch_run(pt_batch_runner *r, int B, const float *const *xs, const float *const *ts, double *g, double *mse,
                 double *mrstft)
{
    int nt = r->n_threads < B ? r->n_threads : B;
    pthread_t th[64];
    int started = 0;
    for (int i = 0; i < nt; i++) {
        pt_batch_worker *w = &r->w[i];
        w->r = r;
        w->xs = xs;
        w->ts = ts;
        w->first = i;
        w->step = nt;
        w->B = B;
    }
    for (int i = 1; i < nt && i < 64; i++) {
        if (pthread_create(&th[i], NULL, worker, &r->w[i]) != 0) break;
        started = i;
    }
    /* threads that did not start: their windows run here */
    if (started < nt - 1)
        for (int i = started + 1; i < nt; i++) worker(&r->w[i]);
    worker(&r->w[0]);
    for (int i = 1; i <= started; i++) pthread_join(th[i], NULL);
    memset(g, 0, (size_t)r->n_params * sizeof *g);
    *mse = *mrstft = 0;
    for (int i = 0; i < nt; i++) {
        if (r->wn)
            pt_wavenet_train_gather(r->wn, r->w[i].tw.grad, g);
        else
            for (long k = 0; k < r->n_params; k++) g[k] += r->w[i].lwk.grad[k];
        *mse += r->w[i].mse;
        *mrstft += r->w[i].mrstft;
    }
    return 0;
}
