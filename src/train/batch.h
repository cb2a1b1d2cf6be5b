/* batch.h — one batch's loss and gradient, its windows split over threads
 * (each thread its own buffers and gradient; the sums meet at the end). */
#ifndef PT_TRAIN_BATCH_H
#define PT_TRAIN_BATCH_H

#include "loss.h"
#include "lstm_train.h"
#include "wavenet_train.h"

typedef struct pt_batch_worker {
    tw_work tw;
    lstm_work lwk;
    pt_loss_work lw;
    float *y, *dy;
    double mse, mrstft;
    /* this batch's assignment */
    const struct pt_batch_runner *r;
    const float *const *xs, *const *ts;
    int first, step, B;
} pt_batch_worker;

/* One of the two nets: a WaveNet (wn) or an LSTM (lstm). */
typedef struct pt_batch_runner {
    int n_threads, ny, L, mask;
    const pt_wavenet_train *wn;
    const pt_lstm_train *lstm;
    long n_params;
    pt_batch_worker *w;
} pt_batch_runner;

/* ny outputs per window, the first `mask` of them left out of the loss (NAM's
 * mask_first, 0 for WaveNets); mrstft_weight: the loss's STFT weight. */
int pt_batch_runner_init(pt_batch_runner *r, const pt_wavenet_train *wn, const pt_lstm_train *lstm, int ny, int mask,
                         double mrstft_weight, int n_threads);
void pt_batch_runner_free(pt_batch_runner *r);
/* g[n_params] = d(loss)/d(params) (file order), for B windows xs[b] (L
 * samples) with targets ts[b] (ny samples); the loss terms in mse, mrstft. */
int pt_batch_run(pt_batch_runner *r, int B, const float *const *xs, const float *const *ts, double *g, double *mse,
                 double *mrstft);

#endif
