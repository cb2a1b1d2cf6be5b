/* biquad.c — RBJ cookbook designs. */
#include "biquad.h"

#include <complex.h>
#include <math.h>
#include <stddef.h>

const char *const pt_biquad_shape_names[] = {"lowpass",  "highpass", "bandpass", "notch", "peak",
                                             "lowshelf", "highshelf", NULL};

void pt_biquad_design(pt_biquad_coefs *c, pt_biquad_shape shape, double rate, double freq_hz,
                      double q, double gain_db)
{
    double nyq = 0.5 * rate;
    if (freq_hz > 0.499 * rate) freq_hz = 0.499 * rate;
    if (freq_hz < 1.0) freq_hz = 1.0;
    (void)nyq;
    double A = pow(10.0, gain_db / 40.0);
    double w0 = 2.0 * M_PI * freq_hz / rate;
    double cw = cos(w0), sw = sin(w0);
    double alpha = sw / (2.0 * q);
    double b0, b1, b2, a0, a1, a2;
    switch (shape) {
    case PT_BQ_LOWPASS:
        b0 = (1 - cw) / 2, b1 = 1 - cw, b2 = (1 - cw) / 2;
        a0 = 1 + alpha, a1 = -2 * cw, a2 = 1 - alpha;
        break;
    case PT_BQ_HIGHPASS:
        b0 = (1 + cw) / 2, b1 = -(1 + cw), b2 = (1 + cw) / 2;
        a0 = 1 + alpha, a1 = -2 * cw, a2 = 1 - alpha;
        break;
    case PT_BQ_BANDPASS:
        b0 = alpha, b1 = 0, b2 = -alpha;
        a0 = 1 + alpha, a1 = -2 * cw, a2 = 1 - alpha;
        break;
    case PT_BQ_NOTCH:
        b0 = 1, b1 = -2 * cw, b2 = 1;
        a0 = 1 + alpha, a1 = -2 * cw, a2 = 1 - alpha;
        break;
    case PT_BQ_PEAK:
        b0 = 1 + alpha * A, b1 = -2 * cw, b2 = 1 - alpha * A;
        a0 = 1 + alpha / A, a1 = -2 * cw, a2 = 1 - alpha / A;
        break;
    case PT_BQ_LOWSHELF: {
        double s = 2 * sqrt(A) * alpha;
        b0 = A * ((A + 1) - (A - 1) * cw + s);
        b1 = 2 * A * ((A - 1) - (A + 1) * cw);
        b2 = A * ((A + 1) - (A - 1) * cw - s);
        a0 = (A + 1) + (A - 1) * cw + s;
        a1 = -2 * ((A - 1) + (A + 1) * cw);
        a2 = (A + 1) + (A - 1) * cw - s;
        break;
    }
    case PT_BQ_HIGHSHELF:
    default: {
        double s = 2 * sqrt(A) * alpha;
        b0 = A * ((A + 1) + (A - 1) * cw + s);
        b1 = -2 * A * ((A - 1) + (A + 1) * cw);
        b2 = A * ((A + 1) + (A - 1) * cw - s);
        a0 = (A + 1) - (A - 1) * cw + s;
        a1 = 2 * ((A - 1) - (A + 1) * cw);
        a2 = (A + 1) - (A - 1) * cw - s;
        break;
    }
    }
    c->b0 = b0 / a0, c->b1 = b1 / a0, c->b2 = b2 / a0;
    c->a1 = a1 / a0, c->a2 = a2 / a0;
}

double pt_biquad_response_db(const pt_biquad_coefs *c, double rate, double freq_hz)
{
    double w = 2.0 * M_PI * freq_hz / rate;
    double complex z1 = cexp(-I * w), z2 = z1 * z1;
    double complex h = (c->b0 + c->b1 * z1 + c->b2 * z2) / (1.0 + c->a1 * z1 + c->a2 * z2);
    return 20.0 * log10(cabs(h) + 1e-300);
}

void pt_biquad_set(pt_biquad *f, const pt_biquad_coefs *c)
{
    f->b0 = c->b0, f->b1 = c->b1, f->b2 = c->b2;
    f->a1 = c->a1, f->a2 = c->a2;
}

void pt_biquad_reset(pt_biquad *f) { f->z1 = f->z2 = 0.0; }
