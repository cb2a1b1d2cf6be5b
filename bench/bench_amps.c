/* bench_amps.c — whole amplifiers from their schematics (issue #14): every
 * circuit file in circuits/amps/ and tests/data/amps_wip/ (found at run
 * time, so a new amp is measured as soon as its file lands), and one stage
 * of each kind an amp is made of, through the `circuit` node at 48 kHz in
 * 64-frame blocks at the file's default oversampling, fed the bundled DI
 * clip (assets/di/guitar_di.wav, 5 s) with every knob at its middle.
 *
 * Printed per circuit: ns per (48 kHz) sample and the share of one core it
 * is (the mean over the clip), p99/p50 of the block times (each block's
 * least over 3 rounds, so what another process took goes and what the
 * signal costs stays), Newton-Raphson iterations per solve (mean / worst),
 * the DC operating-point solve (ms, best of 3: what loading the amp costs),
 * and what a knob move costs: one recomputation of the scattering matrices
 * and the flattened maps (pt_wdf_update, us), and that as a share of a core
 * while a knob turns (the node recomputes every 32 samples). Time is this
 * thread's CPU time; on a shared machine every figure is an upper bound.
 * Prints numbers; asserts nothing. Run from the repository root;
 * `bench_amps TEXT` runs only the rows whose label contains TEXT. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/node.h"
#include "core/rt.h"
#include "io/audiofile.h"
#include "wdf/wdf.h"

#define RATE 48000.0
#define BLOCK 64
#define ROUNDS 3
#define KNOB_PERIOD 32 /* samples between coefficient updates in the circuit node */

static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The node's cost over the clip: ns/sample (mean), p99/p50 of blocks. */
static int bench_node(const char *path, const float *in, int frames, double *ns, double *ratio,
                      double *it_mean, int *it_max)
{
    const pt_node_type *t = pt_node_type_find("circuit");
    const char *asset[1] = {path};
    pt_node_config cfg = {.id = "bench", .asset = asset};
    pt_error err = {0};
    pt_node *n = pt_node_create(t, &cfg, &err);
    if (!n || pt_node_prepare(n, RATE, BLOCK, 1, &err) != 0) {
        fprintf(stderr, "%s: %s\n", path, err.msg);
        if (n) pt_node_destroy(n);
        return -1;
    }
    int blocks = frames / BLOCK;
    double *us = malloc(sizeof(double) * (size_t)blocks);
    float out[BLOCK];
    pt_rt_flush_denormals();
    for (int round = 0; round < ROUNDS; round++) {
        t->reset(n);
        for (int b = 0; b < blocks; b++) {
            const float *ip[1] = {in + b * BLOCK};
            float *op[1] = {out};
            uint64_t t0 = cpu_ns();
            t->process(n, ip, op, BLOCK);
            double dt = (double)(cpu_ns() - t0) * 1e-3;
            if (round == 0 || dt < us[b]) us[b] = dt;
        }
    }
    double sum = 0;
    for (int b = 0; b < blocks; b++) sum += us[b];
    qsort(us, (size_t)blocks, sizeof *us, cmp_double);
    *ns = sum * 1e3 / ((double)blocks * BLOCK);
    *ratio = us[(int)(blocks * 0.99)] / us[blocks / 2];
    *it_max = (int)pt_node_readout(n, 0);
    *it_mean = pt_node_readout(n, 2);
    free(us);
    pt_node_destroy(n);
    return 0;
}

/* The operating-point solve (ms, best of 3) and one coefficient update
 * after a knob move (us, mean over 40 moves of every control the file
 * maps), on the circuit compiled at its default oversampled rate. */
