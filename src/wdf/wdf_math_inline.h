/* wdf_math_inline.h — the Wright omega function and the diode roots as
 * inline functions, so the per-sample path of a diode root compiles into one
 * straight run of code. wdf_math.c exports them under their public names. */
#ifndef PT_WDF_MATH_INLINE_H
#define PT_WDF_MATH_INLINE_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/* RT: ln x to about 1.4e-4 (x > 0, normal): the exponent from the bits and
 * a quartic in the mantissa. Only ever a first guess. */
static inline double wdf_ln_rough(double x)
{
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    int e = (int)((b >> 52) & 0x7ff) - 1023;
    b = (b & 0x000fffffffffffffull) | 0x3ff0000000000000ull;
    double m;
    memcpy(&m, &b, sizeof m);
    double p = (((-0.05487425 * m + 0.43594647) * m - 1.44270608) * m + 2.79251133) * m - 1.73073739;
    return e * 0.6931471805599453 + p;
}

/* RT: first guess, within 0.8 % everywhere: e^x (1 - e^x) below -2, cubic
 * fits on [-2, 1) and [1, 8), x - ln x + ln x / x above. */
static inline double wdf_omega_guess(double x)
{
    if (x < -2.0) {
        double e = exp(x);
        return e * (1.0 - e);
    }
    if (x < 1.0) return ((0.00232353 * x + 0.07302085) * x + 0.35938682) * x + 0.56716265;
    if (x < 8.0) return ((-0.00229692 * x + 0.05390075) * x + 0.42264855) * x + 0.51787187;
    double l = wdf_ln_rough(x);
    return x - l + l / x;
}

/* RT: one step of Fritsch, Shafer and Crowley's fourth-order iteration for
 * w + ln w = x:  w' = w (1 + z (q - z) / ((1 + w)(q - 2 z))),
 * z = x - w - ln w, q = 2 (1 + w)(1 + w + 2 z / 3). */
static inline double wdf_omega_step(double x, double w)
{
    double z = x - w - log(w);
    double wp1 = 1.0 + w;
    double q = 2.0 * wp1 * (wp1 + (2.0 / 3.0) * z);
    return w + w * z * (q - z) / (wp1 * (q - 2.0 * z));
}

/* RT: Wright omega to a relative error below 1e-8 (one step). */
static inline double wdf_omega_fast(double x)
{
    if (x < -36.0) return exp(x);
    if (x > 1e15) return x - log(x);
    return wdf_omega_step(x, wdf_omega_guess(x));
}

/* A cubic Hermite table of Wright omega on [-2, 64) in steps of 1/16, built
 * from the two-iteration evaluation (values and slopes w / (1 + w)) by
 * pt_wdf_omega_table_init(); relative error below 1e-8. For the diode roots,
 * where the iteration's logarithm and division would sit in every sample's
 * critical path. */
#define WDF_OMEGA_TABLE_LO (-2.0)
#define WDF_OMEGA_TABLE_HI 64.0
#define WDF_OMEGA_TABLE_STEPS_PER_UNIT 16
#define WDF_OMEGA_TABLE_N 1056 /* (HI - LO) * steps per unit */
extern double pt_wdf_omega_table[WDF_OMEGA_TABLE_N][4];
void pt_wdf_omega_table_init(void); /* off the audio thread; idempotent */

/* RT */
static inline double wdf_omega_table(double x)
{
    if (!(x >= WDF_OMEGA_TABLE_LO && x < WDF_OMEGA_TABLE_HI)) return wdf_omega_fast(x);
    double f = (x - WDF_OMEGA_TABLE_LO) * WDF_OMEGA_TABLE_STEPS_PER_UNIT;
    int k = (int)f;
    double t = f - k;
    const double *c = pt_wdf_omega_table[k];
    return ((c[3] * t + c[2]) * t + c[1]) * t + c[0];
}

/* One diode of a root, with everything that depends only on the port
 * resistance R precomputed:  x = c + a g,  i = k w(x) - is. */
typedef struct wdf_diode_k {
    double c;     /* ln((R + Rs) Is / nVt) + (R + Rs) Is / nVt */
    double g;     /* 1 / nVt */
    double k;     /* nVt / (R + Rs) */
    double is;
    double nvt;
} wdf_diode_k;

static inline void wdf_diode_k_init(wdf_diode_k *d, double R, double is, double nvt, double rs)
{
    double rr = R + rs;
    d->c = log(rr * is / nvt) + rr * is / nvt;
    d->g = 1.0 / nvt;
    d->k = nvt / rr;
    d->is = is;
    d->nvt = nvt;
}

