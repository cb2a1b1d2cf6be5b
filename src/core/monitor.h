/* monitor.h — attributes each overrun to the engine's work, to the machine,
 * or to nothing that can tell, with evidence a hypervisor cannot inflate.
 *
 * The audio thread's CPU clock is not enough on a virtual machine: the
 * kernel there often reports no steal time, so a block during which the
 * hypervisor stopped the virtual CPU counts as the thread's own CPU time.
 * The monitor is one ordinary thread beside the audio thread that
 *   - opens a hardware instruction counter for the audio thread where the
 *     kernel offers one (core/perfcount.h): a block whose instructions, at
 *     the rate this thread retires them in its normal blocks, fit in the
 *     period was not too much work, whatever the clocks say;
 *   - runs a canary: a constant unit of work every millisecond, timed. When
 *     the unit suddenly takes many times its CPU time, or the thread wakes
 *     late without having waited in a run queue (its schedstat), the machine
 *     itself stalled; an overrun overlapping such a stall is the machine's;
 *   - attributes each overrun the audio thread reports (pt_overrun_classify)
 *     and counts the result in the engine's load statistics, which the
 *     stats line and the control protocol's state show.
 * Without counters or a stall on record, an overrun on a virtual machine
 * whose thread used more than a period of CPU time is "unknown": the
 * engine is not blamed for what the machine may have done. */
#ifndef PT_MONITOR_H
#define PT_MONITOR_H

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"

/* What is known around one overrun. */
typedef struct pt_overrun_evidence {
    double ns_per_instruction; /* the audio thread's pace in normal blocks; 0: unknown */
    bool machine_stalled;      /* the canary saw a stall overlapping the block */
    bool bare_metal;           /* no hypervisor: CPU time is the thread's own */
} pt_overrun_evidence;

/* The rule, on its own for tests:
 *   CPU time <= period            -> machine (the thread was kept off its CPU)
 *   instructions and a pace known -> engine if instructions x pace > period,
 *                                    else machine
 *   the canary saw a stall        -> machine
 *   bare metal, CPU time > period -> engine
 *   otherwise                     -> unknown */
pt_overrun_cause pt_overrun_classify(const pt_overrun_record *r, const pt_overrun_evidence *ev);

/* A stall, judged from one canary tick: the unit's CPU time against the
 * fastest unit seen, and how late the thread woke beyond the time it spent
 * waiting for a CPU in its run queue. */
bool pt_canary_stalled(uint64_t unit_cpu_ns, uint64_t unit_min_ns, uint64_t late_ns,
                       uint64_t queued_ns);

typedef struct pt_monitor_config {
    int virtualized;   /* -1: detect (CPUID), 0: bare metal, 1: a virtual machine */
    bool no_counters;  /* do not open instruction counters */
    bool no_canary;    /* attribute without the canary's work */
} pt_monitor_config;

typedef struct pt_monitor pt_monitor;

/* Start the monitor thread for `e` (before or after the device starts).
 * NULL only when no thread could be started. */
pt_monitor *pt_monitor_start(pt_engine *e, const pt_monitor_config *cfg);
/* After the audio thread has stopped: attributes what is still waiting,
 * closes the counters, ends the thread. NULL is fine. */
void pt_monitor_stop(pt_monitor *m);
/* Why no instruction counter is in use ("" when one is). */
const char *pt_monitor_counter_status(pt_monitor *m);

/* The machine: whether CPUID says a hypervisor runs us (x86; elsewhere
 * assumed, so that the engine is not blamed on a guess). */
bool pt_running_virtualized(void);

#endif
