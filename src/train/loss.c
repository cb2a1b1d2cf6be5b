/* loss.c — MSE plus the pre-emphasised multi-resolution STFT loss, forward
 * and backward (see loss.h). The STFT's gradient goes back through each
 * frame with the inverse real FFT (the adjoint of the forward one, up to the
 * DC and Nyquist bins' factor of two), the window and the overlap-add, then
 * through the reflect padding and the pre-emphasis. */
#include "loss.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../conv/fft.h"

static const int FFT_N[3] = {1024, 2048, 512}, HOP[3] = {120, 240, 50}, WIN[3] = {600, 1200, 240};
#define MAG_EPS 1e-8f

int pt_loss_work_init(pt_loss_work *w, int ny)
{
    memset(w, 0, sizeof *w);
    w->ny = ny;
    w->mrstft_weight = PT_LOSS_MRSTFT_WEIGHT;
    size_t maxfb = 0;
    for (int r = 0; r < 3; r++) {
        w->fft[r] = pt_fft_new(FFT_N[r]);
        w->win[r] = calloc((size_t)FFT_N[r], sizeof(float));
        if (!w->fft[r] || !w->win[r]) return -1;
        int left = (FFT_N[r] - WIN[r]) / 2;
        for (int n = 0; n < WIN[r]; n++) w->win[r][left + n] = (float)(0.5 - 0.5 * cos(2 * M_PI * n / WIN[r]));
        size_t fb = (size_t)(1 + (ny - 1) / HOP[r]) * (FFT_N[r] / 2 + 1);
        if (fb > maxfb) maxfb = fb;
    }
    size_t P = (size_t)ny + 2048;
    w->pe_y = calloc((size_t)ny, sizeof(float));
    w->pe_t = calloc((size_t)ny, sizeof(float));
    w->gpe = calloc((size_t)ny, sizeof(float));
    w->pad_y = calloc(P, sizeof(float));
    w->pad_t = calloc(P, sizeof(float));
    w->gpad = calloc(P, sizeof(float));
    w->frame = calloc(2048, sizeof(float));
    w->re = calloc(1025, sizeof(float));
    w->im = calloc(1025, sizeof(float));
    w->xre = calloc(maxfb, sizeof(float));
    w->xim = calloc(maxfb, sizeof(float));
    w->xm = calloc(maxfb, sizeof(float));
    w->ym = calloc(maxfb, sizeof(float));
    w->sgn = calloc(maxfb, sizeof(float));
    if (!w->pe_y || !w->pe_t || !w->gpe || !w->pad_y || !w->pad_t || !w->gpad || !w->frame || !w->re ||
        !w->im || !w->xre || !w->xim || !w->xm || !w->ym || !w->sgn)
        return -1;
    return 0;
}

void pt_loss_work_free(pt_loss_work *w)
{
    for (int r = 0; r < 3; r++) {
        if (w->fft[r]) pt_fft_free(w->fft[r]);
        free(w->win[r]);
    }
    free(w->pe_y), free(w->pe_t), free(w->gpe), free(w->pad_y), free(w->pad_t), free(w->gpad);
    free(w->frame), free(w->re), free(w->im), free(w->xre), free(w->xim), free(w->xm), free(w->ym), free(w->sgn);
    memset(w, 0, sizeof *w);
}

static void reflect_pad(const float *x, int n, int pad, float *out)
{
    for (int j = 0; j < pad; j++) out[j] = x[pad - j];
    memcpy(out + pad, x, (size_t)n * sizeof(float));
    for (int j = 0; j < pad; j++) out[pad + n + j] = x[n - 2 - j];
}

/* One resolution: returns (SC + mean |log X - log Y|) / B and adds its
 * gradient with respect to the pre-emphasised prediction into gpe. */
