/* capture_take.c — a take through an interface (see capture_take.h). */
#include "capture_take.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../io/backend.h"
#include "capture_signal.h"

/* One take: what to play, where to record. */
typedef struct cap_job {
    const float *play;
    float *rec;
    long n;
    float gain;
    _Atomic long pos;
} cap_job;

/* What the audio thread sees: the take in progress (NULL: play silence) and
 * a count of blocks, so the control thread knows when an old take is let go. */
struct pt_capture_device {
    const pt_backend_ops *ops;
    pt_backend *b;
    int started;
    _Atomic(cap_job *) job;
    _Atomic long blocks;
};

/* RT: plays the take on both outputs and records the input, in step. */
static void cap_callback(void *user, const float *in, float *out_l, float *out_r, int frames)
{
    pt_capture_device *c = user;
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

pt_capture_device *pt_capture_device_open(const char *backend, const char *device, const char *jack_input,
                                          const char *jack_output, const char *client, pt_error *err)
{
    const pt_backend_ops *ops = pt_backend_find(backend ? backend : "jack");
    if (!ops && !backend) ops = pt_backend_find("portaudio");
    if (!ops || !strcmp(ops->name, "virtual")) {
        pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "%s: a capture needs a real interface (jack or portaudio)",
                     backend ? backend : "no JACK or PortAudio in this build");
        return NULL;
    }
    pt_capture_device *d = calloc(1, sizeof *d);
    if (!d) return pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory"), NULL;
    d->ops = ops;
    atomic_init(&d->job, NULL);
    atomic_init(&d->blocks, 0);
    pt_backend_config cfg = {0};
    cfg.device = device;
    cfg.rate = PT_CAPTURE_RATE_HZ;
    cfg.client_name = client;
    cfg.jack_input = jack_input;
    cfg.jack_output = jack_output;
    if (ops->open(&d->b, &cfg, err)) {
        free(d);
        return NULL;
    }
    if (ops->rate(d->b) != PT_CAPTURE_RATE_HZ) {
        pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                     "%s runs at %.0f Hz; the capture signal is 48000 Hz: set the interface to 48 kHz",
                     ops->description(d->b), ops->rate(d->b));
        pt_capture_device_close(d);
        return NULL;
    }
    if (ops->start(d->b, cap_callback, d, err)) {
        pt_capture_device_close(d);
        return NULL;
    }
    d->started = 1;
    return d;
}

const char *pt_capture_device_description(pt_capture_device *d) { return d->ops->description(d->b); }

int pt_capture_device_take(pt_capture_device *d, const float *x, long n, long pre, float gain, float *y,
                           const atomic_int *cancel, atomic_long *done, pt_error *err)
{
    const long total = pre + n + PT_CAPTURE_MAX_LAG;
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
    atomic_store_explicit(&d->job, j, memory_order_release);
    long last = -1;
    int stalled = 0, rc = 0;
    while (atomic_load_explicit(&j->pos, memory_order_acquire) < total) {
        nap_ms(50);
        long p = atomic_load_explicit(&j->pos, memory_order_acquire);
        if (done) atomic_store(done, p);
        stalled = p == last ? stalled + 1 : 0;
        last = p;
        if (cancel && atomic_load(cancel)) {
            rc = pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "cancelled");
            break;
        }
        if (!d->ops->alive(d->b) || stalled > 100) {
            rc = pt_error_set(err, PT_ERR_IO, NULL, 0, 0, "the audio device stopped during the take");
            break;
        }
    }
    atomic_store_explicit(&d->job, NULL, memory_order_release);
    /* two more blocks: the audio thread has let go of the take */
    long b0 = atomic_load_explicit(&d->blocks, memory_order_acquire);
    for (int i = 0; i < 100 && atomic_load_explicit(&d->blocks, memory_order_acquire) < b0 + 2 && d->ops->alive(d->b);
         i++)
        nap_ms(10);
    if (!rc) memcpy(y, rec + pre, (size_t)n * sizeof *y);
    free(j), free(play), free(rec);
    return rc;
}

void pt_capture_device_close(pt_capture_device *d)
{
    if (!d) return;
    if (d->started) d->ops->stop(d->b);
    if (d->b) d->ops->close(d->b);
    free(d);
}
