/* capture_job.c — the Capture page's background job (see capture_job.h).
 *
 * One job at a time, on a thread the job starts and joins; the lock `mu`
 * guards what the state shows and is never held while the job works, so a
 * state request waits for nothing. The result buffers (the signal, the take,
 * the A/B clips) are written by the job's thread only while it runs and read
 * by the control threads only when it does not. */
#include "capture_job.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../conv/conv.h"
#include "../core/engine.h"
#include "../io/audiofile.h"
#include "../io/backend.h"
#include "../neural/nam_file.h"
#include "../neural/nam_model.h"
#include "../train/capture_signal.h"
#include "../train/capture_take.h"
#include "../train/trainer.h"
#include "libpath.h"
#include "platform/platform.h"

#define PRE_ROLL (PT_CAPTURE_RATE_HZ / 2) /* silence before a take, as `pytone capture` */
#define RENDER_FRAMES 256
#define MAX_HISTORY 10000 /* epochs shown on the ESR curve */

typedef enum { JOB_IDLE, JOB_CHECK, JOB_RECORD, JOB_TRAIN } job_kind;
static const char *const kind_names[] = {"idle", "level_check", "record", "train"};

struct pt_capture_job {
    pthread_mutex_t mu;
    pthread_t thread;
    bool thread_live, running;
    atomic_int cancel;
    atomic_long done; /* samples played of the current take */
    long total;       /* samples the current take plays (level check, then full take) */
    job_kind kind;
    char message[256], error[512];
    char dir[PATH_MAX]; /* the private folder: signal.wav, take.wav, model.nam */

    /* what the running job was asked for */
    char source[16], device[256], input[256], output[256];
    pt_rig *rig;
    pt_engine *engine;
    double gain_db;
    bool full;
    pt_capture_train_opts topt;
    char arch[16], name[128], gear[128];

    /* results */
    bool have_check, have_take, have_model, train_shown, cancelled;
    pt_take_report check, take;
    pt_capture_layout lo; /* of the take */
    char take_source[16];
    pt_train_progress tp;
    char model_arch[16];
    double *esr;
    int n_esr;
    float *ab_rec, *ab_model; /* the held-out validation segment: recorded, modelled */
    long ab_n;
    char saved[PATH_MAX];
};

pt_capture_job *pt_capture_job_create(void)
{
    pt_capture_job *j = calloc(1, sizeof *j);
    if (!j) return NULL;
    pthread_mutex_init(&j->mu, NULL);
    atomic_init(&j->cancel, 0);
    atomic_init(&j->done, 0);
    return j;
}

static void path_in(const pt_capture_job *j, const char *name, char *out, size_t size)
{
    snprintf(out, size, "%s/%s", j->dir, name);
}

static void remove_files(pt_capture_job *j)
{
    if (!j->dir[0]) return;
    static const char *const names[] = {"signal.wav", "take.wav", "model.nam", "model.nam.ckpt", "model.nam.ckpt.tmp",
                                        NULL};
    char p[PATH_MAX + 32];
    for (int i = 0; names[i]; i++) {
        path_in(j, names[i], p, sizeof p);
        unlink(p);
    }
    rmdir(j->dir);
}

void pt_capture_job_destroy(pt_capture_job *j)
{
    if (!j) return;
    atomic_store(&j->cancel, 1);
    if (j->thread_live) pthread_join(j->thread, NULL);
    remove_files(j);
    pt_rig_free(j->rig);
    free(j->esr);
    free(j->ab_rec);
    free(j->ab_model);
    pthread_mutex_destroy(&j->mu);
    free(j);
}

/* ------------------------------------------------------------ the job's thread */

static void say(pt_capture_job *j, const char *msg)
{
    pthread_mutex_lock(&j->mu);
    snprintf(j->message, sizeof j->message, "%s", msg);
    pthread_mutex_unlock(&j->mu);
}

