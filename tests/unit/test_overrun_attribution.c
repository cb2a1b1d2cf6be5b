/* test_overrun_attribution.c — each overrun is put down to the engine's
 * work, to the machine, or to nothing that can tell (core/monitor.h), and
 * the instruction counters it relies on count what they should.
 *
 * References: the rule written out in monitor.h, applied to records whose
 * answer follows from arithmetic (instructions x pace against the period);
 * the kernel's own CPU clock of the thread (CLOCK_THREAD_CPUTIME_ID) for a
 * counter read through read(2); a loop of known length for the hardware
 * instruction counter, where the machine offers one; and two known causes
 * driven through a real engine with the monitor running: a block that
 * sleeps 3 ms (held up: the machine's) and one that computes 3 ms (ours). */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/monitor.h"
#include "core/node.h"
#include "core/perfcount.h"
#include "core/stats.h"
#include "testutil.h"

enum { RATE = 48000, FRAMES = 64 };
#define PERIOD_NS 1333333ull

static uint64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t chain(uint64_t iterations)
{
    uint64_t x = 1;
    for (uint64_t i = 0; i < iterations; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        __asm__ volatile("" : "+r"(x));
    }
    return x;
}

/* ------------------------------------------------------------- the rule */

static pt_overrun_record rec(uint64_t cpu_ns, int has, uint64_t instructions)
{
    pt_overrun_record r = {.t0_ns = 1000000, .t1_ns = 3000000, .period_ns = PERIOD_NS,
                           .cpu_ns = cpu_ns, .instructions = instructions,
                           .has_instructions = has};
    return r;
}

static void the_rule_follows_the_evidence(void **state)
{
    (void)state;
    pt_overrun_evidence vm = {0}, metal = {.bare_metal = true};
    pt_overrun_evidence paced = {.ns_per_instruction = 0.5}; /* 2 instructions a ns */
    pt_overrun_record r;

    /* ran for less than the period: held off its CPU, whatever else is known */
    r = rec(900000, 1, 100000000);
    assert_int_equal(pt_overrun_classify(&r, &paced), PT_CAUSE_MACHINE);
    assert_int_equal(pt_overrun_classify(&r, &metal), PT_CAUSE_MACHINE);

    /* 2.4 ms of CPU time, but 1,000,000 instructions at 0.5 ns are 0.5 ms of
     * work: the clock was inflated (a stopped virtual CPU), not the work */
    r = rec(2400000, 1, 1000000);
    assert_int_equal(pt_overrun_classify(&r, &paced), PT_CAUSE_MACHINE);
    pt_overrun_evidence paced_metal = paced;
    paced_metal.bare_metal = true; /* the counts win over the guess */
    assert_int_equal(pt_overrun_classify(&r, &paced_metal), PT_CAUSE_MACHINE);
    /* 4,000,000 instructions are 2 ms of work: more than the 1.33 ms period */
    r = rec(2400000, 1, 4000000);
    assert_int_equal(pt_overrun_classify(&r, &paced), PT_CAUSE_ENGINE);
    pt_overrun_evidence paced_stall = paced;
    paced_stall.machine_stalled = true; /* too much work is too much work */
    assert_int_equal(pt_overrun_classify(&r, &paced_stall), PT_CAUSE_ENGINE);
    /* the boundary: 2,666,666 instructions are 1.333333 ms, just inside */
    r = rec(2400000, 1, 2666666);
    assert_int_equal(pt_overrun_classify(&r, &paced), PT_CAUSE_MACHINE);
    r = rec(2400000, 1, 2666668);
    assert_int_equal(pt_overrun_classify(&r, &paced), PT_CAUSE_ENGINE);

    /* a count with no pace yet (too few normal blocks) proves nothing */
    r = rec(2400000, 1, 4000000);
    assert_int_equal(pt_overrun_classify(&r, &vm), PT_CAUSE_UNKNOWN);

    /* no counts: a stall the canary saw is the machine's */
    r = rec(2400000, 0, 0);
    pt_overrun_evidence stalled = {.machine_stalled = true};
    assert_int_equal(pt_overrun_classify(&r, &stalled), PT_CAUSE_MACHINE);
    /* on bare metal the CPU clock is the thread's own: ours */
    assert_int_equal(pt_overrun_classify(&r, &metal), PT_CAUSE_ENGINE);
    /* on a virtual machine with nothing else: unknown, never the engine */
    assert_int_equal(pt_overrun_classify(&r, &vm), PT_CAUSE_UNKNOWN);
    /* no CPU clock at all (cpu_ns 0): not preempted, not provably ours */
    r = rec(0, 0, 0);
    assert_int_equal(pt_overrun_classify(&r, &vm), PT_CAUSE_UNKNOWN);
    assert_int_equal(pt_overrun_classify(&r, &metal), PT_CAUSE_UNKNOWN);
}