/* RT: the current of a diode (with series resistance) behind the port for
 * incident wave a: exact, via Wright omega. */
static inline double wdf_diode_current(const wdf_diode_k *d, double a)
{
    return d->k * wdf_omega_table(d->c + a * d->g) - d->is;
}

/* Intervals of a pair's small-signal table (wdf_pair_k.tab): cubic Hermite
 * pieces of the port voltage v(a) with exact slopes, over the a that keep
 * |v| under 8 nVt (test_wdf_core measures the fit against bisection). */
#define WDF_PAIR_TABLE_N 512

/* An antiparallel pair behind a port of resistance R, with the constants of
 * each direction folded (direction 0: a >= 0, the first diode conducts;
 * direction 1: a < 0, mirrored, the second one does). */
typedef struct wdf_pair_k {
    wdf_diode_k d[2];
    double R;
    double tf0[2], tg[2]; /* table coordinate (x - LO) * steps = tf0 + |a| tg */
    double vA[2], vB[2];  /* port voltage v = |a| - vA w + vB */
    double bA[2], bB[2];  /* reflected wave b = a - bA w + bB (signs folded in) */
    double vmin[2];       /* 8 nVt of the other diode */
    /* Where both diodes conduct (tab_lo < a < tab_hi: the port voltage
       within 8 nVt of zero, where the closed form is not final) the port
       voltage v(a) from a table built for this R (wdf_pair_table_build),
       instead of Newton's two exponentials per step: the common case of a
       guitar signal through a clipper at 1x. tab_key: what it is built for
       (R, Is1, nVt1, Is2, nVt2); tab_ok 0 until complete. */
    int tab_ok;
    double tab_lo, tab_hi, tab_scale; /* a range; intervals per volt */
    double tab_key[5];
    int tab_next;                     /* pieces built so far */
    int tab_wait;                     /* blocks to wait for R to settle */
    double tab_alo, tab_h, tab_v, tab_s; /* the build's range, step, last node */
    double tab[WDF_PAIR_TABLE_N][4];
} wdf_pair_k;

/* wdf_math.c: build up to `pieces` more pieces of p->tab for p's R and
 * diodes (wdf_pair_init starts it over when they change, and the first 4
 * calls after that wait, unless `pieces` is the whole table); the table is
 * used once complete. Each piece is one short Newton solve from its
 * neighbour's solution, so the audio thread builds the table a few pieces
 * per block (pt_wdf_process) once R has stayed put for a few blocks, and a
 * knob that moves R costs no more than it did. */
void wdf_pair_table_build(wdf_pair_k *p, int pieces);

/* The pair's constants for a port resistance R; its small-signal table
 * starts over when R or the diodes changed (wdf_pair_table_build builds it). */
static inline void wdf_pair_init(wdf_pair_k *p, double R, double is1, double nvt1, double rs1,
                                 double is2, double nvt2, double rs2)
{
    wdf_diode_k_init(&p->d[0], R, is1, nvt1, rs1);
    wdf_diode_k_init(&p->d[1], R, is2, nvt2, rs2);
    p->R = R;
    for (int k = 0; k < 2; k++) {
        const wdf_diode_k *f = &p->d[k], *rv = &p->d[1 - k];
        /* the other diode carries -Is: the incident wave shifts by R Is */
        p->tf0[k] = (f->c - R * rv->is * f->g - WDF_OMEGA_TABLE_LO) * WDF_OMEGA_TABLE_STEPS_PER_UNIT;
        p->tg[k] = f->g * WDF_OMEGA_TABLE_STEPS_PER_UNIT;
        p->vA[k] = R * f->k;
        p->vB[k] = R * (f->is - rv->is);
        p->vmin[k] = 8.0 * rv->nvt;
        /* b = sign (2 v - |a|) = a - sign 2 vA w + sign 2 vB */
        p->bA[k] = (k ? -2.0 : 2.0) * p->vA[k];
        p->bB[k] = (k ? -2.0 : 2.0) * p->vB[k];
    }
    const double key[5] = {R, p->d[0].is, p->d[0].nvt, p->d[1].is, p->d[1].nvt};
    if (memcmp(key, p->tab_key, sizeof key) != 0) { /* start the table over */
        memcpy(p->tab_key, key, sizeof key);
        p->tab_ok = 0;
        p->tab_lo = p->tab_hi = 0; /* empty: the Newton path meanwhile */
        p->tab_next = -1;
        p->tab_wait = 4; /* while a knob turns, R changes every few blocks */
    }
}