static void finish(pt_capture_job *j, const pt_error *err, const char *msg)
{
    pthread_mutex_lock(&j->mu);
    if (err && err->msg[0]) pt_error_format(err, j->error, sizeof j->error);
    snprintf(j->message, sizeof j->message, "%s", msg ? msg : ""); /* a failure: the error says it */
    j->running = false;
    pthread_mutex_unlock(&j->mu);
}

/* The rig, rendered on this thread from a private copy: the take. */
typedef struct rig_player {
    pt_engine *e;
} rig_player;

static int rig_open(rig_player *rp, const pt_rig *rig, pt_error *err)
{
    memset(rp, 0, sizeof *rp);
    /* convolvers built here compute every partition here: nothing late */
    pt_conv_set_offline_thread(true);
    pt_program *prog = pt_rig_build_program(rig, PT_CAPTURE_RATE_HZ, RENDER_FRAMES, err);
    pt_conv_set_offline_thread(false);
    if (!prog) return -1;
    pt_engine_config ec = {.rate = PT_CAPTURE_RATE_HZ, .max_frames = RENDER_FRAMES, .clip_output = true};
    rp->e = pt_engine_create(&ec, err);
    if (!rp->e || pt_engine_swap(rp->e, prog, err)) {
        if (rp->e) pt_engine_destroy(rp->e);
        rp->e = NULL;
        return -1;
    }
    return 0;
}

/* As a take through an interface: x after PRE_ROLL of silence, recorded as
 * long again plus the longest lag; y[0..n) aligned with x as played. */
static int rig_take(pt_capture_job *j, rig_player *rp, const float *x, long n, float gain, float *y, pt_error *err)
{
    const long total = PRE_ROLL + n + PT_CAPTURE_MAX_LAG;
    float in[RENDER_FRAMES], l[RENDER_FRAMES], r[RENDER_FRAMES];
    for (long off = 0; off < total; off += RENDER_FRAMES) {
        int k = (int)(total - off < RENDER_FRAMES ? total - off : RENDER_FRAMES);
        for (int i = 0; i < k; i++) {
            long t = off + i - PRE_ROLL;
            in[i] = t >= 0 && t < n ? gain * x[t] : 0.0f;
        }
        pt_engine_process(rp->e, in, l, r, k);
        for (int i = 0; i < k; i++) {
            long t = off + i - PRE_ROLL;
            if (t >= 0 && t < n) y[t] = l[i];
        }
        atomic_store(&j->done, off + k);
        if ((off & 0xffff) == 0 && atomic_load(&j->cancel))
            return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "cancelled");
    }
    return 0;
}

static int write_mono(const pt_capture_job *j, const char *name, const float *x, long n, pt_error *err)
{
    char p[PATH_MAX + 32];
    path_in(j, name, p, sizeof p);
    const float *ch[1] = {x};
    return pt_audio_write(p, ch, 1, n, PT_CAPTURE_RATE_HZ, err);
}