static double stft_term(pt_loss_work *w, int r, int n, int B, double scale)
{
    const int N = FFT_N[r], hop = HOP[r], pad = N / 2, nb = N / 2 + 1;
    const int F = 1 + (n - 1) / hop;
    const float *win = w->win[r];
    reflect_pad(w->pe_y, n, pad, w->pad_y);
    reflect_pad(w->pe_t, n, pad, w->pad_t);
    double d2 = 0, y2 = 0, lsum = 0;
    for (int f = 0; f < F; f++) {
        const float *src[2] = {w->pad_y + (size_t)f * hop, w->pad_t + (size_t)f * hop};
        for (int s = 0; s < 2; s++) {
            for (int i = 0; i < N; i++) w->frame[i] = src[s][i] * win[i];
            pt_fft_forward(w->fft[r], w->frame, w->re, w->im);
            for (int k = 0; k < nb; k++) {
                float p = w->re[k] * w->re[k] + w->im[k] * w->im[k];
                float m = sqrtf(p > MAG_EPS ? p : MAG_EPS);
                size_t j = (size_t)f * nb + k;
                if (s == 0) {
                    w->xre[j] = p > MAG_EPS ? w->re[k] : 0; /* 0: no gradient through the clamp */
                    w->xim[j] = p > MAG_EPS ? w->im[k] : 0;
                    w->xm[j] = m;
                } else {
                    w->ym[j] = m;
                }
            }
        }
    }
    const size_t cnt = (size_t)F * nb;
    for (size_t j = 0; j < cnt; j++) {
        double d = (double)w->ym[j] - w->xm[j];
        d2 += d * d;
        y2 += (double)w->ym[j] * w->ym[j];
        float ld = logf(w->xm[j]) - logf(w->ym[j]);
        lsum += fabsf(ld);
        w->sgn[j] = ld > 0 ? 1.0f : ld < 0 ? -1.0f : 0.0f;
        w->ym[j] = (float)d; /* from here on: y - x */
    }
    const double nd = sqrt(d2), ny_ = sqrt(y2);
    const double sc = ny_ > 0 ? nd / ny_ : 0, lg = lsum / cnt;
    /* gradient: d/dX of SC = -(Y - X) / (||Y-X|| ||Y||); of the log term sign / (X cnt) */
    const double a_sc = (nd > 0 && ny_ > 0) ? scale / (B * nd * ny_) : 0, a_lg = scale / ((double)B * cnt);
    memset(w->gpad, 0, (size_t)(n + N) * sizeof(float));
    for (int f = 0; f < F; f++) {
        for (int k = 0; k < nb; k++) {
            size_t j = (size_t)f * nb + k;
            double x = w->xm[j];
            double g = -w->ym[j] * a_sc + w->sgn[j] * a_lg / x;
            w->re[k] = (float)(g * w->xre[j] / x);
            w->im[k] = (float)(g * w->xim[j] / x);
        }
        w->re[0] *= 2, w->re[nb - 1] *= 2;
        w->im[0] = 0, w->im[nb - 1] = 0;
        pt_fft_inverse(w->fft[r], w->re, w->im, w->frame);
        float *gp = w->gpad + (size_t)f * hop;
        for (int i = 0; i < N; i++) gp[i] += 0.5f * w->frame[i] * win[i];
    }
    /* back through the reflect padding */
    for (int j = 0; j < pad; j++) w->gpe[pad - j] += w->gpad[j];
    for (int i = 0; i < n; i++) w->gpe[i] += w->gpad[pad + i];
    for (int j = 0; j < pad; j++) w->gpe[n - 2 - j] += w->gpad[pad + n + j];
    return (sc + lg) / B;
}

void pt_loss_window(pt_loss_work *w, const float *y, const float *t, int B, double *mse, double *mrstft,
                    float *dy)
{
    const int ny = w->ny;
    double e2 = 0;
    const double k = 2.0 / ((double)B * ny);
    for (int i = 0; i < ny; i++) {
        double e = (double)y[i] - t[i];
        e2 += e * e;
        dy[i] += (float)(k * e);
    }
    *mse += e2 / ((double)B * ny);
    const int n = ny - 1;
    const float c = (float)PT_LOSS_PRE_EMPH;
    for (int i = 0; i < n; i++) {
        w->pe_y[i] = y[i + 1] - c * y[i];
        w->pe_t[i] = t[i + 1] - c * t[i];
    }
    memset(w->gpe, 0, (size_t)n * sizeof(float));
    const double scale = w->mrstft_weight / 3.0;
    double m = 0;
    for (int r = 0; r < 3; r++) m += stft_term(w, r, n, B, scale);
    *mrstft += m / 3.0;
    for (int i = 0; i < n; i++) {
        dy[i + 1] += w->gpe[i];
        dy[i] -= c * w->gpe[i];
    }
}

double pt_loss_esr(const float *y, const float *t, long n)
{
    double e = 0, s = 0;
    for (long i = 0; i < n; i++) {
        double d = (double)y[i] - t[i];
        e += d * d;
        s += (double)t[i] * t[i];
    }
    return s > 0 ? e / s : INFINITY;
}
