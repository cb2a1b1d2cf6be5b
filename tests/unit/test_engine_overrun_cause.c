/* test_engine_overrun_cause.c — the engine tells an overrun caused by its own
 * work from one where its thread was kept off the CPU.
 *
 * Reference: the kernel's accounting of the thread, driven by two known
 * causes. A test node either sleeps for 3 ms inside a 1.33 ms block (the
 * thread is off its CPU: what preemption by another thread looks like from
 * inside the callback) or computes until the thread's own CPU clock has
 * advanced by 3 ms (our work). Both are overruns; only the first may be
 * counted as preempted. Also checks the stats line carries the count. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/node.h"
#include "core/stats.h"
#include "testutil.h"

enum { RATE = 48000, FRAMES = 64 };
enum { CALM, SLEEP, COMPUTE };

static atomic_int g_mode;

static uint64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Not real-time safe on purpose: this node stands for whatever may hold up
 * a block. It acts once per request, then passes audio through. */
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
    }
    memcpy(out[0], in[0], (size_t)frames * sizeof(float));
}

static const pt_node_type stall_type = {
    .name = "stall",
    .summary = "test: holds up one block when asked",
    .process = stall_process,
};

static void run_block(pt_engine *e)
{
    static float in[FRAMES], l[FRAMES], r[FRAMES];
    pt_engine_process(e, in, l, r, FRAMES);
}

static void overruns_are_split_into_preempted_and_our_own(void **state)
{
    (void)state;
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
    run_block(e); /* takes the program */

    /* counted from here: on a loaded machine the first block may itself
     * have been preempted */
    pt_load_summary s0, s;
    pt_engine_load(e, &s0);
    atomic_store(&g_mode, SLEEP);
    run_block(e);
    pt_engine_load(e, &s);
    assert_int_equal(s.overruns - s0.overruns, 1);
    assert_int_equal(s.preempted - s0.preempted, 1);

    atomic_store(&g_mode, COMPUTE);
    run_block(e);
    pt_engine_load(e, &s);
    assert_int_equal(s.overruns - s0.overruns, 2);
    assert_int_equal(s.preempted - s0.preempted, 1); /* 3 ms of CPU in a 1.33 ms block: ours */
    /* the most CPU an overrun took: at least the 3 ms computed (225 % of 1.33 ms) */
    assert_true(s.overrun_cpu_max >= 225.0);

    char line[512], want[64];
    pt_load_summary_line(&s, line, sizeof line);
    print_message("%s\n", line);
    snprintf(want, sizeof want, " overruns=%llu ", (unsigned long long)s.overruns);
    assert_non_null(strstr(line, want));
    snprintf(want, sizeof want, " preempted=%llu", (unsigned long long)s.preempted);
    assert_non_null(strstr(line, want));
    pt_engine_destroy(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(overruns_are_split_into_preempted_and_our_own),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
