/* bench_rig_limits.c — what the limits of rig.h bound (issue 16, finding 8):
 * a rig's build and its swap, for
 *   - a 64-node rig: the node limit, as one chain of the built-in effects;
 *   - the largest rig the limits allow: 64 nodes in 16 splits (one of 16
 *     branches), 64 scenes that each set a value and the bypass of every
 *     node.
 * Printed for each, at 48 kHz / 64 frames:
 *   - build: parse, validate and build the program (every node created and
 *     prepared), off the audio thread: ms, median and worst of the rounds;
 *   - swap block: the audio thread's block in which the new program is taken
 *     up (the crossfade from the old one starts there), against a plain
 *     block of the old rig (the default rig): us and % of the 1,333 us period;
 *   - crossfade blocks (both programs run for 20 ms) and the rig's own
 *     plain block: the audio work the rig itself is;
 *   - for the largest rig, the block in which a scene change lands.
 * Blocks are timed in the thread's CPU time (build times are wall-clock).
 * The nodes' own processing is most of the last three: 64 effects cost what
 * they cost; the limits keep the *count* bounded. Numbers, never pass/fail;
 * on a shared machine compare runs made back to back. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "control/session.h"
#include "core/rt.h"
#include "platform/platform.h"
#include "rig/rig.h"

enum { FRAMES = 64, ROUNDS = 20 };
static const double RATE = 48000;

/* the built-in effects that need no file, in turn */
static const char *const kinds[] = {"gate", "drive", "eq", "compressor", "chorus", "flanger",
                                    "phaser", "tremolo", "wah", "delay", "reverb", "level"};
enum { N_KINDS = sizeof kinds / sizeof kinds[0] };

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef struct text {
    char *s;
    size_t n, cap;
} text;

static void put(text *t, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (t->n + (size_t)k + 1 > t->cap) {
        t->cap = (t->cap + (size_t)k + 1) * 2;
        t->s = realloc(t->s, t->cap);
        if (!t->s) abort();
    }
    memcpy(t->s + t->n, buf, (size_t)k + 1);
    t->n += (size_t)k;
}

/* A parameter a scene may set: the first that is neither a choice nor one
 * that rebuilds the node. */
static const pt_param_def *scene_param(const char *kind)
{
    const pt_node_type *t = pt_node_type_find(kind);
    for (int i = 0; t && i < t->n_params; i++)
        if (!(t->params[i].flags & PT_PARAM_REBUILD) && t->params[i].taper != PT_TAPER_ENUM &&
            t->params[i].taper != PT_TAPER_TOGGLE)
            return &t->params[i];
    return NULL;
}

static void node(text *t, const char *indent, int i)
{
    put(t, "%s- {id: n%d, type: %s}\n", indent, i, kinds[i % N_KINDS]);
}

/* 64 nodes in one chain */
static char *chain_rig(void)
{
    text t = {0};
    put(&t, "version: 1\nname: Sixty-four\nchain:\n");
    for (int i = 0; i < PT_RIG_MAX_NODES; i++) node(&t, "  ", i);
    return t.s;
}

/* Every limit at once: one split of PT_RIG_MAX_BRANCHES branches of one
 * node, PT_RIG_MAX_SPLITS - 1 more splits of two branches of one node, the
 * rest of the nodes in the chain between them; PT_RIG_MAX_SCENES scenes,
 * each setting a value and the bypass of every node. */
