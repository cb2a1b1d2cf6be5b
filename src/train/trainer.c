/* trainer.c — `pytone train` (see trainer.h): checks the recording, aligns
 * it, runs the epochs, keeps the best weights and writes the .nam file. */
#include "trainer.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../io/audiofile.h"
#include "../neural/nam_model.h"
#include "batch.h"
#include "capture_signal.h"
#include "loss.h"
#include "nam_write.h"
#include "wavenet_train.h"

#define NY 8192
#define BATCH 16
#define LR 4e-3
#define LR_DECAY 0.993
#define MAX_LATENCY 9600 /* 200 ms */

static void set_array(pt_nam_layer_array *la, int in, int C, int head, const int *dil, int n, int head_bias)
{
    memset(la, 0, sizeof *la);
    la->input_size = in;
    la->condition_size = 1;
    la->head_size = head;
    la->channels = C;
    la->kernel_size = 3;
    la->n_dilations = n;
    memcpy(la->dilations, dil, (size_t)n * sizeof *dil);
    la->activation = PT_ACT_TANH;
    la->gated = false;
    la->head_bias = head_bias;
}

int pt_train_arch_config(const char *arch, pt_nam_wavenet_config *cfg)
{
    static const int d10[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512};
    static const int d7[] = {1, 2, 4, 8, 16, 32, 64};
    static const int d13[] = {128, 256, 512, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512};
    memset(cfg, 0, sizeof *cfg);
    cfg->n_arrays = 2;
    cfg->head_scale_config = 0.02f;
    int C;
    if (!strcmp(arch, "standard")) {
        set_array(&cfg->arrays[0], 1, 16, 8, d10, 10, 0);
        set_array(&cfg->arrays[1], 16, 8, 1, d10, 10, 1);
        return 0;
    }
    if (!strcmp(arch, "lite"))
        C = 12;
    else if (!strcmp(arch, "feather"))
        C = 8;
    else if (!strcmp(arch, "nano"))
        C = 4;
    else
        return -1;
    set_array(&cfg->arrays[0], 1, C, C / 2, d7, 7, 0);
    set_array(&cfg->arrays[1], C, C / 2, 1, d13, 13, 1);
    return 0;
}

static volatile sig_atomic_t interrupted;
static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

/* Ctrl-C (the command line) or the caller's flag (a job on a thread). */
static int stop_asked(const pt_train_opts *o) { return o->cancel ? atomic_load(o->cancel) != 0 : interrupted != 0; }

/* What differs between the two kinds of net. */
typedef struct net {
    int is_lstm;
    pt_nam_wavenet_config cfg;
    pt_wavenet_train wn;
    pt_lstm_train lstm;
    long P;       /* trained parameters */
    int ny, mask; /* outputs per window, how many of them the loss skips */
    int rf;       /* input samples per window = ny + rf - 1 */
    double lr, decay, mrstft_weight;
} net;

#define LSTM_LAYERS 3
#define LSTM_HIDDEN 18

static int net_init(net *n, const char *arch, pt_error *err)
{
    memset(n, 0, sizeof *n);
    if (!strcmp(arch, "lstm")) {
        /* NAM's LSTM recipe: 3 x 18, windows of 32768 with 8192 of burn-in
         * left out of the loss, lr 8e-3 x0.995 per epoch, MRSTFT weight 2e-3 */
        n->is_lstm = 1;
        if (pt_lstm_train_init(&n->lstm, LSTM_LAYERS, LSTM_HIDDEN))
            return pt_error_set(err, PT_ERR, NULL, 0, 0, "internal: LSTM size");
        n->P = n->lstm.n_params;
        n->ny = 32768;
        n->mask = 8192;
        n->rf = 1;
        n->lr = 8e-3;
        n->decay = 0.995;
        n->mrstft_weight = 2e-3;
        return 0;
    }
    if (pt_train_arch_config(arch, &n->cfg))
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                            "--arch %s: unknown (nano, feather, lite, standard or lstm)", arch);
    if (pt_wavenet_train_init(&n->wn, &n->cfg, 0.02f, err)) return -1;
    n->P = n->wn.n_params;
    n->ny = NY;
    n->rf = n->wn.rf;
    n->lr = LR;
    n->decay = LR_DECAY;
    n->mrstft_weight = PT_LOSS_MRSTFT_WEIGHT;
    return 0;
}

