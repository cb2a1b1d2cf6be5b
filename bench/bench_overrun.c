/* bench_overrun.c — what overrun attribution costs the audio thread per
 * callback (core/monitor.h): reading the thread's CPU clock (after an
 * overrun), reading its instruction counter (once per callback: rdpmc
 * through the mapped page where the CPU and kernel allow, else read(2)),
 * and the canary's share of a core. Printed, never judged. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/perfcount.h"

enum { N = 200000 };

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static double cost_cpu_clock(void)
{
    struct timespec ts;
    double best = 1e18;
    for (int r = 0; r < N / 100; r++) {
        double t0 = now_ns();
        for (int i = 0; i < 100; i++) clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
        double per = (now_ns() - t0) / 100;
        if (per < best) best = per;
    }
    return best;
}

/* the best of many batches of 100: on a shared machine a long batch is
 * always preempted somewhere; the best batch is the cost itself */
static double cost_counter(pt_perf_counter *c)
{
    double best = 1e18;
    volatile uint64_t sink = 0;
    for (int r = 0; r < N / 100; r++) {
        double t0 = now_ns();
        for (int i = 0; i < 100; i++) sink += pt_perf_read(c);
        double per = (now_ns() - t0) / 100;
        if (per < best) best = per;
    }
    (void)sink;
    return best;
}

int main(void)
{
    const double period_ns = 64 / 48000.0 * 1e9;
    double cpu = cost_cpu_clock();
    printf("thread CPU clock (clock_gettime): %.0f ns a read (%.3f %% of a 64-frame period; "
           "once per callback, once more after an overrun)\n", cpu, 100.0 * cpu / period_ns);
    char why[160] = "";
    pt_perf_counter *c = pt_perf_open(PT_PERF_INSTRUCTIONS, 0, why, sizeof why);
    if (c) {
        double per = cost_counter(c);
        printf("instruction counter: %.0f ns a read via %s (%.3f %% of a 64-frame period; one "
               "read per callback)\n", per, pt_perf_uses_rdpmc(c) ? "rdpmc" : "read(2)",
               100.0 * per / period_ns);
        pt_perf_close(c);
    } else {
        printf("instruction counter: not offered by this machine (%s): attribution falls back "
               "to the canary and CPU time\n", why);
    }
    pt_perf_counter *sw = pt_perf_open(PT_PERF_TASK_CLOCK, 0, why, sizeof why);
    if (sw) {
        double per = cost_counter(sw);
        printf("a counter read by read(2) (software task clock, for the cost of the fallback): "
               "%.0f ns (%.3f %% of a 64-frame period)\n", per, 100.0 * per / period_ns);
        pt_perf_close(sw);
    } else {
        printf("a counter read by read(2): no software counter either (%s)\n", why);
    }
    double t0 = now_ns();
    volatile pid_t tid = 0;
    for (int i = 0; i < N; i++) tid += pt_gettid();
    printf("audio thread id (cached): %.1f ns a call\n", (now_ns() - t0) / N);
    printf("canary: a 20 us unit of work every 1 ms on its own thread: 2 %% of one core\n");
    return 0;
}
