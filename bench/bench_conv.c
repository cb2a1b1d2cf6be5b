/* bench_conv.c — cost of the zero-latency convolver, beside zita-convolver.
 *
 * For IRs of 0.2 s, 2 s and 10 s (48 kHz, exponentially decaying noise) it
 * convolves 20 s of noise in blocks of 64 frames and prints the CPU time per
 * second of audio, once with the head forced to 64 (zita's partition size in
 * the comparison) and once with the plan the cost model picks.
 *
 * zita-convolver is timed through Debian's `fconvolver` (jconvolver package,
 * GPL: run as a separate program, never linked) on the same IR and input
 * files. fconvolver ignores the configured partition size: it picks uniform
 * partitions of up to 8192 frames (Convproc::MAXQUANT), so it is not doing
 * zero-latency work; its numbers are a reference and its output a check.
 * The like-for-like comparison at 64 frames is bench/bench_conv_vs_zita.sh
 * (jconvolver on a dummy JACK server), which calls `bench_conv --ir FILE`. Its CPU time (all
 * threads, from wait4) includes reading and writing the files; a run with a
 * one-sample IR (/impulse/dirac) measures that overhead, which is subtracted
 * Both its default mode and -V (vector mode: SSE multiply-accumulate) are
 * timed, with a one-sample IR (/impulse/dirac) for its I/O and set-up. Ours
 * is timed both in memory and doing the same file-to-file job through
 * libsndfile (which fconvolver uses too). Our output is compared with
 * fconvolver's as a check that both did the same work.
 *
 * Last, the case of a 10 s stereo IR on a real-time device: 64-frame blocks
 * paced at real time for 3 s with the worker thread, printing the audio
 * thread's time per callback against the 1333 us period (wall time, which
 * includes being preempted on a busy machine without real-time priority,
 * and the thread's own CPU time).
 *
 * Prints numbers; never fails on timing. */
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <sndfile.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "conv/conv.h"
#include "conv/ir.h"
#include "core/rt.h"

extern char **environ;

#define RATE 48000
#define IN_SECONDS 20

static char dir[256];

static double cpu_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static uint32_t rng = 1;
static float noise(void)
{
    rng = rng * 1664525u + 1013904223u;
    return (float)((rng >> 8) / 16777216.0 * 2.0 - 1.0);
}

static int write_wav(const char *path, const float *x, int frames, int channels)
{
    SF_INFO info = {.samplerate = RATE, .channels = channels,
                    .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT};
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    if (!sf) return -1;
    sf_writef_float(sf, x, frames);
    sf_close(sf);
    return 0;
}

static float *read_wav(const char *path, int *frames)
{
    SF_INFO info = {0};
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    if (!sf || info.channels != 1) {
        if (sf) sf_close(sf);
        return NULL;
    }
    float *x = malloc((size_t)info.frames * sizeof(float));
    *frames = (int)sf_readf_float(sf, x, info.frames);
    sf_close(sf);
    return x;
}

/* Run a program quietly; its CPU seconds (user + sys, all threads), or -1. */
static double run_cpu(char *const argv[])
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", 1, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", 1, 0);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) return -1;
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return -1;
    return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + ru.ru_stime.tv_sec +
           ru.ru_stime.tv_usec * 1e-6;
}

static double zita(const char *conf, const char *in, const char *out, const char *opt)
{
    char *argv[6];
    int a = 0;
    argv[a++] = "fconvolver";
    if (opt) argv[a++] = (char *)opt;
    argv[a++] = (char *)conf;
    argv[a++] = (char *)in;
    argv[a++] = (char *)out;
    argv[a] = NULL;
    double best = -1;
    for (int rep = 0; rep < 3; rep++) {
        double t = run_cpu(argv);
        if (t >= 0 && (best < 0 || t < best)) best = t;
    }
    return best;
}

/* Our convolver over the whole input plus the IR's tail, in 64-frame
 * blocks, offline (one thread does all the work): CPU seconds, best of 3. */
