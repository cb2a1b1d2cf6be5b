/* oversample.h — 2x/4x/8x up- and down-sampling for nonlinear stages, in
 * cascaded factor-2 stages, with two filter families:
 *
 * - PT_OS_MINIMUM (the default, for playing): polyphase IIR half-band
 *   filters, each a pair of all-pass chains (elliptic half-band design).
 *   The round trip delays low frequencies by 2.5 (2x), 3.2 (4x) and 3.6 (8x)
 *   base-rate samples; a whole-sample pad and a first-order fractional
 *   all-pass at the highest rate top this up to a whole number of base-rate
 *   samples, `latency` (3, 4, 4), so that removing the declared latency
 *   lines the pass band up exactly at low frequencies (the delay at DC and
 *   1 kHz is the latency within 0.01 samples). The phase is not linear: the
 *   delay rises to 4.6 samples at 10 kHz and 5.8 at 15 kHz (4x), printed by
 *   tests/e2e/test_oversample_scipy.py. The pass band is flat within
 *   0.0001 dB (an elliptic half-band's pass-band ripple is tied to its stop
 *   band: below 1e-5 dB here).
 * - PT_OS_LINEAR (offline re-amping): Kaiser-windowed sinc FIR stages,
 *   linear phase, 100 dB stop band, latency 65 base-rate samples at 4x.
 *
 * Both keep the band below 20 kHz at 48 kHz (0.4167 of the base rate) and
 * stop what the nonlinearity makes above the base Nyquist from folding back
 * into it. Down: the last stage (to the base rate) must stop content just
 * above the base Nyquist (a 5 kHz tone's 5th harmonic at 25 kHz folds to
 * 23 kHz): the FIR is a full low-pass whose stop band starts at the base
 * Nyquist; the IIR half-band, whose transition is centred on the base
 * Nyquist, passes to 23 kHz and stops from 25 kHz (72 dB); content between
 * 24 and 25 kHz folds to 23-24 kHz, above the kept band.
 * Inner stages keep the whole base band and stop what would fold onto it. */
#ifndef PT_OVERSAMPLE_H
#define PT_OVERSAMPLE_H

#define PT_OS_MAX_STAGES 3
#define PT_HB_MAX_COEFS 8

typedef enum pt_os_phase { PT_OS_MINIMUM = 0, PT_OS_LINEAR = 1 } pt_os_phase;

/* One polyphase FIR branch pair for a factor-2 rate change. */
typedef struct pt_fir2 {
    int taps;          /* per phase: ceil(N / 2) */
    float *h_even;     /* h[2i] */
    float *h_odd;      /* h[2i+1] (zero-padded) */
    float *ring_a;     /* 2*taps mirrored ring, newest first */
    float *ring_b;
    int pos_a, pos_b;
    int delay;         /* (N-1)/2, in samples of the high rate */
} pt_fir2;

/* One polyphase IIR half-band filter for a factor-2 rate change:
 *     H(z) = (A0(z^2) + z^-1 A1(z^2)) / 2,
 * A0, A1 chains of first-order all-passes (a + z^-1) / (1 + a z^-1) at the
 * low rate; coefficients a[0] < a[1] < ... alternate between the branches. */
typedef struct pt_halfband {
    int n;                              /* coefficients, both branches */
    float a[PT_HB_MAX_COEFS];
    float s0[PT_HB_MAX_COEFS / 2 + 1];  /* branch 0: input, then each section's output, delayed */
    float s1[PT_HB_MAX_COEFS / 2 + 1];
    float odd;                          /* down: the odd sample before each even one */
    double delay;                       /* group delay at DC, samples of the high rate */
} pt_halfband;

typedef struct pt_oversampler {
    int factor; /* 1, 2, 4 or 8 */
    int stages;
    pt_os_phase phase;
    pt_fir2 up[PT_OS_MAX_STAGES], down[PT_OS_MAX_STAGES];        /* PT_OS_LINEAR */
    pt_halfband hb_up[PT_OS_MAX_STAGES], hb_down[PT_OS_MAX_STAGES]; /* PT_OS_MINIMUM */
    float frac_a, frac_x1, frac_y1; /* fractional all-pass at the highest rate (minimum) */
    float *pad;  /* delay at the highest rate that makes the latency whole */
    int pad_len, pad_pos;
    double delay_hi; /* round trip's DC group delay before padding, highest-rate samples */
    int latency; /* base-rate samples for up + down (+ the caller's extra delay) */
    int max_frames;
    float *buf[2]; /* work buffers, max_frames * factor each */
} pt_oversampler;

/* Off the audio thread. factor 1 is a pass-through with latency 0.
 * pt_oversampler_init is the minimum-phase kind with no extra delay. */
int pt_oversampler_init(pt_oversampler *os, int factor, int max_frames);
/* extra_hi: a delay the caller's own high-rate processing adds (e.g. half a
 * sample for first-order ADAA), in samples of the highest rate; counted in
 * `latency` and, for the minimum-phase kind, topped up to a whole number of
 * base-rate samples with it. */
int pt_oversampler_init_phase(pt_oversampler *os, int factor, int max_frames, pt_os_phase phase,
                              double extra_hi);
void pt_oversampler_free(pt_oversampler *os);
void pt_oversampler_reset(pt_oversampler *os); /* RT */

/* RT: upsample `frames` base-rate samples; returns a buffer of
 * frames * factor samples owned by the oversampler. */
float *pt_oversampler_up(pt_oversampler *os, const float *in, int frames);
/* RT: downsample frames * factor high-rate samples (usually the buffer up
 * returned, processed in place) into `frames` base-rate samples. */
void pt_oversampler_down(pt_oversampler *os, const float *high, float *out, int frames);

/* The stages, for oversample.c and the tests (tests/tools/os_probe.c). */
int pt_fir2_design(pt_fir2 *f, double pass, double stop);
void pt_fir2_free(pt_fir2 *f);
void pt_fir2_reset(pt_fir2 *f);
void pt_fir2_up(pt_fir2 *f, const float *in, float *out, int n);   /* RT */
void pt_fir2_down(pt_fir2 *f, const float *in, float *out, int n); /* RT */
/* Elliptic half-band with n all-pass coefficients (1..PT_HB_MAX_COEFS) and
 * transition band `tb` (fraction of the high rate, centred on a quarter of
 * it: pass band to (1/4 - tb/2), stop band from (1/4 + tb/2)). */
int pt_halfband_design(pt_halfband *h, int n, double tb);
void pt_halfband_reset(pt_halfband *h);
void pt_halfband_up(pt_halfband *h, const float *in, float *out, int n);   /* RT */
void pt_halfband_down(pt_halfband *h, const float *in, float *out, int n); /* RT */

#endif
