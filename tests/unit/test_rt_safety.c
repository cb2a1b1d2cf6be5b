/* test_rt_safety.c — the audio thread never allocates, frees, locks, sleeps
 * or does file I/O.
 *
 * This program interposes malloc, calloc, realloc, free, pthread_mutex_lock,
 * pthread_cond_wait, open, fopen, read, write, nanosleep and usleep: the
 * definitions below win over libc's for every caller in the process
 * (including the engine library and libc itself). Each one counts a
 * violation when the calling thread is inside the audio callback, then does
 * the real work. The engine then runs on the real virtual device thread for
 * two seconds while a control thread changes parameters, toggles bypasses
 * and swaps whole rigs in. (Not built into the sanitizer run: ASan owns
 * malloc there.) */
#include <dlfcn.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "io/backend.h"
#include "rig/rig.h"
#include "testutil.h"

#if defined(__SANITIZE_ADDRESS__)
int main(void)
{
    puts("test_rt_safety: skipped under AddressSanitizer (it owns malloc)");
    return 0;
}
#else

static _Thread_local int in_audio;
static atomic_int violations;
static char last_violation[64];

static void violation(const char *what)
{
    if (!in_audio) return;
    if (atomic_fetch_add(&violations, 1) == 0)
        for (int i = 0; i < 63 && what[i]; i++) last_violation[i] = what[i], last_violation[i + 1] = 0;
}

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

void *malloc(size_t n) { violation("malloc"); return __libc_malloc(n); }
void *calloc(size_t a, size_t b) { violation("calloc"); return __libc_calloc(a, b); }
void *realloc(void *p, size_t n) { violation("realloc"); return __libc_realloc(p, n); }
void free(void *p) { if (p) violation("free"); __libc_free(p); }

static int (*real_pthread_mutex_lock)(pthread_mutex_t *);
static int (*real_pthread_cond_wait)(pthread_cond_t *, pthread_mutex_t *);
static ssize_t (*real_read)(int, void *, size_t);
static ssize_t (*real_write)(int, const void *, size_t);
static int (*real_open)(const char *, int, ...);
static FILE *(*real_fopen)(const char *, const char *);
static int (*real_nanosleep)(const struct timespec *, struct timespec *);
static int (*real_usleep)(useconds_t);

static void resolve(void)
{
    real_pthread_mutex_lock = dlsym(RTLD_NEXT, "pthread_mutex_lock");
    real_pthread_cond_wait = dlvsym(RTLD_NEXT, "pthread_cond_wait", "GLIBC_2.3.2");
    if (!real_pthread_cond_wait) real_pthread_cond_wait = dlsym(RTLD_NEXT, "pthread_cond_wait");
    real_read = dlsym(RTLD_NEXT, "read");
    real_write = dlsym(RTLD_NEXT, "write");
    real_open = dlsym(RTLD_NEXT, "open");
    real_fopen = dlsym(RTLD_NEXT, "fopen");
    real_nanosleep = dlsym(RTLD_NEXT, "nanosleep");
    real_usleep = dlsym(RTLD_NEXT, "usleep");
}

int pthread_mutex_lock(pthread_mutex_t *m) { violation("pthread_mutex_lock"); return real_pthread_mutex_lock(m); }
int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m) { violation("pthread_cond_wait"); return real_pthread_cond_wait(c, m); }
ssize_t read(int fd, void *b, size_t n) { violation("read"); return real_read(fd, b, n); }
ssize_t write(int fd, const void *b, size_t n) { violation("write"); return real_write(fd, b, n); }
int open(const char *p, int flags, ...)
{
    violation("open");
    va_list ap;
    va_start(ap, flags);
    int mode = va_arg(ap, int);
    va_end(ap);
    return real_open(p, flags, mode);
}
FILE *fopen(const char *p, const char *m) { violation("fopen"); return real_fopen(p, m); }
int nanosleep(const struct timespec *a, struct timespec *b) { violation("nanosleep"); return real_nanosleep(a, b); }
int usleep(useconds_t us) { violation("usleep"); return real_usleep(us); }

