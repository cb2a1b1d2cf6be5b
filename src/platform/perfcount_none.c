/* perfcount_none.c — core/perfcount.h where the kernel offers no
 * per-thread hardware counters to programs (macOS, Windows): pt_perf_open
 * says so, and overruns are judged by the thread's CPU time (monitor.h). */
#if !defined(__linux__)

#include "core/perfcount.h"
#include "platform.h"

#include <stdio.h>

pid_t pt_gettid(void) { return (pid_t)pt_thread_id(); }

pt_perf_counter *pt_perf_open(pt_perf_kind kind, pid_t tid, char *why, int why_size)
{
    if (why) snprintf(why, (size_t)why_size, "no per-thread hardware counters on %s", pt_platform_name());
    return NULL;
}

void pt_perf_close(pt_perf_counter *c) {}
uint64_t pt_perf_read(pt_perf_counter *c) { return 0; }
pid_t pt_perf_tid(const pt_perf_counter *c) { return 0; }
bool pt_perf_uses_rdpmc(const pt_perf_counter *c) { return false; }

#else
typedef int pt_perfcount_none_unused; /* ISO C wants something in a file */
#endif
