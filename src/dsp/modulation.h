/* modulation.h — what the modulation effects share: a low-frequency
 * oscillator, note divisions of the shared tempo, one-pole smoothing
 * coefficients, and the dry/wet laws.
 *
 * LFO rates are either a frequency in Hz or, when a node's `sync` toggle is
 * on, one cycle per note division at the shared tempo (pt_tempo_bpm()): a
 * quarter note at 120 BPM is 0.5 s, so 2 Hz. Divisions are counted in
 * quarter-note beats; dotted is 3/2 of the plain value, triplet 2/3. */
#ifndef PT_MODULATION_H
#define PT_MODULATION_H

#include <math.h>

/* NULL-terminated names for a PT_TAPER_ENUM parameter. */
extern const char *const pt_division_names[];
#define PT_DIVISIONS 15
#define PT_DIVISION_QUARTER 2 /* index of "1/4" */

/* RT: length of a division in quarter-note beats (1/4 -> 1, 1/8 dotted -> 0.75). */
double pt_division_beats(int division);
/* RT: seconds of one division at the shared tempo. */
double pt_division_seconds(int division);

typedef enum pt_lfo_shape { PT_LFO_SINE, PT_LFO_TRIANGLE, PT_LFO_SQUARE, PT_LFO_SHAPES } pt_lfo_shape;
extern const char *const pt_lfo_shape_names[];

/* A phase accumulator in cycles [0, 1), double precision so that the rate is
 * exact over hours. */
typedef struct pt_lfo {
    double phase;
} pt_lfo;

/* RT: advance by one sample at freq_hz and return the phase before the step. */
static inline double pt_lfo_step(pt_lfo *l, double freq_hz, double rate)
{
    double ph = l->phase;
    l->phase += freq_hz / rate;
    l->phase -= floor(l->phase);
    return ph;
}

/* RT: waveforms of a phase in cycles, range -1..1. The square is smoothed
 * (a steep tanh of the sine) so that it does not click. */
static inline float pt_lfo_wave(pt_lfo_shape shape, double phase)
{
    double p = phase - floor(phase);
    switch (shape) {
    case PT_LFO_TRIANGLE:
        /* in phase with the sine: 0 at p = 0, +1 at 1/4, -1 at 3/4 */
        return (float)(p < 0.25 ? 4.0 * p : p < 0.75 ? 2.0 - 4.0 * p : 4.0 * p - 4.0);
    case PT_LFO_SQUARE:
        return tanhf(8.0f * sinf((float)(2.0 * M_PI * p)));
    case PT_LFO_SINE:
    default:
        return sinf((float)(2.0 * M_PI * p));
    }
}

/* RT: the LFO rate in Hz: rate_hz, or one cycle per division when synced. */
static inline double pt_lfo_rate_hz(int sync, int division, double rate_hz)
{
    return sync ? 1.0 / pt_division_seconds(division) : rate_hz;
}

/* RT: one-pole smoothing coefficient for a time constant in ms: y += a * (x - y). */
static inline float pt_onepole_coef(double time_ms, double rate)
{
    if (time_ms <= 0.0) return 1.0f;
    return (float)(1.0 - exp(-1000.0 / (time_ms * rate)));
}

/* RT: one-pole low-pass coefficient for a cutoff in Hz (impulse-invariant). */
static inline float pt_onepole_lp_coef(double cutoff_hz, double rate)
{
    return (float)(1.0 - exp(-2.0 * M_PI * cutoff_hz / rate));
}

/* RT: dry/wet for delays and reverbs: both at full level at mix 0.5, the dry
 * fading out above it and the wet below it. */
static inline void pt_mix_echo(float mix, float *dry, float *wet)
{
    *dry = mix < 0.5f ? 1.0f : 2.0f * (1.0f - mix);
    *wet = mix > 0.5f ? 1.0f : 2.0f * mix;
}

#endif
