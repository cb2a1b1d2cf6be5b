/* analysis.c — see analysis.h. */
#include "analysis.h"

#include <math.h>

double pt_dft_mag(const float *x, int n, double rate, double f)
{
    /* a phasor rotated sample by sample, renormalised every 1024 steps so
     * rounding cannot build up */
    double w = 2.0 * M_PI * f / rate, cr = cos(w), ci = -sin(w);
    double pr = 1.0, pi = 0.0, re = 0.0, im = 0.0;
    for (int i = 0; i < n; i++) {
        re += x[i] * pr;
        im += x[i] * pi;
        double t = pr * cr - pi * ci;
        pi = pr * ci + pi * cr;
        pr = t;
        if ((i & 1023) == 1023) {
            double ph = -w * (double)(i + 1);
            pr = cos(ph), pi = sin(ph);
        }
    }
    return sqrt(re * re + im * im);
}