static void *take_thread(void *arg)
{
    pt_capture_job *j = arg;
    pt_thread_background(); /* the engine plays on beside it */
    pt_error err = {0};
    pt_capture_layout lo;
    pt_capture_layout_pytone(!j->full, &lo);
    float *x = malloc((size_t)lo.frames * sizeof *x), *y = calloc((size_t)lo.frames, sizeof *y);
    pt_capture_device *dev = NULL;
    rig_player rp = {0};
    const bool rig = !strcmp(j->source, "rig"), eng = !strcmp(j->source, "engine");
    const float gain = powf(10.0f, (float)j->gain_db / 20.0f);
    const char *ok_msg = NULL; /* NULL: failed, err says why */
    if (!x || !y) {
        pt_error_set(&err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
        goto out;
    }
    pt_capture_signal_fill(&lo, x);
    say(j, rig ? "building a copy of the rig" : "opening the interface");
    if (eng ? 0
        : rig ? rig_open(&rp, j->rig, &err) != 0
            : !(dev = pt_capture_device_open(j->source, j->device[0] ? j->device : NULL, j->input[0] ? j->input : NULL,
                                             j->output[0] ? j->output : NULL, "pytone-capture", &err)))
        goto out;

    /* the level check: the signal up to the training material */
    pt_capture_layout pre = lo;
    pre.frames = lo.train_start;
    pthread_mutex_lock(&j->mu);
    j->total = PRE_ROLL + pre.frames + PT_CAPTURE_MAX_LAG;
    snprintf(j->message, sizeof j->message, "level check (%.1f s)", (double)pre.frames / PT_CAPTURE_RATE_HZ);
    pthread_mutex_unlock(&j->mu);
    atomic_store(&j->done, 0);
    int rc = rig ? rig_take(j, &rp, x, pre.frames, gain, y, &err)
             : eng ? pt_capture_engine_take(j->engine, x, pre.frames, PRE_ROLL, gain, y, &j->cancel, &j->done, &err)
                   : pt_capture_device_take(dev, x, pre.frames, PRE_ROLL, gain, y, &j->cancel, &j->done, &err);
    if (rc) goto out;
    pt_take_report rep;
    pt_capture_check_take(x, y, &pre, PT_CAPTURE_MAX_LAG, &rep);
    pthread_mutex_lock(&j->mu);
    j->check = rep;
    j->have_check = true;
    pthread_mutex_unlock(&j->mu);
    if (!rep.ok) {
        pt_error_set(&err, PT_ERR_INVALID, NULL, 0, 0, "level check: %s", rep.reason);
        goto out;
    }
    if (j->kind == JOB_CHECK) {
        ok_msg = "level check passed";
        goto done;
    }

    pthread_mutex_lock(&j->mu);
    j->total = PRE_ROLL + lo.frames + PT_CAPTURE_MAX_LAG;
    snprintf(j->message, sizeof j->message, "recording the take (%.0f s)", (double)lo.frames / PT_CAPTURE_RATE_HZ);
    pthread_mutex_unlock(&j->mu);
    atomic_store(&j->done, 0);
    rc = rig ? rig_take(j, &rp, x, lo.frames, gain, y, &err)
         : eng ? pt_capture_engine_take(j->engine, x, lo.frames, PRE_ROLL, gain, y, &j->cancel, &j->done, &err)
               : pt_capture_device_take(dev, x, lo.frames, PRE_ROLL, gain, y, &j->cancel, &j->done, &err);
    if (rc) goto out;
    pt_capture_check_take(x, y, &lo, PT_CAPTURE_MAX_LAG, &rep);
    if (!rep.ok) {
        pt_error_set(&err, PT_ERR_INVALID, NULL, 0, 0, "take refused: %s", rep.reason);
        goto out;
    }
    if (write_mono(j, "signal.wav", x, lo.frames, &err) || write_mono(j, "take.wav", y, lo.frames, &err)) goto out;
    /* for A/B: the held-out copy as recorded, the latency taken out */
    long n_ab = lo.val_len - rep.latency;
    float *ab = malloc((size_t)n_ab * sizeof *ab);
    if (!ab) {
        pt_error_set(&err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
        goto out;
    }
    memcpy(ab, y + lo.val2_start + rep.latency, (size_t)n_ab * sizeof *ab);
    pthread_mutex_lock(&j->mu);
    j->take = rep;
    j->have_take = true;
    j->lo = lo;
    snprintf(j->take_source, sizeof j->take_source, "%s", j->source);
    free(j->ab_rec);
    free(j->ab_model);
    j->ab_rec = ab;
    j->ab_model = NULL;
    j->ab_n = n_ab;
    j->have_model = j->train_shown = false;
    j->saved[0] = 0;
    pthread_mutex_unlock(&j->mu);
    ok_msg = "take recorded: ready to train";
out:
done:
    /* let go of the device and the copy first: the next job's start joins
     * this thread at once */
    pt_capture_device_close(dev);
    if (rp.e) pt_engine_destroy(rp.e);
    free(x);
    free(y);
    finish(j, ok_msg ? NULL : &err, ok_msg);
    return NULL;
}

static void on_progress(void *user, const pt_train_progress *p)
{
    pt_capture_job *j = user;
    pthread_mutex_lock(&j->mu);
    j->tp = *p;
    if (p->epoch > 0 && j->n_esr < MAX_HISTORY) {
        if (!j->esr) j->esr = malloc(MAX_HISTORY * sizeof *j->esr);
        if (j->esr) j->esr[j->n_esr++] = p->esr;
    }
    if (p->epoch == 0)
        snprintf(j->message, sizeof j->message, "training: latency %ld samples, first epoch under way", p->latency);
    else
        snprintf(j->message, sizeof j->message, "epoch %d of %d: validation ESR %.5f", p->epoch, p->epochs, p->esr);
    pthread_mutex_unlock(&j->mu);
}

/* The trained model on the held-out input, as the player plays it. */
static float *model_clip(const char *path, const float *x, long n, pt_error *err)
{
    pt_nam_file f;
    if (pt_nam_file_load(&f, path, err)) return NULL;
    pt_nam_model *m = pt_nam_model_create(&f, 4096, err);
    pt_nam_file_free(&f);
    float *y = m ? malloc((size_t)n * sizeof *y) : NULL;
    if (m && y) {
        pt_nam_model_prewarm(m);
        for (long i = 0; i < n; i += 4096) pt_nam_model_process(m, x + i, y + i, (int)(n - i < 4096 ? n - i : 4096));
    }
    pt_nam_model_free(m);
    return y;
}

static void *train_thread(void *arg)
{
    pt_capture_job *j = arg;
    pt_thread_background(); /* and so do the trainer's workers, started from here */
    char in[PATH_MAX + 32], out[PATH_MAX + 32], model[PATH_MAX + 32], ckpt[PATH_MAX + 32];
    path_in(j, "signal.wav", in, sizeof in);
    path_in(j, "take.wav", out, sizeof out);
    path_in(j, "model.nam", model, sizeof model);
    path_in(j, "model.nam.ckpt", ckpt, sizeof ckpt);
    unlink(model);
    unlink(ckpt);
    pt_train_opts o = {0};
    o.input = in;
    o.output = out;
    o.model_out = model;
    o.arch = j->arch;
    o.epochs = j->topt.epochs;
    o.threads = j->topt.threads;
    o.seed = j->topt.seed;
    o.max_batches = j->topt.max_batches;
    o.name = j->name[0] ? j->name : NULL;
    o.gear = j->gear[0] ? j->gear : NULL;
    o.quiet = 1;
    o.progress = on_progress;
    o.user = j;
    o.cancel = &j->cancel;
    pt_error err = {0};
    int rc = pt_train_run(&o, &err);
    float *clip = NULL;
    if (!rc) {
        /* the model's side of A/B: the signal's held-out copy through it */
        pt_capture_layout lo = j->lo;
        float *x = malloc((size_t)lo.frames * sizeof *x);
        if (x) {
            pt_capture_signal_fill(&lo, x);
            clip = model_clip(model, x + lo.val2_start, j->ab_n, &err);
            free(x);
        }
    }
    const bool cancelled = atomic_load(&j->cancel) != 0;
    pthread_mutex_lock(&j->mu);
    j->have_model = rc == 0;
    j->cancelled = cancelled;
    free(j->ab_model);
    j->ab_model = clip;
    pthread_mutex_unlock(&j->mu);
    char msg[256];
    if (!rc)
        snprintf(msg, sizeof msg, "%s: the best model (validation ESR %.5f, epoch %d) is ready to save",
                 cancelled ? "cancelled" : "trained", j->tp.best_esr, j->tp.best_epoch);
    finish(j, rc ? &err : NULL, rc ? NULL : msg);
    return NULL;
}

/* ------------------------------------------------------------ starting jobs */

/* Under mu: refuse when a job runs; join the last one's finished thread. */
static int can_start(pt_capture_job *j, pt_error *err)
{
    if (j->running)
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                            "a %s is running: one job at a time (wait for it, or capture_cancel)",
                            j->kind == JOB_TRAIN ? "training" : j->kind == JOB_RECORD ? "take" : "level check");
    if (j->thread_live) {
        pthread_join(j->thread, NULL); /* it has finished: running is cleared last */
        j->thread_live = false;
    }
    return 0;
}

static int start(pt_capture_job *j, job_kind kind, void *(*fn)(void *), pt_error *err)
{
    if (!j->dir[0]) {
        const char *tmp = getenv("TMPDIR");
        snprintf(j->dir, sizeof j->dir, "%s/pytone-capture-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
        if (!mkdtemp(j->dir)) {
            j->dir[0] = 0;
            return pt_error_set(err, PT_ERR_IO, NULL, 0, 0, "cannot make a temporary folder: %s", strerror(errno));
        }
    }
    j->kind = kind;
    j->running = true;
    j->error[0] = 0;
    j->message[0] = 0;
    j->total = 0;
    atomic_store(&j->done, 0);
    atomic_store(&j->cancel, 0);
    if (pthread_create(&j->thread, NULL, fn, j) != 0) {
        j->running = false;
        return pt_error_set(err, PT_ERR, NULL, 0, 0, "cannot start the job's thread");
    }
    j->thread_live = true;
    return 0;
}

int pt_capture_job_take(pt_capture_job *j, pt_capture_take_opts *o, pt_error *err)
{
    pt_rig *rig = o->rig;
    o->rig = NULL;
    int rc = -1;
    pthread_mutex_lock(&j->mu);
    if (can_start(j, err)) goto out;
    if (strcmp(o->source, "engine") && strcmp(o->source, "rig") && strcmp(o->source, "jack") &&
        strcmp(o->source, "portaudio")) {
        pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "source '%s': engine, rig, jack or portaudio", o->source);
        goto out;
    }
    if (!strcmp(o->source, "engine") && !o->engine) {
        pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "source 'engine': no engine");
        goto out;
    }
    if (!strcmp(o->source, "rig") || !strcmp(o->source, "engine")) {
        if (!rig && !strcmp(o->source, "rig")) {
            pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "source 'rig': no rig is playing");
            goto out;
        }
        if (o->rate != PT_CAPTURE_RATE_HZ) {
            pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                         "the engine runs at %.0f Hz; a capture is made at 48000 Hz (run pytone at --rate 48000)",
                         o->rate);
            goto out;
        }
    }
    if (!(o->gain_db >= -60 && o->gain_db <= 0)) {
        pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "gain_db %g: -60 .. 0", o->gain_db);
        goto out;
    }
    snprintf(j->source, sizeof j->source, "%s", o->source);
    snprintf(j->device, sizeof j->device, "%s", o->device ? o->device : "");
    snprintf(j->input, sizeof j->input, "%s", o->input ? o->input : "");
    snprintf(j->output, sizeof j->output, "%s", o->output ? o->output : "");
    pt_rig_free(j->rig);
    j->rig = rig;
    rig = NULL;
    j->engine = o->engine;
    j->gain_db = o->gain_db;
    j->full = o->full;
    rc = start(j, o->check_only ? JOB_CHECK : JOB_RECORD, take_thread, err);
    if (!rc && !o->check_only) j->have_check = false; /* the take's own level check follows */
