/* perfcount.h — hardware counts of one thread's own work, through the
 * kernel's perf_event_open: instructions retired in user space.
 *
 * Why: on a virtual machine the thread's CPU clock also runs while the
 * hypervisor has stopped its virtual CPU, so "the callback used more than a
 * period of CPU time" does not prove the engine's work ran long. The number
 * of instructions the block retired cannot be inflated that way: the same
 * work is the same count, however long the machine stalled.
 *
 * Many virtual machines offer no hardware counters (perf_event_open fails
 * with ENOENT); then pt_perf_open returns NULL with the reason, and the
 * caller goes on without them. */
#ifndef PT_PERFCOUNT_H
#define PT_PERFCOUNT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct pt_perf_counter pt_perf_counter;

typedef enum pt_perf_kind {
    PT_PERF_INSTRUCTIONS, /* hardware: user-space instructions retired */
    PT_PERF_TASK_CLOCK,   /* software: the thread's clock; only to measure what a
                             read(2) of a counter costs where no hardware counter is */
} pt_perf_kind;

/* Open a counter of `kind` for thread `tid` (0: the calling thread), mapped
 * so that the counted thread can read it with rdpmc where the CPU and the
 * kernel allow. NULL when the machine offers none; `why` then says why
 * (e.g. "perf_event_open: No such file or directory"). */
pt_perf_counter *pt_perf_open(pt_perf_kind kind, pid_t tid, char *why, int why_size);
void pt_perf_close(pt_perf_counter *c);

/* RT: the count so far. Only the counted thread may call it. With rdpmc a
 * few tens of nanoseconds and no system call; otherwise one read(2) of the
 * counter (it never blocks or allocates; a microsecond or so). */
uint64_t pt_perf_read(pt_perf_counter *c);

pid_t pt_perf_tid(const pt_perf_counter *c);
/* Whether reads go through rdpmc (known after the first read on the counted
 * thread: the kernel publishes it in the mapped page). */
bool pt_perf_uses_rdpmc(const pt_perf_counter *c);

/* RT-safe: the calling thread's kernel id (one system call on a thread's
 * first use, then cached). */
pid_t pt_gettid(void);

#endif
