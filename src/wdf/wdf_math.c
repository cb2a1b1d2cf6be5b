/* wdf_math.c — the Wright omega function and the closed-form diode it gives.
 *
 * Wright omega w(x) solves w + ln w = x. It turns a Shockley diode behind a
 * port resistance into an explicit formula (Werner, Nangia, Smith, Abel,
 * "Resolving wave digital filters with multiple/multiport nonlinearities",
 * DAFx 2015; D'Angelo et al. 2019). Our evaluation: a piecewise first guess
 * (e^x far left, cubics in the middle, x - ln x far right) refined by
 * Fritsch, Shafer and Crowley's fourth-order iteration: one step brings the
 * guess within 2e-9, two to machine precision. The code is in
 * wdf_math_inline.h so the roots inline it. */
#include <math.h>

#include "wdf.h"
#include "wdf_math_inline.h"

/* RT */
double pt_wright_omega(double x)
{
    if (x < -36.0) return exp(x); /* w = e^x (1 - e^x + ...) below double precision */
    if (x > 1e15) return x - log(x);
    return wdf_omega_step(x, wdf_omega_step(x, wdf_omega_guess(x)));
}

/* RT: one iteration: relative error below 2e-9 over the whole real line. */
double pt_wright_omega_fast(double x) { return wdf_omega_fast(x); }

/* A diode (anode at the port's + terminal) with series resistance rs behind
 * a port of resistance r. With R' = r + rs:
 *   a = v + r i,  v = vd + rs i,  i = Is (e^(vd/nVt) - 1)
 * gives i = (nVt/R') w(ln(R' Is/nVt) + (a + R' Is)/nVt) - Is, exactly, and
 * b = a - 2 r i. RT */
double pt_wdf_diode_reflect(double a, double r, double is, double nvt, double rs)
{
    wdf_diode_k d;
    wdf_diode_k_init(&d, r, is, nvt, rs);
    return a - 2.0 * r * wdf_diode_current(&d, a);
}

/* RT */
double pt_wdf_diode_pair_reflect(double a, double r, double is1, double nvt1, double rs1,
                                 double is2, double nvt2, double rs2)
{
    wdf_diode_k d1, d2;
    wdf_diode_k_init(&d1, r, is1, nvt1, rs1);
    wdf_diode_k_init(&d2, r, is2, nvt2, rs2);
    return wdf_diode_pair_reflect(&d1, &d2, r, a);
}