out:
    pthread_mutex_unlock(&j->mu);
    pt_rig_free(rig);
    return rc;
}

int pt_capture_job_train(pt_capture_job *j, const pt_capture_train_opts *o, pt_error *err)
{
    int rc = -1;
    pt_nam_wavenet_config cfg;
    pthread_mutex_lock(&j->mu);
    if (can_start(j, err)) goto out;
    if (!j->have_take) {
        pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "no take to train on: record one first (capture_record)");
        goto out;
    }
    if (strcmp(o->arch, "lstm") && pt_train_arch_config(o->arch, &cfg)) {
        pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "arch '%s': nano, feather, lite, standard or lstm", o->arch);
        goto out;
    }
    j->topt = *o;
    snprintf(j->arch, sizeof j->arch, "%s", o->arch);
    snprintf(j->name, sizeof j->name, "%s", o->name ? o->name : "");
    snprintf(j->gear, sizeof j->gear, "%s", o->gear ? o->gear : "");
    snprintf(j->model_arch, sizeof j->model_arch, "%s", o->arch);
    j->n_esr = 0;
    j->have_model = j->cancelled = false;
    j->train_shown = true;
    j->saved[0] = 0;
    memset(&j->tp, 0, sizeof j->tp);
    j->tp.epochs = o->epochs;
    j->tp.best_esr = j->tp.esr = NAN;
    j->tp.seconds_left = -1;
    rc = start(j, JOB_TRAIN, train_thread, err);