/* RT: the reflected wave of the pair for incident wave a. The conducting
 * diode is solved in closed form with the other one carrying its reverse
 * saturation current -Is; that is final when the other diode is reverse-
 * biased by 8 nVt or more (its current is then -Is to within 3.4e-4 Is).
 * Closer to zero both conduct (at small signals, or with a leaky second
 * diode), and the port voltage solves a = v + R (i1(v) - i2(-v)); there the
 * currents are small and the series resistances are left out (their drop is
 * below Rs Is e^8). It is read from the pair's table (wdf_pair_table_build)
 * where that is built, else refined by safeguarded Newton inside [0, a]. */
static inline double wdf_pair_reflect_wide(const wdf_pair_k *p, double a);

static inline __attribute__((always_inline)) double wdf_pair_reflect(const wdf_pair_k *p, double a)
{
    if (a > p->tab_lo && a < p->tab_hi) { /* both conduct: v(a) from the table, b = 2 v - a */
        double f = (a - p->tab_lo) * p->tab_scale;
        int j = (int)f;
        j = j < WDF_PAIR_TABLE_N ? j : WDF_PAIR_TABLE_N - 1;
        double t = f - j;
        const double *c = p->tab[j];
        return 2.0 * (((c[3] * t + c[2]) * t + c[1]) * t + c[0]) - a;
    }
    return wdf_pair_reflect_wide(p, a);
}

/* RT: wdf_pair_reflect outside its table */
static inline double wdf_pair_reflect_wide(const wdf_pair_k *p, double a)
{
    /* both directions' table coordinates at once, then a select: keeps the
       sign test off the loads in the critical path */
    double F0 = p->tf0[0] + a * p->tg[0], F1 = p->tf0[1] - a * p->tg[1];
    int k = a < 0;
    double sign = k ? -1.0 : 1.0;
    const double a_in = a;
    a = fabs(a);
    double F = k ? F1 : F0, w;
    int cheap = 0;
    if (F >= 0.0 && F < (double)WDF_OMEGA_TABLE_N) {
        int j = (int)F;
        double t = F - j;
        const double *c = pt_wdf_omega_table[j];
        w = ((c[3] * t + c[2]) * t + c[1]) * t + c[0];
    } else if (F < 0.0) {
        /* below the table (x < -2, a small signal): the series
         * w = e^x (1 - e^x + 3/2 e^2x) (relative error < 1e-3 there) is
         * enough when Newton follows, as it almost always does */
        double e = exp(F * (1.0 / WDF_OMEGA_TABLE_STEPS_PER_UNIT) + WDF_OMEGA_TABLE_LO);
        w = e * (1.0 - e * (1.0 - 1.5 * e));
        cheap = 1;
    } else {
        w = wdf_omega_fast(F * (1.0 / WDF_OMEGA_TABLE_STEPS_PER_UNIT) + WDF_OMEGA_TABLE_LO);
    }
    double v = a - p->vA[k] * w + p->vB[k];
    if (v > p->vmin[k]) {
        if (cheap) w = wdf_omega_fast(F * (1.0 / WDF_OMEGA_TABLE_STEPS_PER_UNIT) + WDF_OMEGA_TABLE_LO);
        return a_in - p->bA[k] * w + p->bB[k];
    }
    const wdf_diode_k *f = &p->d[k], *rv = &p->d[1 - k];
    const double R = p->R;
    double lo = 0.0, hi = a;
    if (!(v > lo && v < hi)) v = 0.5 * (lo + hi);
    for (int it = 0; it < 8; it++) {
        double e1 = exp(v * f->g), e2 = exp(-v * rv->g);
        double cur = f->is * (e1 - 1.0) - rv->is * (e2 - 1.0);
        double gv = v + R * cur - a;
        if (gv > 0) hi = v;
        else lo = v;
        double d1 = f->is * f->g * e1, d2 = rv->is * rv->g * e2;
        double dg = 1.0 + R * (d1 + d2);
        double step = gv / dg;
        /* quadratic convergence: after this step about g'' / (2 g') step^2
         * is left; stop when that is below 1e-14 V (one step from the
         * closed-form start, at small signals, almost always) */
        double left = 0.5 * R * (d1 * f->g + d2 * rv->g) / dg * step * step;
        if (fabs(step) < 1e-8 || left < 1e-14) {
            v -= step;
            break;
        }
        double nv = v - step;
        v = nv > lo && nv < hi ? nv : 0.5 * (lo + hi);
    }
    return sign * (2.0 * v - a);
}

#endif
