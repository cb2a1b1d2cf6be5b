/* test_conv_accuracy.c — the partitioned convolver against direct
 * convolution.
 *
 * Reference: y[t] = sum_k h[k] x[t-k], evaluated in double precision by a
 * plain loop (the textbook definition; no FFT involved). For long IRs the
 * reference is computed only on short windows spread over the output, which
 * covers every partition level of the convolver.
 *
 * Checks:
 *  - relative error (||y - ref|| / ||ref|| over the windows) below -100 dB for
 *    IRs of 1, 1000, 48000 and 480000 samples at blocks of 32, 64, 128, 1000
 *    frames (and a ragged block sequence);
 *  - zero latency: an impulse's first output sample (h[0]) comes out in the
 *    same call, at the same index, even as the last sample of a 1000-frame
 *    block;
 *  - the worker thread gives the same output as the offline mode when it is
 *    on time, also after a reset issued while it was busy.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conv/conv.h"
#include "conv/kernels.h"
#include "testutil.h"

static uint32_t rng_state;
static float noise(void)
{
    rng_state = rng_state * 1664525u + 1013904223u;
    return (float)((rng_state >> 8) * (1.0 / 16777216.0) * 2.0 - 1.0);
}

/* Exponentially decaying noise: -60 dB at the end, like a room or a cab. */
static float *make_ir(int L, uint32_t seed)
{
    rng_state = seed;
    float *h = malloc((size_t)L * sizeof(float));
    for (int i = 0; i < L; i++) h[i] = noise() * (float)exp(-6.9 * i / (double)L);
    h[0] = 0.9f;
    return h;
}

static float *make_noise(int n, uint32_t seed)
{
    rng_state = seed;
    float *x = malloc((size_t)n * sizeof(float));
    for (int i = 0; i < n; i++) x[i] = 0.5f * noise();
    return x;
}

static double direct(const float *h, int L, const float *x, int t)
{
    double acc = 0.0;
    int kmax = t < L - 1 ? t : L - 1;
    for (int k = 0; k <= kmax; k++) acc += (double)h[k] * (double)x[t - k];
    return acc;
}

#define N_WIN 6
typedef struct windows {
    int start[N_WIN], len;
    double *ref[N_WIN];
} windows;

/* Windows at the start, across the early partition boundaries, and spread up
 * to the end of the output. */
static void make_windows(windows *w, const float *h, int L, const float *x, int n, int len)
{
    w->len = len;
    int at[N_WIN] = {0, 3000 < n - len ? 3000 : 0, n / 5, n / 2, (4 * (long)n) / 5, n - len};
    for (int i = 0; i < N_WIN; i++) {
        w->start[i] = at[i];
        w->ref[i] = malloc((size_t)len * sizeof(double));
        for (int j = 0; j < len; j++) w->ref[i][j] = direct(h, L, x, at[i] + j);
    }
}

static void free_windows(windows *w)
{
    for (int i = 0; i < N_WIN; i++) free(w->ref[i]);
}

static double rel_error_db(const windows *w, const float *y)
{
    double e = 0, r = 0;
    for (int i = 0; i < N_WIN; i++)
        for (int j = 0; j < w->len; j++) {
            double d = y[w->start[i] + j] - w->ref[i][j];
            e += d * d;
            r += w->ref[i][j] * w->ref[i][j];
        }
    return 10.0 * log10(e / r + 1e-300);
}

/* Run the whole input through c in blocks (block < 0: a ragged sequence). */
static void run(pt_conv *c, const float *x, float *y, int n, int block, bool wait_worker)
{
    static const int ragged[] = {1, 31, 64, 100, 7, 1000, 63, 65, 512, 33};
    int r = 0;
    for (int off = 0; off < n;) {
        int b = block > 0 ? block : ragged[r++ % 10];
        if (b > n - off) b = n - off;
        float *out[1] = {y + off};
        pt_conv_process(c, x + off, out, b);
        off += b;
        /* the test thread plays a slow audio device: let the worker finish */
        while (wait_worker && pt_conv_pending(c) > 0) usleep(50);
    }
}