out:
    pthread_mutex_unlock(&j->mu);
    return rc;
}

int pt_capture_job_cancel(pt_capture_job *j, pt_error *err)
{
    pthread_mutex_lock(&j->mu);
    int running = j->running;
    if (running) {
        atomic_store(&j->cancel, 1);
        snprintf(j->message, sizeof j->message, "cancelling");
    }
    pthread_mutex_unlock(&j->mu);
    return running ? 0 : pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "nothing to cancel: no job is running");
}

static void add_port(void *user, const char *port, int is_output)
{
    cJSON_AddItemToArray(cJSON_GetObjectItem(user, is_output ? "outputs" : "inputs"), cJSON_CreateString(port));
}

cJSON *pt_capture_ports_json(void)
{
    cJSON *o = cJSON_CreateObject(), *jk = cJSON_AddObjectToObject(o, "jack");
    cJSON_AddArrayToObject(jk, "outputs");
    cJSON_AddArrayToObject(jk, "inputs");
#ifdef PT_HAVE_JACK
    cJSON_AddBoolToObject(jk, "running", pt_jack_audio_ports("pytone-capture", add_port, jk) == 0);
#else
    (void)add_port;
    cJSON_AddBoolToObject(jk, "running", false);
#endif
    cJSON_AddBoolToObject(o, "portaudio", pt_backend_find("portaudio") != NULL);
    return o;
}

