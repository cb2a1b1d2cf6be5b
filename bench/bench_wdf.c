/* bench_wdf.c — cost of every factory circuit through the `circuit` node:
 * ns per (base-rate) sample at 48 kHz in 64-frame blocks, at 1x and at the
 * circuit's default oversampling, and the share of one core that is.
 * Input: a 1 V-peak 196 Hz sine plus a little noise (a hot guitar signal),
 * knobs at their middle. Prints numbers; asserts nothing. Run from the
 * repository root (scripts/bench.sh does). */
#include <math.h>
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

static double bench(const char *path, int os_index, int *iters)
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
        in[i] = (float)(sin(2 * M_PI * 196.0 * i / RATE) + 0.05 * (seed / 4294967296.0 - 0.5));
    }
    double best = INFINITY;
    pt_rt_flush_denormals();
    for (int rep = 0; rep < 3; rep++) {
        uint64_t t0 = pt_rt_now_ns();
        for (int b = 0; b < blocks; b++) {
            const float *ip[1] = {in + b * BLOCK};
            float *op[1] = {out};
            t->process(n, ip, op, BLOCK);
        }
        double ns = (double)(pt_rt_now_ns() - t0) / (blocks * BLOCK);
        if (ns < best) best = ns;
    }
    *iters = (int)pt_node_readout(n, 0);
    free(in);
    pt_node_destroy(n);
    return best;
}

int main(void)
{
    printf("%-20s %10s %8s   %10s %8s %6s\n", "circuit (48 kHz)", "1x ns/smp", "% core",
           "default", "% core", "NR it");
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
        double ns1 = bench(path, 0, &it1);
        double nsd = bench(path, -1, &itd);
        char label[16];
        snprintf(label, sizeof label, "%dx ns/smp", os);
        printf("%-20s %10.1f %7.2f%%   %10.1f %7.2f%% %6d  (%s)\n", FACTORY[i], ns1,
               ns1 * RATE * 1e-7, nsd, nsd * RATE * 1e-7, itd, label);
    }
    return 0;
}
