/* rt_swap_stress.c — measure what the audio thread does around program swaps.
 *
 *   build/rt_swap_stress [--seconds S] [--swap-ms M] [--busy N] [--no-faults]
 *                        [--max-faults K] [--slowest N] [--no-ir10]
 *
 * The engine runs on the virtual device (48 kHz, 64 frames: the soak's
 * settings) while this thread builds and swaps in, round robin, programs with
 * the things that were suspected of first-use work after a swap: the
 * high-gain rig (circuit, cab), the dual-amp rig (NAM capture, two cabs,
 * reverb), a NAM capture into a cab with a 10 s stereo IR (the convolver's
 * worker thread and its largest partitions), and a circuit into two cabs
 * (short IR, 2 s stereo plate). Every callback is recorded in a preallocated
 * array (no printing on the audio thread): wall time, the thread's CPU time,
 * minor and major page faults and context switches of the audio thread
 * (getrusage(RUSAGE_THREAD) before and after: two system calls per block,
 * in this tool only, outside pt_engine_process), and where the engine spent
 * the block (pt_engine_trace).
 *
 * Printed: callbacks, overruns (blocks longer than a period) with their
 * cause — "preempted" when the wall time exceeds the thread's CPU time by
 * more than half a period or the thread was switched out involuntarily,
 * "page faults" when the block faulted, else "work" — the audio thread's
 * page faults per swap, and the slowest blocks with their phases.
 *
 * --max-faults K: exit 1 when the audio thread took more than K page faults
 * after the warm-up (the first program's first half second). The regression
 * test (tests/e2e/test_rt_faults.sh) runs it with K = 0. Timings are only
 * printed, never checked. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <malloc.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "core/engine.h"
#include "core/rt.h"
#include "io/audiofile.h"
#include "core/node.h"
#include "graph/graph.h"
#include "io/backend.h"
#include "rig/rig.h"

enum { RATE = 48000, FRAMES = 64, N_KINDS = 4 };

typedef struct block {
    uint64_t t_ns;            /* start, since the device started */
    uint32_t wall_ns, cpu_ns; /* of the whole callback */
    uint16_t minflt, majflt, nivcsw, nvcsw;
    pt_engine_trace tr;
    int16_t kind;             /* program kind playing (-1: first program) */
    int16_t since_swap;       /* blocks since the last swap was sent, capped */
    int32_t swap_no;          /* swaps sent before this block (0: the first program) */
} block;

static struct {
    pt_engine *e;
    block *blocks;
    size_t cap;
    atomic_size_t n;
    pt_engine_trace tr;
    bool count_faults;
    atomic_int kind;
    atomic_int swap_seq;
    int last_seq, since_swap;
    int policy, prio;
    bool first, no_rt;
} g = {.first = true};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t g_t0;

/* The device's callback: the engine, wrapped in measurements. */
static void callback(void *user, const float *in, float *l, float *r, int frames)
{
    if (g.first) { /* once: what scheduling the device thread got */
        struct sched_param sp = {0};
        if (g.no_rt) pthread_setschedparam(pthread_self(), SCHED_OTHER, &sp);
        pthread_getschedparam(pthread_self(), &g.policy, &sp);
        g.prio = sp.sched_priority;
        pthread_setname_np(pthread_self(), "pt-audio");
        g.first = false;
    }
    struct rusage r0 = {0}, r1 = {0};
    if (g.count_faults) getrusage(RUSAGE_THREAD, &r0);
    uint64_t c0 = cpu_ns(), w0 = now_ns();
    pt_engine_process(user, in, l, r, frames);
    uint64_t w1 = now_ns(), c1 = cpu_ns();
    if (g.count_faults) getrusage(RUSAGE_THREAD, &r1);
    size_t i = atomic_load_explicit(&g.n, memory_order_relaxed);
    if (i >= g.cap) return;
    int seq = atomic_load_explicit(&g.swap_seq, memory_order_acquire);
    if (seq != g.last_seq) g.last_seq = seq, g.since_swap = 0;
    block *b = &g.blocks[i];
    b->t_ns = w0 - g_t0;
    b->wall_ns = (uint32_t)(w1 - w0);
    b->cpu_ns = (uint32_t)(c1 - c0);
    b->minflt = (uint16_t)(r1.ru_minflt - r0.ru_minflt);
    b->majflt = (uint16_t)(r1.ru_majflt - r0.ru_majflt);
    b->nivcsw = (uint16_t)(r1.ru_nivcsw - r0.ru_nivcsw);
    b->nvcsw = (uint16_t)(r1.ru_nvcsw - r0.ru_nvcsw);
    b->tr = g.tr;
    b->kind = (int16_t)atomic_load_explicit(&g.kind, memory_order_relaxed);
    b->since_swap = (int16_t)(g.since_swap < 30000 ? g.since_swap++ : 30000);
    b->swap_no = seq;
    atomic_store_explicit(&g.n, i + 1, memory_order_release);
}

