/* capture_signal.c — pytone's re-amp signal, the layouts of recordings made
 * with it or with NAM's v3 signal, and the checks a take needs (latency from
 * the blips, agreement of the two validation copies). See capture_signal.h. */
#include "capture_signal.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define SR PT_CAPTURE_RATE_HZ

void pt_capture_layout_pytone(int short_version, pt_capture_layout *lo)
{
    memset(lo, 0, sizeof *lo);
    long V = (short_version ? 3 : 9) * (long)SR;
    lo->kind = short_version ? "pytone-short" : "pytone";
    lo->frames = (short_version ? 40 : 180) * (long)SR;
    lo->val_len = V;
    lo->val1_start = 0;
    lo->val2_start = lo->frames - V;
    lo->quiet_start = V + SR / 4; /* V .. V+1.25 s is silent; let the amp ring out first */
    lo->quiet_len = SR * 3 / 4;
    lo->blips[0] = V + SR * 5 / 4;
    lo->blips[1] = V + 2 * SR;
    lo->train_start = V + 3 * SR;
    lo->train_end = lo->val2_start;
}

static void layout_nam_v3(pt_capture_layout *lo)
{
    memset(lo, 0, sizeof *lo);
    lo->kind = "nam-v3";
    lo->frames = 9120000; /* 3:10 */
    lo->val_len = 432000; /* 9 s */
    lo->val1_start = 0;
    lo->val2_start = lo->frames - lo->val_len;
    lo->quiet_start = 492000;
    lo->quiet_len = 6000;
    lo->blips[0] = 504000; /* 10.5 s */
    lo->blips[1] = 552000; /* 11.5 s */
    lo->train_start = 480000;
    lo->train_end = lo->val2_start;
}

int pt_capture_layout_detect(long frames, double rate_hz, pt_capture_layout *lo, char *why,
                             size_t why_len)
{
    if (rate_hz != SR) {
        snprintf(why, why_len, "recorded at %.0f Hz; the capture signals are 48000 Hz", rate_hz);
        return -1;
    }
    pt_capture_layout a;
    for (int s = 0; s < 2; s++) {
        pt_capture_layout_pytone(s, &a);
        if (frames == a.frames) return *lo = a, 0;
    }
    layout_nam_v3(&a);
    if (frames == a.frames) return *lo = a, 0;
    snprintf(why, why_len,
             "%.1f s long (%ld samples): neither pytone's capture signal (3:00, or 0:40 with --short; "
             "`pytone capture-signal` writes it) nor NAM's v3 standard signal (3:10)",
             (double)frames / SR, frames);
    return -1;
}

/* xorshift64*: the same numbers on every machine */
typedef struct rng {
    uint64_t s;
} rng;
static double uni(rng *r)
{
    r->s ^= r->s >> 12;
    r->s ^= r->s << 25;
    r->s ^= r->s >> 27;
    return (double)((r->s * 2685821657736338717ULL) >> 11) * (1.0 / 9007199254740992.0);
}
static double pick(rng *r, double lo, double hi) { return lo + (hi - lo) * uni(r); }

/* A plucked string (Karplus-Strong): a noise burst, low-passed, circulating
 * in a delay line of one period with a little loss per trip. `mute` shortens
 * the decay (palm muting). Adds into x[0..n). */
static void pluck(rng *r, float *x, long n, double f0, double amp, int mute)
{
    float line[2048];
    int p = (int)(SR / f0 + 0.5);
    if (p < 2) p = 2;
    if (p > 2047) p = 2047;
    double lp = 0;
    for (int i = 0; i < p; i++) {
        lp = 0.5 * lp + 0.5 * pick(r, -1, 1);
        line[i] = (float)lp;
    }
    double loss = mute ? 0.96 : 0.996 + 0.003 * (f0 < 200);
    int i = 0;
    for (long t = 0; t < n; t++) {
        int j = (i + 1) % p;
        float v = line[i];
        line[i] = (float)(loss * 0.5 * (line[i] + line[j]));
        i = j;
        double env = t < 48 ? t / 48.0 : 1.0; /* pick attack, no click */
        x[t] += (float)(amp * env * v);
    }
}

static double note_hz(int semis_from_e2) { return 82.4069 * pow(2.0, semis_from_e2 / 12.0); }

