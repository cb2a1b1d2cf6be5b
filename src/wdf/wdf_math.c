/* wdf_math.c — the Wright omega function and the closed-form diode it gives.
 *
 * Wright omega w(x) solves w + ln w = x. It turns a Shockley diode behind a
 * port resistance into an explicit formula (Werner, Nangia, Smith, Abel,
 * "Resolving wave digital filters with multiple/multiport nonlinearities",
 * DAFx 2015; D'Angelo et al. 2019). Our evaluation: a piecewise first guess
 * (e^x far left, cubics in the middle, x - ln x far right) refined by
 * Fritsch, Shafer and Crowley's fourth-order iteration: one step brings the
 * guess within 1e-8, two to machine precision. The code is in
 * wdf_math_inline.h so the roots inline it. */
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "wdf.h"
#include "wdf_math_inline.h"

/* RT */
double pt_wright_omega(double x)
{
    if (x < -36.0) return exp(x); /* w = e^x (1 - e^x + ...) below double precision */
    if (x > 1e15) return x - log(x);
    return wdf_omega_step(x, wdf_omega_step(x, wdf_omega_guess(x)));
}

/* RT: one iteration: relative error below 1e-8 over the whole real line. */
double pt_wright_omega_fast(double x) { return wdf_omega_fast(x); }

/* RT once pt_wdf_omega_table_init() has run (it runs here the first time). */
double pt_wright_omega_table(double x)
{
    pt_wdf_omega_table_init();
    return wdf_omega_table(x);
}

/* A diode (anode at the port's + terminal) with series resistance rs behind
 * a port of resistance r. With R' = r + rs:
 *   a = v + r i,  v = vd + rs i,  i = Is (e^(vd/nVt) - 1)
 * gives i = (nVt/R') w(ln(R' Is/nVt) + (a + R' Is)/nVt) - Is, exactly, and
 * b = a - 2 r i. RT */
double pt_wdf_diode_reflect(double a, double r, double is, double nvt, double rs)
{
    pt_wdf_omega_table_init();
    wdf_diode_k d;
    wdf_diode_k_init(&d, r, is, nvt, rs);
    return a - 2.0 * r * wdf_diode_current(&d, a);
}

/* RT */
double pt_wdf_diode_pair_reflect(double a, double r, double is1, double nvt1, double rs1,
                                 double is2, double nvt2, double rs2)
{
    pt_wdf_omega_table_init();
    wdf_pair_k p;
    memset(&p, 0, sizeof p); /* its table built for this call (slow: for tests) */
    wdf_pair_init(&p, r, is1, nvt1, rs1, is2, nvt2, rs2);
    wdf_pair_table_build(&p, WDF_PAIR_TABLE_N);
    return wdf_pair_reflect(&p, a);
}

/* The port voltage v that solves a = v + R (Is1 (e^(v/nVt1) - 1) -
 * Is2 (e^(-v/nVt2) - 1)) (an antiparallel pair without series resistance),
 * by Newton from v0 safeguarded by bisection on [lo, hi]; its slope
 * dv/da = 1 / (1 + R (Is1 e1 / nVt1 + Is2 e2 / nVt2)) in *slope. */
static double pair_voltage(const wdf_pair_k *p, double a, double v0, double *slope)
{
    const double R = p->R, is1 = p->d[0].is, g1 = p->d[0].g, is2 = p->d[1].is, g2 = p->d[1].g;
    double lo = a < 0 ? a : 0, hi = a < 0 ? 0 : a; /* R i has the sign of v: |v| <= |a| */
    double v = v0 > lo && v0 < hi ? v0 : 0.5 * (lo + hi), dg = 1;
    for (int it = 0; it < 100; it++) {
        double e1 = exp(v * g1), e2 = exp(-v * g2);
        double gv = v + R * (is1 * (e1 - 1.0) - is2 * (e2 - 1.0)) - a;
        dg = 1.0 + R * (is1 * g1 * e1 + is2 * g2 * e2);
        if (gv > 0) hi = v;
        else lo = v;
        double nv = v - gv / dg;
        if (!(nv > lo && nv < hi)) nv = 0.5 * (lo + hi);
        double moved = fabs(nv - v);
        v = nv;
        if (moved <= 1e-16 * (1.0 + fabs(v)) || hi - lo <= 1e-16 * (1.0 + fabs(v))) break;
    }
    double e1 = exp(v * g1), e2 = exp(-v * g2);
    *slope = 1.0 / (1.0 + R * (is1 * g1 * e1 + is2 * g2 * e2));
    return v;
}