static atomic_bool g_busy_stop;
static void *busy(void *arg)
{
    (void)arg;
    volatile double x = 1.0;
    while (!atomic_load_explicit(&g_busy_stop, memory_order_relaxed)) x = x * 1.0000001 + 1e-9;
    return NULL;
}

static const char *kind_name[N_KINDS] = {"high_gain rig (circuit, cab)",
                                         "dual_amp rig (nam, 2 cabs, reverb)",
                                         "nam -> cab 10 s stereo IR", "circuit -> cab -> cab 2 s"};

/* A 10 s stereo IR: decaying noise (a large hall), so the convolver has
 * async levels up to its largest partitions and a worker thread. */
static int write_ir10(const char *path)
{
    long n = 10L * RATE;
    float *ch[2] = {malloc((size_t)n * sizeof(float)), malloc((size_t)n * sizeof(float))};
    if (!ch[0] || !ch[1]) return -1;
    unsigned s = 12345;
    for (long i = 0; i < n; i++)
        for (int k = 0; k < 2; k++) {
            s = s * 1664525u + 1013904223u;
            float u = (float)(s >> 8) / 16777216.0f - 0.5f;
            ch[k][i] = u * expf(-6.9f * (float)i / (float)n); /* -60 dB at the end */
        }
    pt_error err = {0};
    int rc = pt_audio_write(path, (const float *const *)ch, 2, n, RATE, &err);
    if (rc) fprintf(stderr, "rt_swap_stress: %s\n", err.msg);
    free(ch[0]);
    free(ch[1]);
    return rc;
}

static pt_rig *load_rig(int kind, const char *src, const char *ir10)
{
    char text[2048], dir[1024];
    snprintf(dir, sizeof dir, "%s/rigs", src);
    pt_diags d;
    pt_diags_init(&d);
    pt_rig *r = NULL;
    if (kind == 0 || kind == 1) {
        char path[1100];
        snprintf(path, sizeof path, "%s/rigs/%s.yaml", src, kind == 0 ? "high_gain" : "dual_amp");
        r = pt_rig_load(path, &d);
    } else {
        if (kind == 2)
            snprintf(text, sizeof text,
                     "version: 1\nname: long cab\nchain:\n"
                     "  - {id: gate, type: gate}\n"
                     "  - {id: amp, type: nam, model: %s/models/a1_standard.nam}\n"
                     "  - {id: hall, type: cab, ir: %s, params: {mix_pct: 30}}\n",
                     src, ir10);
        else
            snprintf(text, sizeof text,
                     "version: 1\nname: circuit cabs\nchain:\n"
                     "  - {id: fuzz, type: circuit, circuit: %s/circuits/fuzz_face.yaml}\n"
                     "  - {id: cab, type: cab, ir: %s/irs/synthetic_4x12.wav}\n"
                     "  - {id: plate, type: cab, ir: %s/irs/plate_2s_stereo.wav, "
                     "params: {mix_pct: 25}}\n",
                     src, src, src);
        r = pt_rig_load_string(text, strlen(text), "stress.yaml", dir, &d);
    }
    if (!r) {
        fprintf(stderr, "rt_swap_stress: program kind %d: ", kind);
        pt_diags_print(&d, stderr);
    }
    pt_diags_free(&d);
    return r;
}

