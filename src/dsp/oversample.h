/* oversample.h — 2x/4x/8x up- and down-sampling by cascaded polyphase FIR
 * stages (Kaiser-windowed sinc, linear phase, 100 dB stop band).
 *
 * Up: each 2x stage keeps the band below 0.4167 of the base rate (20 kHz at
 * 48 kHz) and removes the images. Down: the last stage (to the base rate) is
 * a full low-pass whose stop band starts at the base rate's Nyquist, so
 * nothing the nonlinearity made between 20 kHz and 28 kHz folds back into the
 * band (a half-band filter would let it); inner stages keep everything below
 * the base Nyquist and stop what would fold into it.
 *
 * The round trip (up, then down) delays the signal by a whole number of
 * base-rate samples, pt_oversampler.latency, which a node declares. */
#ifndef PT_OVERSAMPLE_H
#define PT_OVERSAMPLE_H

#define PT_OS_MAX_STAGES 3

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

typedef struct pt_oversampler {
    int factor; /* 1, 2, 4 or 8 */
    int stages;
    pt_fir2 up[PT_OS_MAX_STAGES], down[PT_OS_MAX_STAGES];
    float *pad;  /* delay at the highest rate that makes the latency whole */
    int pad_len, pad_pos;
    int latency; /* base-rate samples for up + down */
    int max_frames;
    float *buf[2]; /* work buffers, max_frames * factor each */
} pt_oversampler;

/* Off the audio thread. factor 1 is a pass-through with latency 0. */
int pt_oversampler_init(pt_oversampler *os, int factor, int max_frames);
void pt_oversampler_free(pt_oversampler *os);
void pt_oversampler_reset(pt_oversampler *os); /* RT */

/* RT: upsample `frames` base-rate samples; returns a buffer of
 * frames * factor samples owned by the oversampler. */
float *pt_oversampler_up(pt_oversampler *os, const float *in, int frames);
/* RT: downsample frames * factor high-rate samples (usually the buffer up
 * returned, processed in place) into `frames` base-rate samples. */
void pt_oversampler_down(pt_oversampler *os, const float *high, float *out, int frames);

#endif
