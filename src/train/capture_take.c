/* capture_take.c — a take through an interface (see capture_take.h). */
#include "capture_take.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../core/engine.h"
#include "../io/backend.h"
#include "capture_signal.h"

/* What the audio thread sees: the take in progress (NULL: play silence) and
 * a count of blocks, so the control thread knows when an old take is let go. */
struct pt_capture_device {
    const pt_backend_ops *ops;
    pt_backend *b;
    int started;
    _Atomic(pt_engine_tap *) job;
    atomic_ullong blocks;
};

/* RT: plays the take on both outputs and records the input, in step. */
static void cap_callback(void *user, const float *in, float *out_l, float *out_r, int frames)
{
    pt_capture_device *c = user;
    pt_engine_tap *j = atomic_load_explicit(&c->job, memory_order_acquire);
    if (j) {
        pt_engine_tap_run(j, in, out_l, out_r, frames);
    } else {
        memset(out_l, 0, (size_t)frames * sizeof *out_l);
        if (out_r) memset(out_r, 0, (size_t)frames * sizeof *out_r);
    }
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

/* Where a take runs: a capture device of its own, or the engine's device. */
typedef struct take_place {
    void (*set)(void *ctx, pt_engine_tap *t);
    uint64_t (*blocks)(void *ctx);
    int (*alive)(void *ctx);
    void *ctx;
} take_place;

static int run_take(const take_place *tp, const float *x, long n, long pre, float gain, float *y,
                    const atomic_int *cancel, atomic_long *done, pt_error *err)
{
    const long total = pre + n + PT_CAPTURE_MAX_LAG;
    pt_engine_tap *j = calloc(1, sizeof *j);
    float *play = calloc((size_t)total, sizeof *play), *rec = calloc((size_t)total, sizeof *rec);
    if (!j || !play || !rec)
        return free(j), free(play), free(rec), pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
    memcpy(play + pre, x, (size_t)n * sizeof *x);
    j->play = play;
    j->rec = rec;
    j->n = total;
    j->gain = gain;
    atomic_store(&j->pos, 0);
    tp->set(tp->ctx, j);
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
        if (!tp->alive(tp->ctx) || stalled > 100) {
            rc = pt_error_set(err, PT_ERR_IO, NULL, 0, 0, "the audio device stopped during the take");
            break;
        }
    }
    tp->set(tp->ctx, NULL);
    /* two more blocks: the audio thread has let go of the take */
    uint64_t b0 = tp->blocks(tp->ctx);
    for (int i = 0; i < 100 && tp->blocks(tp->ctx) < b0 + 2 && tp->alive(tp->ctx); i++) nap_ms(10);
    if (!rc) memcpy(y, rec + pre, (size_t)n * sizeof *y);
    free(j), free(play), free(rec);
    return rc;
}

static void dev_set(void *ctx, pt_engine_tap *t)
{
    atomic_store_explicit(&((pt_capture_device *)ctx)->job, t, memory_order_release);
}
static uint64_t dev_blocks(void *ctx)
{
    return atomic_load_explicit(&((pt_capture_device *)ctx)->blocks, memory_order_acquire);
}
static int dev_alive(void *ctx)
{
    pt_capture_device *d = ctx;
    return d->ops->alive(d->b);
}

int pt_capture_device_take(pt_capture_device *d, const float *x, long n, long pre, float gain, float *y,
                           const atomic_int *cancel, atomic_long *done, pt_error *err)
{
    take_place tp = {dev_set, dev_blocks, dev_alive, d};
    return run_take(&tp, x, n, pre, gain, y, cancel, done, err);
}

static void eng_set(void *ctx, pt_engine_tap *t) { pt_engine_set_tap(ctx, t); }
static uint64_t eng_blocks(void *ctx) { return pt_engine_blocks(ctx); }
static int eng_alive(void *ctx)
{
    (void)ctx;
    return 1; /* a device that goes away stops the blocks: the take stalls and ends */
}

int pt_capture_engine_take(pt_engine *e, const float *x, long n, long pre, float gain, float *y,
                           const atomic_int *cancel, atomic_long *done, pt_error *err)
{
    take_place tp = {eng_set, eng_blocks, eng_alive, e};
    return run_take(&tp, x, n, pre, gain, y, cancel, done, err);
}

void pt_capture_device_close(pt_capture_device *d)
{
    if (!d) return;
    if (d->started) d->ops->stop(d->b);
    if (d->b) d->ops->close(d->b);
    free(d);
}
