/* bench_engine.c — the engine's own costs, printed:
 *   - the default rig at 48 kHz / 64 frames: µs per block p50/p99, % of a core;
 *   - the audio-thread cost of the block in which a scene change lands;
 *   - the audio-thread cost of a block during a rig crossfade. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/session.h"
#include "core/rt.h"

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double block_us(pt_engine *e, const float *x, float *l, float *r)
{
    uint64_t t0 = pt_rt_now_ns();
    pt_engine_process(e, x, l, r, 64);
    return (double)(pt_rt_now_ns() - t0) / 1000.0;
}

int main(void)
{
    const double rate = 48000, period_us = 64 * 1e6 / rate;
    pt_engine_config ec = {.rate = rate, .max_frames = 64};
    pt_engine *e = pt_engine_create(&ec, NULL);
    pt_session *s = pt_session_create(e, &(pt_session_config){.library_dir = "rigs"}, NULL);
    pt_diags d;
    pt_diags_init(&d);
    if (pt_session_load(s, "rigs/default.yaml", &d) != 0) {
        pt_diags_print(&d, stderr);
        return 1;
    }
    float x[64], l[64], r[64];
    unsigned seed = 1;
    for (int i = 0; i < 64; i++) {
        seed = seed * 1664525u + 1013904223u;
        x[i] = 0.2f * ((float)(seed >> 8) / 8388608.0f - 1.0f);
    }
    enum { N = 20000 };
    static double t[N];
    for (int i = 0; i < 200; i++) block_us(e, x, l, r);
    for (int i = 0; i < N; i++) t[i] = block_us(e, x, l, r);
    qsort(t, N, sizeof *t, cmp);
    printf("engine: default rig 48 kHz/64: us_p50=%.2f us_p99=%.2f load_p50=%.2f%% load_p99=%.2f%%\n",
           t[N / 2], t[N * 99 / 100], 100 * t[N / 2] / period_us, 100 * t[N * 99 / 100] / period_us);

    /* scene changes: the block that applies them, against a plain block */
    enum { R = 400 };
    static double sc[R], plain[R];
    for (int k = 0; k < R; k++) {
        plain[k] = block_us(e, x, l, r);
        pt_session_scene_select(s, k % 2 ? "clean" : "crunch", NULL);
        sc[k] = block_us(e, x, l, r);
        for (int i = 0; i < 20; i++) block_us(e, x, l, r);
    }
    qsort(sc, R, sizeof *sc, cmp);
    qsort(plain, R, sizeof *plain, cmp);
    printf("engine: scene change block us_p50=%.2f us_max=%.2f (plain block p50 %.2f): audio-thread cost of a scene change %.2f us\n",
           sc[R / 2], sc[R - 1], plain[R / 2], sc[R / 2] - plain[R / 2]);

    /* rig swap: blocks during the 20 ms crossfade run both programs */
    static double sw[R];
    int n = 0;
    for (int k = 0; k < 20; k++) {
        pt_session_load(s, k % 2 ? "rigs/default.yaml" : "rigs/crunch.yaml", &d);
        for (int i = 0; i < 15 && n < R; i++) sw[n++] = block_us(e, x, l, r);
        for (int i = 0; i < 30; i++) block_us(e, x, l, r);
        pt_session_poll(s);
    }
    qsort(sw, (size_t)n, sizeof *sw, cmp);
    printf("engine: rig crossfade blocks us_p50=%.2f us_max=%.2f (%.1f%% of the period at worst)\n",
           sw[n / 2], sw[n - 1], 100 * sw[n - 1] / period_us);

    /* the same between the heaviest factory rigs (captures, IRs, circuits) */
    n = 0;
    for (int k = 0; k < 20; k++) {
        pt_session_load(s, k % 2 ? "rigs/high_gain.yaml" : "rigs/dual_amp.yaml", &d);
        for (int i = 0; i < 15 && n < R; i++) sw[n++] = block_us(e, x, l, r);
        for (int i = 0; i < 30; i++) block_us(e, x, l, r);
        pt_session_poll(s);
    }
    qsort(sw, (size_t)n, sizeof *sw, cmp);
    printf("engine: high-gain <-> dual-amp crossfade blocks us_p50=%.2f us_max=%.2f (%.1f%% of the period)\n",
           sw[n / 2], sw[n - 1], 100 * sw[n - 1] / period_us);
    pt_session_destroy(s);
    pt_engine_destroy(e);
    pt_diags_free(&d);
    return 0;
}