static char *largest_rig(void)
{
    text t = {0};
    int n = 0;
    put(&t, "version: 1\nname: Largest\nchain:\n");
    put(&t, "  - split:\n      id: s0\n      branches:\n");
    for (int b = 0; b < PT_RIG_MAX_BRANCHES; b++) {
        put(&t, "        - chain:\n");
        node(&t, "            ", n++);
    }
    for (int s = 1; s < PT_RIG_MAX_SPLITS; s++) {
        node(&t, "  ", n++);
        put(&t, "  - split:\n      id: s%d\n      branches:\n", s);
        for (int b = 0; b < 2; b++) {
            put(&t, "        - chain:\n");
            node(&t, "            ", n++);
        }
    }
    while (n < PT_RIG_MAX_NODES) node(&t, "  ", n++);
    put(&t, "scenes:\n");
    for (int s = 0; s < PT_RIG_MAX_SCENES; s++) {
        put(&t, "  - name: sc%d\n    params: {", s);
        for (int i = 0; i < PT_RIG_MAX_NODES; i++) {
            const pt_param_def *d = scene_param(kinds[i % N_KINDS]);
            if (!d) continue;
            float v = s % 2 ? d->def : d->min + 0.5f * (d->max - d->min);
            put(&t, "%sn%d.%s: %g", i ? ", " : "", i, d->name, (double)v);
        }
        put(&t, "}\n    bypass: {");
        for (int i = 0; i < PT_RIG_MAX_NODES; i++)
            put(&t, "%sn%d: %s", i ? ", " : "", i, (s + i) % 7 == 0 ? "true" : "false");
        put(&t, "}\n");
    }
    return t.s;
}

/* page faults this thread has taken so far (first touches of memory) */
static long faults(void)
{
#ifdef RUSAGE_THREAD
    struct rusage ru;
    if (getrusage(RUSAGE_THREAD, &ru) == 0) return ru.ru_minflt + ru.ru_majflt;
#endif
    return 0;
}

static double now_ms(void) { return (double)pt_rt_now_ns() / 1e6; }

/* A block's cost in this thread's CPU time, so that another process
 * taking the core mid-block (this machine is shared) does not count; a
 * stall of the whole VM still does. */
static double block_us(pt_engine *e, const float *x, float *l, float *r)
{
    uint64_t t0 = pt_thread_cpu_ns();
    pt_engine_process(e, x, l, r, FRAMES);
    return (double)(pt_thread_cpu_ns() - t0) / 1000.0;
}

static pt_program *build(const char *text, const char *dir, double *ms)
{
    pt_diags d;
    pt_diags_init(&d);
    double t0 = now_ms();
    pt_rig *rig = pt_rig_load_string(text, strlen(text), "big.yaml", dir, &d);
    pt_error err = {0};
    pt_program *p = rig ? pt_rig_build_program(rig, RATE, FRAMES, &err) : NULL;
    *ms = now_ms() - t0;
    if (!p) {
        pt_diags_print(&d, stderr);
        if (err.msg[0]) fprintf(stderr, "build: %s\n", err.msg);
    }
    pt_rig_free(rig);
    pt_diags_free(&d);
    return p;
}

static void bench_rig(const char *what, const char *text, const float *x, float *l, float *r)
{
    const double period_us = FRAMES * 1e6 / RATE;
    pt_engine_config ec = {.rate = RATE, .max_frames = FRAMES, .limiter = true};
    pt_engine *e = pt_engine_create(&ec, NULL);
    double build_ms[ROUNDS], swap_us[ROUNDS], before_us[ROUNDS], fade_us = 0, own[ROUNDS];
    long swap_faults = 0;
    pt_program *base = NULL;
    for (int k = 0; k < ROUNDS; k++) {
        /* the default rig plays; the big one is built beside it */
        pt_diags d;
        pt_diags_init(&d);
        pt_rig *def = pt_rig_load("rigs/default.yaml", &d);
        pt_error err = {0};
        base = def ? pt_rig_build_program(def, RATE, FRAMES, &err) : NULL;
        pt_rig_free(def);
        pt_diags_free(&d);
        if (!base || pt_engine_swap(e, base, &err)) {
            fprintf(stderr, "bench_rig_limits: the default rig: %s\n", err.msg);
            exit(1);
        }
        for (int i = 0; i < 60; i++) block_us(e, x, l, r); /* past its crossfade */
        pt_engine_collect(e);
        pt_program *p = build(text, "rigs", &build_ms[k]);
        if (!p) exit(1);
        before_us[k] = block_us(e, x, l, r);
        pt_engine_swap(e, p, &err);
        long f0 = faults();
        swap_us[k] = block_us(e, x, l, r);
        swap_faults += faults() - f0;
        for (int i = 0; i < 14; i++) { /* the rest of the 20 ms crossfade */
            double t = block_us(e, x, l, r);
            if (t > fade_us) fade_us = t;
        }
        for (int i = 0; i < 40; i++) block_us(e, x, l, r);
        own[k] = block_us(e, x, l, r);
        pt_engine_collect(e);
    }
    qsort(build_ms, ROUNDS, sizeof(double), cmp);
    qsort(swap_us, ROUNDS, sizeof(double), cmp);
    qsort(before_us, ROUNDS, sizeof(double), cmp);
    qsort(own, ROUNDS, sizeof(double), cmp);
    printf("rig limits: %s: build (off the audio thread) ms_p50=%.2f ms_max=%.2f\n", what,
           build_ms[ROUNDS / 2], build_ms[ROUNDS - 1]);
    printf("rig limits: %s: swap block us_p50=%.2f us_max=%.2f (%.0f%% of the period at worst; "
           "a block of the default rig before it %.2f us; page faults in it: %.1f)\n",
           what, swap_us[ROUNDS / 2], swap_us[ROUNDS - 1], 100 * swap_us[ROUNDS - 1] / period_us,
           before_us[ROUNDS / 2], (double)swap_faults / ROUNDS);
    printf("rig limits: %s: crossfade blocks us_max=%.2f; its own block us_p50=%.2f (%.0f%% of the "
           "period)\n",
           what, fade_us, own[ROUNDS / 2], 100 * own[ROUNDS / 2] / period_us);
    pt_engine_destroy(e);
}

