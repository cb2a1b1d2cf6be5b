/* biquad.h — second-order sections with the shapes of Robert Bristow-Johnson's
 * "Cookbook formulae for audio EQ biquad filter coefficients". Coefficients
 * are designed in double precision; the filter runs in transposed direct
 * form II. */
#ifndef PT_BIQUAD_H
#define PT_BIQUAD_H

typedef enum pt_biquad_shape {
    PT_BQ_LOWPASS,
    PT_BQ_HIGHPASS,
    PT_BQ_BANDPASS, /* constant 0 dB peak gain */
    PT_BQ_NOTCH,
    PT_BQ_PEAK,
    PT_BQ_LOWSHELF,
    PT_BQ_HIGHSHELF,
    PT_BQ_SHAPES
} pt_biquad_shape;

extern const char *const pt_biquad_shape_names[]; /* NULL-terminated */

typedef struct pt_biquad_coefs {
    double b0, b1, b2, a1, a2; /* normalised: a0 = 1 */
} pt_biquad_coefs;

/* Coefficients and state in double: low corners at high rates put the poles
 * so close to z = 1 that float coefficients shift the response by 0.1 dB. */
typedef struct pt_biquad {
    double b0, b1, b2, a1, a2;
    double z1, z2;
} pt_biquad;

/* Cookbook design. q is Q for every shape (shelves use the cookbook's Q form,
 * S = 1 corresponds to q = 1/sqrt(2)). */
void pt_biquad_design(pt_biquad_coefs *c, pt_biquad_shape shape, double rate, double freq_hz,
                      double q, double gain_db);
/* |H(e^jw)| in dB of a designed section at freq_hz. */
double pt_biquad_response_db(const pt_biquad_coefs *c, double rate, double freq_hz);
void pt_biquad_set(pt_biquad *f, const pt_biquad_coefs *c); /* RT */
void pt_biquad_reset(pt_biquad *f);                          /* RT */

/* RT */
static inline float pt_biquad_tick(pt_biquad *f, float x)
{
    double y = f->b0 * x + f->z1;
    f->z1 = f->b1 * x - f->a1 * y + f->z2;
    f->z2 = f->b2 * x - f->a2 * y;
    return (float)y;
}

#endif
