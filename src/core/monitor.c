/* monitor.c — see monitor.h. One thread: a canary tick every millisecond,
 * then the overruns the audio thread reported, attributed once the canary
 * has watched past their end. */
#include "monitor.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include "perfcount.h"
#include "platform/platform.h"
#include "rt.h"

enum {
    TICK_NS = 1000000,     /* a canary unit every millisecond */
    UNIT_TARGET_NS = 20000, /* of about 20 us: 2 % of one core */
    N_STALLS = 64,          /* the most recent stalls, for overlap tests */
    N_WAIT = 256,           /* overruns waiting for the canary to pass them */
    N_COUNTERS = 8,         /* audio threads a session may go through (reconnects) */
};
/* an overrun and a stall this close count as overlapping: the stall's own
 * start and end are known to a tick's precision */
#define SLACK_NS 200000ull
/* the normal blocks' pace is trusted once this much of their time is summed */
#define PACE_MIN_NS 2000000ull

typedef struct interval {
    uint64_t from_ns, to_ns;
} interval;

struct pt_monitor {
    pt_engine *e;
    pt_monitor_config cfg;
    pthread_t thread;
    atomic_bool stop;
    bool bare_metal;
    unsigned basis;
    char counter_status[160];
    /* canary (monitor thread only) */
    uint64_t unit_iterations, unit_min_ns;
    int schedstat_fd;
    interval stalls[N_STALLS];
    unsigned n_stalls; /* ever recorded; the ring holds the last N_STALLS */
    uint64_t covered_ns; /* the canary has watched the machine up to here */
    /* instruction counters (monitor thread only) */
    pt_perf_counter *counters[N_COUNTERS];
    int n_counters, counter_tid;
    pt_overrun_record wait[N_WAIT];
    int n_wait;
};

pt_overrun_cause pt_overrun_classify(const pt_overrun_record *r, const pt_overrun_evidence *ev)
{
    if (r->cpu_ns && r->cpu_ns <= r->period_ns) return PT_CAUSE_MACHINE; /* preempted */
    if (r->has_instructions && ev->ns_per_instruction > 0)
        return (double)r->instructions * ev->ns_per_instruction > (double)r->period_ns
                   ? PT_CAUSE_ENGINE
                   : PT_CAUSE_MACHINE;
    if (ev->machine_stalled) return PT_CAUSE_MACHINE;
    if (ev->bare_metal && r->cpu_ns) return PT_CAUSE_ENGINE;
    return PT_CAUSE_UNKNOWN;
}

bool pt_canary_stalled(uint64_t unit_cpu_ns, uint64_t unit_min_ns, uint64_t late_ns,
                       uint64_t queued_ns)
{
    /* A constant unit cannot take four times its best CPU time by itself:
     * cache and frequency effects stay well under 2x; a virtual CPU stopped
     * while it ran is counted in full on a kernel that reports no steal. */
    if (unit_min_ns && unit_cpu_ns > 4 * unit_min_ns + 200000) return true;
    /* Woken half a millisecond late without waiting for a CPU: nothing in
     * this kernel ran instead of us; the machine did not run at all. */
    return late_ns > queued_ns + 500000;
}

bool pt_running_virtualized(void)
{
#if defined(__x86_64__) || defined(__i386__)
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return true;
    return (c >> 31) & 1; /* CPUID.1:ECX.hypervisor */
#else
    return true;
#endif
}

static uint64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    if (clock_gettime(id, &ts) != 0) return 0;
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The constant unit: a chain of dependent multiply-adds that no compiler
 * may shorten (the empty asm hides the value from it). */
static uint64_t canary_unit(uint64_t iterations)
{
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (uint64_t i = 0; i < iterations; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        __asm__ volatile("" : "+r"(x));
    }
    return x;
}

/* Time this thread spent runnable but waiting for a CPU (the second field
 * of its schedstat); 0 where the kernel does not keep it. */
static uint64_t queued_ns(pt_monitor *m)
{
    return pt_thread_queued_ns(m->schedstat_fd);
}

static void calibrate(pt_monitor *m)
{
    uint64_t best = UINT64_MAX;
    for (int i = 0; i < 5; i++) {
        uint64_t c0 = pt_thread_cpu_ns();
        (void)canary_unit(20000);
        uint64_t c = pt_thread_cpu_ns() - c0;
        if (c && c < best) best = c;
    }
    if (best == UINT64_MAX) best = 20000;
    m->unit_iterations = 20000ull * UNIT_TARGET_NS / best;
    if (m->unit_iterations < 1000) m->unit_iterations = 1000;
}

static bool overlaps_stall(const pt_monitor *m, uint64_t t0, uint64_t t1)
{
    unsigned n = m->n_stalls < N_STALLS ? m->n_stalls : N_STALLS;
    for (unsigned i = 0; i < n; i++) {
        const interval *s = &m->stalls[i];
        if (s->from_ns < t1 + SLACK_NS && s->to_ns + SLACK_NS > t0) return true;
    }
    return false;
}

/* Open an instruction counter for the audio thread once it is known. */
static void attach_counter(pt_monitor *m)
{
    int tid = pt_engine_audio_tid(m->e);
    if (m->cfg.no_counters || !tid || tid == m->counter_tid || m->n_counters == N_COUNTERS) return;
    m->counter_tid = tid;
    pt_perf_counter *c = pt_perf_open(PT_PERF_INSTRUCTIONS, tid, NULL, 0);
    if (!c) return;
    m->counters[m->n_counters++] = c;
    pt_engine_set_counter(m->e, c);
    m->basis |= PT_BASIS_INSTRUCTIONS;
    pt_load_stats_basis(pt_engine_load_stats(m->e), m->basis);
}

