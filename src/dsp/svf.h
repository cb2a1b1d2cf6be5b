/* svf.h — the state-variable filter in its trapezoidal ("topology
 * preserving", Zavalishin; Simper's form) discretisation: low-, band- and
 * high-pass from one structure, and stable however fast the cutoff moves,
 * which is why swept filters (wah) use it instead of a biquad. */
#ifndef PT_SVF_H
#define PT_SVF_H

#include <math.h>

typedef struct pt_svf {
    float a1, a2, a3, k; /* coefficients */
    float ic1, ic2;      /* integrator states */
} pt_svf;

/* RT: cutoff (or centre) freq_hz, quality q > 0. */
static inline void pt_svf_set(pt_svf *f, float freq_hz, float q, float rate)
{
    float lim = 0.49f * rate;
    if (freq_hz > lim) freq_hz = lim;
    if (freq_hz < 1.0f) freq_hz = 1.0f;
    float g = tanf((float)M_PI * freq_hz / rate);
    f->k = 1.0f / q;
    f->a1 = 1.0f / (1.0f + g * (g + f->k));
    f->a2 = g * f->a1;
    f->a3 = g * f->a2;
}

/* RT */
static inline void pt_svf_reset(pt_svf *f) { f->ic1 = f->ic2 = 0.0f; }

/* RT: one sample; returns the band-pass output (peak gain q at the centre)
 * and writes the low-pass into *lp if lp is not NULL. */
static inline float pt_svf_tick_bp(pt_svf *f, float x, float *lp)
{
    float v3 = x - f->ic2;
    float v1 = f->a1 * f->ic1 + f->a2 * v3;
    float v2 = f->ic2 + f->a2 * f->ic1 + f->a3 * v3;
    f->ic1 = 2.0f * v1 - f->ic1;
    f->ic2 = 2.0f * v2 - f->ic2;
    if (lp) *lp = v2;
    return v1;
}

#endif
