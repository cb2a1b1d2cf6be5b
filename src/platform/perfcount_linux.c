/* perfcount_linux.c — core/perfcount.h on Linux. The rdpmc read follows the protocol the
 * kernel documents in <linux/perf_event.h> (struct perf_event_mmap_page):
 * retry while the page's sequence number changes; the counter value is the
 * page's offset plus the sign-extended hardware register. */
#if defined(__linux__)

#include "core/perfcount.h"

#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

struct pt_perf_counter {
    int fd;
    pid_t tid;
    struct perf_event_mmap_page *page; /* NULL: read(2) only */
    size_t page_bytes;
    int rdpmc; /* -1 not known yet, 0 no, 1 yes */
};

pid_t pt_gettid(void)
{
    static _Thread_local pid_t tid;
    if (!tid) tid = (pid_t)syscall(SYS_gettid);
    return tid;
}

pt_perf_counter *pt_perf_open(pt_perf_kind kind, pid_t tid, char *why, int why_size)
{
    struct perf_event_attr a;
    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    if (kind == PT_PERF_INSTRUCTIONS) {
        a.type = PERF_TYPE_HARDWARE;
        a.config = PERF_COUNT_HW_INSTRUCTIONS;
    } else {
        a.type = PERF_TYPE_SOFTWARE;
        a.config = PERF_COUNT_SW_TASK_CLOCK;
    }
    /* our own code only: kernel work (page faults, system calls) is not the
     * engine's DSP, and perf_event_paranoid 2 allows user space only */
    a.exclude_kernel = 1;
    a.exclude_hv = 1;
    int fd = (int)syscall(SYS_perf_event_open, &a, tid ? tid : 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
    if (fd < 0) {
        if (why) snprintf(why, (size_t)why_size, "perf_event_open: %s", strerror(errno));
        return NULL;
    }
    pt_perf_counter *c = calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        if (why) snprintf(why, (size_t)why_size, "out of memory");
        return NULL;
    }
    c->fd = fd;
    c->tid = tid ? tid : pt_gettid();
    c->rdpmc = -1;
    c->page_bytes = (size_t)sysconf(_SC_PAGESIZE);
    void *p = mmap(NULL, c->page_bytes, PROT_READ, MAP_SHARED, fd, 0);
    c->page = p == MAP_FAILED ? NULL : p;
    if (!c->page) c->rdpmc = 0;
    return c;
}

void pt_perf_close(pt_perf_counter *c)
{
    if (!c) return;
    if (c->page) munmap(c->page, c->page_bytes);
    close(c->fd);
    free(c);
}

pid_t pt_perf_tid(const pt_perf_counter *c) { return c->tid; }
bool pt_perf_uses_rdpmc(const pt_perf_counter *c) { return c->rdpmc == 1; }

#if defined(__x86_64__) || defined(__i386__)
/* RT */
static inline uint64_t rdpmc(uint32_t counter)
{
    uint32_t lo, hi;
    __asm__ volatile("rdpmc" : "=a"(lo), "=d"(hi) : "c"(counter));
    return (uint64_t)lo | ((uint64_t)hi << 32);
}

/* RT: the count through the mapped page; false when the page says the
 * counter is not readable from user space right now. */
static bool read_mapped(pt_perf_counter *c, uint64_t *out)
{
    volatile struct perf_event_mmap_page *pc = c->page;
    uint32_t seq, idx;
    uint64_t count;
    do {
        seq = pc->lock;
        __asm__ volatile("" ::: "memory");
        idx = pc->index;
        count = (uint64_t)pc->offset;
        if (!pc->cap_user_rdpmc || idx == 0) return false;
        uint16_t width = pc->pmc_width;
        int64_t pmc = (int64_t)rdpmc(idx - 1);
        pmc <<= 64 - width;
        pmc >>= 64 - width;
        count += (uint64_t)pmc;
        __asm__ volatile("" ::: "memory");
    } while (pc->lock != seq);
    *out = count;
    return true;
}
#endif

uint64_t pt_perf_read(pt_perf_counter *c)
{
#if defined(__x86_64__) || defined(__i386__)
    if (c->page && c->rdpmc != 0) {
        uint64_t v;
        if (read_mapped(c, &v)) {
            c->rdpmc = 1;
            return v;
        }
        if (c->rdpmc < 0) c->rdpmc = 0; /* never offered: stop asking */
    }
#endif
    uint64_t v = 0;
    if (read(c->fd, &v, sizeof v) != (ssize_t)sizeof v) return 0;
    return v;
}

#else
typedef int pt_perfcount_linux_unused; /* ISO C wants something in a file */
#endif