static void net_free(net *n)
{
    pt_wavenet_train_free(&n->wn);
}

/* the .nam file of `params` (weights: a copy the caller frees) */
static int net_file(const net *n, const float *params, pt_nam_file *f)
{
    memset(f, 0, sizeof *f);
    snprintf(f->path, sizeof f->path, "(training)");
    f->sample_rate_hz = 48000;
    f->has_sample_rate = true;
    f->n_weights = (int)n->P + (n->is_lstm ? 0 : 1);
    f->weights = malloc((size_t)f->n_weights * sizeof(float));
    if (!f->weights) return -1;
    memcpy(f->weights, params, (size_t)n->P * sizeof(float));
    if (n->is_lstm) {
        f->arch = PT_NAM_LSTM;
        f->cfg.lstm.input_size = 1;
        f->cfg.lstm.hidden_size = n->lstm.H;
        f->cfg.lstm.num_layers = n->lstm.n_layers;
    } else {
        f->arch = PT_NAM_WAVENET;
        f->cfg.wavenet = n->cfg;
        f->weights[n->P] = n->wn.head_scale;
    }
    return 0;
}

/* the samples at the start of the validation segment its ESR leaves out:
 * the receptive field, or the LSTM's burn-in */
static long esr_skip(const net *n) { return n->mask > n->rf - 1 ? n->mask : n->rf - 1; }

/* the validation ESR of `params`, measured by the player itself */
static double validate(const net *nt, const float *params, const float *x, const float *t, long n, float *buf,
                       pt_error *err)
{
    pt_nam_file f;
    if (net_file(nt, params, &f)) return NAN;
    pt_nam_model *m = pt_nam_model_create(&f, 4096, err);
    free(f.weights);
    if (!m) return NAN;
    pt_nam_model_prewarm(m);
    for (long i = 0; i < n; i += 4096) pt_nam_model_process(m, x + i, buf + i, (int)(n - i < 4096 ? n - i : 4096));
    pt_nam_model_free(m);
    const long skip = esr_skip(nt);
    return pt_loss_esr(buf + skip, t + skip, n - skip);
}

/* the checkpoint: everything --resume needs to go on */
typedef struct ckpt_head {
    char magic[8];
    long n_params;
    int epoch, step;
    double lr, best_esr;
    int best_epoch;
    char arch[16];
} ckpt_head;

static int save_ckpt(const char *path, const ckpt_head *h, const float *p, const double *mo, const double *vo,
                     const float *best)
{
    char tmp[1200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) return -1;
    size_t n = (size_t)h->n_params;
    int ok = fwrite(h, sizeof *h, 1, f) == 1 && fwrite(p, sizeof *p, n, f) == n && fwrite(mo, sizeof *mo, n, f) == n &&
             fwrite(vo, sizeof *vo, n, f) == n && fwrite(best, sizeof *best, n, f) == n;
    if (fclose(f) != 0) ok = 0;
    if (!ok || rename(tmp, path) != 0) return remove(tmp), -1;
    return 0;
}

static int load_ckpt(const char *path, ckpt_head *h, float *p, double *mo, double *vo, float *best, long n_params,
                     const char *arch, pt_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return pt_error_set(err, PT_ERR_INVALID, path, 0, 0, "--resume: no checkpoint to resume from");
    size_t n = (size_t)n_params;
    int ok = fread(h, sizeof *h, 1, f) == 1 && !memcmp(h->magic, "PTCKPT1", 8) && h->n_params == n_params &&
             !strcmp(h->arch, arch) && fread(p, sizeof *p, n, f) == n && fread(mo, sizeof *mo, n, f) == n &&
             fread(vo, sizeof *vo, n, f) == n && fread(best, sizeof *best, n, f) == n;
    fclose(f);
    if (!ok)
        return pt_error_set(err, PT_ERR_INVALID, path, 0, 0,
                            "--resume: not a checkpoint of a `%s` training (another --arch, or damaged)", arch);
    return 0;
}