static int by_wall_desc(const void *a, const void *b)
{
    const block *x = *(const block *const *)a, *y = *(const block *const *)b;
    return x->wall_ns < y->wall_ns ? 1 : x->wall_ns > y->wall_ns ? -1 : 0;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

int main(int argc, char **argv)
{
    double seconds = 10.0;
    int swap_ms = 250, n_busy = 0, max_faults = -1, slowest = 8;
    bool ir10 = true, jack = false;
    g.count_faults = true;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--seconds") && i + 1 < argc) seconds = atof(argv[++i]);
        else if (!strcmp(argv[i], "--swap-ms") && i + 1 < argc) swap_ms = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--busy") && i + 1 < argc) n_busy = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--max-faults") && i + 1 < argc) max_faults = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--slowest") && i + 1 < argc) slowest = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--no-faults")) g.count_faults = false;
        else if (!strcmp(argv[i], "--no-ir10")) ir10 = false;
        else if (!strcmp(argv[i], "--no-rt")) g.no_rt = true;
        else if (!strcmp(argv[i], "--jack")) jack = true;
        else {
            fprintf(stderr, "usage: %s [--seconds S] [--swap-ms M] [--busy N] [--no-faults] "
                            "[--max-faults K] [--slowest N] [--no-ir10] [--no-rt] [--jack]\n", argv[0]);
            return 2;
        }
    }
    if (swap_ms < 30) swap_ms = 30; /* longer than a crossfade */
    const char *src = getenv("PT_SOURCE_DIR");
    if (!src) src = ".";
    char ir10_path[256];
    snprintf(ir10_path, sizeof ir10_path, "/tmp/rt_swap_stress_%d_ir10.wav", (int)getpid());
    if (ir10 && write_ir10(ir10_path) != 0) return 1;

    pt_rig *rigs[N_KINDS] = {0};
    int n_kinds = ir10 ? N_KINDS : N_KINDS - 1;
    for (int k = 0, j = 0; j < N_KINDS; j++) {
        if (!ir10 && j == 2) continue;
        rigs[k] = load_rig(j, src, ir10_path);
        if (!rigs[k]) return 1;
        kind_name[k] = kind_name[j];
        k++;
    }

    g.cap = (size_t)(seconds * RATE / FRAMES * 1.25) + 2000;
    g.blocks = calloc(g.cap, sizeof *g.blocks);
    if (!g.blocks) return 1;
    /* touched here, not on the audio thread (volatile: a memset after calloc
     * is optimised away) */
    for (size_t off = 0; off < g.cap * sizeof *g.blocks; off += 4096)
        ((volatile char *)g.blocks)[off] = 0;

    pt_error err = {0};
    pt_backend_config bc = {.rate = RATE, .frames = FRAMES};
    char di[1100];
    snprintf(di, sizeof di, "%s/assets/di/guitar_di.wav", src);
    bc.input_file = di;
    bc.client_name = "rt_swap_stress";
    const pt_backend_ops *ops = &pt_backend_virtual;
#ifdef PT_HAVE_JACK
    if (jack) ops = &pt_backend_jack;
#else
    if (jack) {
        fprintf(stderr, "rt_swap_stress: built without JACK\n");
        return 77;
    }
