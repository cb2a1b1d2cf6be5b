/* bench_wdf.c — cost of every factory circuit through the `circuit` node:
 * ns per (base-rate) sample at 48 kHz in 64-frame blocks, at 1x and at the
 * circuit's default oversampling, and the share of one core that is. Time is
 * this thread's CPU time (best of 3), so other processes on a shared machine
 * disturb it less than wall time would; "NR it" is the mean and worst number
 * of Newton-Raphson iterations per sample at the default oversampling.
 * Input: a hot guitar-like signal, 1 V at 196 Hz with its 3rd (0.3 V) and
 * 7th (0.1 V) harmonics and a little white noise (-46 dB), knobs at their
 * middle. Prints numbers; asserts nothing. Run from the
 * repository root (scripts/bench.sh does). */
#include <math.h>
#include <time.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/node.h"
#include "core/rt.h"
#include "wdf/wdf.h"

#define RATE 48000.0
#define BLOCK 64
#define SECONDS 1.0

static const char *const FACTORY[] = {"rc_lowpass", "diode_clipper", "bassman_tonestack",
                                      "jcm800_tonestack", "bigmuff_tonestack", "ts808",
                                      "triode_12ax7", "fuzz_face"};

static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static double bench(const char *path, int os_index, int *iters, double *mean)
{
    const pt_node_type *t = pt_node_type_find("circuit");
    const char *asset[1] = {path};
    pt_node_config cfg = {.id = "bench", .asset = asset};
    pt_error err = {0};
    pt_node *n = pt_node_create(t, &cfg, &err);
    if (!n) {
        fprintf(stderr, "%s: %s\n", path, err.msg);
        return NAN;
    }
    if (os_index >= 0) pt_node_set_param_now(n, pt_param_index(t, "oversample"), (float)os_index);
    if (pt_node_prepare(n, RATE, BLOCK, 1, &err) != 0) {
        fprintf(stderr, "%s: %s\n", path, err.msg);
        pt_node_destroy(n);
        return NAN;
    }
    int frames = (int)(SECONDS * RATE), blocks = frames / BLOCK;
    float *in = malloc(sizeof(float) * (size_t)frames), out[BLOCK];
    unsigned seed = 1;
    for (int i = 0; i < frames; i++) {
        seed = seed * 1664525u + 1013904223u;
        double ph = 2 * M_PI * 196.0 * i / RATE;
        in[i] = (float)(sin(ph) + 0.3 * sin(3 * ph) + 0.1 * sin(7 * ph) +
                        0.01 * (seed / 4294967296.0 - 0.5));
    }
    double best = INFINITY;
    pt_rt_flush_denormals();
    for (int rep = 0; rep < 3; rep++) {
        uint64_t t0 = cpu_ns();
        for (int b = 0; b < blocks; b++) {
            const float *ip[1] = {in + b * BLOCK};
            float *op[1] = {out};
            t->process(n, ip, op, BLOCK);
        }
        double ns = (double)(cpu_ns() - t0) / (blocks * BLOCK);
        if (ns < best) best = ns;
    }
    *iters = (int)pt_node_readout(n, 0);
    *mean = pt_node_readout(n, 2);
    free(in);
    pt_node_destroy(n);
    return best;
}

int main(void)
{
    printf("%-20s %10s %8s   %10s %8s  %s\n", "circuit (48 kHz)", "1x ns/smp", "% core",
           "default", "% core", "NR it mean/max");
    for (size_t i = 0; i < sizeof FACTORY / sizeof FACTORY[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, "circuits/%s.yaml", FACTORY[i]);
        pt_wdf_desc *d = NULL;
        pt_error err = {0};
        if (pt_circuit_load(path, &d, &err) != 0) {
            fprintf(stderr, "%s: %s\n", path, err.msg);
            continue;
        }
        int os = d->oversample;
        pt_wdf_desc_free(d);
        int it1 = 0, itd = 0;
        double m1, md;
        double ns1 = bench(path, 0, &it1, &m1);
        double nsd = bench(path, -1, &itd, &md);
        char label[16];
        snprintf(label, sizeof label, "%dx ns/smp", os);
        printf("%-20s %10.1f %7.2f%%   %10.1f %7.2f%%  %4.2f / %-3d (%s)\n", FACTORY[i], ns1,
               ns1 * RATE * 1e-7, nsd, nsd * RATE * 1e-7, md, itd, label);
    }
    return 0;
}