/* RT (bounded: `pieces` short solves): see wdf_math_inline.h. The table
 * spans the a whose solution lies within [-8 nVt1, 8 nVt2], where
 * wdf_pair_reflect's closed form is not final, and |a| within 20 nVt (the
 * whole of it for the factory pedals at 1x); each
 * node is solved from its neighbour's solution (one or two Newton steps)
 * and the pieces take the exact slopes at both ends. */
void wdf_pair_table_build(wdf_pair_k *p, int pieces)
{
    if (p->tab_ok || p->tab_next == -2) return; /* complete, or no table */
    if (p->tab_wait > 0 && pieces < WDF_PAIR_TABLE_N) {
        p->tab_wait--;
        return;
    }
    if (p->tab_next < 0) { /* the range and the first node */
        const double R = p->R, is1 = p->d[0].is, g1 = p->d[0].g, is2 = p->d[1].is,
                     g2 = p->d[1].g;
        p->tab_next = -2;
        if (!(R > 0) || !(g1 > 0) || !(g2 > 0)) return;
        const double vlo = -8.0 * p->d[0].nvt, vhi = 8.0 * p->d[1].nvt;
        double alo = vlo + R * (is1 * (exp(vlo * g1) - 1.0) - is2 * (exp(-vlo * g2) - 1.0));
        double ahi = vhi + R * (is1 * (exp(vhi * g1) - 1.0) - is2 * (exp(-vhi * g2) - 1.0));
        if (!(alo < 0 && ahi > 0 && isfinite(alo) && isfinite(ahi))) return;
        /* a leaky diode (a large Is) or a large R stretches that range of a
           far beyond the range of v: keep the pieces narrow (the rest of
           the range goes the Newton way) */
        const double cap = 20.0 * fmax(p->d[0].nvt, p->d[1].nvt);
        alo = fmax(alo, -cap), ahi = fmin(ahi, cap);
        p->tab_alo = alo;
        p->tab_h = (ahi - alo) / WDF_PAIR_TABLE_N;
        p->tab_v = pair_voltage(p, alo, vlo, &p->tab_s);
        p->tab_next = 0;
    }
    const double h = p->tab_h;
    int j = p->tab_next;
    double v0 = p->tab_v, s0 = p->tab_s;
    for (int end = j + pieces < WDF_PAIR_TABLE_N ? j + pieces : WDF_PAIR_TABLE_N; j < end; j++) {
        double s1, v1 = pair_voltage(p, p->tab_alo + (j + 1) * h, v0, &s1);
        double *c = p->tab[j];
        c[0] = v0;
        c[1] = h * s0;
        c[2] = 3.0 * (v1 - v0) - 2.0 * h * s0 - h * s1;
        c[3] = 2.0 * (v0 - v1) + h * s0 + h * s1;
        v0 = v1, s0 = s1;
    }
    p->tab_next = j, p->tab_v = v0, p->tab_s = s0;
    if (j == WDF_PAIR_TABLE_N) {
        p->tab_scale = 1.0 / h;
        p->tab_lo = p->tab_alo;
        p->tab_hi = p->tab_alo + WDF_PAIR_TABLE_N * h;
        p->tab_ok = 1;
    }
}

double pt_wdf_omega_table[WDF_OMEGA_TABLE_N][4];

static void omega_table_build(void)
{
    const double h = 1.0 / WDF_OMEGA_TABLE_STEPS_PER_UNIT;
    for (int k = 0; k < WDF_OMEGA_TABLE_N; k++) {
        double x0 = WDF_OMEGA_TABLE_LO + k * h, x1 = x0 + h;
        double w0 = pt_wright_omega(x0), w1 = pt_wright_omega(x1);
        double d0 = h * w0 / (1.0 + w0), d1 = h * w1 / (1.0 + w1); /* slopes per step */
        double *c = pt_wdf_omega_table[k];
        c[0] = w0;
        c[1] = d0;
        c[2] = 3.0 * (w1 - w0) - 2.0 * d0 - d1;
        c[3] = 2.0 * (w0 - w1) + d0 + d1;
    }
}

void pt_wdf_omega_table_init(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, omega_table_build);
}
