/* bench_nam — speed of .nam models in the nam node's code path.
 *
 * Models: the NAM trainer's standard / lite / feather / nano WaveNet
 * configurations and its standard LSTM (1 layer x 24), with random weights
 * (speed does not depend on the values). Each runs 10 s of a guitar-like
 * signal at 48 kHz in 64-frame blocks after its prewarm; printed: µs per
 * sample and % of one core at 48 kHz. Also the standard WaveNet through the
 * node in a 44.1 kHz engine (resampling both ways).
 *
 * Formats 0.6/0.7: each model in tests/data/nam/v07 (the A2 default, and
 * one per new feature) on the first 3 s of its reference input: µs per
 * sample and the difference from the reference player's output. If
 * PT_NAM_REFERENCE_PLAYER names a reference-player driver (`driver model.nam
 * in.f32 out.f32` printing "ns/sample N" on stderr; see
 * tests/data/nam/v07/README.md, built with -O3 -march=native), its time on
 * the same model and input is printed beside ours; without it, only ours.
 *
 * Last, each kernel build forced in turn (bench_kernels): the standard
 * WaveNet and the LSTM, wall and thread CPU time, with the goals of issue
 * 17 and the figures before and after its kernel work.
 *
 * Reference point (tests/data/nam/README.md): the reference player takes
 * ~3.8 µs/sample for the standard WaveNet with exact tanh and ~0.62 µs with
 * its fast tanh approximation, on this machine class. */
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/node.h"
#include "core/rt.h"
#include "neural/nam_file.h"
#include "neural/nam_model.h"
#include "neural/nn_math.h"

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* this thread's CPU time: on a loaded machine the wall time also counts
 * the time other processes ran */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void array(pt_nam_layer_array *a, int in, int ch, int head, int head_bias, const int *dil, int nd)
{
    memset(a, 0, sizeof *a);
    a->input_size = in;
    a->condition_size = 1;
    a->channels = ch;
    a->head_size = head;
    a->kernel_size = 3;
    a->n_dilations = nd;
    memcpy(a->dilations, dil, (size_t)nd * sizeof(int));
    a->activation = PT_ACT_TANH;
    a->gated = false;
    a->head_bias = head_bias;
}

/* the trainer's four WaveNet sizes: (16,8) (12,6) (8,4) (4,2) channels */
static void wavenet(pt_nam_file *f, const char *size)
{
    static const int d10[] = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512};
    static const int d7[] = {1, 2, 4, 8, 16, 32, 64};
    static const int d13[] = {128, 256, 512, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512};
    memset(f, 0, sizeof *f);
    f->arch = PT_NAM_WAVENET;
    f->sample_rate_hz = 48000;
    f->cfg.wavenet.n_arrays = 2;
    pt_nam_layer_array *a = f->cfg.wavenet.arrays;
    if (strcmp(size, "standard") == 0) {
        array(&a[0], 1, 16, 8, 0, d10, 10);
        array(&a[1], 16, 8, 1, 1, d10, 10);
    } else {
        int c = strcmp(size, "lite") == 0 ? 12 : strcmp(size, "feather") == 0 ? 8 : 4;
        array(&a[0], 1, c, c / 2, 0, d7, 7);
        array(&a[1], c, c / 2, 1, 1, d13, 13);
    }
}

static void fill_weights(pt_nam_file *f)
{
    f->n_weights = (int)pt_nam_expected_weights(f);
    f->weights = malloc((size_t)f->n_weights * sizeof(float));
    srand(1);
    for (int i = 0; i < f->n_weights; i++) f->weights[i] = ((float)rand() / (float)RAND_MAX - 0.5f) * 0.6f;
}

static float *guitar(int n, double rate)
{
    float *x = malloc((size_t)n * sizeof(float));
    for (int i = 0; i < n; i++) {
        double t = i / rate, tn = fmod(t, 0.5);
        x[i] = (float)(0.4 * exp(-4 * tn) * (sin(2 * M_PI * 82.4 * t) + 0.5 * sin(2 * M_PI * 164.8 * t)));
    }
    return x;
}

static void report(const char *name, double us)
{
    printf("  %-34s %7.3f us/sample  %6.2f %% of one core at 48 kHz\n", name, us, us * 48000.0 / 1e6 * 100.0);
}

/* µs per sample, best of 3 runs of 10 s (wall time); *cpu_us, if set,
 * the best run's thread CPU time */
