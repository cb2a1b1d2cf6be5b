/* capture_signal.h — the re-amp signal a capture is recorded with, and the
 * layout of a recording made with it (or with NAM's v3 standard signal).
 *
 * pytone's own signal (48 kHz, generated here, deterministic):
 *   [0, V)                 the validation segment
 *   [V, V+3 s)             quiet, with two latency blips at V+1.25 s, V+2 s
 *   [V+3 s, end-V)         training material: log sweeps, noise bursts,
 *                          plucked single notes, chords and muted runs across
 *                          levels (-40..-1 dBFS) and registers (E2..E6)
 *   [end-V, end)           the validation segment again (held out)
 * The full signal is 3:00 with V = 9 s; `--short` writes a 40 s one with
 * V = 3 s for quick tries and tests.
 *
 * NAM's v3 standard signal (3:10 at 48 kHz): its first 9 s and last 9 s are
 * the validation copies, blips at 10.5 s and 11.5 s, training from 10 s.
 */
#ifndef PT_CAPTURE_SIGNAL_H
#define PT_CAPTURE_SIGNAL_H

#include <stddef.h>

#define PT_CAPTURE_RATE_HZ 48000

typedef struct pt_capture_layout {
    const char *kind; /* "pytone", "pytone-short", "nam-v3" */
    long frames;
    long val_len, val1_start, val2_start; /* validation copies; the second is held out */
    long train_start, train_end;
    long blips[2];
    long quiet_start, quiet_len; /* input silence before the blips (output noise floor) */
} pt_capture_layout;

/* The layout of pytone's signal (short: the 40 s one). */
void pt_capture_layout_pytone(int short_version, pt_capture_layout *lo);
/* Fill x (lo->frames samples) with pytone's signal. */
void pt_capture_signal_fill(const pt_capture_layout *lo, float *x);

/* The layout a recording of `frames` samples at `rate_hz` was made with:
 * pytone's (either length) or NAM's v3. Returns 0, or -1 with `why` saying
 * what the length is and what is expected. */
int pt_capture_layout_detect(long frames, double rate_hz, pt_capture_layout *lo, char *why,
                             size_t why_len);

/* Round-trip latency in samples found from the blips in the recording y:
 * the first sample after each blip whose level stands clearly above the
 * noise of the quiet stretch; the smallest over the blips. -1 when no blip
 * comes back within max_lag samples. `noise` (may be NULL) gets the peak of
 * the quiet stretch. */
long pt_capture_latency(const float *y, const pt_capture_layout *lo, long max_lag, float *noise);

/* The validation copies' agreement: ESR of the second copy against the first
 * (after latency), in y. A small number means the amp and the take were
 * steady. */
double pt_capture_validation_esr(const float *y, const pt_capture_layout *lo, long latency);

/* What a take is checked for before training on it (and, in a capture
 * session, before the full take), in this order, the first failure named:
 *   silent      no signal came back (peak below -60 dBFS)
 *   loopback    the recording is the signal itself (same level, no delay,
 *               correlation > 0.999): the interface listens to its own
 *               output, or the cable is in the wrong jack
 *   clipping    16 or more samples at full scale (|y| >= 0.999)
 *   too quiet   peak below -30 dBFS: raise the gain by the dB it says
 *   no blips    nothing answers the latency blips within max_lag samples
 *   drift       the two validation copies differ by ESR > 0.01 (noise, a
 *               drifting amp, a knob moved during the take)
 * ok = 1 when none applies; `reason` then says what was measured. */
typedef struct pt_take_report {
    int ok;
    const char *problem; /* "silent", "loopback", "clipping", "too quiet", "no blips", "drift"; NULL if ok */
    char reason[320];
    float out_peak_db, noise_db;
    long clipped, latency;
    double copies_esr;
} pt_take_report;

#define PT_TAKE_MAX_COPIES_ESR 0.01

void pt_capture_check_take(const float *x, const float *y, const pt_capture_layout *lo, long max_lag,
                           pt_take_report *rep);

#endif