/* The device calls this; only the engine runs inside the flag. */
static void audio_callback(void *user, const float *in, float *l, float *r, int frames)
{
    in_audio = 1;
    pt_engine_process(user, in, l, r, frames);
    in_audio = 0;
}

/* The trap itself works: a malloc inside the flag is seen. */
static void the_trap_sees_an_allocation(void **state)
{
    (void)state;
    int before = atomic_load(&violations);
    in_audio = 1;
    void *p = malloc(16);
    in_audio = 0;
    free(p);
    assert_int_equal(atomic_load(&violations), before + 1);
    atomic_store(&violations, 0);
    last_violation[0] = 0;
}

static void the_audio_thread_never_allocates_locks_or_does_io(void **state)
{
    (void)state;
    pt_diags d;
    pt_diags_init(&d);
    pt_rig *rig = pt_rig_load(tu_src("rigs/default.yaml"), &d);
    assert_non_null(rig);
    pt_backend_config bc = {.rate = 48000, .frames = 64, .input_file = tu_src("assets/di/guitar_di.wav")};
    pt_backend *dev;
    pt_error err = {0};
    assert_int_equal(pt_backend_virtual.open(&dev, &bc, &err), 0);
    pt_engine_config ec = {.rate = 48000, .max_frames = 64, .clip_output = true};
    pt_engine *e = pt_engine_create(&ec, &err);
    pt_engine_swap(e, pt_rig_build_program(rig, 48000, 64, &err), &err);
    assert_int_equal(pt_backend_virtual.start(dev, audio_callback, e, &err), 0);

    /* A split rig to swap in and out, so swaps change the graph's shape. */
    pt_chain *c = pt_chain_new();
    pt_item *s = pt_chain_add_split(c, 2);
    pt_chain_add_node(s->branches[0].chain, tu_node("drive", "drive", NULL));
    pt_chain_add_node(s->branches[1].chain, tu_node("eq", "presence", NULL));
    pt_chain_add_node(c, tu_node("gate", "gate", NULL));

    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int i = 0;
    do {
        pt_engine_set_param(e, "drive", "drive_db", (float)(i % 24), NULL);
        pt_engine_set_param(e, "presence", "freq_hz", 500.0f + 100.0f * (i % 30), NULL);
        pt_engine_set_bypass(e, "presence", i % 2, NULL);
        pt_engine_set_param(e, "presence", "shape", (float)(i % 7), NULL);
        if (i % 25 == 0) {
            pt_program *p;
            if ((i / 25) % 2 == 0) {
                pt_chain *copy = pt_chain_new();
                pt_item *cs = pt_chain_add_split(copy, 2);
                pt_chain_add_node(cs->branches[0].chain, tu_node("drive", "drive", NULL));
                pt_chain_add_node(cs->branches[1].chain, tu_node("eq", "presence", NULL));
                pt_chain_add_node(copy, tu_node("gate", "gate", NULL));
                p = pt_program_build(copy, 48000, 64, &err);
                pt_chain_free(copy);
            } else {
                p = pt_rig_build_program(rig, 48000, 64, &err);
            }
            pt_engine_swap(e, p, &err);
        }
        pt_engine_collect(e);
        struct timespec ts = {0, 5 * 1000000};
        nanosleep(&ts, NULL);
        clock_gettime(CLOCK_MONOTONIC, &now);
        i++;
    } while ((now.tv_sec - t0.tv_sec) + 1e-9 * (now.tv_nsec - t0.tv_nsec) < 2.0);
    pt_backend_virtual.close(dev);
    pt_load_summary sum;
    pt_engine_load(e, &sum);
    print_message("%llu callbacks, %d control rounds, violations: %d %s\n",
                  (unsigned long long)sum.callbacks, i, atomic_load(&violations), last_violation);
    assert_true(sum.callbacks > 1000);
    assert_int_equal(atomic_load(&violations), 0);
    pt_engine_destroy(e);
    pt_chain_free(c);
    pt_rig_free(rig);
    pt_diags_free(&d);
}

int main(void)
{
    resolve();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_trap_sees_an_allocation),
        cmocka_unit_test(the_audio_thread_never_allocates_locks_or_does_io),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
#endif
