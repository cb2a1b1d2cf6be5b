/* platform_windows.c — platform.h on Windows (MinGW-w64 or MSVC with
 * winpthreads). Built and its tests run under wine by `make test-windows`. */
#if defined(_WIN32)

#include "platform.h"

#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <windows.h>
#include <shellapi.h>

const char *pt_platform_name(void) { return "windows"; }

/* Windows locks pages only within a working-set quota; the engine's own
 * buffers are touched before use instead (core/engine.c). */
bool pt_mem_lock_all(void) { return false; }

void pt_mem_trim(void) { _heapmin(); }

/* MMCSS "Pro Audio" is for the calling thread (AvSetMmThreadCharacteristics,
 * loaded from avrt.dll when there); the priority class is the fallback. */
bool pt_thread_set_realtime(pthread_t t, int above_min)
{
    (void)t;
    (void)above_min;
    HMODULE avrt = LoadLibraryA("avrt.dll");
    if (avrt) {
        typedef HANDLE(WINAPI * set_fn)(LPCSTR, LPDWORD);
        set_fn set = (set_fn)(void (*)(void))GetProcAddress(avrt, "AvSetMmThreadCharacteristicsA");
        DWORD task = 0;
        if (set && set("Pro Audio", &task)) return true;
    }
    return SetThreadPriority(GetCurrentThread(), THREAD_PRIORITY_TIME_CRITICAL) != 0;
}

void pt_thread_background(void) { SetThreadPriority(GetCurrentThread(), THREAD_PRIORITY_BELOW_NORMAL); }

void pt_thread_min_timer_slack(void) {}

uint64_t pt_thread_cpu_ns(void)
{
    FILETIME created, exited, kernel, user;
    if (!GetThreadTimes(GetCurrentThread(), &created, &exited, &kernel, &user)) return 0;
    uint64_t k = ((uint64_t)kernel.dwHighDateTime << 32) | kernel.dwLowDateTime;
    uint64_t u = ((uint64_t)user.dwHighDateTime << 32) | user.dwLowDateTime;
    return (k + u) * 100; /* 100 ns units */
}

int64_t pt_thread_id(void) { return (int64_t)GetCurrentThreadId(); }

/* A high-resolution waitable timer where Windows has one (10 and later),
 * else Sleep's millisecond; CLOCK_MONOTONIC is winpthreads' clock_gettime. */
int pt_sleep_until_ns(uint64_t deadline_ns)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    uint64_t t = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
    if (t >= deadline_ns) return 0;
    uint64_t left = deadline_ns - t;
    HANDLE timer = CreateWaitableTimerExW(NULL, NULL, 0x00000002 /* HIGH_RESOLUTION */, TIMER_ALL_ACCESS);
    if (!timer) timer = CreateWaitableTimerW(NULL, TRUE, NULL);
    if (!timer) {
        Sleep((DWORD)((left + 999999) / 1000000));
        return 0;
    }
    LARGE_INTEGER due;
    due.QuadPart = -(LONGLONG)((left + 99) / 100); /* relative, 100 ns units */
    SetWaitableTimer(timer, &due, 0, NULL, NULL, FALSE);
    WaitForSingleObject(timer, INFINITE);
    CloseHandle(timer);
    return 0;
}

struct pt_sem {
    HANDLE h;
};

pt_sem *pt_sem_create(void)
{
    pt_sem *s = malloc(sizeof *s);
    if (s && !(s->h = CreateSemaphoreA(NULL, 0, 0x7fffffff, NULL))) {
        free(s);
        s = NULL;
    }
    return s;
}

void pt_sem_destroy(pt_sem *s)
{
    if (!s) return;
    CloseHandle(s->h);
    free(s);
}

void pt_sem_post(pt_sem *s) { ReleaseSemaphore(s->h, 1, NULL); }
void pt_sem_wait(pt_sem *s) { WaitForSingleObject(s->h, INFINITE); }

int pt_thread_queue_open(void) { return -1; }
uint64_t pt_thread_queued_ns(int handle) { return 0; }
void pt_thread_queue_close(int handle) {}

bool pt_file_stamp_get(const char *path, pt_file_stamp *st)
{
    memset(st, 0, sizeof *st);
    WIN32_FILE_ATTRIBUTE_DATA a;
    if (!GetFileAttributesExA(path, GetFileExInfoStandard, &a)) return false;
    uint64_t t = ((uint64_t)a.ftLastWriteTime.dwHighDateTime << 32) | a.ftLastWriteTime.dwLowDateTime;
    st->mtime_s = (int64_t)(t / 10000000u);
    st->mtime_ns = (int64_t)(t % 10000000u) * 100;
    st->size = (int64_t)(((uint64_t)a.nFileSizeHigh << 32) | a.nFileSizeLow);
    return true;
}

bool pt_file_stamp_equal(const pt_file_stamp *a, const pt_file_stamp *b)
{
    return a->mtime_s == b->mtime_s && a->mtime_ns == b->mtime_ns && a->size == b->size;
}

bool pt_exe_path(char *out, size_t size)
{
    DWORD n = GetModuleFileNameA(NULL, out, (DWORD)size);
    if (n == 0 || n >= size) return false;
    for (char *p = out; *p; p++)
        if (*p == '\\') *p = '/';
    return true;
}

/* Windows has no descriptors for folders; the library code that needs them
 * (control/libpath.c) is not built for Windows yet. */
bool pt_fd_path(int fd, char *out, size_t size) { return false; }

int pt_rename_noreplace(int from_dirfd, const char *from, int to_dirfd, const char *to)
{
    (void)from_dirfd;
    (void)to_dirfd;
    /* MoveFileEx without MOVEFILE_REPLACE_EXISTING never replaces */
    if (MoveFileExA(from, to, 0)) return 0;
    errno = GetLastError() == ERROR_ALREADY_EXISTS || GetLastError() == ERROR_FILE_EXISTS ? EEXIST : EIO;
    return -1;
}

static bool env_folder(const char *var, const char *sub, char *out, size_t size)
{
    const char *v = getenv(var);
    if (!v || !v[0]) return false;
    int n = snprintf(out, size, "%s/%s", v, sub);
    for (char *p = out; *p; p++)
        if (*p == '\\') *p = '/';
    return n > 0 && (size_t)n < size;
}

bool pt_user_folder_path(pt_user_folder which, char *out, size_t size)
{
    switch (which) {
    case PT_FOLDER_DATA:
    case PT_FOLDER_CONFIG: return env_folder("APPDATA", "PyTone", out, size);
    case PT_FOLDER_STATE: return env_folder("LOCALAPPDATA", "PyTone", out, size);
    case PT_FOLDER_CACHE: return env_folder("LOCALAPPDATA", "PyTone/cache", out, size);
    }
    return false;
}

bool pt_open_url(const char *url, char *why, size_t why_size)
{
    INT_PTR r = (INT_PTR)ShellExecuteA(NULL, "open", url, NULL, NULL, SW_SHOWNORMAL);
    if (r > 32) return true;
    if (why) snprintf(why, why_size, "ShellExecute failed (%d)", (int)r);
    return false;
}

#else
typedef int pt_platform_windows_unused; /* ISO C wants something in a file */
#endif