/* The block in which a scene change of the largest rig lands (every node's
 * value and bypass), against a plain block. */
static void bench_scenes(const char *text, const float *x, float *l, float *r)
{
    char dir[] = "/tmp/pytone-bench-XXXXXX", path[64];
    if (!mkdtemp(dir)) return;
    snprintf(path, sizeof path, "%s/largest.yaml", dir);
    FILE *f = fopen(path, "w");
    if (!f) return;
    fputs(text, f);
    fclose(f);
    pt_engine_config ec = {.rate = RATE, .max_frames = FRAMES, .limiter = true};
    pt_engine *e = pt_engine_create(&ec, NULL);
    pt_session *s = pt_session_create(e, &(pt_session_config){.library_dir = dir}, NULL);
    pt_diags d;
    pt_diags_init(&d);
    if (pt_session_load(s, path, &d) != 0) {
        pt_diags_print(&d, stderr);
    } else {
        enum { R = 64 };
        double sc[R], plain[R], ctl[R];
        for (int i = 0; i < 60; i++) block_us(e, x, l, r);
        for (int k = 0; k < R; k++) {
            char name[16];
            snprintf(name, sizeof name, "sc%d", k % PT_RIG_MAX_SCENES);
            plain[k] = block_us(e, x, l, r);
            double t0 = now_ms();
            pt_session_scene_select(s, name, NULL);
            ctl[k] = now_ms() - t0;
            sc[k] = block_us(e, x, l, r);
            for (int i = 0; i < 10; i++) block_us(e, x, l, r);
        }
        qsort(sc, R, sizeof *sc, cmp);
        qsort(plain, R, sizeof *plain, cmp);
        qsort(ctl, R, sizeof *ctl, cmp);
        printf("rig limits: largest rig: scene change (64 values, 64 bypasses) block us_p50=%.2f "
               "us_max=%.2f (plain block p50 %.2f); control thread ms_p50=%.3f\n",
               sc[R / 2], sc[R - 1], plain[R / 2], ctl[R / 2]);
    }
    pt_diags_free(&d);
    pt_session_destroy(s);
    pt_engine_destroy(e);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    float x[FRAMES], l[FRAMES], r[FRAMES];
    unsigned seed = 1;
    for (int i = 0; i < FRAMES; i++) {
        seed = seed * 1664525u + 1013904223u;
        x[i] = 0.2f * ((float)(seed >> 8) / 8388608.0f - 1.0f);
    }
    char *chain = chain_rig(), *largest = largest_rig();
    bench_rig("64-node chain", chain, x, l, r);
    bench_rig("largest rig the limits allow", largest, x, l, r);
    bench_scenes(largest, x, l, r);
    free(chain);
    free(largest);
    return 0;
}
