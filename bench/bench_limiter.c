/* bench_limiter.c — the safety limiter's cost on the audio thread
 * (src/core/limiter.h), per 64-frame stereo block at 48 kHz, in three
 * regimes:
 *   - idle: a DI-like signal under the ceiling (the usual case: both stages
 *     let it through, bit for bit);
 *   - riding: the same 20 dB too loud (the gain works, stage 2 checks);
 *   - clamping: full-band noise at +20 dBFS (stage 2 moves samples).
 * ns per block, the least of several rounds over the same input (what
 * another process took goes), and % of the 1,333 us period. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/limiter.h"
#include "platform/platform.h"

enum { FRAMES = 64, BLOCKS = 3000, ROUNDS = 7 };

static void run(const char *what, const float *src_l, const float *src_r)
{
    static float l[BLOCKS * FRAMES], r[BLOCKS * FRAMES];
    double best = 1e30;
    for (int round = 0; round < ROUNDS; round++) {
        pt_limiter lim;
        pt_limiter_init(&lim, 48000, true);
        memcpy(l, src_l, sizeof l);
        memcpy(r, src_r, sizeof r);
        uint64_t t0 = pt_thread_cpu_ns();
        for (int b = 0; b < BLOCKS; b++) pt_limiter_process(&lim, l + b * FRAMES, r + b * FRAMES, FRAMES);
        double ns = (double)(pt_thread_cpu_ns() - t0) / BLOCKS;
        if (ns < best) best = ns;
    }
    printf("limiter: %-9s %7.0f ns per 64-frame stereo block (%.2f%% of the period)\n", what, best,
           100 * best / (FRAMES * 1e9 / 48000));
}

int main(void)
{
    static float dl[BLOCKS * FRAMES], dr[BLOCKS * FRAMES], ll[BLOCKS * FRAMES], lr[BLOCKS * FRAMES],
        nl[BLOCKS * FRAMES], nr[BLOCKS * FRAMES];
    unsigned s = 1;
    for (int i = 0; i < BLOCKS * FRAMES; i++) {
        /* plucked notes: decaying noise bursts, peaks near -10 dBFS */
        s = s * 1664525u + 1013904223u;
        float u = (float)(s >> 8) / 8388608.0f - 1.0f;
        float env = 0.3f * (float)__builtin_exp(-(double)(i % 24000) / 4800.0);
        dl[i] = env * u;
        dr[i] = 0.8f * env * u;
        ll[i] = 10.0f * dl[i];
        lr[i] = 10.0f * dr[i];
        s = s * 1664525u + 1013904223u;
        nl[i] = 10.0f * u;
        nr[i] = 10.0f * ((float)(s >> 8) / 8388608.0f - 1.0f);
    }
    run("idle", dl, dr);
    run("riding", ll, lr);
    run("clamping", nl, nr);
    return 0;
}
