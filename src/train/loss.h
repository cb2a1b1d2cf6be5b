/* loss.h — the training loss NAM's trainer uses, with its gradient:
 *
 *   loss = MSE(y, t) + 2e-4 * MRSTFT(pre(y), pre(t))
 *
 * pre(x)[n] = x[n+1] - 0.85 x[n] (first-order pre-emphasis). MRSTFT is
 * auraloss's default multi-resolution STFT loss: for FFT sizes 1024/2048/512,
 * hops 120/240/50, Hann windows (periodic) of 600/1200/240 centred in the
 * frame, frames centred with reflect padding (torch.stft's defaults),
 * magnitudes |X| = sqrt(max(re^2 + im^2, 1e-8)); per resolution the spectral
 * convergence ||Y - X||_F / ||Y||_F (per batch item, averaged) plus the mean
 * absolute log-magnitude difference; the resolutions averaged.
 *
 * Everything splits over the windows of a batch, so each thread computes its
 * windows' share (scaled by 1/B) and their gradients independently.
 */
#ifndef PT_TRAIN_LOSS_H
#define PT_TRAIN_LOSS_H

#define PT_LOSS_MRSTFT_WEIGHT 2e-4
#define PT_LOSS_PRE_EMPH 0.85

typedef struct pt_fft pt_fft;

typedef struct pt_loss_work {
    int ny;
    double mrstft_weight; /* PT_LOSS_MRSTFT_WEIGHT unless set */
    pt_fft *fft[3];
    float *win[3];
    float *pe_y, *pe_t, *gpe, *pad_y, *pad_t, *gpad;
    float *frame, *re, *im;
    float *xre, *xim, *xm, *ym, *sgn; /* F x bins of one resolution */
} pt_loss_work;

int pt_loss_work_init(pt_loss_work *w, int ny);
void pt_loss_work_free(pt_loss_work *w);

/* One window of a batch of B: adds its share of the MSE and MRSTFT terms
 * (unweighted) to *mse and *mrstft, and of d(loss)/dy to dy[0..ny). */
void pt_loss_window(pt_loss_work *w, const float *y, const float *t, int B, double *mse, double *mrstft,
                    float *dy);

/* ESR = sum (y - t)^2 / sum t^2 */
double pt_loss_esr(const float *y, const float *t, long n);

#endif
