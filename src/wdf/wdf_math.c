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
    wdf_pair_init(&p, r, is1, nvt1, rs1, is2, nvt2, rs2);
    return wdf_pair_reflect(&p, a);
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
