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

/* RT */
double pt_wright_omega(double x)
{
    double w;
    if (x < -2.0) {
        double e = exp(x);
        if (x < -36.0) return e; /* w = e^x (1 - e^x + ...) below double precision */
        w = e * (1.0 - e);
    } else if (x < 1.0) {
        w = ((0.00232348 * x + 0.07301762) * x + 0.35938368) * x + 0.56716331;
    } else {
        double l = log(x);
        w = x - l + l / x;
        if (x > 1e15) return w;
    }
    for (int it = 0; it < 2; it++) {
        double z = x - w - log(w);
        double wp1 = 1.0 + w;
        double q = 2.0 * wp1 * (wp1 + (2.0 / 3.0) * z);
        w = w * (1.0 + (z / wp1) * (q - z) / (q - 2.0 * z));
    }
    return w;
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
    double i = nvt / rr * pt_wright_omega(x) - is;
    return a - 2.0 * r * i;
}
