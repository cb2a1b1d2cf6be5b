/* stats.h — DSP load of every callback, recorded lock-free by the audio
 * thread into a histogram that any thread can summarise. Load is the time
 * spent processing a callback as a fraction of its period (frames / rate);
 * an engine-caused overrun is a callback that took longer than its period. */
#ifndef PT_STATS_H
#define PT_STATS_H

#include <stdatomic.h>
#include <stdint.h>

#define PT_LOAD_BUCKETS 2001 /* 0.1 % steps from 0 to 200 %, the last collects the rest */

typedef struct pt_load_stats {
    atomic_uint bucket[PT_LOAD_BUCKETS];
    atomic_ullong callbacks;
    atomic_ullong overruns;
    atomic_ullong preempted;  /* overruns during which the thread ran for less
                                 than the period (see pt_load_stats_preempted) */
    atomic_uint max_load_ppm; /* parts per million of the period */
    atomic_uint max_overrun_cpu_ppm; /* the most CPU time an overrun took, same unit */
    /* attribution (core/monitor.h), written by the monitor thread only */
    atomic_ullong by_cause[3];  /* overruns attributed, by pt_overrun_cause */
    atomic_ullong machine_stalls; /* stalls the canary saw, overrun or not */
    atomic_uint basis;           /* PT_BASIS_* the attribution had to go on */
} pt_load_stats;

/* What caused an overrun, as far as the evidence goes (core/monitor.c). */
typedef enum pt_overrun_cause {
    PT_CAUSE_ENGINE,  /* the block's own work did not fit in the period */
    PT_CAUSE_MACHINE, /* the work fitted; the thread or the machine was held up */
    PT_CAUSE_UNKNOWN, /* nothing that can tell (e.g. a VM without counters) */
} pt_overrun_cause;

/* Evidence the attribution had, OR-ed into pt_load_stats.basis. */
enum {
    PT_BASIS_CPU_TIME = 1,     /* the thread's CPU clock */
    PT_BASIS_INSTRUCTIONS = 2, /* hardware instruction counts (perf_event_open) */
    PT_BASIS_CANARY = 4,       /* a constant-work thread watching for machine stalls */
    PT_BASIS_BARE_METAL = 8,   /* no hypervisor: the CPU clock is the thread's own */
};

typedef struct pt_load_summary {
    uint64_t callbacks, overruns;
    uint64_t preempted; /* of the overruns: the thread was off its CPU */
    double overrun_cpu_max; /* the most CPU time of an overrun, percent of the period */
    double load_p50, load_p99, load_max; /* percent of the period */
    /* of the overruns: attributed to the engine's work, to the machine (the
     * preempted ones among them), and the rest (not attributable, or not yet) */
    uint64_t overruns_engine, overruns_machine, overruns_unknown;
    uint64_t machine_stalls;
    unsigned basis; /* PT_BASIS_* */
} pt_load_summary;

void pt_load_stats_init(pt_load_stats *s);
/* RT: one callback that took `ns` nanoseconds for a period of `period_ns`. */
void pt_load_stats_record(pt_load_stats *s, uint64_t ns, uint64_t period_ns);
/* RT: the overrun just recorded was not the callback's own work: its thread
 * ran for less than the period (thread CPU time), so for the rest of the
 * block it was waiting for a CPU — preempted by a thread of higher priority,
 * held off by the kernel, or its virtual CPU stopped by the hypervisor. */
void pt_load_stats_preempted(pt_load_stats *s);
/* RT: the overrun just recorded ran for `cpu_ns` of CPU time. */
void pt_load_stats_overrun_cpu(pt_load_stats *s, uint64_t cpu_ns, uint64_t period_ns);
/* Monitor thread: one overrun attributed; one machine stall seen. */
void pt_load_stats_attribute(pt_load_stats *s, pt_overrun_cause cause);
void pt_load_stats_stall(pt_load_stats *s);
void pt_load_stats_basis(pt_load_stats *s, unsigned basis);
void pt_load_stats_summary(const pt_load_stats *s, pt_load_summary *out);
/* "instructions+canary+cpu-time", or "none" */
void pt_load_basis_text(unsigned basis, char *buf, int size);
/* The one line scripts read:
 * "stats: callbacks=N overruns=N load_p50=X% ... preempted=N overrun_cpu_max=X%
 *  overruns_engine=N overruns_machine=N overruns_unknown=N machine_stalls=N
 *  attribution=WORDS" */
void pt_load_summary_line(const pt_load_summary *s, char *buf, int size);

#endif
