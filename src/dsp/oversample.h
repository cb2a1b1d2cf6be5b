/* oversample.h — 2x/4x/8x up- and down-sampling by cascaded polyphase
 * half-band FIR filters (Kaiser-windowed, linear phase, ~100 dB stop band).
 *
 * Each 2x stage keeps the band below 0.4167 of its lower rate (20 kHz at
 * 48 kHz) and rejects everything that would fold into it. The whole round
 * trip (up, then down) delays the signal by a whole number of base-rate
 * samples, pt_oversampler.latency, which a node declares to the graph. */
#ifndef PT_OVERSAMPLE_H
#define PT_OVERSAMPLE_H

#define PT_OS_MAX_STAGES 3

typedef struct pt_halfband_stage {
    int taps;          /* side taps: the even-indexed coefficients (h[2i]) */
    float *g;          /* taps coefficients */
    int center_delay;  /* (c-1)/2 for the up phase; (c+1)/2 for the down phase */
    float *up_hist;    /* 2*taps, mirrored ring */
    int up_pos;
    float *dn_even;    /* 2*taps, mirrored ring of even-indexed high-rate samples */
    int dn_pos;
    float *dn_odd;     /* ring of odd-indexed samples for the centre tap */
    int dn_odd_len, dn_odd_pos;
} pt_halfband_stage;

typedef struct pt_oversampler {
    int factor; /* 1, 2, 4 or 8 */
    int stages;
    pt_halfband_stage st[PT_OS_MAX_STAGES];
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