/* Reads and checks the pair; fills the layout, latency and aligned output. */
static int load_pair(const pt_train_opts *o, pt_audio *in, pt_audio *out, pt_capture_layout *lo, long *latency,
                     double *copies_esr, int *checks_passed, pt_error *err)
{
    if (pt_audio_read(o->input, in, err)) return -1;
    if (pt_audio_read(o->output, out, err)) return pt_audio_free(in), -1;
    char why[512];
    int rc = -1;
    if (in->file_channels != 1)
        pt_error_set(err, PT_ERR_INVALID, o->input, 0, 0,
                     "has %d channels: the re-amp signal must be a mono file (as `pytone capture-signal` writes it)",
                     in->file_channels);
    else if (out->file_channels != 1)
        pt_error_set(err, PT_ERR_INVALID, o->output, 0, 0,
                     "has %d channels: record the amp's output as a mono file (export one channel)",
                     out->file_channels);
    else if (in->rate != out->rate)
        pt_error_set(err, PT_ERR_INVALID, o->output, 0, 0,
                     "is at %.0f Hz but the input %s is at %.0f Hz: record at the signal's rate", out->rate,
                     o->input, in->rate);
    else if (in->frames != out->frames)
        pt_error_set(err, PT_ERR_INVALID, o->output, 0, 0,
                     "has %ld samples (%.2f s) but the input has %ld (%.2f s): the recording must cover exactly "
                     "the signal, sample for sample",
                     out->frames, out->frames / out->rate, in->frames, in->frames / in->rate);
    else if (pt_capture_layout_detect(in->frames, in->rate, lo, why, sizeof why))
        pt_error_set(err, PT_ERR_INVALID, o->input, 0, 0, "%s", why);
    else {
        pt_take_report rep;
        pt_capture_check_take(in->ch[0], out->ch[0], lo, MAX_LATENCY, &rep);
        *copies_esr = rep.copies_esr;
        *checks_passed = rep.ok;
        if (!rep.ok && (!o->ignore_checks || rep.latency < 0))
            pt_error_set(err, PT_ERR_INVALID, o->output, 0, 0, "%s%s", rep.reason,
                         rep.latency >= 0 ? " (--ignore-checks trains anyway)" : "");
        else {
            if (!rep.ok && !o->quiet) fprintf(stderr, "train: check '%s' ignored: %s\n", rep.problem, rep.reason);
            long lat = rep.latency;
            *latency = lat;
            /* align: out[t] := out[t + latency] */
            memmove(out->ch[0], out->ch[0] + lat, (size_t)(out->frames - lat) * sizeof(float));
            memset(out->ch[0] + out->frames - lat, 0, (size_t)lat * sizeof(float));
            rc = 0;
        }
    }
    if (rc) pt_audio_free(in), pt_audio_free(out);
    return rc;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int pt_train_run(const pt_train_opts *o, pt_error *err)
{
    net nt;
    if (net_init(&nt, o->arch, err)) return -1;
    pt_audio in, out;
    pt_capture_layout lo;
    long latency = 0;
    double copies_esr = 0;
    int checks_passed = 0;
    if (load_pair(o, &in, &out, &lo, &latency, &copies_esr, &checks_passed, err)) return net_free(&nt), -1;

    pt_batch_runner br;
    memset(&br, 0, sizeof br);
    int rc = -1;
    float *params = NULL, *best = NULL, *vbuf = NULL;
    double *g = NULL, *mo = NULL, *vo = NULL;
    long *order = NULL;
    const float **xs = NULL, **ts = NULL;
    const long P = nt.P, NYW = nt.ny;
    params = malloc((size_t)P * sizeof *params);
    best = malloc((size_t)P * sizeof *best);
    g = calloc((size_t)P, sizeof *g);
    mo = calloc((size_t)P, sizeof *mo);
    vo = calloc((size_t)P, sizeof *vo);
    vbuf = calloc((size_t)lo.val_len + 4096, sizeof *vbuf);
    const float *tx = in.ch[0] + lo.train_start, *ty = out.ch[0] + lo.train_start;
    const long n_train = lo.train_end - lo.train_start;
    const long n_win = (n_train - nt.rf + 1) / NYW;
    const float *vx = in.ch[0] + lo.val2_start, *vy = out.ch[0] + lo.val2_start;
    const long n_val = lo.val_len - latency; /* the aligned recording ends `latency` early */
    order = malloc((size_t)(n_win > 0 ? n_win : 1) * sizeof *order);
    xs = malloc(BATCH * sizeof *xs);
    ts = malloc(BATCH * sizeof *ts);
    if (!params || !best || !g || !mo || !vo || !vbuf || !order || !xs || !ts) {
        pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
        goto done;
    }
    if (n_win < 1) {
        pt_error_set(err, PT_ERR_INVALID, o->input, 0, 0, "too short to train on");
        goto done;
    }
    if (pt_batch_runner_init(&br, nt.is_lstm ? NULL : &nt.wn, nt.is_lstm ? &nt.lstm : NULL, (int)NYW, nt.mask,
                             nt.mrstft_weight, o->threads)) {
        pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory (training buffers)");
        goto done;
    }

    char ckpt_path[1100];
    snprintf(ckpt_path, sizeof ckpt_path, "%s.ckpt", o->model_out);
    ckpt_head h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, "PTCKPT1", 8);
    h.n_params = P;
    snprintf(h.arch, sizeof h.arch, "%s", o->arch);
    h.lr = nt.lr;
    h.best_esr = INFINITY;
    h.best_epoch = -1;
    if (o->resume) {
        if (load_ckpt(ckpt_path, &h, params, mo, vo, best, P, o->arch, err)) goto done;
    } else {
        if (nt.is_lstm)
            pt_lstm_train_init_weights(&nt.lstm, params, o->seed);
        else
            pt_wavenet_train_init_weights(&nt.wn, params, o->seed);
        memcpy(best, params, (size_t)P * sizeof *best);
    }
    uint64_t rs = o->seed * 0x9E3779B97F4A7C15ULL + 0x1234567ULL + (uint64_t)h.epoch * 7919;
    if (!o->quiet)
        fprintf(stderr,
                "train: %s signal, latency %ld samples, validation copies agree to ESR %.5f; %s model (%ld "
                "weights), %ld windows of %ld per epoch, %d thread%s\n",
                lo.kind, latency, copies_esr, o->arch, P + (nt.is_lstm ? 0 : 1), n_win, NYW, o->threads, o->threads == 1 ? "" : "s");
    interrupted = 0;
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sigint;
    if (!o->cancel) sigaction(SIGINT, &sa, &old);
    pt_train_progress pg = {0, o->epochs, NAN, NAN, 0, NAN, -1, latency, copies_esr};
    if (o->progress) o->progress(o->user, &pg);
    const double b1 = 0.9, b2 = 0.999, eps = 1e-8;
    double t_start = now_s();
    int epochs_done_here = 0;
    for (; h.epoch < o->epochs && !stop_asked(o); h.epoch++) {
        double te = now_s();
        for (long i = 0; i < n_win; i++) order[i] = i;
        for (long i = n_win - 1; i > 0; i--) { /* Fisher-Yates, seeded */
            rs ^= rs << 13, rs ^= rs >> 7, rs ^= rs << 17;
            long j = (long)(rs % (uint64_t)(i + 1));
            long tmp = order[i];
            order[i] = order[j], order[j] = tmp;
        }
        double loss_sum = 0;
        long nb = 0, max_b = (n_win + BATCH - 1) / BATCH;
        if (o->max_batches > 0 && o->max_batches < max_b) max_b = o->max_batches;
        for (long b0 = 0; nb < max_b && !stop_asked(o); b0 += BATCH, nb++) {
            int B = (int)(n_win - b0 < BATCH ? n_win - b0 : BATCH);
            for (int b = 0; b < B; b++) {
                xs[b] = tx + order[b0 + b] * NYW;
                ts[b] = ty + order[b0 + b] * NYW + nt.rf - 1;
            }
            if (nt.is_lstm)
                nt.lstm.params = params;
            else
                pt_wavenet_train_set(&nt.wn, params);
            double mse, mr;
            pt_batch_run(&br, B, xs, ts, g, &mse, &mr);
            loss_sum += mse + nt.mrstft_weight * mr;
            h.step++;
            const double c1 = 1 - pow(b1, h.step), c2 = 1 - pow(b2, h.step);
            for (long i = 0; i < P; i++) {
                mo[i] = b1 * mo[i] + (1 - b1) * g[i];
                vo[i] = b2 * vo[i] + (1 - b2) * g[i] * g[i];
                params[i] -= (float)(h.lr * (mo[i] / c1) / (sqrt(vo[i] / c2) + eps));
            }
            if (!o->quiet && isatty(2))
                fprintf(stderr, "\repoch %d/%d  [%3ld%%]  loss %.3e   ", h.epoch + 1, o->epochs, 100 * (nb + 1) / max_b,
                        loss_sum / (nb + 1));
        }
        if (stop_asked(o) && nb < max_b) break; /* a partial epoch is not counted */
        h.lr *= nt.decay;
        double esr = validate(&nt, params, vx, vy, n_val, vbuf, err);
        if (isnan(esr)) {
            if (!err || !err->msg[0])
                pt_error_set(err, PT_ERR, NULL, 0, 0,
                             "training diverged at epoch %d (the validation ESR is not a number); the last checkpoint "
                             "is epoch %d: --resume from it, or another --seed",
                             h.epoch + 1, h.epoch);
            goto done_sig;
        }
        if (esr < h.best_esr) {
            h.best_esr = esr;
            h.best_epoch = h.epoch;
            memcpy(best, params, (size_t)P * sizeof *best);
        }
        epochs_done_here++;
        double per = (now_s() - t_start) / epochs_done_here, el = now_s() - te;
        if (!o->quiet)
            fprintf(stderr, "%sepoch %d/%d  loss %.4e  validation ESR %.5f  best %.5f (epoch %d)  %.1f s/epoch  ~%.0f s left\n",
                    isatty(2) ? "\r" : "", h.epoch + 1, o->epochs, loss_sum / (nb ? nb : 1), esr, h.best_esr,
                    h.best_epoch + 1, el, per * (o->epochs - h.epoch - 1));
        if (o->progress) {
            pg = (pt_train_progress){h.epoch + 1, o->epochs, esr, h.best_esr, h.best_epoch + 1,
                                     loss_sum / (nb ? nb : 1), per * (o->epochs - h.epoch - 1), latency, copies_esr};
            o->progress(o->user, &pg);
        }
        h.epoch++;
        save_ckpt(ckpt_path, &h, params, mo, vo, best);
        h.epoch--;
    }
    if (stop_asked(o) && !o->quiet) fprintf(stderr, "\ninterrupted: writing the best model so far\n");
    if (h.best_epoch < 0) {
        pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "no epoch finished: nothing to write");
        goto done_sig;
    }
    pt_train_meta meta = {o->name ? o->name : "", o->gear, o->arch, lo.kind, h.best_esr, latency, h.epoch,
                          lo.val2_start, n_val, copies_esr, checks_passed, esr_skip(&nt)};
    pt_nam_file nf;
    if (net_file(&nt, best, &nf)) goto done_sig;
    int wrc = pt_train_write_nam(o->model_out, &nf, &meta, err);
    free(nf.weights);
    if (wrc) goto done_sig;
    if (!o->quiet)
        fprintf(stderr, "wrote %s: validation ESR %.6f (epoch %d of %d)\n", o->model_out, h.best_esr,
                h.best_epoch + 1, h.epoch);
    rc = 0;
