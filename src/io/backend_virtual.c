/* backend_virtual.c — a real-time device for machines without an audio
 * interface. A thread wakes once per period on an absolute clock (as a sound
 * card's interrupt would), feeds the next block of a looped input file (the
 * bundled DI clip by default) to the callback, and keeps what comes out for
 * an optional recording written when the device closes. The thread plays the
 * hardware's part: the callback itself is the same RT code as on JACK. */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audiofile.h"
#include "backend.h"
#include "core/datadir.h"
#include "platform/platform.h"

typedef struct vdev {
    pt_backend base;
    double rate;
    int frames;
    pt_audio input;
    long in_pos;
    float *in_block, *out_l, *out_r;
    float *rec[2];
    long rec_frames, rec_pos;
    char *record_file;
    pthread_t thread;
    atomic_int running;
    int started;
    pt_audio_callback cb;
    void *user;
    char desc[1200];
} vdev;

#define DEFAULT_DI "assets/di/guitar_di.wav"

static int v_list(FILE *out, pt_error *err)
{
    (void)err;
    fprintf(out, "virtual: a clocked real-time device playing a looped WAV (default %s)\n",
            DEFAULT_DI);
    return 0;
}

/* The bundled clip, from the data folder (core/datadir.h): the source tree,
 * or where pytone is installed, wherever it runs from. */
static const char *find_di(void)
{
    static char buf[1024];
    pt_data_path(DEFAULT_DI, buf, sizeof buf);
    return buf;
}

static int v_open(pt_backend **out, const pt_backend_config *cfg, pt_error *err)
{
    vdev *d = calloc(1, sizeof *d);
    if (!d) return pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
    d->base.ops = &pt_backend_virtual;
    d->rate = cfg->rate > 0 ? cfg->rate : 48000.0;
    d->frames = cfg->frames > 0 ? cfg->frames : 64;
    const char *in = cfg->input_file ? cfg->input_file : find_di();
    int rc = pt_audio_read_mono(in, &d->input, err);
    if (!rc) rc = pt_audio_resample(&d->input, d->rate, err);
    if (rc) {
        pt_audio_free(&d->input);
        free(d);
        return rc;
    }
    d->in_block = calloc((size_t)d->frames, sizeof(float));
    d->out_l = calloc((size_t)d->frames, sizeof(float));
    d->out_r = calloc((size_t)d->frames, sizeof(float));
    if (cfg->record_file) {
        double secs = cfg->record_seconds > 0 ? cfg->record_seconds : 60.0;
        d->rec_frames = (long)(secs * d->rate);
        d->rec[0] = calloc((size_t)d->rec_frames, sizeof(float));
        d->rec[1] = calloc((size_t)d->rec_frames, sizeof(float));
        d->record_file = strdup(cfg->record_file);
    }
    if (!d->in_block || !d->out_l || !d->out_r ||
        (cfg->record_file && (!d->rec[0] || !d->rec[1] || !d->record_file))) {
        pt_backend_virtual.close(&d->base);
        return pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
    }
    snprintf(d->desc, sizeof d->desc, "virtual device, %.0f Hz, %d frames, input %s", d->rate,
             d->frames, in);
    *out = &d->base;
    return 0;
}

static void *v_thread(void *arg)
{
    vdev *d = arg;
    struct sched_param sp = {.sched_priority = 70};
    pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp); /* best effort */
    pt_backend_prefault_stack();
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    long period_ns = (long)((double)d->frames * 1e9 / d->rate + 0.5);
    while (atomic_load_explicit(&d->running, memory_order_acquire)) {
        for (int i = 0; i < d->frames; i++) {
            d->in_block[i] = d->input.ch[0][d->in_pos];
            if (++d->in_pos >= d->input.frames) d->in_pos = 0;
        }
        d->cb(d->user, d->in_block, d->out_l, d->out_r, d->frames);
        if (d->rec[0]) {
            for (int i = 0; i < d->frames && d->rec_pos < d->rec_frames; i++, d->rec_pos++) {
                d->rec[0][d->rec_pos] = d->out_l[i];
                d->rec[1][d->rec_pos] = d->out_r[i];
            }
        }
        next.tv_nsec += period_ns;
        while (next.tv_nsec >= 1000000000L) {
            next.tv_nsec -= 1000000000L;
            next.tv_sec++;
        }
        uint64_t next_ns = (uint64_t)next.tv_sec * 1000000000ull + (uint64_t)next.tv_nsec;
        while (pt_sleep_until_ns(next_ns) == EINTR) { /* macOS has no clock_nanosleep */
        }
    }
    return NULL;
}

static int v_start(pt_backend *b, pt_audio_callback cb, void *user, pt_error *err)
{
    vdev *d = (vdev *)b;
    d->cb = cb;
    d->user = user;
    atomic_store(&d->running, 1);
    if (pthread_create(&d->thread, NULL, v_thread, d) != 0) {
        atomic_store(&d->running, 0);
        return pt_error_set(err, PT_ERR, NULL, 0, 0, "cannot start the virtual device's thread");
    }
    d->started = 1;
    return 0;
}

static void v_stop(pt_backend *b)
{
    vdev *d = (vdev *)b;
    if (!d->started) return;
    atomic_store(&d->running, 0);
    pthread_join(d->thread, NULL);
    d->started = 0;
}

static void v_close(pt_backend *b)
{
    vdev *d = (vdev *)b;
    v_stop(b);
    if (d->record_file && d->rec[0]) {
        pt_error err = {0};
        const float *ch[2] = {d->rec[0], d->rec[1]};
        if (pt_audio_write(d->record_file, ch, 2, d->rec_pos, d->rate, &err) != 0)
            pt_error_print(&err, stderr);
    }
    pt_audio_free(&d->input);
    free(d->in_block);
    free(d->out_l);
    free(d->out_r);
    free(d->rec[0]);
    free(d->rec[1]);
    free(d->record_file);
    free(d);
}

static double v_rate(pt_backend *b) { return ((vdev *)b)->rate; }
static int v_frames(pt_backend *b) { return ((vdev *)b)->frames; }
static int v_alive(pt_backend *b) { return 1; }
static void v_set_latency(pt_backend *b, int samples) { (void)b, (void)samples; }
static unsigned long v_xruns(pt_backend *b) { return 0; }
static const char *v_desc(pt_backend *b) { return ((vdev *)b)->desc; }

const pt_backend_ops pt_backend_virtual = {
    .name = "virtual",
    .list = v_list,
    .open = v_open,
    .start = v_start,
    .stop = v_stop,
    .close = v_close,
    .rate = v_rate,
    .frames = v_frames,
    .alive = v_alive,
    .set_latency = v_set_latency,
    .host_xruns = v_xruns,
    .description = v_desc,
};