static void a_stall_is_a_slow_unit_or_a_late_wake_without_a_queue(void **state)
{
    (void)state;
    /* the unit at its usual speed, woken on time */
    assert_false(pt_canary_stalled(21000, 20000, 30000, 0));
    /* twice its best: cache or frequency, not a stall */
    assert_false(pt_canary_stalled(40000, 20000, 0, 0));
    /* 2.4 ms of CPU time for a 20 us unit: the VM stopped it while it ran */
    assert_true(pt_canary_stalled(2400000, 20000, 0, 0));
    /* before the first unit there is no best yet: CPU time alone proves nothing */
    assert_false(pt_canary_stalled(2400000, 0, 0, 0));
    /* 3 ms late, 2.9 ms of it waiting in the run queue: other threads ran */
    assert_false(pt_canary_stalled(20000, 20000, 3000000, 2900000));
    /* 3 ms late without having waited: nothing ran; the machine did not */
    assert_true(pt_canary_stalled(20000, 20000, 3000000, 0));
}

/* ------------------------------------------------------------- counters */

static void a_counter_read_by_read_follows_the_cpu_clock(void **state)
{
    (void)state;
    char why[160] = "";
    pt_perf_counter *c = pt_perf_open(PT_PERF_TASK_CLOCK, 0, why, sizeof why);
    if (!c) {
        print_message("   no software counter on this kernel (%s): skipped\n", why);
        skip();
    }
    for (int attempt = 0; attempt < 3; attempt++) {
        uint64_t v0 = pt_perf_read(c), c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
        (void)chain(10000000);
        uint64_t v1 = pt_perf_read(c), c1 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
        double ratio = (double)(v1 - v0) / (double)(c1 - c0);
        print_message("   task clock %.3f ms, CPU clock %.3f ms\n", (v1 - v0) / 1e6, (c1 - c0) / 1e6);
        /* user-space time only in the counter; the loop has no kernel time
         * but a tick's accounting can land on either side */
        if (ratio > 0.9 && ratio < 1.1) {
            pt_perf_close(c);
            return;
        }
    }
    pt_perf_close(c);
    fail_msg("the task-clock counter does not follow the thread's CPU clock");
}

static void the_instruction_counter_counts_a_known_loop_or_says_why(void **state)
{
    (void)state;
    char why[160] = "";
    pt_perf_counter *c = pt_perf_open(PT_PERF_INSTRUCTIONS, 0, why, sizeof why);
    if (!c) {
        assert_true(strlen(why) > 0); /* a reason the stats can show */
        print_message("   no hardware instruction counter here (%s): skipped\n", why);
        skip();
    }
    uint64_t v0 = pt_perf_read(c);
    (void)chain(1000000); /* a multiply, an add, a compare, a branch: >= 3 each */
    uint64_t v1 = pt_perf_read(c);
    print_message("   %llu instructions for 1,000,000 iterations (rdpmc: %s)\n",
                  (unsigned long long)(v1 - v0), pt_perf_uses_rdpmc(c) ? "yes" : "no");
    assert_true(v1 - v0 >= 3000000);
    assert_true(v1 - v0 < 20000000);
    /* the same loop again: the same count within 1 % (the hypervisor
     * cannot inflate it the way it can a clock) */
    uint64_t v2 = pt_perf_read(c);
    (void)chain(1000000);
    uint64_t v3 = pt_perf_read(c);
    double a = (double)(v1 - v0), b = (double)(v3 - v2);
    assert_true(b > a * 0.99 && b < a * 1.01);
    pt_perf_close(c);
}

/* ---------------------------------------------- a real engine, monitored */

enum { CALM, SLEEP, COMPUTE };
static atomic_int g_mode;

static void stall_process(pt_node *n, const float *const *in, float *const *out, int frames)
{
    (void)n;
    int mode = atomic_exchange(&g_mode, CALM);
    if (mode == SLEEP) {
        struct timespec ts = {0, 3000000};
        nanosleep(&ts, NULL);
    } else if (mode == COMPUTE) {
        uint64_t c0 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
        volatile double x = 1.0;
        while (clock_ns(CLOCK_THREAD_CPUTIME_ID) - c0 < 3000000) x = x * 1.000001 + 1e-9;
    } else {
        (void)chain(5000); /* a few microseconds of the same work every block */
    }
    memcpy(out[0], in[0], (size_t)frames * sizeof(float));
}

static const pt_node_type stall_type = {
    .name = "stall",
    .summary = "test: holds up one block when asked",
    .process = stall_process,
};

static void run_blocks(pt_engine *e, int n)
{
    static float in[FRAMES], l[FRAMES], r[FRAMES];
    for (int i = 0; i < n; i++) pt_engine_process(e, in, l, r, FRAMES);
}

