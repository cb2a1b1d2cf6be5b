/* platform_macos.c — platform.h on macOS. Not built on this project's own
 * machine (docs/platforms.md says what proves it: the hosted CI's macOS job). */
#if defined(__APPLE__)

#include "platform.h"
#include "platform_internal.h"

#include <dispatch/dispatch.h>
#include <errno.h>
#include <fcntl.h>
#include <mach-o/dyld.h>
#include <mach/mach.h>
#include <mach/mach_time.h>
#include <mach/thread_policy.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char *pt_platform_name(void) { return "macos"; }

/* macOS has no mlockall that works for user programs, and pages of a
 * running program are paged out only under memory pressure. */
bool pt_mem_lock_all(void) { return false; }

/* macOS's allocator returns freed regions to the system by itself. */
void pt_mem_trim(void) {}

/* A time-constraint thread (what CoreAudio's own I/O threads are): a
 * computation of about a third of a 1.3 ms period, due within it. above_min
 * is ignored; every such thread is scheduled ahead of normal ones. */
bool pt_thread_set_realtime(pthread_t t, int above_min)
{
    (void)above_min;
    mach_timebase_info_data_t tb;
    mach_timebase_info(&tb);
    double ticks_per_ns = (double)tb.denom / (double)tb.numer;
    thread_time_constraint_policy_data_t p = {
        .period = (uint32_t)(1333333 * ticks_per_ns),
        .computation = (uint32_t)(500000 * ticks_per_ns),
        .constraint = (uint32_t)(1333333 * ticks_per_ns),
        .preemptible = 1,
    };
    return thread_policy_set(pthread_mach_thread_np(t), THREAD_TIME_CONSTRAINT_POLICY,
                             (thread_policy_t)&p, THREAD_TIME_CONSTRAINT_POLICY_COUNT) == KERN_SUCCESS;
}

void pt_thread_background(void) {}

void pt_thread_min_timer_slack(void) {}

uint64_t pt_thread_cpu_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return 0;
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int64_t pt_thread_id(void)
{
    uint64_t id = 0;
    pthread_threadid_np(NULL, &id);
    return (int64_t)id;
}

/* macOS has no clock_nanosleep: sleep for what is left (a signal ends it
 * early, and the caller calls again). */
int pt_sleep_until_ns(uint64_t deadline_ns)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    uint64_t t = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
    if (t >= deadline_ns) return 0;
    uint64_t left = deadline_ns - t;
    struct timespec ts = {(time_t)(left / 1000000000ull), (long)(left % 1000000000ull)};
    return nanosleep(&ts, NULL) == 0 ? 0 : errno;
}

struct pt_sem {
    dispatch_semaphore_t sem;
};

pt_sem *pt_sem_create(void)
{
    pt_sem *s = malloc(sizeof *s);
    if (s && !(s->sem = dispatch_semaphore_create(0))) {
        free(s);
        s = NULL;
    }
    return s;
}

void pt_sem_destroy(pt_sem *s)
{
    if (!s) return;
    dispatch_release(s->sem);
    free(s);
}

void pt_sem_post(pt_sem *s) { dispatch_semaphore_signal(s->sem); }
void pt_sem_wait(pt_sem *s) { dispatch_semaphore_wait(s->sem, DISPATCH_TIME_FOREVER); }

int pt_thread_queue_open(void) { return -1; }
uint64_t pt_thread_queued_ns(int handle) { return 0; }
void pt_thread_queue_close(int handle) {}

bool pt_file_stamp_get(const char *path, pt_file_stamp *st)
{
    struct stat s;
    memset(st, 0, sizeof *st);
    if (stat(path, &s) != 0) return false;
    st->mtime_s = (int64_t)s.st_mtimespec.tv_sec;
    st->mtime_ns = (int64_t)s.st_mtimespec.tv_nsec;
    st->size = (int64_t)s.st_size;
    return true;
}

bool pt_file_stamp_equal(const pt_file_stamp *a, const pt_file_stamp *b)
{
    return a->mtime_s == b->mtime_s && a->mtime_ns == b->mtime_ns && a->size == b->size;
}

bool pt_exe_path(char *out, size_t size)
{
    char raw[4096];
    uint32_t n = sizeof raw;
    if (_NSGetExecutablePath(raw, &n) != 0) return false;
    char real[PATH_MAX];
    if (!realpath(raw, real)) return false;
    return (size_t)snprintf(out, size, "%s", real) < size;
}

bool pt_fd_path(int fd, char *out, size_t size)
{
    char p[PATH_MAX];
    if (fcntl(fd, F_GETPATH, p) != 0) return false;
    return (size_t)snprintf(out, size, "%s", p) < size;
}

int pt_rename_noreplace(int from_dirfd, const char *from, int to_dirfd, const char *to)
{
    return renameatx_np(from_dirfd, from, to_dirfd, to, RENAME_EXCL);
}

bool pt_user_folder_path(pt_user_folder which, char *out, size_t size)
{
    switch (which) {
    case PT_FOLDER_DATA:
    case PT_FOLDER_CONFIG:
        return pt_posix_home_folder(NULL, "Library/Application Support", "PyTone", out, size);
    case PT_FOLDER_STATE:
        return pt_posix_home_folder(NULL, "Library/Application Support", "PyTone/state", out, size);
    case PT_FOLDER_CACHE: return pt_posix_home_folder(NULL, "Library/Caches", "PyTone", out, size);
    }
    return false;
}

bool pt_open_url(const char *url, char *why, size_t why_size)
{
    return pt_posix_run_quiet("open", url, why, why_size);
}

/* The window server is there for what a logged-in user starts; over ssh
 * the window program itself reports that it cannot connect. */
bool pt_desktop_present(char *why, size_t why_size) { return true; }

#else
typedef int pt_platform_macos_unused; /* ISO C wants something in a file */
#endif