/* One ~2 s phrase of kind k at peak level amp into x[0..n). */
static void phrase(rng *r, int k, double amp, float *x, long n)
{
    switch (k) {
    case 0: { /* log sweep 30 Hz .. 16 kHz */
        double f0 = 30, f1 = 16000, T = (double)n / SR, ph = 0;
        for (long t = 0; t < n; t++) {
            double f = f0 * pow(f1 / f0, (double)t / n);
            ph += 2 * M_PI * f / SR;
            double env = fmin(1.0, fmin(t, n - t) / (0.01 * SR));
            x[t] += (float)(amp * env * sin(ph));
            (void)T;
        }
        break;
    }
    case 1: { /* noise burst, white then brown-ish halves */
        double lp = 0;
        for (long t = 0; t < n; t++) {
            double w = pick(r, -1, 1);
            lp = 0.98 * lp + 0.2 * w;
            double env = fmin(1.0, fmin(t, n - t) / (0.005 * SR));
            x[t] += (float)(amp * env * (t < n / 2 ? w : fmax(-1, fmin(1, lp))));
        }
        break;
    }
    case 2: { /* single notes across the neck */
        long t = 0;
        while (t < n) {
            long len = (long)(pick(r, 0.15, 0.6) * SR);
            if (t + len > n) len = n - t;
            pluck(r, x + t, len, note_hz((int)pick(r, 0, 37)), amp * pick(r, 0.4, 1.0), 0);
            t += len;
        }
        break;
    }
    case 3: { /* chords: three to five strings strummed */
        long t = 0;
        while (t < n) {
            long len = (long)(pick(r, 0.5, 1.0) * SR);
            if (t + len > n) len = n - t;
            int root = (int)pick(r, 0, 12), m = 3 + (int)pick(r, 0, 3);
            static const int shape[5] = {0, 7, 12, 16, 19};
            for (int s = 0; s < m; s++) {
                long d = s * (long)pick(r, 0.004 * SR, 0.015 * SR);
                if (d < len) pluck(r, x + t + d, len - d, note_hz(root + shape[s]), amp * 0.35, 0);
            }
            t += len;
        }
        break;
    }
    default: { /* muted fast runs in the low register */
        long t = 0;
        while (t < n) {
            long len = (long)(pick(r, 0.08, 0.16) * SR);
            if (t + len > n) len = n - t;
            pluck(r, x + t, len, note_hz((int)pick(r, 0, 12)), amp * pick(r, 0.6, 1.0), 1);
            t += len;
        }
        break;
    }
    }
}

/* Material of n samples from seed: phrases of every kind at every level. */
static void material(uint64_t seed, float *x, long n, int validation)
{
    static const double levels[] = {0.01, 0.03, 0.08, 0.2, 0.4, 0.65, 0.89};
    const int n_levels = (int)(sizeof levels / sizeof levels[0]);
    rng r = {seed};
    memset(x, 0, (size_t)n * sizeof *x);
    long t = 0;
    int i = 0;
    while (t < n) {
        long len = (long)(pick(&r, 1.5, 2.5) * SR);
        if (t + len > n) len = n - t;
        int k = validation ? 2 + i % 3 : (int)(i % 5);
        double amp = levels[validation ? (3 + i) % n_levels : (int)pick(&r, 0, n_levels)];
        phrase(&r, k, amp, x + t, len);
        t += len;
        i++;
    }
    for (long j = 0; j < n; j++) x[j] = fmaxf(-0.98f, fminf(0.98f, x[j]));
}

void pt_capture_signal_fill(const pt_capture_layout *lo, float *x)
{
    memset(x, 0, (size_t)lo->frames * sizeof *x);
    material(0x5EED0001ULL, x + lo->val1_start, lo->val_len, 1);
    memcpy(x + lo->val2_start, x + lo->val1_start, (size_t)lo->val_len * sizeof *x);
    for (int b = 0; b < 2; b++) {
        x[lo->blips[b]] = 0.5f;
        x[lo->blips[b] + 1] = -0.5f;
    }
    material(0x5EED0002ULL, x + lo->train_start, lo->train_end - lo->train_start, 0);
}

long pt_capture_latency(const float *y, const pt_capture_layout *lo, long max_lag, float *noise)
{
    float nz = 0;
    for (long t = lo->quiet_start; t < lo->quiet_start + lo->quiet_len; t++) nz = fmaxf(nz, fabsf(y[t]));
    if (noise) *noise = nz;
    float thresh = fmaxf(3.0f * nz, 1e-4f);
    long best = -1;
    for (int b = 0; b < 2; b++) {
        for (long d = 0; d < max_lag && lo->blips[b] + d < lo->frames; d++)
            if (fabsf(y[lo->blips[b] + d]) > thresh) {
                if (best < 0 || d < best) best = d;
                break;
            }
    }
    return best;
}

