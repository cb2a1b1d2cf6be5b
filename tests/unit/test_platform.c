/* test_platform.c — the platform layer (src/platform/platform.h) does on
 * this system what its header promises. Run natively (Linux), under
 * qemu-aarch64 (make test-arm64) and under wine64 (make test-windows: the
 * Windows file). References: the clock, the file system itself, errno. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/rt.h"
#include "platform/platform.h"
#include "testutil.h"

static void set_env(const char *name, const char *value)
{
    /* putenv is in both POSIX and the Windows C runtime; the strings stay alive */
    static char buf[8][512];
    static int k;
    char *b = buf[k++ % 8];
    snprintf(b, sizeof buf[0], "%s=%s", name, value ? value : "");
    putenv(b);
}

/* The library, settings and state folders follow the system's conventions
 * and the environment that names them. */
static void user_folders_follow_the_environment(void **state)
{
    char p[1024];
    const char *name = pt_platform_name();
    if (!strcmp(name, "linux")) {
        set_env("XDG_DATA_HOME", "/tmp/pt-xdg-data");
        assert_true(pt_user_folder_path(PT_FOLDER_DATA, p, sizeof p));
        assert_string_equal(p, "/tmp/pt-xdg-data/pytone");
        set_env("XDG_DATA_HOME", "relative/not/allowed"); /* the XDG spec: ignored */
        set_env("HOME", "/home/pt-user");
        assert_true(pt_user_folder_path(PT_FOLDER_DATA, p, sizeof p));
        assert_string_equal(p, "/home/pt-user/.local/share/pytone");
        set_env("XDG_CONFIG_HOME", "");
        assert_true(pt_user_folder_path(PT_FOLDER_CONFIG, p, sizeof p));
        assert_string_equal(p, "/home/pt-user/.config/pytone");
        set_env("XDG_STATE_HOME", "/tmp/pt-state");
        assert_true(pt_user_folder_path(PT_FOLDER_STATE, p, sizeof p));
        assert_string_equal(p, "/tmp/pt-state/pytone");
    } else if (!strcmp(name, "windows")) {
        set_env("APPDATA", "C:\\Users\\pt\\AppData\\Roaming");
        assert_true(pt_user_folder_path(PT_FOLDER_DATA, p, sizeof p));
        assert_string_equal(p, "C:/Users/pt/AppData/Roaming/PyTone");
        set_env("LOCALAPPDATA", "C:\\Users\\pt\\AppData\\Local");
        assert_true(pt_user_folder_path(PT_FOLDER_CACHE, p, sizeof p));
        assert_string_equal(p, "C:/Users/pt/AppData/Local/PyTone/cache");
    } else {
        set_env("HOME", "/Users/pt");
        assert_true(pt_user_folder_path(PT_FOLDER_DATA, p, sizeof p));
        assert_string_equal(p, "/Users/pt/Library/Application Support/PyTone");
    }
}

/* A watched file's stamp changes when its content does, and not otherwise. */
static void file_stamp_sees_a_change(void **state)
{
    char path[256];
    snprintf(path, sizeof path, "pt_stamp_%ld.txt", (long)time(NULL));
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs("one", f);
    fclose(f);
    pt_file_stamp a, b, c;
    assert_true(pt_file_stamp_get(path, &a));
    assert_true(pt_file_stamp_get(path, &b));
    assert_true(pt_file_stamp_equal(&a, &b));
    assert_int_equal(a.size, 3);
    f = fopen(path, "wb");
    fputs("longer", f); /* a new size: seen even where mtime is coarse */
    fclose(f);
    assert_true(pt_file_stamp_get(path, &c));
    assert_false(pt_file_stamp_equal(&a, &c));
    remove(path);
    assert_false(pt_file_stamp_get(path, &c));
}

/* The program knows its own path: the file it runs from. */
static void exe_path_is_this_program(void **state)
{
    char p[4096];
    assert_true(pt_exe_path(p, sizeof p));
    assert_non_null(strstr(p, "test_platform"));
    FILE *f = fopen(p, "rb");
    assert_non_null(f);
    fclose(f);
}

