/* resample.h — fixed-ratio polyphase FIR resampling with a whole-sample,
 * known delay.
 *
 * For out_rate/in_rate = L/M (reduced; both rates whole Hz), output j is the
 * input, upsampled by L through a Kaiser-windowed sinc low-pass, taken at
 * upsampled index j*M + offset. The filter is linear phase and symmetric
 * about its centre, so the output is the input delayed by exactly
 * `delay` samples, whole on the side the caller asks for (input or output).
 *
 * Streaming: push input, and the resampler computes every output whose input
 * has arrived (pt_resample_process); or ask for exactly n outputs
 * (pt_resample_pull) once you know their input is there. How many outputs a
 * given amount of input yields depends only on the totals so far, never on
 * how the input was split into blocks — so a chain built on it gives the same
 * samples for any block size, with a latency one can compute in advance.
 *
 * libsamplerate (linked) was not used here because its output count per call
 * and its start-up delay are not specified as exact integers, which the graph's
 * latency compensation needs.
 */
#ifndef PT_RESAMPLE_H
#define PT_RESAMPLE_H

#include <stdint.h>

typedef struct pt_resampler {
    int L, M;         /* out/in = L/M */
    int taps;         /* per phase */
    float *h;         /* L phases x taps, each reversed for a forward dot product */
    int offset;       /* upsampled-domain offset of output 0 */
    int delay;        /* whole samples of delay, counted on the side the mode names */
    float *ring;      /* mirrored input ring, 2 * ring_len */
    int ring_len;
    int64_t n_in;     /* inputs pushed so far */
    int64_t next_out; /* index of the next output */
    int64_t next_base; /* floor((next_out*M + offset) / L): its newest input */
    int next_phase;    /* (next_out*M + offset) mod L */
} pt_resampler;

/* Largest L or M accepted (44.1k <-> 48k is 147/160). */
#define PT_RESAMPLE_MAX_FACTOR 1024

/* Which side's sample clock the delay is a whole number of. */
typedef enum pt_resample_delay {
    PT_DELAY_WHOLE_INPUT = 0, /* delay = whole input samples (offset 0) */
    PT_DELAY_WHOLE_OUTPUT     /* delay = whole output samples */
} pt_resample_delay;

/* Off the audio thread. `backlog` = the most input that may be pushed ahead
 * of the outputs pulled (sizes the ring); `half_taps` = filter half-length in
 * input samples when the output rate is not lower (scaled up when it is:
 * the pass band is always 0.46 of the lower rate, stop band ~90 dB).
 * Returns 0, or -1 if the ratio is not a small rational or memory ran out. */
int pt_resampler_init(pt_resampler *r, int in_rate, int out_rate, int backlog, int half_taps,
                      pt_resample_delay mode);
void pt_resampler_free(pt_resampler *r);

/* RT: clear history; the next output is output 0 again. */
void pt_resampler_reset(pt_resampler *r);
/* RT: start the output count at `first_out` (may be negative: outputs before
 * output 0 read the silent history). Call after reset, before any push. */
void pt_resampler_start_at(pt_resampler *r, int64_t first_out);

/* RT: push n inputs. */
void pt_resample_push(pt_resampler *r, const float *in, int n);
/* RT: how many outputs the pushed input allows now. */
int pt_resample_available(const pt_resampler *r);
/* RT: compute the next n outputs (the caller has checked they are
 * available; missing input reads as whatever is in the ring). */
void pt_resample_pull(pt_resampler *r, float *out, int n);
/* RT: push n inputs and compute every output they allow, at most max_out.
 * Returns the count. */
int pt_resample_process(pt_resampler *r, const float *in, int n, float *out, int max_out);

/* Output samples available after `total_in` inputs, for an output stream
 * starting at `first_out` — the arithmetic behind pt_resample_available,
 * for planning latencies. */
int64_t pt_resample_outputs_for(const pt_resampler *r, int64_t total_in, int64_t first_out);

#endif