static void check_ir_length_cfg(int L, int n, int win_len, const pt_conv_config *cfg_in,
                                const int *blocks, int n_blocks)
{
    float *h = make_ir(L, 1234u + (uint32_t)L);
    float *x = make_noise(n, 99u);
    float *y = malloc((size_t)n * sizeof(float));
    windows w;
    make_windows(&w, h, L, x, n, win_len);
    const float *ir[1] = {h};
    pt_conv_config cfg = *cfg_in;
    cfg.offline = true;
    pt_error err = {0};
    pt_conv *c = pt_conv_new(ir, 1, L, &cfg, &err);
    assert_non_null(c);
    char plan[256];
    pt_conv_describe(c, plan, sizeof plan);
    for (int b = 0; b < n_blocks; b++) {
        pt_conv_reset(c);
        memset(y, 0, (size_t)n * sizeof(float));
        run(c, x, y, n, blocks[b], false);
        double db = rel_error_db(&w, y);
        printf("IR %6d taps, block %4d: relative error %7.1f dB  [%s]\n", L, blocks[b], db,
               plan);
        assert_true(db < -100.0);
    }
    pt_conv_free(c);
    free_windows(&w);
    free(h);
    free(x);
    free(y);
}

static void check_ir_length(int L, int n, int win_len)
{
    static const int blocks[] = {32, 64, 128, 1000, -1};
    pt_conv_config cfg = {0}; /* the plan the cost model picks */
    check_ir_length_cfg(L, n, win_len, &cfg, blocks, 5);
}

/* Other plans (growth ratios, head lengths, sync limits) are right too. */
static void test_other_plans(void **st)
{
    (void)st;
    static const int blocks[] = {64, -1};
    static const pt_conv_config cfgs[] = {
        {.base_frames = 32, .sync_max = 64, .ratio = 2},
        {.base_frames = 128, .sync_max = 512, .ratio = 4},
        {.base_frames = 64, .sync_max = 1024, .ratio = 16, .max_partition = 16384},
        {.base_frames = 256, .sync_max = 256, .ratio = 8, .max_partition = 2048},
    };
    for (int i = 0; i < 4; i++) check_ir_length_cfg(48000, 60000, 128, &cfgs[i], blocks, 2);
}

static void test_ir_1(void **st) { (void)st; check_ir_length(1, 5000, 256); }
static void test_ir_1000(void **st) { (void)st; check_ir_length(1000, 20000, 256); }
static void test_ir_48000(void **st) { (void)st; check_ir_length(48000, 60000, 256); }
static void test_ir_480000(void **st) { (void)st; check_ir_length(480000, 482000, 64); }

/* An impulse at sample p of a block shows h[0] at sample p of the same block. */
static void test_zero_latency(void **st)
{
    (void)st;
    int L = 48000;
    float *h = make_ir(L, 7u);
    const float *ir[1] = {h};
    pt_conv_config cfg = {.offline = true};
    pt_conv *c = pt_conv_new(ir, 1, L, &cfg, NULL);
    assert_non_null(c);
    static const int blocks[] = {32, 64, 128, 1000, 1024};
    for (int b = 0; b < 5; b++) {
        int B = blocks[b];
        float *x = calloc((size_t)B, sizeof(float));
        float *y = calloc((size_t)B, sizeof(float));
        float *out[1] = {y};
        for (int p = 0; p < B; p += B - 1 > 0 ? B - 1 : 1) { /* first and last sample */
            pt_conv_reset(c);
            /* run some silence first so the impulse is not at time 0 */
            memset(x, 0, (size_t)B * sizeof(float));
            for (int i = 0; i < 5; i++) pt_conv_process(c, x, out, B);
            x[p] = 1.0f;
            pt_conv_process(c, x, out, B);
            for (int i = 0; i < p; i++) assert_true(y[i] == 0.0f);
            assert_float_equal(y[p], h[0], 1e-6);
            if (p + 1 < B) assert_float_equal(y[p + 1], h[1], 1e-6);
            x[p] = 0.0f;
        }
        free(x);
        free(y);
    }
    pt_conv_free(c);
    free(h);
}

