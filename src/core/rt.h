/* rt.h — helpers for code that runs on the audio thread.
 *
 * A function whose comment starts with "RT:" may run on the audio thread: it
 * must not allocate, free, lock, wait, log or touch files and sockets, and it
 * may only call other RT: functions. tests/unit/test_rt_safety.c checks this
 * by trapping those calls while the engine runs.
 */
#ifndef PT_RT_H
#define PT_RT_H

#include <stdint.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

/* Non-zero while this thread is inside pt_engine_process: lets a checking
 * build (tests/rtcheck/trap.c) catch forbidden calls made on the audio
 * thread. */
extern _Thread_local int pt_rt_in_callback;

/* RT: set flush-to-zero and denormals-are-zero for this thread. Cheap enough
 * to call at the top of every callback, which also covers host threads that
 * reset the FPU state behind our back. */
static inline void pt_rt_flush_denormals(void)
{
#if defined(__x86_64__) || defined(__i386__)
    _mm_setcsr(_mm_getcsr() | 0x8040); /* FTZ (bit 15) | DAZ (bit 6) */
#elif defined(__aarch64__)
    uint64_t fpcr;
    __asm__ volatile("mrs %0, fpcr" : "=r"(fpcr));
    __asm__ volatile("msr fpcr, %0" ::"r"(fpcr | (1ull << 24)));
#endif
}

/* RT: monotonic time in nanoseconds (vDSO on Linux: no syscall, no lock). */
static inline uint64_t pt_rt_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline float pt_db_to_gain(float db) { return __builtin_powf(10.0f, db * 0.05f); }

#endif
