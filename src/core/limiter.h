/* limiter.h — the safety limiter between the graph and the interface.
 *
 * Ears and speakers first: whatever a rig or an asset does (a raw cabinet
 * IR peaks at +5 to +22 dBFS on a normal DI, a plate reverb at +33), what
 * leaves the engine stays under a ceiling of -1 dBTP, with nothing added
 * to the engine's latency.
 *
 * Why zero latency, and how the true peak is still held. A true-peak
 * limiter in the mastering sense looks ahead (1-5 ms) so that its gain is
 * already down when a peak arrives. A guitar player hears every added
 * millisecond, and the engine promises the graph's latency and no more, so
 * this one looks back instead:
 *   - the gain is computed per sample and applied to that same sample:
 *     g[n] <= ceiling / |x[n]|, so no sample ever exceeds the sample ceiling
 *     (attack: 0 samples);
 *   - the peaks *between* samples are estimated two ways: a cubic
 *     (Catmull-Rom) through the last four samples at 1/4, 1/2 and 3/4 of the
 *     segment one sample back (a late estimate, by one sample), and the
 *     ringing a jump leaves in the reconstruction (Gibbs: ~9 % of the jump,
 *     dying over a few samples), added to the samples that follow it;
 *   - the sample ceiling sits PT_LIMITER_MARGIN_DB (1.5 dB) below the
 *     true-peak ceiling, which covers what the late estimates miss in the
 *     first samples of a sudden over (measured: a 12 kHz sine switched on at
 *     +20 dBFS comes out at -1.5 dBTP, its steady part at -2.3);
 *   - the gain then holds for 5 ms and comes back up with a 60 ms time
 *     constant, so it moves slowly once an over is under way: a slowly
 *     moving gain on a band-limited signal adds no inter-sample peaks of its
 *     own (tests/e2e/test_limiter.py measures the true peak with scipy's
 *     4x resampling of what comes out).
 * What it cannot promise without look-ahead: full-band white noise at
 * +20 dBFS (+24.7 dBTP) comes out at up to +1.4 dBTP, because each new
 * loudest inter-sample peak is known only after it has gone out. No guitar
 * rig makes such a signal; a raw plate reverb on the DI (+19.6 dBTP) comes
 * out at -2.4.
 * Below the ceiling the gain is exactly 1.0f: the output is the input, bit
 * for bit (measurement and re-amping still switch it off to be sure).
 * Stereo channels share one gain, so the image does not move.
 *
 * RT: pt_limiter_process never allocates, locks or waits. */
#ifndef PT_LIMITER_H
#define PT_LIMITER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define PT_LIMITER_CEILING_DBTP (-1.0f) /* true-peak ceiling */
#define PT_LIMITER_MARGIN_DB 1.5f       /* sample ceiling below it: -2.5 dBFS */

typedef struct pt_limiter {
    atomic_bool on;                 /* control thread writes, audio thread reads */
    atomic_uint reduction_bits;     /* float bits: the deepest reduction (dB, >= 0) in the last block */
    atomic_ullong limited_samples;  /* frames the gain was below 1, since the start */
    /* audio thread's state */
    float gain, ceiling_tp, ceiling_sample, release_coef;
    int hold, hold_len;
    float hist[2][3]; /* the last three input samples of each channel */
    float ring[2];    /* the overshoot a recent jump may still add (Gibbs) */
    /* the peak estimates' kernel for this CPU (limiter.c) */
    float (*estimates)(float *h, const float *x, int n, float *m, float *d, float *dmax);
} pt_limiter;

void pt_limiter_init(pt_limiter *l, double rate, bool on);
/* Control thread: switch on or off (off: the output is the input). */
void pt_limiter_set(pt_limiter *l, bool on);
bool pt_limiter_is_on(const pt_limiter *l);
/* Control thread: the deepest gain reduction in the most recent block (dB,
 * 0 when idle) and the frames limited since the start. */
float pt_limiter_reduction_db(const pt_limiter *l);
uint64_t pt_limiter_limited(const pt_limiter *l);

/* RT: limit in place; r may equal l (mono) or be NULL. */
void pt_limiter_process(pt_limiter *l, float *left, float *right, int frames);

#endif