static double bench_model_cpu(pt_nam_file *f, int block, double *cpu_us)
{
    pt_error err = {0};
    pt_nam_model *m = pt_nam_model_create(f, block, &err);
    if (!m) {
        fprintf(stderr, "bench_nam: %s\n", err.msg);
        exit(1);
    }
    pt_nam_model_prewarm(m);
    const int n = 480000;
    float *x = guitar(n, 48000), *y = malloc((size_t)n * sizeof(float));
    double best = 1e9, best_cpu = 1e9;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = now_s(), c0 = cpu_s();
        for (int off = 0; off < n; off += block) pt_nam_model_process(m, x + off, y + off, block);
        double us = (now_s() - t0) * 1e6 / n, cus = (cpu_s() - c0) * 1e6 / n;
        if (us < best) best = us;
        if (cus < best_cpu) best_cpu = cus;
    }
    pt_nam_model_free(m);
    free(x);
    free(y);
    if (cpu_us) *cpu_us = best_cpu;
    return best;
}

static double bench_model(pt_nam_file *f, int block) { return bench_model_cpu(f, block, NULL); }

/* The shipped standard model (tests/data/nam) on its reference input: time,
 * and the difference from the reference player's exact-tanh output. */
static void bench_reference_model(void)
{
    const char *mp = "tests/data/nam/wavenet_a1_standard.nam";
    SF_INFO si = {0}, ri = {0};
    SNDFILE *a = sf_open("tests/data/nam/input.wav", SFM_READ, &si);
    SNDFILE *b = sf_open("tests/data/nam/wavenet_a1_standard.reference.wav", SFM_READ, &ri);
    pt_nam_file f;
    pt_error err = {0};
    if (!a || !b || pt_nam_file_load(&f, mp, &err) != 0) {
        if (a) sf_close(a);
        if (b) sf_close(b);
        printf("  (tests/data/nam not found: run from the source tree for the reference model)\n");
        return;
    }
    int n = (int)si.frames / 64 * 64;
    float *x = malloc((size_t)si.frames * sizeof(float)), *r = malloc((size_t)ri.frames * sizeof(float));
    float *y = malloc((size_t)si.frames * sizeof(float));
    sf_readf_float(a, x, si.frames);
    sf_readf_float(b, r, ri.frames);
    sf_close(a);
    sf_close(b);
    pt_nam_model *m = pt_nam_model_create(&f, 64, &err);
    pt_nam_model_prewarm(m);
    double t0 = now_s();
    for (int off = 0; off < n; off += 64) pt_nam_model_process(m, x + off, y + off, 64);
    double us = (now_s() - t0) * 1e6 / n;
    double e = 0, p = 0;
    for (int i = 0; i < n; i++) e += ((double)y[i] - r[i]) * ((double)y[i] - r[i]), p += (double)r[i] * r[i];
    char name[96];
    snprintf(name, sizeof name, "wavenet_a1_standard.nam (shipped)");
    report(name, us);
    printf("    output vs the reference player's exact-tanh render: relative RMS %.2g\n", sqrt(e / p));
    pt_nam_model_free(m);
    pt_nam_file_free(&f);
    free(x);
    free(r);
    free(y);
}

/* The reference player's time (µs/sample) for a model, or -1. */
static double reference_player_us(const char *model, const float *x, int n)
{
    const char *ref = getenv("PT_NAM_REFERENCE_PLAYER");
    if (!ref || access(ref, X_OK) != 0) return -1;
    char in[64], cmd[1024];
    snprintf(in, sizeof in, "/tmp/bench_nam_in_%d.f32", (int)getpid());
    FILE *f = fopen(in, "wb");
    if (!f) return -1;
    fwrite(x, sizeof(float), (size_t)n, f);
    fclose(f);
    snprintf(cmd, sizeof cmd, "'%s' '%s' '%s' /dev/null 2>&1", ref, model, in);
    FILE *p = popen(cmd, "r");
    double ns = -1;
    char line[256];
    while (p && fgets(line, sizeof line, p))
        if (strncmp(line, "ns/sample ", 10) == 0) ns = atof(line + 10);
    if (p) pclose(p);
    unlink(in);
    return ns < 0 ? -1 : ns / 1000.0;
}

