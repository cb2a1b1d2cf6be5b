/* capture_cmd.c — `pytone capture`: plays pytone's capture signal through an
 * interface (JACK or PortAudio) into the amp and records what comes back.
 *
 * First a level check: the start of the signal (the validation segment and
 * the blips) is played and recorded, and the take checks (capture_signal.h:
 * silence, loopback, clipping, too quiet, no blips) run on it; a failure
 * ends here with what to change. Then the full take, checked again (with
 * the two validation copies compared) and written only when it passes. The
 * recording is written as played, sample for sample against the signal; the
 * latency the blips show is printed and `pytone train` removes it. */
#include "capture_cmd.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "io/audiofile.h"
#include "io/backend.h"
#include "train/capture_signal.h"

#define MAX_LAG 9600 /* 200 ms */

/* One take: what to play, where to record. */
typedef struct cap_job {
    const float *play;
    float *rec;
    long n;
    float gain;
    _Atomic long pos;
} cap_job;

/* What the audio thread sees: the take in progress (NULL: play silence) and
 * a count of blocks, so the main thread knows when an old take is let go. */
typedef struct cap_rt {
    _Atomic(cap_job *) job;
    _Atomic long blocks;
} cap_rt;

/* RT: plays the take on both outputs and records the input, in step. */
static void cap_callback(void *user, const float *in, float *out_l, float *out_r, int frames)
{
    cap_rt *c = user;
    cap_job *j = atomic_load_explicit(&c->job, memory_order_acquire);
    long p = j ? atomic_load_explicit(&j->pos, memory_order_relaxed) : 0;
    for (int i = 0; i < frames; i++, p++) {
        float v = j && p < j->n ? j->gain * j->play[p] : 0.0f;
        out_l[i] = v;
        if (out_r) out_r[i] = v;
        if (j && p < j->n) j->rec[p] = in ? in[i] : 0.0f;
    }
    if (j) atomic_store_explicit(&j->pos, p, memory_order_release);
    atomic_fetch_add_explicit(&c->blocks, 1, memory_order_release);
}

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Plays x[0..n) after `pre` samples of silence and records as long again
 * plus MAX_LAG; y[0..n) gets the recording aligned with x as played. The
 * device keeps running between takes (JACK would drop its connections). */
static int play_and_record(const pt_backend_ops *ops, pt_backend *b, cap_rt *c, const float *x, long n, long pre,
                           float gain, float *y, pt_error *err)
{
    const long total = pre + n + MAX_LAG;
    cap_job *j = calloc(1, sizeof *j);
    float *play = calloc((size_t)total, sizeof *play), *rec = calloc((size_t)total, sizeof *rec);
    if (!j || !play || !rec)
        return free(j), free(play), free(rec), pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
    memcpy(play + pre, x, (size_t)n * sizeof *x);
    j->play = play;
    j->rec = rec;
    j->n = total;
    j->gain = gain;
    atomic_store(&j->pos, 0);
    atomic_store_explicit(&c->job, j, memory_order_release);
    long last = -1;
    int stalled = 0, rc = 0;
    while (atomic_load_explicit(&j->pos, memory_order_acquire) < total) {
        nap_ms(50);
        long p = atomic_load_explicit(&j->pos, memory_order_acquire);
        stalled = p == last ? stalled + 1 : 0;
        last = p;
        if (!ops->alive(b) || stalled > 100) {
            rc = pt_error_set(err, PT_ERR_IO, NULL, 0, 0, "the audio device stopped during the take");
            break;
        }
    }
    atomic_store_explicit(&c->job, NULL, memory_order_release);
    /* two more blocks: the audio thread has let go of the take */
    long b0 = atomic_load_explicit(&c->blocks, memory_order_acquire);
    for (int i = 0; i < 100 && atomic_load_explicit(&c->blocks, memory_order_acquire) < b0 + 2 && ops->alive(b); i++)
        nap_ms(10);
    if (!rc) memcpy(y, rec + pre, (size_t)n * sizeof *y);
    free(j), free(play), free(rec);
    return rc;
}

static const char *capture_help =
    "usage: pytone capture RECORDING.wav [--backend jack|portaudio] [--device NAME] [--short]\n"
    "                      [--pre-roll S] [--output-gain-db G]\n"
    "\n"
    "Plays pytone's capture signal (pytone capture-signal) out of the interface into the\n"
    "amp and records the amp's output from the interface's input (JACK: pytone-capture:out_1\n"
    "to the amp, the amp to pytone-capture:in_1; connected to the system ports unless\n"
    "PT_JACK_NO_AUTOCONNECT is set). A level check on the start of the signal comes first;\n"
    "then the full take. Each is checked (silence, a loopback, clipping, too quiet, no answer\n"
    "to the latency blips, the two validation copies disagreeing) and refused with what to\n"
    "change; a good take is written, sample for sample against the signal, for\n"
    "`pytone train SIGNAL.wav RECORDING.wav`. --pre-roll: seconds of silence first\n"
    "(default 0.5), --output-gain-db: the signal's level out of the interface (default 0).\n";