double pt_capture_validation_esr(const float *y, const pt_capture_layout *lo, long latency)
{
    double e = 0, s = 0;
    for (long t = 0; t + latency < lo->val_len && lo->val2_start + t + latency < lo->frames; t++) {
        double a = y[lo->val1_start + t + latency], b = y[lo->val2_start + t + latency];
        e += (b - a) * (b - a);
        s += a * a;
    }
    return s > 0 ? e / s : 1.0;
}

static float db(float v) { return v > 0 ? 20.0f * log10f(v) : -200.0f; }

void pt_capture_check_take(const float *x, const float *y, const pt_capture_layout *lo, long max_lag,
                           pt_take_report *rep)
{
    memset(rep, 0, sizeof *rep);
    rep->latency = -1;
    float peak = 0;
    double xy = 0, xx = 0, yy = 0;
    for (long t = 0; t < lo->frames; t++) {
        float a = fabsf(y[t]);
        if (a > peak) peak = a;
        if (a >= 0.999f) rep->clipped++;
        xy += (double)x[t] * y[t];
        xx += (double)x[t] * x[t];
        yy += (double)y[t] * y[t];
    }
    rep->out_peak_db = db(peak);
    if (peak < 1e-3f) {
        rep->problem = "silent";
        snprintf(rep->reason, sizeof rep->reason,
                 "no signal came back (peak %.1f dBFS): check the cable from the amp to the interface's input "
                 "and that input's gain",
                 rep->out_peak_db);
        return;
    }
    double corr = xx > 0 && yy > 0 ? xy / sqrt(xx * yy) : 0;
    if (corr > 0.999 && fabs(10 * log10(yy / xx)) < 1.0) {
        rep->problem = "loopback";
        snprintf(rep->reason, sizeof rep->reason,
                 "the recording is the signal itself (correlation %.4f, same level): the interface is recording its "
                 "own output — is the cable in the wrong jack, or a loopback/monitor input chosen?",
                 corr);
        return;
    }
    if (rep->clipped >= 16) {
        rep->problem = "clipping";
        snprintf(rep->reason, sizeof rep->reason,
                 "the recording clips (%ld samples at full scale): turn the interface's input gain down by about "
                 "6 dB and record again",
                 rep->clipped);
        return;
    }
    if (peak < 0.0316f) {
        rep->problem = "too quiet";
        snprintf(rep->reason, sizeof rep->reason,
                 "the recording is too quiet (peak %.1f dBFS): raise the interface's input gain by about %.0f dB "
                 "(aim for a peak near -6 dBFS)",
                 rep->out_peak_db, -6.0f - rep->out_peak_db);
        return;
    }
    float noise = 0;
    rep->latency = pt_capture_latency(y, lo, max_lag, &noise);
    rep->noise_db = db(noise);
    if (rep->latency < 0) {
        rep->problem = "no blips";
        snprintf(rep->reason, sizeof rep->reason,
                 "nothing answers the latency blips at %.2f s and %.2f s within %ld samples (noise floor %.1f dBFS): "
                 "is this the recording of this signal, and is the noise gate or the room too loud?",
                 (double)lo->blips[0] / SR, (double)lo->blips[1] / SR, max_lag, rep->noise_db);
        return;
    }
    /* a level-check take (only the start of the signal) has no second copy */
    const int has_copies = lo->val2_start + lo->val_len <= lo->frames && lo->val2_start > lo->val1_start;
    rep->copies_esr = has_copies ? pt_capture_validation_esr(y, lo, rep->latency) : 0;
    if (has_copies && rep->copies_esr > PT_TAKE_MAX_COPIES_ESR) {
        rep->problem = "drift";
        snprintf(rep->reason, sizeof rep->reason,
                 "the two validation copies differ (ESR %.4f > %.2f): noise, an amp that drifted while warming up, "
                 "or a knob moved during the take — record again",
                 rep->copies_esr, PT_TAKE_MAX_COPIES_ESR);
        return;
    }
    rep->ok = 1;
    snprintf(rep->reason, sizeof rep->reason,
             "peak %.1f dBFS, noise floor %.1f dBFS, latency %ld samples, validation copies agree to ESR %.5f",
             rep->out_peak_db, rep->noise_db, rep->latency, rep->copies_esr);
}
