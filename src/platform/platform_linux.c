/* platform_linux.c — platform.h on Linux (glibc or musl): the reference,
 * the only one this project's own machine runs. */
#if defined(__linux__)

#include "platform.h"
#include "platform_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <semaphore.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

const char *pt_platform_name(void) { return "linux"; }

bool pt_mem_lock_all(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_MEMLOCK, &rl) != 0 || rl.rlim_cur != RLIM_INFINITY) return false;
    return mlockall(MCL_CURRENT | MCL_FUTURE) == 0;
}

void pt_mem_trim(void)
{
#if defined(__GLIBC__)
    malloc_trim(0); /* glibc keeps freed arenas otherwise; musl returns them itself */
#endif
}

bool pt_thread_set_realtime(pthread_t t, int above_min)
{
    struct sched_param sp = {.sched_priority = sched_get_priority_min(SCHED_FIFO) + above_min};
    return pthread_setschedparam(t, SCHED_FIFO, &sp) == 0;
}

void pt_thread_background(void) { (void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 10); }

void pt_thread_min_timer_slack(void) { prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0); }

uint64_t pt_thread_cpu_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return 0;
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int64_t pt_thread_id(void)
{
    static _Thread_local int64_t tid;
    if (!tid) tid = (int64_t)syscall(SYS_gettid);
    return tid;
}

int pt_sleep_until_ns(uint64_t deadline_ns)
{
    struct timespec ts = {(time_t)(deadline_ns / 1000000000ull), (long)(deadline_ns % 1000000000ull)};
    return clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

struct pt_sem {
    sem_t sem;
};

pt_sem *pt_sem_create(void)
{
    pt_sem *s = malloc(sizeof *s);
    if (s && sem_init(&s->sem, 0, 0) != 0) {
        free(s);
        s = NULL;
    }
    return s;
}

void pt_sem_destroy(pt_sem *s)
{
    if (!s) return;
    sem_destroy(&s->sem);
    free(s);
}

void pt_sem_post(pt_sem *s) { sem_post(&s->sem); }

void pt_sem_wait(pt_sem *s)
{
    while (sem_wait(&s->sem) != 0 && errno == EINTR) {
    }
}

int pt_thread_queue_open(void) { return open("/proc/thread-self/schedstat", O_RDONLY | O_CLOEXEC); }

uint64_t pt_thread_queued_ns(int handle)
{
    if (handle < 0) return 0;
    char buf[96];
    ssize_t n = pread(handle, buf, sizeof buf - 1, 0);
    if (n <= 0) return 0;
    buf[n] = 0;
    unsigned long long run, wait;
    return sscanf(buf, "%llu %llu", &run, &wait) == 2 ? wait : 0; /* the second field: queued */
}

void pt_thread_queue_close(int handle)
{
    if (handle >= 0) close(handle);
}

bool pt_file_stamp_get(const char *path, pt_file_stamp *st)
{
    struct stat s;
    memset(st, 0, sizeof *st);
    if (stat(path, &s) != 0) return false;
    st->mtime_s = (int64_t)s.st_mtim.tv_sec;
    st->mtime_ns = (int64_t)s.st_mtim.tv_nsec;
    st->size = (int64_t)s.st_size;
    return true;
}

bool pt_file_stamp_equal(const pt_file_stamp *a, const pt_file_stamp *b)
{
    return a->mtime_s == b->mtime_s && a->mtime_ns == b->mtime_ns && a->size == b->size;
}

static bool read_link(const char *link, char *out, size_t size)
{
    if (size == 0) return false;
    ssize_t n = readlink(link, out, size - 1);
    if (n <= 0) return false;
    out[n] = 0;
    return true;
}

bool pt_exe_path(char *out, size_t size) { return read_link("/proc/self/exe", out, size); }

bool pt_fd_path(int fd, char *out, size_t size)
{
    char proc[64];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
    return read_link(proc, out, size);
}

int pt_rename_noreplace(int from_dirfd, const char *from, int to_dirfd, const char *to)
{
    return (int)syscall(SYS_renameat2, from_dirfd, from, to_dirfd, to, RENAME_NOREPLACE);
}

bool pt_user_folder_path(pt_user_folder which, char *out, size_t size)
{
    switch (which) {
    case PT_FOLDER_DATA: return pt_posix_home_folder("XDG_DATA_HOME", ".local/share", "pytone", out, size);
    case PT_FOLDER_CONFIG: return pt_posix_home_folder("XDG_CONFIG_HOME", ".config", "pytone", out, size);
    case PT_FOLDER_STATE: return pt_posix_home_folder("XDG_STATE_HOME", ".local/state", "pytone", out, size);
    case PT_FOLDER_CACHE: return pt_posix_home_folder("XDG_CACHE_HOME", ".cache", "pytone", out, size);
    }
    return false;
}

bool pt_open_url(const char *url, char *why, size_t why_size)
{
    return pt_posix_run_quiet("xdg-open", url, why, why_size);
}

bool pt_desktop_present(char *why, size_t why_size)
{
    const char *x = getenv("DISPLAY"), *wl = getenv("WAYLAND_DISPLAY");
    if ((x && x[0]) || (wl && wl[0])) return true;
    if (why) snprintf(why, why_size, "no display (neither DISPLAY nor WAYLAND_DISPLAY is set)");
    return false;
}

#else
typedef int pt_platform_linux_unused; /* ISO C wants something in a file */
#endif