/* ------------------------------------------------------------ saving */

/* models/ in the library, made when missing; a link there is not followed
 * here and pt_lib_confine refuses one that leads outside. */
static int make_models_dir(const char *library, pt_error *err)
{
    int fd = open(library, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return pt_error_set(err, PT_ERR_IO, library, 0, 0, "cannot open the library: %s", strerror(errno));
    int rc = mkdirat(fd, "models", 0755);
    int e = errno;
    close(fd);
    if (rc && e != EEXIST) return pt_error_set(err, PT_ERR_IO, NULL, 0, 0, "cannot make models/: %s", strerror(e));
    return 0;
}

/* Copies the open file `in` (closed here) to a new file `to`. */
static int copy_new(FILE *in, const char *to, const char *rel, pt_error *err)
{
    /* O_EXCL | O_NOFOLLOW: never over a file, never through a link */
    int fd = open(to, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) {
        int e = errno;
        fclose(in);
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "'%s': %s", rel,
                            e == EEXIST ? "already exists: choose another name" : strerror(e));
    }
    char buf[65536];
    size_t n;
    int ok = 1;
    while (ok && (n = fread(buf, 1, sizeof buf, in)) > 0)
        for (size_t off = 0; ok && off < n;) {
            ssize_t w = write(fd, buf + off, n - off);
            if (w <= 0) ok = 0;
            else off += (size_t)w;
        }
    if (ferror(in)) ok = 0;
    fclose(in);
    if (ok && fsync(fd) != 0) ok = 0;
    if (close(fd) != 0) ok = 0;
    if (!ok) {
        unlink(to);
        return pt_error_set(err, PT_ERR_IO, NULL, 0, 0, "'%s': the write failed", rel);
    }
    return 0;
}