/* The 0.6/0.7 example models against their reference outputs. */
static void bench_v07_models(void)
{
    const char *models[] = {"a2", "a2_small", "wavenet_a2_max", "wavenet_condition_dsp",
                            "slimmable_wavenet", "slimmable_container"};
    const char *what[] = {"A2 default (largest)", "A2 smallest sub-model", "every 0.6 feature",
                          "condition_dsp", "slimmable WaveNet", "container of 0.5 models"};
    printf("  formats 0.6/0.7 (tests/data/nam/v07, 3 s of the reference input, best of 3)%s\n",
           getenv("PT_NAM_REFERENCE_PLAYER") ? ", beside the reference player" : "");
    for (int i = 0; i < 6; i++) {
        char mp[256], rp[256];
        snprintf(mp, sizeof mp, "tests/data/nam/v07/%s.nam", models[i]);
        snprintf(rp, sizeof rp, "tests/data/nam/v07/%s.reference.wav", models[i]);
        SF_INFO si = {0}, ri = {0};
        SNDFILE *a = sf_open("tests/data/nam/input.wav", SFM_READ, &si);
        SNDFILE *b = sf_open(rp, SFM_READ, &ri);
        pt_nam_file f;
        pt_error err = {0};
        if (!a || !b || pt_nam_file_load(&f, mp, &err) != 0) {
            if (a) sf_close(a);
            if (b) sf_close(b);
            printf("  (%s not found: run from the source tree)\n", mp);
            return;
        }
        int n = (int)ri.frames / 64 * 64;
        float *x = malloc((size_t)si.frames * sizeof(float)), *r = malloc((size_t)ri.frames * sizeof(float));
        float *y = malloc((size_t)ri.frames * sizeof(float));
        sf_readf_float(a, x, si.frames);
        sf_readf_float(b, r, ri.frames);
        sf_close(a);
        sf_close(b);
        double best = 1e9;
        for (int rep = 0; rep < 3; rep++) {
            pt_nam_model *m = pt_nam_model_create(&f, 64, &err);
            if (!m) {
                printf("  %s: %s\n", mp, err.msg);
                break;
            }
            pt_nam_model_prewarm(m);
            double t0 = now_s();
            for (int off = 0; off < n; off += 64) pt_nam_model_process(m, x + off, y + off, 64);
            double us = (now_s() - t0) * 1e6 / n;
            if (us < best) best = us;
            pt_nam_model_free(m);
        }
        double e = 0, p = 0;
        for (int k = 0; k < n; k++) e += ((double)y[k] - r[k]) * ((double)y[k] - r[k]), p += (double)r[k] * r[k];
        char name[96];
        snprintf(name, sizeof name, "%s (%s)", models[i], what[i]);
        report(name, best);
        double ref_us = reference_player_us(mp, x, n);
        if (ref_us > 0)
            printf("    reference player %.3f us/sample (%.2fx ours); ", ref_us, ref_us / best);
        else
            printf("    ");
        printf("output vs its exact-tanh render: relative RMS %.2g\n", sqrt(e / p));
        pt_nam_file_free(&f);
        free(x);
        free(r);
        free(y);
    }
}

/* the standard WaveNet through the node in a 44.1 kHz engine */
static void bench_node_resampled(void)
{
    pt_nam_file f;
    wavenet(&f, "standard");
    fill_weights(&f);
    char path[64];
    snprintf(path, sizeof path, "/tmp/bench_nam_%d.nam", (int)getpid());
    FILE *fp = fopen(path, "w");
    fprintf(fp, "{\"version\": \"0.5.4\", \"architecture\": \"WaveNet\", \"config\": {\"layers\": [");
    for (int a = 0; a < 2; a++) {
        pt_nam_layer_array *la = &f.cfg.wavenet.arrays[a];
        fprintf(fp, "%s{\"input_size\": %d, \"condition_size\": 1, \"head_size\": %d, \"channels\": %d, "
                    "\"kernel_size\": 3, \"dilations\": [", a ? ", " : "", la->input_size, la->head_size,
                la->channels);
        for (int l = 0; l < la->n_dilations; l++) fprintf(fp, "%s%d", l ? ", " : "", la->dilations[l]);
        fprintf(fp, "], \"activation\": \"Tanh\", \"gated\": false, \"head_bias\": %s}",
                la->head_bias ? "true" : "false");
    }
    fprintf(fp, "], \"head\": null, \"head_scale\": 0.02}, \"weights\": [");
    for (int i = 0; i < f.n_weights; i++) fprintf(fp, "%s%.7g", i ? ", " : "", f.weights[i]);
    fprintf(fp, "], \"sample_rate\": 48000}\n");
    fclose(fp);
    free(f.weights);

    const pt_node_type *t = pt_node_type_find("nam");
    const char *asset[1] = {path};
    pt_node_config cfg = {.id = "amp", .asset = asset};
    pt_error err = {0};
    pt_node *n = pt_node_create(t, &cfg, &err);
    if (!n || pt_node_prepare(n, 44100, 64, 1, &err) != 0) {
        fprintf(stderr, "bench_nam: %s\n", err.msg);
        exit(1);
    }
    const int len = 64 * 6890; /* ~10 s */
    float *x = guitar(len, 44100), *y = malloc((size_t)len * sizeof(float));
    double best = 1e9;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = now_s();
        for (int off = 0; off < len; off += 64) {
            const float *in[1] = {x + off};
            float *out[1] = {y + off};
            t->process(n, in, out, 64);
        }
        double us = (now_s() - t0) * 1e6 / len;
        if (us < best) best = us;
    }
    printf("  %-34s %7.3f us/sample  %6.2f %% of one core at 44.1 kHz (latency %d samples)\n",
           "standard WaveNet, node at 44.1 kHz", best, best * 44100.0 / 1e6 * 100.0, n->latency_samples);
    pt_node_destroy(n);
    unlink(path);
    free(x);
    free(y);
}

