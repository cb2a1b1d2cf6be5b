/* wdf_math.c — the Wright omega function and the closed-form diode it gives.
 *
 * Wright omega w(x) solves w + ln w = x. It turns a Shockley diode behind a
 * port resistance into an explicit formula (Werner, Nangia, Smith, Abel,
 * "Resolving wave digital filters with multiple/multiport nonlinearities",
 * DAFx 2015; D'Angelo et al. 2019). Our evaluation: a piecewise first guess
 * (e^x far left, a cubic in the middle, x - ln x far right) refined by two
 * iterations of Fritsch, Shafer and Crowley's scheme (fourth order), which
 * brings a 10 % guess to machine precision. */
#include <math.h>

#include "wdf.h"

/* RT: the first guess, within 0.8 % everywhere (e^x (1 - e^x) below -2,
 * cubic fits on [-2, 1) and [1, 8), x - ln x + ln x / x above). */
static inline double omega_guess(double x)
{
    if (x < -2.0) {
        double e = exp(x);
        return e * (1.0 - e);
    }
    if (x < 1.0) return ((0.00232353 * x + 0.07302085) * x + 0.35938682) * x + 0.56716265;
    if (x < 8.0) return ((-0.00229692 * x + 0.05390075) * x + 0.42264855) * x + 0.51787187;
    double l = log(x);
    return x - l + l / x;
}

/* RT: one step of Fritsch, Shafer and Crowley's iteration for w + ln w = x. */
static inline double omega_step(double x, double w)
{
    double z = x - w - log(w);
    double wp1 = 1.0 + w;
    double q = 2.0 * wp1 * (wp1 + (2.0 / 3.0) * z);
    return w * (1.0 + (z / wp1) * (q - z) / (q - 2.0 * z));
}

/* RT */
double pt_wright_omega(double x)
{
    if (x < -36.0) return exp(x); /* w = e^x (1 - e^x + ...) below double precision */
    if (x > 1e15) return x - log(x);
    return omega_step(x, omega_step(x, omega_guess(x)));
}

/* RT: one iteration: relative error below 2e-9 over the whole real line. */
double pt_wright_omega_fast(double x)
{
    if (x < -36.0) return exp(x);
    if (x > 1e15) return x - log(x);
    return omega_step(x, omega_guess(x));
}

/* A diode (anode at the port's + terminal) with series resistance rs behind
 * a port of resistance r. With R' = r + rs:
 *   a = v + r i,  v = vd + rs i,  i = Is (e^(vd/nVt) - 1)
 * gives i = (nVt/R') w(ln(R' Is/nVt) + (a + R' Is)/nVt) - Is, exactly, and
 * b = a - 2 r i. RT */
double pt_wdf_diode_reflect(double a, double r, double is, double nvt, double rs)
{
    double rr = r + rs;
    double x = log(rr * is / nvt) + (a + rr * is) / nvt;
    double i = nvt / rr * pt_wright_omega_fast(x) - is;
    return a - 2.0 * r * i;
}

/* RT: an antiparallel pair (the second diode may differ: is2, nvt2, rs2).
 * The conducting diode (the one the incident wave forward-biases) is solved
 * in closed form as if alone; the other one's current is then taken at the
 * resulting port voltage. Exact to the order of Is * R (microvolts here).
 * ln1 and ln2 are ln((r + rs) Is / nVt) of each diode, which depend only on
 * the port resistance, so a root computes them when it is updated. */
double pt_wdf_diode_pair_reflect_ln(double a, double r, double is1, double nvt1, double rs1,
                                    double ln1, double is2, double nvt2, double rs2, double ln2)
{
    double sign = 1.0;
    if (a < 0) {
        a = -a, sign = -1.0;
        double t;
        t = is1, is1 = is2, is2 = t;
        t = nvt1, nvt1 = nvt2, nvt2 = t;
        t = rs1, rs1 = rs2, rs2 = t;
        t = ln1, ln1 = ln2, ln2 = t;
    }
    double rr = r + rs1;
    double x = ln1 + (a + rr * is1) / nvt1;
    double i = nvt1 / rr * pt_wright_omega_fast(x) - is1;
    double v = a - r * i;
    /* the reverse diode: -Is2 once it is reverse-biased by 20 nVt or more */
    double ir = v > 20.0 * nvt2 ? -is2 : is2 * (exp(-v / nvt2) - 1.0);
    return sign * (a - 2.0 * r * (i - ir));
}

/* RT */
double pt_wdf_diode_pair_reflect(double a, double r, double is1, double nvt1, double rs1,
                                 double is2, double nvt2, double rs2)
{
    return pt_wdf_diode_pair_reflect_ln(a, r, is1, nvt1, rs1, log((r + rs1) * is1 / nvt1), is2,
                                        nvt2, rs2, log((r + rs2) * is2 / nvt2));
}
