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
 * this one works in two stages, neither looking ahead.
 *
 * 1. A gain that rides the level (the musical part):
 *   - computed per sample and applied to that same sample:
 *     g[n] <= ceiling / |x[n]|, so no sample exceeds the sample ceiling,
 *     PT_LIMITER_MARGIN_DB under the true-peak one (attack: 0 samples);
 *   - the peaks *between* samples estimated two ways: a cubic (Catmull-Rom)
 *     through the last four samples at 1/4, 1/2 and 3/4 of the segment one
 *     sample back (late, by one sample), and the ringing a jump leaves in
 *     the reconstruction (Gibbs: ~9 % of the jump, dying over a few
 *     samples), added to the samples that follow it;
 *   - then held for 5 ms and brought back up with a 60 ms time constant, so
 *     it moves slowly once an over is under way: a slowly moving gain on a
 *     band-limited signal adds no inter-sample peaks of its own.
 * Its estimates are late and approximate: alone, full-band white noise at
 * +20 dBFS (+24.7 dBTP) came out at +1.3 dBTP.
 *
 * 2. A bound on what a true-peak meter will reconstruct (the guarantee):
 *   - the meter's view is linear: each value between samples, at the
 *     quarter points (4x, as ITU-R BS.1770), is a weighted sum of the 20
 *     samples around it (a Kaiser-windowed sinc cut off at the original
 *     Nyquist, the usual true-peak meter's filter);
 *   - of every such point whose sum includes the sample about to go out,
 *     part is known: the samples already sent. The rest is taken to be a
 *     *witness*, a continuation the stage could always send itself: the
 *     new sample decaying by 0.9 per sample. The sample goes out as it is
 *     when every such point, with it and the witness, stays within
 *     PT_LIMITER_CLAMP_MARGIN_DB under the ceiling; otherwise it goes out as
 *     the nearest value for which they all do (each point bounds it to an
 *     interval; the stage takes their intersection);
 *   - that value always exists: the witness's own next sample (the last one
 *     times 0.9) satisfies every point just as the witness did one sample
 *     earlier (a point that opens one sample later sees the witness only
 *     after ten of its decays: about a third of the last sample, itself
 *     within the bound), and each point's sum, once its last sample is
 *     out, was checked whole. So the reconstructed peak stays under the ceiling for
 *     any input (noise, square waves, impulses), the first sample included,
 *     as long as the stream goes on (a file that stops dead while loud
 *     ends in a cut to silence the stage never sent);
 *   - a decaying witness rather than silence, because silence after a
 *     loud smooth signal rings (Gibbs) by up to 9 %: with it, a sine at
 *     -1.5 dBFS would be clamped; with the decay it passes untouched.
 * The second stage is hard (it distorts while it acts), so the first does
 * the work on anything loud: the stage acts on the overs its estimates
 * miss and never on normal material (the factory rigs on the DI, the
 * loudest at -1.4 dBTP, pass bit for bit). It sits 0.2 dB under the
 * ceiling for meters whose filter differs from this one
 * (tests/e2e/test_limiter.py reads the output with three).
 * Below both the gain is exactly 1.0f and stage 2 lets every sample out as
 * it is: the output is the input, bit for bit (measurement and re-amping
 * still switch the limiter off to be sure).
 * Stereo channels share one gain, so the image does not move.
 *
 * RT: pt_limiter_process never allocates, locks or waits. */
#ifndef PT_LIMITER_H
#define PT_LIMITER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define PT_LIMITER_CEILING_DBTP (-1.0f) /* true-peak ceiling */
#define PT_LIMITER_MARGIN_DB 0.3f       /* the gain's sample ceiling below it: -1.3 dBFS */
#define PT_LIMITER_CLAMP_MARGIN_DB 0.2f /* the bound of stage 2 below it: -1.2 dBTP */

/* Stage 2's interpolator: the 4x points between samples that a sample
 * still contributes to (TP_SPAN samples on each side of it, three points
 * between each pair: 60 open points per channel), their partial sums kept
 * in a ring of segments by phase. */
enum {
    PT_LIMITER_TP_SPAN = 10, /* samples each side of a point */
    PT_LIMITER_TP_RING = 32  /* segments in the ring (>= 2 * TP_SPAN, a power of 2) */
};

typedef struct pt_limiter {
    atomic_bool on;                 /* control thread writes, audio thread reads */
    atomic_uint reduction_bits;     /* float bits: the deepest reduction (dB, >= 0) in the last block */
    atomic_ullong limited_samples;  /* frames either stage changed, since the start */
    /* audio thread's state */
    float gain, ceiling_tp, ceiling_sample, release_coef;
    int hold, hold_len;
    float hist[2][3]; /* the last three input samples of each channel */
    float ring[2];    /* the overshoot a recent jump may still add (Gibbs) */
    /* stage 2 (limiter.c, tp_design): for each phase, the weight of the
     * sample going out for the point of each open segment, oldest first,
     * twice over so that a window of it lines up with the ring (0 for the
     * segments not open); the same with the witness after it; for the
     * open segments 1/|that| and its sign; the centre point's weight; the
     * bound; each channel's last sample; the samples since the start (mod
     * the ring); the partial sums of each channel's points, by phase and
     * segment (segment m at m mod TP_RING) */
    float tp_w[3][2 * PT_LIMITER_TP_RING], tp_we[3][2 * PT_LIMITER_TP_RING];
    float tp_inv[3][2 * PT_LIMITER_TP_SPAN], tp_sign[3][2 * PT_LIMITER_TP_SPAN];
    float tp_w0, tp_ceiling, tp_last[2];
    float tp_quiet; /* no sample louder than this in a point's window: it cannot reach the bound */
    unsigned tp_n;
    bool tp_summed[2]; /* tp_acc holds the channel's sums (not after a quiet stretch) */
    float tp_hist[2][PT_LIMITER_TP_RING]; /* the samples out, at n mod TP_RING */
    bool tp_stale; /* it was off: what went out since is not in the sums */
    float tp_acc[2][3][PT_LIMITER_TP_RING] __attribute__((aligned(32)));
    /* the peak estimates' and stage 2's kernels for this CPU (limiter.c) */
    float (*estimates)(float *h, const float *x, int n, float *m, float *d, float *dmax);
    int (*tp_clamp)(struct pt_limiter *l, int ch, float *x, int n, float *ratio);
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