static double ours(const float *h, int L, const float *x, float *y, int n, int base, char *plan,
                   size_t plan_size)
{
    const float *ir[1] = {h};
    pt_conv_config cfg = {.offline = true, .base_frames = base};
    pt_conv *c = pt_conv_new(ir, 1, L, &cfg, NULL);
    if (!c) return -1;
    pt_conv_describe(c, plan, plan_size);
    double best = -1;
    for (int rep = 0; rep < 3; rep++) {
        pt_conv_reset(c);
        double t0 = cpu_now();
        for (int off = 0; off < n; off += 64) {
            float *out[1] = {y + off};
            pt_conv_process(c, x + off, out, n - off < 64 ? n - off : 64);
        }
        double t = cpu_now() - t0;
        if (best < 0 || t < best) best = t;
    }
    pt_conv_free(c);
    return best;
}

/* The same job as fconvolver, file to file through libsndfile (read IN,
 * convolve in 64-frame blocks, write float WAV OUT, input + tail): CPU
 * seconds, best of 3. */
static double ours_file(const float *h, int L, const char *in, const char *out)
{
    const float *ir[1] = {h};
    pt_conv_config cfg = {.offline = true};
    double best = -1;
    for (int rep = 0; rep < 3; rep++) {
        double t0 = cpu_now();
        pt_conv *c = pt_conv_new(ir, 1, L, &cfg, NULL);
        SF_INFO ii = {0};
        SNDFILE *fi = sf_open(in, SFM_READ, &ii);
        SF_INFO oi = {.samplerate = RATE, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT};
        SNDFILE *fo = sf_open(out, SFM_WRITE, &oi);
        if (!c || !fi || !fo) return -1;
        /* the files are read and written 4096 frames at a time (as
         * fconvolver does), the convolver still called every 64 */
        static float x[4096], y[4096];
        long left = (long)ii.frames + L - 1;
        while (left > 0) {
            sf_count_t k = sf_readf_float(fi, x, 4096);
            for (sf_count_t i = k < 0 ? 0 : k; i < 4096; i++) x[i] = 0.0f;
            int m = left < 4096 ? (int)left : 4096;
            for (int off = 0; off < m; off += 64) {
                float *o[1] = {y + off};
                pt_conv_process(c, x + off, o, 64);
            }
            sf_writef_float(fo, y, m);
            left -= m;
        }
        sf_close(fi);
        sf_close(fo);
        pt_conv_free(c);
        double t = cpu_now() - t0;
        if (best < 0 || t < best) best = t;
    }
    return best;
}