int pt_capture_job_save(pt_capture_job *j, const char *library, const char *rel, pt_error *err)
{
    static const char *const nam[] = {".nam", NULL};
    char model[PATH_MAX + 32];
    FILE *in = NULL;
    /* the model is opened under the lock; a training started meanwhile
     * writes a new file (renamed over it), the copy reads this one */
    pthread_mutex_lock(&j->mu);
    path_in(j, "model.nam", model, sizeof model);
    if (j->running) pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "a job is running: save when it is done");
    else if (!j->have_model) pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "no trained model to save: train first");
    else if (!(in = fopen(model, "rb")))
        pt_error_set(err, PT_ERR_IO, NULL, 0, 0, "the trained model is gone: %s", strerror(errno));
    pthread_mutex_unlock(&j->mu);
    if (!in) return -1;
    int rc = -1;
    char *to = malloc(PATH_MAX);
    if (!to) pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
    else if (strncmp(rel, "models/", 7) || strchr(rel + 7, '/'))
        pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "'%s': a capture is saved as models/NAME.nam", rel);
    else if (!make_models_dir(library, err) && !pt_lib_confine(library, rel, nam, PT_LIB_CREATE, to, PATH_MAX, err)) {
        rc = copy_new(in, to, rel, err);
        in = NULL;
    }
    if (in) fclose(in);
    free(to);
    if (rc == 0) {
        pthread_mutex_lock(&j->mu);
        snprintf(j->saved, sizeof j->saved, "%s", rel);
        pthread_mutex_unlock(&j->mu);
    }
    return rc;
}

/* ------------------------------------------------------------ what it shows */

static char *base64_pcm16(const float *x, long n)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const size_t bytes = (size_t)n * 2;
    unsigned char *raw = malloc(bytes ? bytes : 1);
    char *out = malloc((bytes + 2) / 3 * 4 + 1);
    if (!raw || !out) return free(raw), free(out), NULL;
    for (long i = 0; i < n; i++) {
        float v = x[i] > 1.0f ? 1.0f : x[i] < -1.0f ? -1.0f : x[i];
        int s = (int)lrintf(v * 32767.0f);
        raw[2 * i] = (unsigned char)(s & 0xff);
        raw[2 * i + 1] = (unsigned char)((s >> 8) & 0xff);
    }
    size_t o = 0;
    for (size_t i = 0; i < bytes; i += 3) {
        unsigned v = (unsigned)raw[i] << 16 | (i + 1 < bytes ? (unsigned)raw[i + 1] << 8 : 0) |
                     (i + 2 < bytes ? raw[i + 2] : 0);
        out[o++] = tab[v >> 18 & 63];
        out[o++] = tab[v >> 12 & 63];
        out[o++] = i + 1 < bytes ? tab[v >> 6 & 63] : '=';
        out[o++] = i + 2 < bytes ? tab[v & 63] : '=';
    }
    out[o] = 0;
    free(raw);
    return out;
}

char *pt_capture_job_audio(pt_capture_job *j, const char *which, double seconds, pt_error *err)
{
    char *out = NULL;
    pthread_mutex_lock(&j->mu);
    const bool model = !strcmp(which, "model");
    const float *x = model ? j->ab_model : j->ab_rec;
    long n = (long)(seconds * PT_CAPTURE_RATE_HZ);
    if (n > j->ab_n) n = j->ab_n;
    if (j->running)
        pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "a job is running: listen when it is done");
    else if (!x)
        pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "%s", model ? "no trained model yet" : "no take yet");
    else if (!(out = base64_pcm16(x, n)))
        pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
    pthread_mutex_unlock(&j->mu);
    return out;
}