/* Each kernel build forced in turn (the build is picked at run time; CI
 * and machines without AVX-512 run the others): the standard WaveNet and
 * the 1 x 24 LSTM, wall and thread CPU time, beside the goals of issue 17
 * and the figures before its kernel work. The LSTM goal is the reference
 * player's time with its fast tanh approximation on the 2-core machine;
 * ours keeps exact-tanh accuracy. */
static void bench_kernels(void)
{
    /* thread CPU µs/sample before the issue-17 kernel work (commit 8cbfea6),
     * measured back to back with the work's result on the loaded 2-core
     * machine, best of 4 x 25 runs of 1 s: {WaveNet, LSTM} per build */
    static const double before[3][2] = {{0.436, 0.171}, {0.633, 0.184}, {2.014, 0.507}};
    static const double after[3][2] = {{0.383, 0.128}, {0.572, 0.176}, {1.392, 0.427}};
    static const double goal[3][2] = {{0, 0.096}, {0.40, 0}, {0.80, 0}};
    const char *isas[] = {"avx512", "avx2", "baseline"};
    printf("  each kernel build forced (wall / thread CPU us per sample; goal: issue 17)\n");
    for (int i = 0; i < 3; i++) {
        if (pt_nn_set_isa(isas[i]) != 0) {
            printf("  %s kernels: not available on this CPU\n", isas[i]);
            continue;
        }
        for (int k = 0; k < 2; k++) {
            pt_nam_file g;
            memset(&g, 0, sizeof g);
            if (k == 0) {
                wavenet(&g, "standard");
            } else {
                g.arch = PT_NAM_LSTM;
                g.sample_rate_hz = 48000;
                g.cfg.lstm = (pt_nam_lstm_config){1, 24, 1};
            }
            fill_weights(&g);
            double cpu, wall = bench_model_cpu(&g, 64, &cpu);
            free(g.weights);
            char name[64], gl[32] = "";
            snprintf(name, sizeof name, "%s, %s kernels", k ? "LSTM 1 x 24" : "standard WaveNet", isas[i]);
            if (goal[i][k] > 0) snprintf(gl, sizeof gl, ", goal <= %.3f", goal[i][k]);
            printf("  %-34s %7.3f / %.3f us/sample%s\n", name, wall, cpu, gl);
            printf("    thread CPU before -> after the kernel work (8cbfea6, same load): %.3f -> %.3f\n",
                   before[i][k], after[i][k]);
        }
    }
    pt_nn_set_isa(NULL);
}

int main(void)
{
    pt_rt_flush_denormals();
    printf("nam: 48 kHz, 64-frame blocks, best of 3 runs of 10 s, %s kernels\n", pt_nn_isa());
    const char *sizes[] = {"standard", "lite", "feather", "nano"};
    for (int i = 0; i < 4; i++) {
        pt_nam_file f;
        wavenet(&f, sizes[i]);
        fill_weights(&f);
        char name[64];
        snprintf(name, sizeof name, "%s WaveNet (%d weights)", sizes[i], f.n_weights);
        report(name, bench_model(&f, 64));
        free(f.weights);
    }
    pt_nam_file f;
    memset(&f, 0, sizeof f);
    f.arch = PT_NAM_LSTM;
    f.sample_rate_hz = 48000;
    f.cfg.lstm = (pt_nam_lstm_config){1, 24, 1};
    fill_weights(&f);
    report("LSTM 1 x 24 (trainer standard)", bench_model(&f, 64));
    free(f.weights);
    bench_reference_model();
    bench_v07_models();
    bench_node_resampled();

    bench_kernels();
    return 0;
}