static void realtime_stereo(void)
{
    int L = 10 * RATE, blocks = 3 * RATE / 64;
    float *h[2];
    for (int k = 0; k < 2; k++) {
        h[k] = malloc((size_t)L * sizeof(float));
        for (int i = 0; i < L; i++) h[k][i] = noise() * expf(-6.9f * i / L);
    }
    const float *ir[2] = {h[0], h[1]};
    pt_conv_config cfg = {.offline = false};
    pt_conv *c = pt_conv_new(ir, 2, L, &cfg, NULL);
    if (!c) return;
    char plan[256];
    pt_conv_describe(c, plan, sizeof plan);
    float x[64], yl[64], yr[64];
    float *out[2] = {yl, yr};
    /* like a JACK process thread: real-time priority above the worker's,
     * when the system allows it */
    struct sched_param sp = {.sched_priority = 20};
    bool rt = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) == 0;
    double period_ns = 64.0 * 1e9 / RATE, sum = 0, worst = 0, cpu_worst = 0, cpu_sum = 0;
    struct timespec next;
    clock_gettime(CLOCK_MONOTONIC, &next);
    double cpu0 = cpu_now();
    struct timespec th0;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &th0);
    for (int b = 0; b < blocks; b++) {
        for (int i = 0; i < 64; i++) x[i] = 0.5f * noise();
        struct timespec c0, c1;
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
        uint64_t t0 = pt_rt_now_ns();
        pt_conv_process(c, x, out, 64);
        double dt = (double)(pt_rt_now_ns() - t0);
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
        double dc = (c1.tv_sec - c0.tv_sec) * 1e9 + (c1.tv_nsec - c0.tv_nsec);
        cpu_worst = dc > cpu_worst ? dc : cpu_worst;
        cpu_sum += dc;
        sum += dt;
        worst = dt > worst ? dt : worst;
        next.tv_nsec += (long)period_ns;
        while (next.tv_nsec >= 1000000000L) next.tv_nsec -= 1000000000L, next.tv_sec++;
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
    }
    struct timespec th1;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &th1);
    double audio_cpu = (th1.tv_sec - th0.tv_sec) + (th1.tv_nsec - th0.tv_nsec) * 1e-9;
    double all_cpu = cpu_now() - cpu0;
    if (rt) {
        sp.sched_priority = 0;
        pthread_setschedparam(pthread_self(), SCHED_OTHER, &sp);
    }
    printf("10 s stereo IR, mono in -> 2 out, 64-frame callbacks paced at real time for 3 s,\n"
           "  audio thread %s\n",
           rt ? "SCHED_FIFO 20 (worker below it)" : "without real-time priority (not allowed)");
    printf("  plan: %s\n"
           "  audio thread per callback: mean %.1f us, max %.1f us wall / %.1f us CPU"
           " (period %.0f us); late blocks %llu\n"
           "  CPU per s of audio: in process() %.2f ms, worker %.2f ms (%.2f %% of one core)\n",
           plan, sum / blocks / 1000, worst / 1000, cpu_worst / 1000, period_ns / 1000,
           (unsigned long long)pt_conv_late_blocks(c), cpu_sum / 1e6 / 3,
           (all_cpu - audio_cpu) * 1000 / 3, (cpu_sum / 1e9 + all_cpu - audio_cpu) / 3 * 100);
    pt_conv_free(c);
    free(h[0]);
    free(h[1]);
}

/* bench_conv --ir FILE: our cost for that IR file (mono), 64-frame blocks,
 * 20 s of noise, head 64 and chosen plan: one line, for the script that
 * compares with jconvolver on the same file. */
