/* platform.h — what differs between Linux, macOS and Windows, in one place.
 *
 * The DSP, graph, rig, control and CLI code is plain C11 (with POSIX threads)
 * and calls these functions wherever the operating system matters: memory
 * locking, trimming and aligned blocks, real-time thread priority, thread
 * CPU time, timer slack, file stamps for watching, making folders, opening
 * files without blocking on special ones, loading shared libraries, the
 * executable's path, opening a browser and the folders of the user's
 * library. Each platform has one file:
 *   platform_posix.c    Linux (glibc or musl) — the reference, tested here
 *   platform_macos.c    macOS (Mach time-constraint threads, _NSGetExecutablePath)
 *   platform_windows.c  Windows (MMCSS, GetModuleFileName, %APPDATA%)
 * Every file is compiled everywhere and holds code only for its own system
 * (one #if around the whole file), so the build needs no per-platform list.
 * No other file outside src/platform, the audio backends (src/io/backend_*.c)
 * and src/midi may test which system it is built for;
 * tests/e2e/test_platform_ifdefs.sh checks that.
 *
 * None of these is RT: unless its comment says so.
 */
#ifndef PT_PLATFORM_H
#define PT_PLATFORM_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "linux", "macos" or "windows": for messages and the bench's line. */
const char *pt_platform_name(void);

/* ---- memory ---- */

/* Keep every page of the process resident (now and later), so the audio
 * thread never waits for one to come back from swap. Only where the limit
 * allows it outright: with a small lock limit, locking future pages would
 * make later allocations fail. Returns true when memory is now locked. */
bool pt_mem_lock_all(void);

/* Give the heap's free memory back to the system (after a rig swap freed a
 * large program). A no-op where the allocator does this by itself. */
void pt_mem_trim(void);

/* bytes of memory aligned to `align` (a power of two from 8 to 4096),
 * uninitialised; NULL on out-of-memory. C11's aligned_alloc where the C
 * library has it; Windows' C runtimes have not (their free() cannot release
 * such blocks), so memory from here is always given back with
 * pt_aligned_free, never free. */
void *pt_aligned_alloc(size_t align, size_t bytes);
void pt_aligned_free(void *p);

/* ---- threads ---- */

/* Real-time priority for thread t: SCHED_FIFO at the lowest priority plus
 * `above_min` (Linux), a Mach time-constraint policy (macOS), MMCSS "Pro
 * Audio" (Windows). Best effort: returns false when the system refused. */
bool pt_thread_set_realtime(pthread_t t, int above_min);

/* The calling thread, and the threads it starts from now on, yield to the
 * rest of the machine (a capture's training beside a playing engine): nice
 * 10 (Linux: per thread, inherited by new threads), below-normal priority
 * for the calling thread (Windows); a no-op on macOS. Best effort. */
void pt_thread_background(void);

/* The calling thread's timers wake it on time rather than up to 50 us late
 * (Linux's PR_SET_TIMERSLACK); a no-op elsewhere. */
void pt_thread_min_timer_slack(void);

/* RT: the calling thread's CPU time in nanoseconds; 0 where unknown. A
 * system call that neither blocks nor allocates. */
uint64_t pt_thread_cpu_ns(void);

/* RT: an id of the calling thread that the kernel's counters know it by
 * (Linux's tid); 0 where there is none. */
int64_t pt_thread_id(void);

/* Time the calling thread spent runnable but waiting for a CPU, in
 * nanoseconds (Linux's /proc/thread-self/schedstat). pt_thread_queue_open
 * opens its source for the calling thread (a handle >= 0, or -1 where the
 * system keeps no such figure); pt_thread_queued_ns reads it (0 when
 * unknown); pt_thread_queue_close releases it. */
int pt_thread_queue_open(void);
uint64_t pt_thread_queued_ns(int handle);
void pt_thread_queue_close(int handle);

/* Sleep until CLOCK_MONOTONIC (pt_rt_now_ns's clock) reads deadline_ns.
 * Returns 0 when it did, non-zero when woken early (a signal): call again. */
int pt_sleep_until_ns(uint64_t deadline_ns);

/* A counting semaphore that a real-time thread may post: POSIX sem_t on
 * Linux, a dispatch semaphore on macOS (which has no unnamed sem_t), a
 * Win32 semaphore on Windows. Created and destroyed off the audio thread;
 * NULL when it cannot be made. */