static void pause_ms(int ms)
{
    struct timespec ts = {0, ms * 1000000L};
    nanosleep(&ts, NULL);
}

/* One run: 600 calm blocks (the pace), a sleeping block, a computing block,
 * more calm blocks; then the monitor's final word. */
static void run_monitored(int virtualized, bool canary, pt_load_summary *s, pt_load_summary *before)
{
    pt_error err = {0};
    pt_engine_config ec = {.rate = RATE, .max_frames = FRAMES};
    pt_engine *e = pt_engine_create(&ec, &err);
    assert_non_null(e);
    pt_chain *c = pt_chain_new();
    pt_node_config nc = {.id = "stall"};
    pt_node *n = pt_node_create(&stall_type, &nc, &err);
    assert_non_null(n);
    pt_chain_add_node(c, n);
    assert_int_equal(pt_engine_swap(e, tu_build(c, RATE, FRAMES), &err), 0);
    pt_monitor_config mc = {.virtualized = virtualized, .no_canary = !canary};
    pt_monitor *m = pt_monitor_start(e, &mc);
    assert_non_null(m);
    run_blocks(e, 1); /* this thread is now the audio thread */
    pause_ms(20);     /* the monitor opens its counter, if there is one */
    run_blocks(e, 600);
    pause_ms(5);
    pt_engine_load(e, before);
    atomic_store(&g_mode, SLEEP);
    run_blocks(e, 1);
    atomic_store(&g_mode, COMPUTE);
    run_blocks(e, 1);
    run_blocks(e, 20); /* the next block's read completes the count */
    pause_ms(10);
    pt_monitor_stop(m);
    pt_engine_load(e, s);
    char line[512];
    pt_load_summary_line(s, line, sizeof line);
    print_message("   %s\n", line);
    pt_engine_destroy(e);
}

static void sleeping_is_the_machine_computing_is_ours(void **state)
{
    (void)state;
    pt_load_summary s, s0;
    /* told: bare metal; no canary, whose stalls on a loaded machine could
     * (rightly) take the computing block for the machine's */
    run_monitored(0, false, &s, &s0);
    /* every overrun is attributed once the monitor stopped */
    assert_int_equal(s.overruns_engine + s.overruns_machine + s.overruns_unknown, s.overruns);
    assert_true(s.overruns - s0.overruns >= 2);
    /* the sleeping block: off its CPU; the computing one: ours (by its
     * instructions where counted, else by its CPU time on bare metal).
     * A calm block that a loaded machine held up may add to either. */
    assert_true(s.overruns_machine - s0.overruns_machine >= 1);
    assert_true(s.overruns_engine - s0.overruns_engine >= 1);
    assert_false(s.basis & PT_BASIS_CANARY);
    assert_true(s.basis & PT_BASIS_BARE_METAL);

    char line[512], want[64];
    pt_load_summary_line(&s, line, sizeof line);
    snprintf(want, sizeof want, " overruns_engine=%llu ", (unsigned long long)s.overruns_engine);
    assert_non_null(strstr(line, want));
    snprintf(want, sizeof want, " overruns_unknown=%llu ", (unsigned long long)s.overruns_unknown);
    assert_non_null(strstr(line, want));
    assert_non_null(strstr(line, " attribution="));
}

static void on_a_virtual_machine_cpu_time_alone_blames_nothing(void **state)
{
    (void)state;
    pt_load_summary s, s0;
    run_monitored(1, true, &s, &s0); /* told: a virtual machine */
    assert_true(s.basis & PT_BASIS_CANARY);
    assert_int_equal(s.overruns_engine + s.overruns_machine + s.overruns_unknown, s.overruns);
    assert_true(s.overruns_machine - s0.overruns_machine >= 1); /* the sleep */
    if (s.basis & PT_BASIS_INSTRUCTIONS) {
        /* counted: the computing block's instructions convict it */
        assert_true(s.overruns_engine - s0.overruns_engine >= 1);
    } else {
        /* 3 ms of CPU time on a VM may be the hypervisor's: not the engine */
        assert_int_equal(s.overruns_engine, 0);
        assert_true(s.overruns_unknown + s.overruns_machine - s0.overruns_unknown -
                        s0.overruns_machine >= 2);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_rule_follows_the_evidence),
        cmocka_unit_test(a_stall_is_a_slow_unit_or_a_late_wake_without_a_queue),
        cmocka_unit_test(a_counter_read_by_read_follows_the_cpu_clock),
        cmocka_unit_test(the_instruction_counter_counts_a_known_loop_or_says_why),
        cmocka_unit_test(sleeping_is_the_machine_computing_is_ours),
        cmocka_unit_test(on_a_virtual_machine_cpu_time_alone_blames_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
