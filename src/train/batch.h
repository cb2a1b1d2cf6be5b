/* batch.h — one batch's loss and gradient, its windows split over threads
 * (each thread its own buffers and gradient; the sums meet at the end). */
#ifndef PT_TRAIN_BATCH_H
#define PT_TRAIN_BATCH_H

#include "loss.h"
#include "wavenet_train.h"

typedef struct pt_batch_worker {
    tw_work tw;
    pt_loss_work lw;
    float *y, *dy;
    double mse, mrstft;
    /* this batch's assignment */
    const pt_wavenet_train *m;
    const float *const *xs, *const *ts;
    int first, step, B;
} pt_batch_worker;

typedef struct pt_batch_runner {
    int n_threads, ny, L;
    pt_batch_worker *w;
} pt_batch_runner;

int pt_batch_runner_init(pt_batch_runner *r, const pt_wavenet_train *m, int ny, int n_threads);
void pt_batch_runner_free(pt_batch_runner *r);
/* g[n_params] = d(loss)/d(params) (file order), for B windows xs[b] (L
 * samples) with targets ts[b] (ny samples); the loss terms in mse, mrstft. */
int pt_batch_run(pt_batch_runner *r, const pt_wavenet_train *m, int B, const float *const *xs,
                 const float *const *ts, double *g, double *mse, double *mrstft);

#endif
