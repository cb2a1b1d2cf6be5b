/* bench_fx.c — cost of every registered node type that needs no asset:
 * ns per sample at 48 kHz in 64-frame blocks, default parameters, noise in,
 * mono and stereo input. Prints numbers; asserts nothing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "core/node.h"
#include "core/rt.h"

#define RATE 48000.0
#define BLOCK 64
#define SECONDS 4.0

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Mean ns per sample (best of 3 runs) and, in *p99_us, the 99th percentile
 * of single-block times in the last run (a node that does its work in
 * bursts shows here; the very slowest blocks on a shared machine are
 * preemptions, not the node). */
static double bench(const pt_node_type *t, int in_ch, const float *noise, float *const *out,
                    double *p99_us)
{
    pt_error err = {0};
    pt_node *n = pt_node_create(t, NULL, &err);
    if (!n || pt_node_prepare(n, RATE, BLOCK, in_ch, &err) != 0) {
        fprintf(stderr, "%s: %s\n", t->name, err.msg);
        pt_node_destroy(n);
        return NAN;
    }
    int frames = (int)(SECONDS * RATE), blocks = frames / BLOCK;
    double best = INFINITY;
    uint64_t *times = malloc((size_t)blocks * sizeof *times);
    for (int rep = 0; rep < 3; rep++) {
        uint64_t t0 = pt_rt_now_ns(), prev = t0;
        for (int b = 0; b < blocks; b++) {
            const float *in[2] = {noise + (b % 64) * BLOCK, noise + ((b + 7) % 64) * BLOCK};
            n->type->process(n, in, out, BLOCK);
            uint64_t now = pt_rt_now_ns();
            times[b] = now - prev;
            prev = now;
        }
        double ns = (double)(prev - t0) / ((double)blocks * BLOCK);
        if (ns < best) best = ns;
    }
    qsort(times, (size_t)blocks, sizeof *times, cmp_u64);
    *p99_us = (double)times[blocks * 99 / 100] * 1e-3;
    free(times);
    pt_node_destroy(n);
    return best;
}

int main(void)
{
    pt_rt_flush_denormals();
    float *noise = malloc(64 * BLOCK * sizeof(float));
    unsigned seed = 1;
    for (int i = 0; i < 64 * BLOCK; i++) {
        seed = seed * 1664525u + 1013904223u;
        noise[i] = 0.5f * (float)((double)(seed >> 8) / 8388608.0 - 1.0);
    }
    float *o[2] = {malloc(BLOCK * sizeof(float)), malloc(BLOCK * sizeof(float))};
    int count;
    const pt_node_type *const *types = pt_node_types(&count);
    printf("(48 kHz, %d-frame blocks = %.0f us, default parameters, noise in; mean of the best of 3 "
           "runs of %.0f s, and the 99th percentile of one block's time)\n",
           BLOCK, BLOCK / RATE * 1e6, SECONDS);
    printf("%-12s %12s %12s %14s %14s\n", "node", "mono ns/smp", "p99 us", "stereo ns/smp",
           "p99 us");
    for (int i = 0; i < count; i++) {
        const pt_node_type *t = types[i];
        int needs_asset = 0;
        for (int a = 0; a < t->n_assets; a++) needs_asset |= t->assets[a].required;
        if (needs_asset || t->specialize) {
            printf("%-12s %14s\n", t->name, t->specialize ? "(bench_plugins)" : "(needs asset)");
            continue;
        }
        double wm, ws;
        double mono = bench(t, 1, noise, o, &wm), stereo = bench(t, 2, noise, o, &ws);
        printf("%-12s %12.2f %12.2f %14.2f %14.2f\n", t->name, mono, wm, stereo, ws);
    }
    free(noise), free(o[0]), free(o[1]);
    return 0;
}