static int one_file(const char *path)
{
    pt_ir *raw = NULL, *ir = NULL;
    pt_error err = {0};
    pt_ir_options opt = {.rate = RATE};
    if (pt_ir_load(path, &raw, &err) || pt_ir_prepare(raw, &opt, &ir, &err)) {
        pt_error_print(&err, stderr);
        return 1;
    }
    int n = IN_SECONDS * RATE;
    float *x = malloc((size_t)n * sizeof(float)), *y = malloc((size_t)n * sizeof(float));
    for (int i = 0; i < n; i++) x[i] = 0.5f * noise();
    char plan64[256], plan[256];
    double t64 = ours(ir->data[0], ir->frames, x, y, n, 64, plan64, sizeof plan64);
    double ta = ours(ir->data[0], ir->frames, x, y, n, 0, plan, sizeof plan);
    printf("%.3f %.3f %s\n", t64 * 1000 / IN_SECONDS, ta * 1000 / IN_SECONDS, plan);
    free(x);
    free(y);
    pt_ir_free(raw);
    pt_ir_free(ir);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--ir") == 0) return one_file(argv[2]);
    snprintf(dir, sizeof dir, "/tmp/pt_bench_conv_XXXXXX");
    if (!mkdtemp(dir)) return 1;
    char in_path[300], out_path[300], ir_path[300], conf[300], dconf[300];
    snprintf(in_path, sizeof in_path, "%s/in.wav", dir);
    snprintf(out_path, sizeof out_path, "%s/out.wav", dir);
    snprintf(ir_path, sizeof ir_path, "%s/ir.wav", dir);
    snprintf(conf, sizeof conf, "%s/ir.conf", dir);
    snprintf(dconf, sizeof dconf, "%s/dirac.conf", dir);

    int n_in = IN_SECONDS * RATE;
    float *x = malloc((size_t)n_in * sizeof(float));
    for (int i = 0; i < n_in; i++) x[i] = 0.5f * noise();
    write_wav(in_path, x, n_in, 1);
    bool have_zita = system("command -v fconvolver >/dev/null 2>&1") == 0;
    printf("convolution cost, 48 kHz, 64-frame blocks, %d s of noise through each IR;\n"
           "ms of CPU per second of audio (lower is better); kernels: %s\n",
           IN_SECONDS, getenv("PT_CONV_GENERIC") ? "generic" : "best for this CPU");
    if (!have_zita) printf("fconvolver (Debian package jconvolver) not found: zita comparison skipped\n");

    static const double seconds[] = {0.2, 2.0, 10.0};
    for (int s = 0; s < 3; s++) {
        int L = (int)(seconds[s] * RATE);
        float *h = malloc((size_t)L * sizeof(float));
        for (int i = 0; i < L; i++) h[i] = noise() * expf(-6.9f * i / L);
        int n = n_in + L - 1; /* the whole output, as fconvolver writes it */
        float *xin = calloc((size_t)n, sizeof(float)), *y = malloc((size_t)n * sizeof(float));
        memcpy(xin, x, (size_t)n_in * sizeof(float));
        char plan64[256], plan[256];
        double t64 = ours(h, L, xin, y, n, 64, plan64, sizeof plan64);
        double tauto = ours(h, L, xin, y, n, 0, plan, sizeof plan);
        double audio_s = (double)n / RATE;
        printf("\nIR %.1f s (%d taps), %.1f s of output\n", seconds[s], L, audio_s);
        printf("  pytone, head 64      %7.2f ms/s   [%s]\n", t64 * 1000 / audio_s, plan64);
        printf("  pytone, chosen plan  %7.2f ms/s   [%s]\n", tauto * 1000 / audio_s, plan);
        if (have_zita) {
            write_wav(ir_path, h, L, 1);
            FILE *f = fopen(conf, "w");
            fprintf(f, "/convolver/new 1 1 64 %d 1\n/impulse/read 1 1 1 0 0 0 1 %s\n", L, ir_path);
            fclose(f);
            f = fopen(dconf, "w");
            fprintf(f, "/convolver/new 1 1 64 %d 1\n/impulse/dirac 1 1 1 0\n", L);
            fclose(f);
            double base = zita(dconf, in_path, out_path, NULL);
            double zd = zita(conf, in_path, out_path, NULL);
            /* check: same output as ours over the input's span */
            int nz = 0;
            float *yz = read_wav(out_path, &nz);
            double e = 0, r = 0;
            for (int i = 0; yz && i < n_in && i < nz; i++) {
                e += (double)(yz[i] - y[i]) * (yz[i] - y[i]);
                r += (double)yz[i] * yz[i];
            }
            free(yz);
            double zv = zita(conf, in_path, out_path, "-V");
            double of = ours_file(h, L, in_path, out_path);
            if (base < 0 || zd < 0 || zv < 0) {
                printf("  zita-convolver: fconvolver failed; comparison skipped\n");
            } else {
                printf("  file to file (libsndfile I/O in both, IR set-up included); NOTE fconvolver\n"
                       "  ignores the partition size and runs uniform partitions of up to 8192\n"
                       "  frames (not zero latency): a reference and an output check, not a\n"
                       "  like-for-like comparison (see bench_conv_vs_zita.sh for that):\n"
                       "    pytone               %7.2f ms/s\n"
                       "    zita fconvolver      %7.2f ms/s\n"
                       "    zita fconvolver -V   %7.2f ms/s   (SSE multiply-accumulate)\n"
                       "    zita, one-sample IR  %7.2f ms/s   (its I/O and set-up)\n",
                       of * 1000 / audio_s, zd * 1000 / audio_s, zv * 1000 / audio_s,
                       base * 1000 / audio_s);
                printf("  pytone / zita (file to file): %.2fx default, %.2fx -V; outputs differ "
                       "by %.1f dB\n",
                       of / zd, of / zv, 10 * log10(e / r + 1e-300));
            }
        }
        free(h);
        free(xin);
        free(y);
    }
    printf("\n");
    realtime_stereo();
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) return 1;
    free(x);
    return 0;
}