done_sig:
    if (!o->cancel) sigaction(SIGINT, &old, NULL);
done:
    pt_batch_runner_free(&br);
    net_free(&nt);
    free(params), free(best), free(g), free(mo), free(vo), free(vbuf), free(order), free(xs), free(ts);
    pt_audio_free(&in);
    pt_audio_free(&out);
    return rc;
}

int pt_train_grad_dump(const char *nam_path, const char *batch_path, int B, int ny, const char *out_path,
                       int threads, pt_error *err)
{
    pt_nam_file f;
    if (pt_nam_file_load(&f, nam_path, err)) return -1;
    int rc = -1;
    net nt;
    memset(&nt, 0, sizeof nt);
    pt_batch_runner br;
    memset(&br, 0, sizeof br);
    float *data = NULL, *res = NULL;
    double *g = NULL;
    if (f.arch == PT_NAM_LSTM) {
        if (net_init(&nt, "lstm", err)) goto out;
        if (pt_lstm_train_init(&nt.lstm, f.cfg.lstm.num_layers, f.cfg.lstm.hidden_size) || f.cfg.lstm.input_size != 1) {
            pt_error_set(err, PT_ERR_INVALID, nam_path, 0, 0, "not a trainable LSTM");
            goto out;
        }
        nt.P = nt.lstm.n_params;
        nt.lstm.params = f.weights;
    } else if (f.arch == PT_NAM_WAVENET) {
        nt.ny = ny;
        nt.mrstft_weight = PT_LOSS_MRSTFT_WEIGHT;
        if (pt_wavenet_train_init(&nt.wn, &f.cfg.wavenet, f.weights[f.n_weights - 1], err)) goto out;
        nt.P = nt.wn.n_params;
        nt.rf = nt.wn.rf;
        pt_wavenet_train_set(&nt.wn, f.weights);
    } else {
        pt_error_set(err, PT_ERR_INVALID, nam_path, 0, 0, "neither a WaveNet nor an LSTM");
        goto out;
    }
    const long L = ny + nt.rf - 1, n = (long)B * (L + ny);
    data = malloc((size_t)n * sizeof *data);
    g = calloc((size_t)nt.P, sizeof *g);
    res = malloc((size_t)(nt.P + 3) * sizeof *res);
    FILE *fp = fopen(batch_path, "rb");
    if (!data || !g || !res || !fp || fread(data, sizeof *data, (size_t)n, fp) != (size_t)n) {
        if (fp) fclose(fp);
        pt_error_set(err, PT_ERR_IO, batch_path, 0, 0, "cannot read %ld floats", n);
        goto out;
    }
    fclose(fp);
    if (pt_batch_runner_init(&br, nt.is_lstm ? NULL : &nt.wn, nt.is_lstm ? &nt.lstm : NULL, ny, nt.mask,
                             nt.mrstft_weight, threads))
        goto out;
    const float *xs[256], *ts[256];
    for (int b = 0; b < B && b < 256; b++) {
        xs[b] = data + (size_t)b * L;
        ts[b] = data + (size_t)B * L + (size_t)b * ny;
    }
    double mse, mr;
    pt_batch_run(&br, B, xs, ts, g, &mse, &mr);
    res[0] = (float)(mse + nt.mrstft_weight * mr);
    res[1] = (float)mse;
    res[2] = (float)mr;
    for (long i = 0; i < nt.P; i++) res[3 + i] = (float)g[i];
    fp = fopen(out_path, "wb");
    if (!fp || fwrite(res, sizeof *res, (size_t)nt.P + 3, fp) != (size_t)nt.P + 3) {
        if (fp) fclose(fp);
        pt_error_set(err, PT_ERR_IO, out_path, 0, 0, "cannot write");
        goto out;
    }
    fclose(fp);
    rc = 0;
out:
    pt_batch_runner_free(&br);
    net_free(&nt);
    free(data), free(res), free(g);
    pt_nam_file_free(&f);
    return rc;
}