/* With the worker thread (and an audio side that waits for it between
 * blocks, which only a test may do) the output matches offline mode. */
static void test_worker_matches_offline(void **st)
{
    (void)st;
    int L = 100000, n = 120000;
    float *h = make_ir(L, 5u);
    float *x = make_noise(n, 6u);
    float *y_off = calloc((size_t)n, sizeof(float));
    float *y_thr = calloc((size_t)n, sizeof(float));
    const float *ir[1] = {h};
    /* the same plan on both sides: offline would otherwise make every level sync */
    pt_conv_config off = {.offline = true, .sync_max = 1024}, thr = {.offline = false};
    pt_conv *a = pt_conv_new(ir, 1, L, &off, NULL);
    pt_conv *b = pt_conv_new(ir, 1, L, &thr, NULL);
    assert_non_null(a);
    assert_non_null(b);
    run(a, x, y_off, n, 64, false);
    run(b, x, y_thr, n, 64, true);
    double e = 0, r = 0;
    for (int i = 0; i < n; i++) {
        e += (double)(y_thr[i] - y_off[i]) * (y_thr[i] - y_off[i]);
        r += (double)y_off[i] * y_off[i];
    }
    double db = 10 * log10(e / r + 1e-300);
    printf("worker vs offline: %.1f dB, late blocks %llu\n", db,
           (unsigned long long)pt_conv_late_blocks(b));
    assert_true(db < -130.0);
    assert_int_equal(pt_conv_late_blocks(b), 0);
    pt_conv_free(a);
    pt_conv_free(b);
    free(h);
    free(x);
    free(y_off);
    free(y_thr);
}

/* A reset while the worker thread has work (RT side: no wait) forgets all
 * past input: the output after it equals a fresh convolver's. */
static void test_reset_with_worker(void **st)
{
    (void)st;
    int L = 100000, n = 60000;
    float *h = make_ir(L, 8u);
    float *x = make_noise(n, 9u), *junk = make_noise(n, 10u);
    float *y_ref = calloc((size_t)n, sizeof(float)), *y = calloc((size_t)n, sizeof(float));
    const float *ir[1] = {h};
    /* the same plan on both sides: offline would otherwise make every level sync */
    pt_conv_config off = {.offline = true, .sync_max = 1024}, thr = {.offline = false};
    pt_conv *a = pt_conv_new(ir, 1, L, &off, NULL);
    pt_conv *b = pt_conv_new(ir, 1, L, &thr, NULL);
    run(a, x, y_ref, n, 64, false);
    run(b, junk, y, n, 64, false); /* the worker falls behind on this */
    pt_conv_reset(b);
    run(b, x, y, n, 64, true);
    double e = 0, r = 0;
    for (int i = 0; i < n; i++) {
        e += (double)(y[i] - y_ref[i]) * (y[i] - y_ref[i]);
        r += (double)y_ref[i] * y_ref[i];
    }
    printf("after reset with a busy worker: vs fresh convolver %.1f dB\n",
           10 * log10(e / r + 1e-300));
    assert_true(10 * log10(e / r + 1e-300) < -130.0);
    pt_conv_free(a);
    pt_conv_free(b);
    free(h);
    free(x);
    free(junk);
    free(y_ref);
    free(y);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ir_1),
        cmocka_unit_test(test_ir_1000),
        cmocka_unit_test(test_ir_48000),
        cmocka_unit_test(test_ir_480000),
        cmocka_unit_test(test_other_plans),
        cmocka_unit_test(test_zero_latency),
        cmocka_unit_test(test_worker_matches_offline),
        cmocka_unit_test(test_reset_with_worker),
    };
    /* which kernels these results came from (make test-arm64 wants NEON) */
    print_message("convolution kernels: %s\n", pt_conv_kernels_best()->name);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
