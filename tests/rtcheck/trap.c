/* trap.c — catch forbidden calls on the audio thread.
 *
 * Linked into a program (test_rt_safety, build/pytone-rtcheck), the
 * definitions below take the place of libc's malloc, calloc, realloc, free,
 * pthread_mutex_lock, pthread_cond_wait, open, fopen, read, write,
 * nanosleep and usleep for every caller in the process. Each counts a
 * violation when the calling thread is inside pt_engine_process
 * (pt_rt_in_callback), then does the real work. pytone-rtcheck prints the
 * count at exit and exits with status 70 if there was any. Not for
 * sanitizer builds: ASan owns malloc there. */
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/rt.h"
#include "rtcheck.h"

static atomic_int violations;
static char first[64];

static void violation(const char *what)
{
    if (!pt_rt_in_callback) return;
    if (atomic_fetch_add(&violations, 1) == 0)
        for (int i = 0; i < 63 && what[i]; i++) first[i] = what[i], first[i + 1] = 0;
}

int pt_rtcheck_violations(void) { return atomic_load(&violations); }
const char *pt_rtcheck_first(void) { return first; }
void pt_rtcheck_clear(void)
{
    atomic_store(&violations, 0);
    first[0] = 0;
}

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

void *malloc(size_t n) { violation("malloc"); return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { violation("calloc"); return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { violation("realloc"); return __libc_realloc(p, n); }
void free(void *p)
{
    if (p) violation("free");
    __libc_free(p);
}

static int (*real_mutex_lock)(pthread_mutex_t *);
static int (*real_cond_wait)(pthread_cond_t *, pthread_mutex_t *);
static ssize_t (*real_read)(int, void *, size_t);
static ssize_t (*real_write)(int, const void *, size_t);
static int (*real_open)(const char *, int, ...);
static FILE *(*real_fopen)(const char *, const char *);
static int (*real_nanosleep)(const struct timespec *, struct timespec *);
static int (*real_usleep)(useconds_t);

__attribute__((constructor)) static void resolve(void)
{
    real_mutex_lock = dlsym(RTLD_NEXT, "pthread_mutex_lock");
    real_cond_wait = dlvsym(RTLD_NEXT, "pthread_cond_wait", "GLIBC_2.3.2");
    if (!real_cond_wait) real_cond_wait = dlsym(RTLD_NEXT, "pthread_cond_wait");
    real_read = dlsym(RTLD_NEXT, "read");
    real_write = dlsym(RTLD_NEXT, "write");
    real_open = dlsym(RTLD_NEXT, "open");
    real_fopen = dlsym(RTLD_NEXT, "fopen");
    real_nanosleep = dlsym(RTLD_NEXT, "nanosleep");
    real_usleep = dlsym(RTLD_NEXT, "usleep");
}

int pthread_mutex_lock(pthread_mutex_t *m)
{
    violation("pthread_mutex_lock");
    return real_mutex_lock(m);
}
int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m)
{
    violation("pthread_cond_wait");
    return real_cond_wait(c, m);
}
ssize_t read(int fd, void *b, size_t n)
{
    violation("read");
    return real_read(fd, b, n);
}
ssize_t write(int fd, const void *b, size_t n)
{
    violation("write");
    return real_write(fd, b, n);
}
int open(const char *p, int flags, ...)
{
    violation("open");
    va_list ap;
    va_start(ap, flags);
    int mode = va_arg(ap, int);
    va_end(ap);
    return real_open(p, flags, mode);
}
FILE *fopen(const char *p, const char *m)
{
    violation("fopen");
    return real_fopen(p, m);
}
int nanosleep(const struct timespec *a, struct timespec *b)
{
    violation("nanosleep");
    return real_nanosleep(a, b);
}
int usleep(useconds_t us)
{
    violation("usleep");
    return real_usleep(us);
}

#ifdef PT_RTCHECK_REPORT
/* pytone-rtcheck: say what was found, and fail the run if anything was. */
__attribute__((destructor)) static void report(void)
{
    int n = pt_rtcheck_violations();
    char line[160];
    int len = snprintf(line, sizeof line, "rtcheck: audio-thread violations=%d%s%s\n", n,
                       n ? " first=" : "", n ? first : "");
    if (real_write) real_write(2, line, (size_t)len);
    if (n) _exit(70);
}
#endif
