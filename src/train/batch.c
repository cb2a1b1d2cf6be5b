/* batch.c — see batch.h. */
#include "batch.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../neural/nam_internal.h"

int pt_batch_runner_init(pt_batch_runner *r, const pt_wavenet_train *m, int ny, int n_threads)
{
    memset(r, 0, sizeof *r);
    if (n_threads < 1) n_threads = 1;
    r->n_threads = n_threads;
    r->ny = ny;
    r->L = ny + m->rf - 1;
    r->w = calloc((size_t)n_threads, sizeof *r->w);
    if (!r->w) return -1;
    for (int i = 0; i < n_threads; i++) {
        pt_batch_worker *w = &r->w[i];
        if (tw_work_init(&w->tw, m, r->L) || pt_loss_work_init(&w->lw, ny)) return -1;
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
    const int ny = w->lw.ny;
    memset(w->tw.grad, 0, (size_t)w->m->n_params * sizeof(double));
    w->mse = w->mrstft = 0;
    for (int b = w->first; b < w->B; b += w->step) {
        pt_wavenet_train_forward(w->m, &w->tw, w->xs[b], w->y);
        memset(w->dy, 0, (size_t)ny * sizeof(float));
        pt_loss_window(&w->lw, w->y, w->ts[b], w->B, &w->mse, &w->mrstft, w->dy);
        pt_wavenet_train_backward(w->m, &w->tw, w->dy);
    }
    return NULL;
}

int pt_batch_run(pt_batch_runner *r, const pt_wavenet_train *m, int B, const float *const *xs,
                 const float *const *ts, double *g, double *mse, double *mrstft)
{
    int nt = r->n_threads < B ? r->n_threads : B;
    pthread_t th[64];
    int started = 0;
    for (int i = 0; i < nt; i++) {
        pt_batch_worker *w = &r->w[i];
        w->m = m;
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
    memset(g, 0, (size_t)m->n_params * sizeof *g);
    *mse = *mrstft = 0;
    for (int i = 0; i < nt; i++) {
        pt_wavenet_train_gather(m, r->w[i].tw.grad, g);
        *mse += r->w[i].mse;
        *mrstft += r->w[i].mrstft;
    }
    return 0;
}