typedef struct pt_sem pt_sem;
pt_sem *pt_sem_create(void);
void pt_sem_destroy(pt_sem *s);
/* RT: wake one waiter (or the next one to wait). */
void pt_sem_post(pt_sem *s);
/* Wait for a post (a signal does not end the wait). */
void pt_sem_wait(pt_sem *s);

/* ---- files ---- */

/* What tells that a file changed, for watching files without a watcher
 * thread: modification time to the nanosecond where the system keeps it,
 * and size. Two stamps of an unchanged file compare equal. */
typedef struct pt_file_stamp {
    int64_t mtime_s;
    int64_t mtime_ns;
    int64_t size;
} pt_file_stamp;
/* Fills *st; false (and a zero stamp) when the file cannot be read. */
bool pt_file_stamp_get(const char *path, pt_file_stamp *st);
bool pt_file_stamp_equal(const pt_file_stamp *a, const pt_file_stamp *b);

/* The running program's own path (absolute); false when unknown. */
bool pt_exe_path(char *out, size_t size);

/* The path the open directory descriptor fd now has (to notice a folder
 * swapped for a link after it was named); false where the system cannot
 * tell, and the caller then trusts the name it opened. */
bool pt_fd_path(int fd, char *out, size_t size);

/* Rename from_dirfd/from to to_dirfd/to, failing with errno EEXIST instead
 * of replacing an existing target (renameat2's RENAME_NOREPLACE). Returns 0
 * or -1 with errno set. */
int pt_rename_noreplace(int from_dirfd, const char *from, int to_dirfd, const char *to);

/* Make the folder path (its parent must exist): mode 0755 where folders
 * have modes. 0, or -1 with errno set (EEXIST when it is already there). */
int pt_mkdir(const char *path);

/* Open path for reading when it is a regular file of at most max_bytes (0:
 * any size), without waiting for a FIFO's writer or taking a terminal on
 * the way: a file descriptor (blocking reads, closed on exec), or -1 with
 * errno set (EINVAL: not a regular file; EFBIG: larger than max_bytes). */
int pt_open_regular(const char *path, long long max_bytes);

/* ---- shared libraries (the audio and MIDI libraries, compiled Faust
 * programs: loaded when first used) ---- */

/* Load the library `name` (a file name the system searches for, or a path)
 * with every symbol bound now, none on first call (dlopen's RTLD_NOW,
 * LoadLibrary): NULL with why filled when it cannot be loaded. */
void *pt_lib_open(const char *name, char *why, size_t why_size);
/* The address of `symbol` in lib; NULL with why filled when it has none. */
void *pt_lib_symbol(void *lib, const char *symbol, char *why, size_t why_size);
void pt_lib_close(void *lib);

/* ---- the user's folders ---- */

typedef enum pt_user_folder {
    PT_FOLDER_DATA,   /* the library: $XDG_DATA_HOME/pytone, ~/Library/Application Support/PyTone, %APPDATA%\PyTone */
    PT_FOLDER_CONFIG, /* settings (midi.yaml): $XDG_CONFIG_HOME/pytone, the same as DATA elsewhere */
    PT_FOLDER_STATE,  /* the recovery file: $XDG_STATE_HOME/pytone, ~/Library/Application Support/PyTone/state, %LOCALAPPDATA%\PyTone */
    PT_FOLDER_CACHE,  /* $XDG_CACHE_HOME/pytone, ~/Library/Caches/PyTone, %LOCALAPPDATA%\PyTone\cache */
} pt_user_folder;

/* The folder's path (not created); false when the environment names no home. */
bool pt_user_folder_path(pt_user_folder which, char *out, size_t size);

/* ---- the desktop ---- */

/* Open url in the user's default browser (xdg-open, open, ShellExecute) and
 * wait for the opener to answer. Returns true when it did; otherwise false
 * with why filled ("xdg-open is not installed", ...). */
bool pt_open_url(const char *url, char *why, size_t why_size);

/* Whether this session has a desktop a window can open on: on Linux a
 * display (DISPLAY or WAYLAND_DISPLAY); on macOS and Windows a program
 * started by the user has one. false with why filled otherwise. */
bool pt_desktop_present(char *why, size_t why_size);

#endif
