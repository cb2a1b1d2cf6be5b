/* platform_windows.c — platform.h on Windows (MinGW-w64 or MSVC with
 * winpthreads). Built and its tests run under wine by `make test-windows`. */
#if defined(_WIN32)

#include "platform.h"

#include <direct.h>
#include <errno.h>
#include <fcntl.h>
#include <io.h>
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

/* the C runtime's own: its blocks go back with _aligned_free, not free */
void *pt_aligned_alloc(size_t align, size_t bytes) { return _aligned_malloc(bytes ? bytes : 1, align); }

void pt_aligned_free(void *p) { _aligned_free(p); }

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

/* folders have no modes here */
int pt_mkdir(const char *path) { return _mkdir(path); }

/* Windows has no FIFOs that an open waits on, nor controlling terminals:
 * a plain binary open, not inherited by child processes */
int pt_open_regular(const char *path, long long max_bytes)
{
    int fd = _open(path, _O_RDONLY | _O_BINARY | _O_NOINHERIT);
    if (fd < 0) return -1;
    struct _stat64 st;
    int why = 0;
    if (_fstat64(fd, &st) != 0) why = errno;
    else if (!(st.st_mode & _S_IFREG)) why = EINVAL;
    else if (max_bytes > 0 && (long long)st.st_size > max_bytes) why = EFBIG;
    if (why) {
        _close(fd);
        errno = why;
        return -1;
    }
    return fd;
}

/* the system's message for GetLastError(), on one line */
static void last_error(const char *what, char *why, size_t why_size)
{
    if (!why || !why_size) return;
    DWORD e = GetLastError();
    int n = snprintf(why, why_size, "%s: ", what);
    if (n < 0 || (size_t)n >= why_size) return;
    DWORD m = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, e, 0,
                             why + n, (DWORD)(why_size - (size_t)n), NULL);
    if (!m) snprintf(why + n, why_size - (size_t)n, "error %lu", (unsigned long)e);
    for (char *p = why; *p; p++)
        if (*p == '\r' || *p == '\n') *p = *(p + 1) ? ' ' : 0;
}

/* LoadLibrary binds every import when it loads; it wants backslashes */
void *pt_lib_open(const char *name, char *why, size_t why_size)
{
    char path[1024];
    if (snprintf(path, sizeof path, "%s", name) >= (int)sizeof path) {
        if (why) snprintf(why, why_size, "%s: the path is too long", name);
        return NULL;
    }
    for (char *p = path; *p; p++)
        if (*p == '/') *p = '\\';
    HMODULE h = LoadLibraryA(path);
    if (!h) last_error(name, why, why_size);
    return (void *)h;
}

void *pt_lib_symbol(void *lib, const char *symbol, char *why, size_t why_size)
{
    FARPROC f = GetProcAddress((HMODULE)lib, symbol);
    if (!f) {
        last_error(symbol, why, why_size);
        return NULL;
    }
    void *p;
    memcpy(&p, &f, sizeof p); /* a function's address as data, as dlsym gives it */
    return p;
}

void pt_lib_close(void *lib)
{
    if (lib) FreeLibrary((HMODULE)lib);
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

bool pt_desktop_present(char *why, size_t why_size) { return true; }

#else
typedef int pt_platform_windows_unused; /* ISO C wants something in a file */
#endif
