/* stats.c — see stats.h. Only the audio thread writes; readers may see a
 * summary that is a few callbacks behind, never a torn one that matters. */
#include "stats.h"

#include <stdio.h>
#include <string.h>

void pt_load_stats_init(pt_load_stats *s)
{
    for (int i = 0; i < PT_LOAD_BUCKETS; i++) atomic_init(&s->bucket[i], 0);
    atomic_init(&s->callbacks, 0);
    atomic_init(&s->overruns, 0);
    atomic_init(&s->preempted, 0);
    atomic_init(&s->max_overrun_cpu_ppm, 0);
    atomic_init(&s->max_load_ppm, 0);
    for (int i = 0; i < 3; i++) atomic_init(&s->by_cause[i], 0);
    atomic_init(&s->machine_stalls, 0);
    atomic_init(&s->basis, 0);
}

void pt_load_stats_attribute(pt_load_stats *s, pt_overrun_cause cause)
{
    if ((unsigned)cause > PT_CAUSE_UNKNOWN) cause = PT_CAUSE_UNKNOWN;
    atomic_fetch_add_explicit(&s->by_cause[cause], 1, memory_order_relaxed);
}

void pt_load_stats_stall(pt_load_stats *s)
{
    atomic_fetch_add_explicit(&s->machine_stalls, 1, memory_order_relaxed);
}

void pt_load_stats_basis(pt_load_stats *s, unsigned basis)
{
    atomic_store_explicit(&s->basis, basis, memory_order_relaxed);
}

void pt_load_basis_text(unsigned basis, char *buf, int size)
{
    static const struct { unsigned bit; const char *word; } words[] = {
        {PT_BASIS_INSTRUCTIONS, "instructions"},
        {PT_BASIS_CANARY, "canary"},
        {PT_BASIS_CPU_TIME, "cpu-time"},
        {PT_BASIS_BARE_METAL, "bare-metal"},
    };
    int n = 0;
    buf[0] = 0;
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
        if ((basis & words[i].bit) && n < size)
            n += snprintf(buf + n, (size_t)(size - n), "%s%s", n ? "+" : "", words[i].word);
    if (!n) snprintf(buf, (size_t)size, "none");
}

void pt_load_stats_record(pt_load_stats *s, uint64_t ns, uint64_t period_ns)
{
    if (period_ns == 0) return;
    uint64_t ppm = ns * 1000000ull / period_ns;
    uint64_t b = ppm / 1000; /* 0.1 % buckets */
    if (b >= PT_LOAD_BUCKETS) b = PT_LOAD_BUCKETS - 1;
    atomic_fetch_add_explicit(&s->bucket[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&s->callbacks, 1, memory_order_relaxed);
    if (ns > period_ns) atomic_fetch_add_explicit(&s->overruns, 1, memory_order_relaxed);
    if (ppm > 0xffffffffull) ppm = 0xffffffffull;
    if (ppm > atomic_load_explicit(&s->max_load_ppm, memory_order_relaxed))
        atomic_store_explicit(&s->max_load_ppm, (unsigned)ppm, memory_order_relaxed);
}

void pt_load_stats_preempted(pt_load_stats *s)
{
    atomic_fetch_add_explicit(&s->preempted, 1, memory_order_relaxed);
}

void pt_load_stats_overrun_cpu(pt_load_stats *s, uint64_t cpu_ns, uint64_t period_ns)
{
    if (period_ns == 0) return;
    uint64_t ppm = cpu_ns * 1000000ull / period_ns;
    if (ppm > 0xffffffffull) ppm = 0xffffffffull;
    if (ppm > atomic_load_explicit(&s->max_overrun_cpu_ppm, memory_order_relaxed))
        atomic_store_explicit(&s->max_overrun_cpu_ppm, (unsigned)ppm, memory_order_relaxed);
}

void pt_load_stats_summary(const pt_load_stats *s, pt_load_summary *out)
{
    memset(out, 0, sizeof *out);
    uint64_t total = 0;
    for (int i = 0; i < PT_LOAD_BUCKETS; i++)
        total += atomic_load_explicit(&s->bucket[i], memory_order_relaxed);
    out->callbacks = total;
    out->overruns = atomic_load_explicit(&s->overruns, memory_order_relaxed);
    out->preempted = atomic_load_explicit(&s->preempted, memory_order_relaxed);
    out->overrun_cpu_max =
        atomic_load_explicit(&s->max_overrun_cpu_ppm, memory_order_relaxed) / 10000.0;
    out->load_max = atomic_load_explicit(&s->max_load_ppm, memory_order_relaxed) / 10000.0;
    out->overruns_engine = atomic_load_explicit(&s->by_cause[PT_CAUSE_ENGINE], memory_order_relaxed);
    out->overruns_machine = atomic_load_explicit(&s->by_cause[PT_CAUSE_MACHINE], memory_order_relaxed);
    /* unknown: attributed so, or not attributed at all (no monitor ran, a
     * record was lost, or it waits for the canary to cover its block) */
    uint64_t known = out->overruns_engine + out->overruns_machine;
    out->overruns_unknown = out->overruns > known ? out->overruns - known : 0;
    out->machine_stalls = atomic_load_explicit(&s->machine_stalls, memory_order_relaxed);
    out->basis = atomic_load_explicit(&s->basis, memory_order_relaxed);
    if (total == 0) return;
    uint64_t need50 = (total + 1) / 2, need99 = (total * 99 + 99) / 100, seen = 0;
    int got50 = 0;
    for (int i = 0; i < PT_LOAD_BUCKETS; i++) {
        seen += atomic_load_explicit(&s->bucket[i], memory_order_relaxed);
        /* report the bucket's upper edge: a conservative figure */
        if (!got50 && seen >= need50) {
            out->load_p50 = (i + 1) * 0.1;
            got50 = 1;
        }
        if (seen >= need99) {
            out->load_p99 = (i + 1) * 0.1;
            break;
        }
    }
    if (out->load_p99 > out->load_max && out->load_max > 0) out->load_p99 = out->load_max;
    if (out->load_p50 > out->load_max && out->load_max > 0) out->load_p50 = out->load_max;
}

void pt_load_summary_line(const pt_load_summary *s, char *buf, int size)
{
    char basis[64];
    pt_load_basis_text(s->basis, basis, sizeof basis);
    snprintf(buf, (size_t)size,
             "stats: callbacks=%llu overruns=%llu load_p50=%.2f%% load_p99=%.2f%% load_max=%.2f%% "
             "preempted=%llu overrun_cpu_max=%.2f%% overruns_engine=%llu overruns_machine=%llu "
             "overruns_unknown=%llu machine_stalls=%llu attribution=%s",
             (unsigned long long)s->callbacks, (unsigned long long)s->overruns, s->load_p50,
             s->load_p99, s->load_max, (unsigned long long)s->preempted, s->overrun_cpu_max,
             (unsigned long long)s->overruns_engine, (unsigned long long)s->overruns_machine,
             (unsigned long long)s->overruns_unknown, (unsigned long long)s->machine_stalls, basis);
}