static void add_num(cJSON *o, const char *k, double v)
{
    if (isfinite(v)) cJSON_AddNumberToObject(o, k, v);
    else cJSON_AddNullToObject(o, k);
}

static cJSON *report_json(const pt_take_report *r, bool copies)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "ok", r->ok);
    if (r->problem) cJSON_AddStringToObject(o, "problem", r->problem);
    else cJSON_AddNullToObject(o, "problem");
    cJSON_AddStringToObject(o, "reason", r->reason);
    add_num(o, "out_peak_db", r->out_peak_db);
    add_num(o, "noise_db", r->noise_db);
    cJSON_AddNumberToObject(o, "latency", (double)r->latency);
    cJSON_AddNumberToObject(o, "clipped", (double)r->clipped);
    if (copies) add_num(o, "copies_esr", r->copies_esr);
    return o;
}

cJSON *pt_capture_job_json(pt_capture_job *j)
{
    cJSON *o = cJSON_CreateObject();
    if (!o) return NULL;
    pthread_mutex_lock(&j->mu);
    cJSON_AddStringToObject(o, "job", j->running ? kind_names[j->kind] : "idle");
    cJSON_AddBoolToObject(o, "running", j->running);
    double p = 0;
    if (j->running && j->kind == JOB_TRAIN && j->tp.epochs > 0) p = (double)j->tp.epoch / j->tp.epochs;
    else if (j->running && j->total > 0) p = (double)atomic_load(&j->done) / (double)j->total;
    cJSON_AddNumberToObject(o, "progress", round(fmin(p, 1.0) * 1000) / 1000);
    cJSON_AddStringToObject(o, "message", j->message);
    cJSON_AddStringToObject(o, "error", j->error);
    cJSON_AddItemToObject(o, "check", j->have_check ? report_json(&j->check, false) : cJSON_CreateNull());
    if (j->have_take) {
        cJSON *t = report_json(&j->take, true);
        cJSON_AddStringToObject(t, "signal", j->lo.kind);
        cJSON_AddNumberToObject(t, "seconds", (double)j->lo.frames / PT_CAPTURE_RATE_HZ);
        cJSON_AddStringToObject(t, "source", j->take_source);
        cJSON_AddItemToObject(o, "take", t);
    } else {
        cJSON_AddNullToObject(o, "take");
    }
    if (j->train_shown) {
        cJSON *t = cJSON_AddObjectToObject(o, "train");
        cJSON_AddStringToObject(t, "arch", j->model_arch);
        cJSON_AddNumberToObject(t, "epoch", j->tp.epoch);
        cJSON_AddNumberToObject(t, "epochs", j->tp.epochs);
        cJSON *esr = cJSON_AddArrayToObject(t, "esr");
        for (int i = 0; i < j->n_esr; i++) cJSON_AddItemToArray(esr, cJSON_CreateNumber(j->esr[i]));
        add_num(t, "best_esr", j->tp.best_esr);
        cJSON_AddNumberToObject(t, "best_epoch", j->tp.best_epoch);
        add_num(t, "seconds_left", j->tp.seconds_left >= 0 ? round(j->tp.seconds_left) : NAN);
        cJSON_AddBoolToObject(t, "model", j->have_model);
        cJSON_AddBoolToObject(t, "cancelled", j->cancelled);
    } else {
        cJSON_AddNullToObject(o, "train");
    }
    if (j->saved[0]) cJSON_AddStringToObject(o, "saved", j->saved);
    else cJSON_AddNullToObject(o, "saved");
    pthread_mutex_unlock(&j->mu);
    return o;
}