/* Attribute the overruns the canary has watched past (all of them when
 * `final`: nothing more will be seen). */
static void attribute(pt_monitor *m, bool final)
{
    pt_overrun_record r;
    while (m->n_wait < N_WAIT && pt_engine_take_overrun(m->e, &r)) m->wait[m->n_wait++] = r;
    uint64_t instructions, ns;
    pt_engine_normal_work(m->e, &instructions, &ns);
    pt_overrun_evidence ev = {.bare_metal = m->bare_metal};
    if (instructions && ns >= PACE_MIN_NS) ev.ns_per_instruction = (double)ns / (double)instructions;
    int kept = 0;
    for (int i = 0; i < m->n_wait; i++) {
        r = m->wait[i];
        if (!final && !m->cfg.no_canary && r.t1_ns + SLACK_NS > m->covered_ns) {
            m->wait[kept++] = r;
            continue;
        }
        ev.machine_stalled = overlaps_stall(m, r.t0_ns, r.t1_ns);
        pt_load_stats_attribute(pt_engine_load_stats(m->e), pt_overrun_classify(&r, &ev));
    }
    m->n_wait = kept;
}

/* One canary tick: sleep to `deadline`, run the unit, record a stall. */
static void canary_tick(pt_monitor *m, uint64_t deadline, uint64_t *queued)
{
    while (pt_sleep_until_ns(deadline) != 0 && !atomic_load(&m->stop)) {
    }
    uint64_t woke = clock_ns(CLOCK_MONOTONIC);
    uint64_t q = queued_ns(m);
    uint64_t waited = q > *queued ? q - *queued : 0;
    *queued = q;
    if (m->cfg.no_canary) {
        m->covered_ns = woke;
        return;
    }
    uint64_t c0 = pt_thread_cpu_ns();
    uint64_t w0 = clock_ns(CLOCK_MONOTONIC);
    (void)canary_unit(m->unit_iterations);
    uint64_t cpu = pt_thread_cpu_ns() - c0;
    uint64_t w1 = clock_ns(CLOCK_MONOTONIC);
    uint64_t late = woke > deadline ? woke - deadline : 0;
    if (pt_canary_stalled(cpu, m->unit_min_ns, late, waited)) {
        interval *s = &m->stalls[m->n_stalls++ % N_STALLS];
        s->from_ns = late > waited + 500000 ? deadline : w0;
        s->to_ns = w1;
        pt_load_stats_stall(pt_engine_load_stats(m->e));
    } else if (cpu && (!m->unit_min_ns || cpu < m->unit_min_ns)) {
        m->unit_min_ns = cpu; /* the fastest unit: the machine at full speed */
    }
    m->covered_ns = w1;
}

static void *monitor_main(void *arg)
{
    pt_monitor *m = arg;
    pt_thread_min_timer_slack(); /* wake-ups on time: lateness is evidence */
    pt_thread_set_realtime(pthread_self(), 0); /* best effort: never above audio */
    m->schedstat_fd = pt_thread_queue_open();
    calibrate(m);
    uint64_t queued = queued_ns(m);
    uint64_t deadline = clock_ns(CLOCK_MONOTONIC);
    while (!atomic_load(&m->stop)) {
        deadline += TICK_NS;
        canary_tick(m, deadline, &queued);
        uint64_t now = clock_ns(CLOCK_MONOTONIC);
        if (now > deadline + 50ull * TICK_NS) deadline = now; /* after a long stall: no burst */
        attach_counter(m);
        attribute(m, false);
    }
    attribute(m, true);
    pt_thread_queue_close(m->schedstat_fd);
    return NULL;
}

pt_monitor *pt_monitor_start(pt_engine *e, const pt_monitor_config *cfg)
{
    pt_monitor *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->e = e;
    if (cfg) m->cfg = *cfg;
    else m->cfg.virtualized = -1;
    m->schedstat_fd = -1;
    m->bare_metal = m->cfg.virtualized < 0 ? !pt_running_virtualized() : m->cfg.virtualized == 0;
    /* whether this machine offers an instruction counter at all: try one on
     * this thread (opened again for the audio thread once it runs) */
    if (!m->cfg.no_counters) {
        pt_perf_counter *probe =
            pt_perf_open(PT_PERF_INSTRUCTIONS, 0, m->counter_status, sizeof m->counter_status);
        if (probe) pt_perf_close(probe);
        else m->cfg.no_counters = true;
    } else {
        snprintf(m->counter_status, sizeof m->counter_status, "not asked for");
    }
    m->basis = PT_BASIS_CPU_TIME | (m->cfg.no_canary ? 0 : PT_BASIS_CANARY) |
               (m->bare_metal ? PT_BASIS_BARE_METAL : 0);
    pt_load_stats_basis(pt_engine_load_stats(e), m->basis);
    if (pthread_create(&m->thread, NULL, monitor_main, m) != 0) {
        free(m);
        return NULL;
    }
    return m;
}

void pt_monitor_stop(pt_monitor *m)
{
    if (!m) return;
    atomic_store(&m->stop, true);
    pthread_join(m->thread, NULL);
    pt_engine_set_counter(m->e, NULL);
    for (int i = 0; i < m->n_counters; i++) pt_perf_close(m->counters[i]);
    free(m);
}

const char *pt_monitor_counter_status(pt_monitor *m) { return m ? m->counter_status : "no monitor"; }