static void bench_solves(const char *path, double *op_ms, double *knob_us)
{
    *op_ms = *knob_us = NAN;
    pt_wdf_desc *d = NULL;
    pt_error err = {0};
    if (pt_circuit_load(path, &d, &err) != 0) return;
    double best = INFINITY;
    for (int rep = 0; rep < 3; rep++) {
        pt_wdf_circuit *c = pt_wdf_compile(d, RATE * d->oversample, &err);
        if (!c) break;
        pt_wdf_update(c);
        uint64_t t0 = cpu_ns();
        int iters = 0;
        int rc = pt_wdf_operating_point(c, &iters, &err);
        double ms = (double)(cpu_ns() - t0) * 1e-6;
        if (rc == 0 && ms < best) best = ms;
        if (rep == 0 && d->controls_used) {
            int moves = 0;
            uint64_t k0 = cpu_ns();
            for (int m = 0; m < 40; m++)
                for (int k = 0; k < PT_WDF_N_CONTROLS; k++)
                    if (d->controls_used & (1u << k)) {
                        pt_wdf_set_control(c, k, 0.5 + 0.004 * (m + 1));
                        pt_wdf_update(c);
                        moves++;
                    }
            *knob_us = (double)(cpu_ns() - k0) * 1e-3 / moves;
        }
        pt_wdf_free(c);
    }
    *op_ms = best;
    pt_wdf_desc_free(d);
}

static const char *row_filter;

static void row(const char *label, const char *path, const float *in, int frames)
{
    if (row_filter && !strstr(label, row_filter)) return;
    double ns, ratio, it_mean, op_ms, knob_us;
    int it_max;
    if (bench_node(path, in, frames, &ns, &ratio, &it_mean, &it_max) != 0) return;
    bench_solves(path, &op_ms, &knob_us);
    char knob[48] = "no knobs";
    if (knob_us == knob_us)
        snprintf(knob, sizeof knob, "%8.1f us %6.1f%%", knob_us,
                 100.0 * knob_us * 1e-6 / (KNOB_PERIOD / RATE));
    printf("%-44s %9.0f %7.1f%% %7.2f  %5.2f / %-3d %8.2f  %s\n", label, ns, ns * RATE * 1e-7,
           ratio, it_mean, it_max, op_ms, knob);
}

/* every *.yaml in dir, sorted */
static int list_yaml(const char *dir, char **out, int cap)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < cap) {
        size_t len = strlen(e->d_name);
        if (len > 5 && strcmp(e->d_name + len - 5, ".yaml") == 0) {
            out[n] = malloc(strlen(dir) + len + 2);
            sprintf(out[n++], "%s/%s", dir, e->d_name);
        }
    }
    closedir(d);
    qsort(out, (size_t)n, sizeof *out, cmp_str);
    return n;
}

int main(int argc, char **argv)
{
    row_filter = argc > 1 ? argv[1] : NULL;
    pt_audio di;
    pt_error err = {0};
    if (pt_audio_read_mono("assets/di/guitar_di.wav", &di, &err) != 0) {
        fprintf(stderr, "bench_amps: %s\n", err.msg);
        return 1;
    }
    int frames = di.frames < (long)(5 * RATE) ? (int)di.frames : (int)(5 * RATE);
    printf("%-44s %9s %8s %7s  %-11s %8s  %s\n", "circuit (DI clip, default oversampling)",
           "ns/smp", "% core", "p99/p50", "NR mean/max", "op ms", "knob move: update, % core");
    const char *dirs[] = {"circuits/amps", "tests/data/amps_wip"};
    for (int k = 0; k < 2; k++) {
        char *files[64];
        int n = list_yaml(dirs[k], files, 64);
        for (int i = 0; i < n; i++) {
            row(files[i], files[i], di.ch[0], frames);
            free(files[i]);
        }
    }
    /* the stages an amp is made of, each alone */
    row("stage: triode (12AX7 preamp, triode_12ax7)", "circuits/triode_12ax7.yaml", di.ch[0], frames);
    row("stage: pentode (6V6GT single-ended + OT)", "bench/circuits/pentode_6v6_se.yaml", di.ch[0],
        frames);
    row("stage: tone stack (Bassman)", "circuits/bassman_tonestack.yaml", di.ch[0], frames);
    row("stage: tone stack (JCM800)", "circuits/jcm800_tonestack.yaml", di.ch[0], frames);
    pt_audio_free(&di);
    return 0;
}