/* A rename onto an existing name fails with EEXIST and leaves both files;
 * onto a free name it moves the file. */
static void rename_never_replaces(void **state)
{
    const char *a = "pt_rn_a.txt", *b = "pt_rn_b.txt", *c = "pt_rn_c.txt";
    FILE *f = fopen(a, "wb");
    fputs("a", f);
    fclose(f);
    f = fopen(b, "wb");
    fputs("bb", f);
    fclose(f);
    remove(c);
    /* the folder as a descriptor (Windows has none: -1, and names are used
     * as given there) */
    int dir = open(".", O_RDONLY);
    errno = 0;
    assert_int_equal(pt_rename_noreplace(dir, a, dir, b), -1);
    assert_int_equal(errno, EEXIST);
    pt_file_stamp st;
    assert_true(pt_file_stamp_get(b, &st));
    assert_int_equal(st.size, 2); /* b untouched */
    assert_int_equal(pt_rename_noreplace(dir, a, dir, c), 0);
    assert_false(pt_file_stamp_get(a, &st));
    assert_true(pt_file_stamp_get(c, &st));
    remove(b);
    remove(c);
    if (dir >= 0) close(dir);
}

/* Sleeping to a deadline wakes at or after it, and not much later (the
 * bound is loose: emulators and loaded machines run late). */
static void sleep_until_reaches_the_deadline(void **state)
{
    for (int i = 0; i < 5; i++) {
        uint64_t deadline = pt_rt_now_ns() + 2000000; /* 2 ms */
        while (pt_sleep_until_ns(deadline) != 0) {
        }
        uint64_t now = pt_rt_now_ns();
        assert_true(now >= deadline);
        assert_true(now - deadline < 500000000ull);
    }
}

/* The thread's CPU time grows with work and not with sleep. */
static void thread_cpu_time_counts_work(void **state)
{
    uint64_t c0 = pt_thread_cpu_ns();
    volatile double x = 0;
    uint64_t t0 = pt_rt_now_ns();
    while (pt_rt_now_ns() - t0 < 50000000ull) /* 50 ms of work */
        for (int i = 0; i < 1000; i++) x += i * 1e-9;
    uint64_t c1 = pt_thread_cpu_ns();
    assert_true(c1 > c0);
    uint64_t slept_from = pt_thread_cpu_ns();
    uint64_t d = pt_rt_now_ns() + 100000000ull; /* 100 ms asleep */
    while (pt_sleep_until_ns(d) != 0) {
    }
    uint64_t slept = pt_thread_cpu_ns() - slept_from;
    print_message("cpu: %.1f ms for 50 ms of work, %.1f ms for 100 ms of sleep\n", (c1 - c0) / 1e6,
                  slept / 1e6);
    assert_true(slept < 50000000ull);
}

static pt_sem *sem;
static volatile int posted;

static void *poster(void *arg)
{
    uint64_t d = pt_rt_now_ns() + 20000000ull;
    while (pt_sleep_until_ns(d) != 0) {
    }
    posted = 1;
    pt_sem_post(sem);
    return NULL;
}

/* A wait ends only after a post from another thread. */
static void semaphore_waits_for_a_post(void **state)
{
    sem = pt_sem_create();
    assert_non_null(sem);
    pt_sem_post(sem); /* a post before the wait is kept */
    pt_sem_wait(sem);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, poster, NULL), 0);
    pt_sem_wait(sem);
    assert_int_equal(posted, 1);
    pthread_join(t, NULL);
    pt_sem_destroy(sem);
}

/* Aligned blocks are aligned, whole and given back (on Windows by
 * _aligned_free: plain free() there would corrupt the heap). */
static void aligned_blocks_are_aligned(void **state)
{
    const size_t aligns[] = {8, 64, 4096};
    for (int i = 0; i < 3; i++) {
        unsigned char *p = pt_aligned_alloc(aligns[i], 1000); /* not a multiple of 4096 */
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % aligns[i], 0);
        memset(p, 0xab, 1000);
        assert_int_equal(p[999], 0xab);
        pt_aligned_free(p);
    }
    pt_aligned_free(NULL);
}