#endif
    pt_backend *dev;
    if (ops->open(&dev, &bc, &err) != 0) {
        fprintf(stderr, "rt_swap_stress: %s\n", err.msg);
        return 1;
    }
    pt_engine_config ec = {.rate = RATE, .max_frames = FRAMES, .clip_output = true};
    uint64_t e0 = now_ns();
    g.e = pt_engine_create(&ec, &err);
    double create_ms = (double)(now_ns() - e0) * 1e-6;
    pt_engine_set_trace(g.e, &g.tr);
    atomic_store(&g.kind, -1);
    /* The first program: a plain EQ, so that every node type the swaps bring
     * (circuit, cab, NAM, reverb) is used for the first time in this process
     * after the warm-up, as when a cab is added live from the UI. */
    pt_chain *c0 = pt_chain_new();
    pt_node_config nc = {.id = "eq"};
    pt_chain_add_node(c0, pt_node_create(pt_node_type_find("eq"), &nc, &err));
    pt_program *first = pt_program_build(c0, RATE, FRAMES, &err);
    pt_chain_free(c0);
    if (!first || pt_engine_swap(g.e, first, &err) != 0) {
        fprintf(stderr, "rt_swap_stress: %s\n", err.msg);
        return 1;
    }
    pthread_t busy_t[8];
    if (n_busy > 8) n_busy = 8;
    for (int i = 0; i < n_busy; i++) pthread_create(&busy_t[i], NULL, busy, NULL);
    g_t0 = now_ns();
    if (ops->start(dev, callback, g.e, &err) != 0) {
        fprintf(stderr, "rt_swap_stress: %s\n", err.msg);
        return 1;
    }
    sleep_ms(500); /* warm-up: the device thread's own first-use faults */
    size_t warm = atomic_load(&g.n);

    int swaps = 0;
    double build_max_ms = 0, build_sum_ms = 0;
    uint64_t t_end = now_ns() + (uint64_t)(seconds * 1e9);
    while (now_ns() < t_end) {
        int kind = swaps % n_kinds;
        uint64_t b0 = now_ns();
        pt_program *p = pt_rig_build_program(rigs[kind], RATE, FRAMES, &err);
        double ms = (double)(now_ns() - b0) * 1e-6;
        if (!p) {
            fprintf(stderr, "rt_swap_stress: build: %s\n", err.msg);
            return 1;
        }
        build_sum_ms += ms;
        if (ms > build_max_ms) build_max_ms = ms;
        if (pt_engine_swap(g.e, p, &err) != 0) {
            fprintf(stderr, "rt_swap_stress: swap: %s\n", err.msg);
            return 1;
        }
        atomic_store(&g.kind, kind);
        atomic_fetch_add_explicit(&g.swap_seq, 1, memory_order_release);
        swaps++;
        sleep_ms(swap_ms);
        /* as the session's poll does: free the retired program, then give
         * the freed heap back (malloc_trim) — which must not cost the audio
         * thread page faults either */
        if (pt_engine_collect(g.e) > 0) malloc_trim(0);
    }
    ops->stop(dev);
    atomic_store(&g_busy_stop, true);
    for (int i = 0; i < n_busy; i++) pthread_join(busy_t[i], NULL);

    size_t n = atomic_load(&g.n);
    const double period_ns = 1e9 * FRAMES / RATE;
    unsigned long faults = 0, majfaults = 0, fault_blocks = 0, first_use_faults = 0;
    unsigned long over = 0, over_on = 0, over_on_flt = 0, over_off = 0, over_off_sw = 0,
                  over_block = 0, preempted_blocks = 0, blocked_blocks = 0;
    double cpu_max = 0;
    for (size_t i = warm; i < n; i++) {
        const block *b = &g.blocks[i];
        faults += b->minflt;
        /* the blocks of each kind's first turn: first use in this process */
        if (b->swap_no >= 1 && b->swap_no <= n_kinds) first_use_faults += b->minflt + b->majflt;
        majfaults += b->majflt;
        fault_blocks += (b->minflt + b->majflt) > 0;
        preempted_blocks += b->nivcsw > 0;
        blocked_blocks += b->nvcsw > 0;
        if (b->cpu_ns > cpu_max) cpu_max = b->cpu_ns;
        if (b->wall_ns > period_ns) {
            over++;
            /* As the engine splits them (preempted=N in its stats line): the
             * thread on its CPU for more than the period is our work (or
             * interrupts, charged to the interrupted thread on this kernel);
             * less, and it was kept off its CPU — switched out for another
             * thread (an involuntary switch), or with no switch seen (the
             * hypervisor stopped the virtual CPU). A voluntary switch means
             * the thread waited for something (a lock, a page). */
            if (b->nvcsw) over_block++;
            if (b->cpu_ns > period_ns) {
                over_on++;
                over_on_flt += (b->minflt + b->majflt) > 0;
            } else {
                over_off++;
                over_off_sw += b->nivcsw > 0;
            }
        }
    }
    pt_load_summary ls;
    pt_engine_load(g.e, &ls);
    const char *pol = g.policy == SCHED_FIFO ? "SCHED_FIFO" : g.policy == SCHED_RR ? "SCHED_RR"
                                                                                 : "SCHED_OTHER";
    printf("rt_swap_stress: device thread %s priority %d; %d swaps every %d ms over %.0f s, "
           "%d program kinds; %d busy threads; %ld CPUs\n",
           pol, g.prio, swaps, swap_ms, seconds, n_kinds, n_busy, sysconf(_SC_NPROCESSORS_ONLN));
    printf("rt_swap_stress: engine created in %.1f ms (code prefault included); builds: mean "
           "%.1f ms, max %.1f ms (control thread)\n",
           create_ms, swaps ? build_sum_ms / swaps : 0.0, build_max_ms);
    printf("rt_swap_stress: callbacks=%zu (after warm-up) overruns=%lu [on its CPU over a "
           "period %lu (with page faults %lu); kept off its CPU %lu (switched out %lu, no switch "
           "seen %lu); waited %lu] engine: overruns=%llu preempted=%llu load_max=%.1f%%\n",
           n - warm, over, over_on, over_on_flt, over_off, over_off_sw, over_off - over_off_sw,
           over_block, (unsigned long long)ls.overruns, (unsigned long long)ls.preempted,
           ls.load_max);
    if (g.count_faults)
        printf("rt_swap_stress: audio-thread page faults=%lu (major %lu) in %lu blocks, "
               "%.2f per swap; %lu of them in the first turn of each program kind (first use); "
               "blocks switched out involuntarily=%lu, voluntarily=%lu\n",
               faults + majfaults, majfaults, fault_blocks,
               swaps ? (double)(faults + majfaults) / swaps : 0.0, first_use_faults,
               preempted_blocks, blocked_blocks);
    printf("rt_swap_stress: worst CPU time in a block %.0f us (period %.0f us)\n", cpu_max * 1e-3,
           period_ns * 1e-3);

    /* The slowest blocks, with their phases. */
    size_t m = n - warm;
    const block **idx = malloc((m ? m : 1) * sizeof *idx);
    for (size_t i = 0; i < m; i++) idx[i] = &g.blocks[warm + i];
    qsort(idx, m, sizeof *idx, by_wall_desc);
    printf("rt_swap_stress: t_s 0 = CLOCK_MONOTONIC %.6f s\n", (double)g_t0 * 1e-9);
    printf("  %-8s %8s %8s %5s %5s %5s %7s %7s %7s %7s %5s  %-5s %s\n", "t_s", "wall_us",
           "cpu_us", "flt", "ivcs", "vcs", "drain", "cur", "old", "guard", "blk", "swap", "program");
    for (int i = 0; i < slowest && (size_t)i < m; i++) {
        const block *b = idx[i];
        printf("  %-8.3f %8.0f %8.0f %5u %5u %5u %7.0f %7.0f %7.0f %7.0f %5d  %-5s %s\n",
               (double)b->t_ns * 1e-9, b->wall_ns * 1e-3, b->cpu_ns * 1e-3,
               (unsigned)(b->minflt + b->majflt), (unsigned)b->nivcsw, (unsigned)b->nvcsw,
               b->tr.drain_ns * 1e-3,
               b->tr.cur_ns * 1e-3, b->tr.old_ns * 1e-3, b->tr.guard_ns * 1e-3, b->since_swap,
               b->tr.swaps ? "in" : (b->tr.fading ? "fade" : ""),
               b->kind >= 0 ? kind_name[b->kind] : "first");
    }
    free(idx);
    /* Where the faults were: blocks since the swap and phase. */
    if (g.count_faults && faults + majfaults) {
        printf("  faulting blocks (first 12):\n");
        int shown = 0;
        for (size_t i = warm; i < n && shown < 12; i++) {
            const block *b = &g.blocks[i];
            if (!(b->minflt + b->majflt)) continue;
            printf("  t=%.3f s flt=%u wall=%.0f us cur=%.0f old=%.0f drain=%.0f swap#%d blk=%d %s "
                   "%s\n",
                   (double)b->t_ns * 1e-9, (unsigned)(b->minflt + b->majflt), b->wall_ns * 1e-3,
                   b->tr.cur_ns * 1e-3, b->tr.old_ns * 1e-3, b->tr.drain_ns * 1e-3, b->swap_no,
                   b->since_swap,
                   b->tr.swaps ? "swap-in" : (b->tr.fading ? "fade" : ""),
                   b->kind >= 0 ? kind_name[b->kind] : "first");
            shown++;
        }
    }

    ops->close(dev);
    pt_engine_destroy(g.e);
    for (int k = 0; k < N_KINDS; k++) pt_rig_free(rigs[k]);
    free(g.blocks);
    if (ir10) remove(ir10_path);
    if (max_faults >= 0 && g.count_faults && faults + majfaults > (unsigned long)max_faults) {
        printf("rt_swap_stress: FAIL: %lu page faults on the audio thread (allowed %d)\n",
               faults + majfaults, max_faults);
        return 1;
    }
    return 0;
}