int cli_capture(int argc, char **argv)
{
    const char *path = NULL, *backend = NULL, *device = NULL;
    int short_version = 0;
    double pre_s = 0.5, gain_db = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) return fputs(capture_help, stdout), 0;
        if (!strcmp(a, "--short"))
            short_version = 1;
        else if ((!strcmp(a, "--backend") || !strcmp(a, "--device") || !strcmp(a, "--pre-roll") ||
                  !strcmp(a, "--output-gain-db")) &&
                 i + 1 < argc) {
            const char *v = argv[++i];
            if (!strcmp(a, "--backend"))
                backend = v;
            else if (!strcmp(a, "--device"))
                device = v;
            else {
                char *end;
                double d = strtod(v, &end);
                if (!*v || *end || !isfinite(d) || (!strcmp(a, "--pre-roll") && (d < 0 || d > 60)) ||
                    (!strcmp(a, "--output-gain-db") && (d < -60 || d > 0))) {
                    fprintf(stderr, "pytone capture: %s %s: out of range\n", a, v);
                    return 2;
                }
                if (!strcmp(a, "--pre-roll"))
                    pre_s = d;
                else
                    gain_db = d;
            }
        } else if (a[0] == '-' || path) {
            fprintf(stderr, "pytone capture: unexpected '%s'\n%s", a, capture_help);
            return 2;
        } else
            path = a;
    }
    if (!path) return fputs(capture_help, stderr), 2;
    const pt_backend_ops *ops = pt_backend_find(backend ? backend : "jack");
    if (!ops && !backend) ops = pt_backend_find("portaudio");
    if (!ops || !strcmp(ops->name, "virtual")) {
        fprintf(stderr, "pytone capture: %s: a capture needs a real interface (jack or portaudio)\n",
                backend ? backend : "no JACK or PortAudio in this build");
        return 2;
    }
    pt_capture_layout lo;
    pt_capture_layout_pytone(short_version, &lo);
    float *x = malloc((size_t)lo.frames * sizeof *x), *y = malloc((size_t)lo.frames * sizeof *y);
    if (!x || !y) return fputs("pytone capture: out of memory\n", stderr), 1;
    pt_capture_signal_fill(&lo, x);

    pt_error err = {0};
    pt_backend *b = NULL;
    pt_backend_config cfg = {0};
    cfg.device = device;
    cfg.rate = PT_CAPTURE_RATE_HZ;
    cfg.client_name = "pytone-capture";
    int rc = 1, started = 0;
    if (ops->open(&b, &cfg, &err)) goto fail;
    if (ops->rate(b) != PT_CAPTURE_RATE_HZ) {
        fprintf(stderr, "pytone capture: %s runs at %.0f Hz; the capture signal is 48000 Hz: set the interface to 48 kHz\n",
                ops->description(b), ops->rate(b));
        rc = 2;
        goto done;
    }
    cap_rt crt;
    atomic_init(&crt.job, NULL);
    atomic_init(&crt.blocks, 0);
    if (ops->start(b, cap_callback, &crt, &err)) goto fail;
    started = 1;
    const float gain = powf(10.0f, (float)gain_db / 20.0f);
    const long pre = (long)(pre_s * PT_CAPTURE_RATE_HZ);
    fprintf(stderr, "capture: %s; level check (%.1f s)...\n", ops->description(b),
            (double)lo.train_start / PT_CAPTURE_RATE_HZ);
    /* the level check: the signal up to the training material */
    pt_capture_layout pre_lo = lo;
    pre_lo.frames = lo.train_start;
    pt_take_report rep;
    if (play_and_record(ops, b, &crt, x, pre_lo.frames, pre, gain, y, &err)) goto fail;
    pt_capture_check_take(x, y, &pre_lo, MAX_LAG, &rep);
    if (!rep.ok) {
        fprintf(stderr, "pytone capture: level check: %s\n", rep.reason);
        rc = 2;
        goto done;
    }
    fprintf(stderr, "capture: level check passed (%s); the full take (%.0f s)...\n", rep.reason,
            (double)lo.frames / PT_CAPTURE_RATE_HZ);
    if (play_and_record(ops, b, &crt, x, lo.frames, pre, gain, y, &err)) goto fail;
    pt_capture_check_take(x, y, &lo, MAX_LAG, &rep);
    if (!rep.ok) {
        fprintf(stderr, "pytone capture: take refused: %s\n", rep.reason);
        rc = 2;
        goto done;
    }
    const float *ch[1] = {y};
    if (pt_audio_write(path, ch, 1, lo.frames, PT_CAPTURE_RATE_HZ, &err)) goto fail;
    printf("%s: %s; train with: pytone train SIGNAL.wav %s -o MODEL.nam%s\n", path, rep.reason, path,
           short_version ? " (SIGNAL.wav from pytone capture-signal --short)" : "");
    rc = 0;
    goto done;
fail:
    fputs("pytone capture: ", stderr);
    pt_error_print(&err, stderr);
done:
    if (started) ops->stop(b);
    if (b) ops->close(b);
    free(x);
    free(y);
    return rc;
}