/* A folder is made once (EEXIST after); the loaders' open takes a regular
 * file of the size allowed and refuses a folder, a file too large and, where
 * the system has them, a FIFO without a writer (at once, not waiting). */
static void folders_and_regular_files(void **state)
{
    char dir[64], file[96];
    snprintf(dir, sizeof dir, "pt_dir_%ld", (long)time(NULL));
    assert_int_equal(pt_mkdir(dir), 0);
    errno = 0;
    assert_int_equal(pt_mkdir(dir), -1);
    assert_int_equal(errno, EEXIST);
    snprintf(file, sizeof file, "%s/five.txt", dir);
    FILE *f = fopen(file, "wb");
    assert_non_null(f);
    fputs("12345", f);
    fclose(f);
    int fd = pt_open_regular(file, 0);
    assert_true(fd >= 0);
    char buf[8] = {0};
    assert_int_equal(read(fd, buf, sizeof buf), 5);
    assert_string_equal(buf, "12345");
    close(fd);
    assert_true((fd = pt_open_regular(file, 5)) >= 0);
    close(fd);
    errno = 0;
    assert_int_equal(pt_open_regular(file, 4), -1);
    assert_int_equal(errno, EFBIG);
    errno = 0;
    assert_int_equal(pt_open_regular(dir, 0), -1);
    assert_true(errno == EINVAL || errno == EACCES); /* Windows opens no folder */
#ifndef _WIN32
    char fifo[96];
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    assert_int_equal(mkfifo(fifo, 0600), 0);
    errno = 0;
    assert_int_equal(pt_open_regular(fifo, 0), -1);
    assert_int_equal(errno, EINVAL);
    remove(fifo);
#endif
    remove(file);
    assert_int_equal(rmdir(dir), 0);
}

/* A system library loads by name and its functions are callable through
 * the addresses found; a missing library or symbol says why. */
static void libraries_load_by_name(void **state)
{
    const char *name = pt_platform_name();
    const char *lib = !strcmp(name, "windows") ? "msvcrt.dll"
                      : !strcmp(name, "macos") ? "/usr/lib/libSystem.B.dylib"
                                               : "libm.so.6";
    char why[256] = "";
    void *h = pt_lib_open(lib, why, sizeof why);
    assert_non_null(h);
    double (*cosine)(double);
    void *sym = pt_lib_symbol(h, "cos", why, sizeof why);
    assert_non_null(sym);
    memcpy(&cosine, &sym, sizeof sym);
    assert_true(cosine(0.0) == 1.0);
    assert_true(fabs(cosine(3.14159265358979323846) + 1.0) < 1e-12);
    why[0] = 0;
    assert_null(pt_lib_symbol(h, "pt_no_such_symbol", why, sizeof why));
    assert_non_null(strstr(why, "pt_no_such_symbol"));
    pt_lib_close(h);
    why[0] = 0;
    assert_null(pt_lib_open("pt_no_such_library_7", why, sizeof why));
    assert_true(why[0] != 0);
    print_message("libraries: %s loaded; a missing one: %s\n", lib, why);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(user_folders_follow_the_environment),
        cmocka_unit_test(file_stamp_sees_a_change),
        cmocka_unit_test(exe_path_is_this_program),
        cmocka_unit_test(rename_never_replaces),
        cmocka_unit_test(sleep_until_reaches_the_deadline),
        cmocka_unit_test(thread_cpu_time_counts_work),
        cmocka_unit_test(semaphore_waits_for_a_post),
        cmocka_unit_test(aligned_blocks_are_aligned),
        cmocka_unit_test(folders_and_regular_files),
        cmocka_unit_test(libraries_load_by_name),
    };
    print_message("platform: %s\n", pt_platform_name());
    return cmocka_run_group_tests(tests, NULL, NULL);
}
