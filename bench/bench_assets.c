/* bench_assets.c — what the web UI's file commands cost on the control
 * side: asset_info (load, 600 waveform columns, a 200-point direct DFT) for
 * the factory IRs, a capture, a circuit and the worst case the IR loader
 * accepts (20 s stereo at 48 kHz), and an import (temporary file, loader,
 * rename) of the 2 s stereo plate. Prints milliseconds; asserts nothing. */
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control/assets.h"
#include "core/rt.h"

static const char *src_dir(void)
{
    const char *s = getenv("PT_SOURCE_DIR");
    return s && s[0] ? s : ".";
}

static void time_info(const char *path, const char *label, int reps)
{
    double best = 1e30;
    for (int i = 0; i < reps; i++) {
        pt_error err = {0};
        uint64_t t0 = pt_rt_now_ns();
        cJSON *j = pt_asset_info(path, label, &err);
        double ms = (double)(pt_rt_now_ns() - t0) / 1e6;
        if (!j) {
            printf("asset_info %-34s failed: %s\n", label, err.msg);
            return;
        }
        cJSON_Delete(j);
        if (ms < best) best = ms;
    }
    printf("asset_info %-34s %9.2f ms (best of %d)\n", label, best, reps);
}

typedef struct mem {
    const unsigned char *p;
    size_t n, at;
} mem;

static long mem_read(void *user, void *buf, size_t n)
{
    mem *m = user;
    if (n > m->n - m->at) n = m->n - m->at;
    memcpy(buf, m->p + m->at, n);
    m->at += n;
    return (long)n;
}

int main(void)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/irs/synthetic_4x12.wav", src_dir());
    time_info(path, "irs/synthetic_4x12.wav (4096 fr)", 5);
    snprintf(path, sizeof path, "%s/irs/plate_2s_stereo.wav", src_dir());
    time_info(path, "irs/plate_2s_stereo.wav (2 s st)", 3);
    snprintf(path, sizeof path, "%s/models/a1_standard.nam", src_dir());
    time_info(path, "models/a1_standard.nam", 3);
    snprintf(path, sizeof path, "%s/circuits/ts808.yaml", src_dir());
    time_info(path, "circuits/ts808.yaml", 3);

    char dir[] = "/tmp/pt-bench-assets-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    char big[sizeof dir + 32];
    snprintf(big, sizeof big, "%s/long.wav", dir);
    enum { RATE = 48000, FRAMES = 20 * RATE };
    float *x = malloc(2 * (size_t)FRAMES * sizeof *x);
    unsigned s = 1;
    for (long n = 0; x && n < 2l * FRAMES; n++) {
        s = s * 1664525u + 1013904223u;
        x[n] = ((float)(s >> 8) / 16777216.0f - 0.5f) * expf(-(float)(n / 2) / (2.0f * RATE));
    }
    SF_INFO info = {.samplerate = RATE, .channels = 2, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT};
    SNDFILE *sf = x ? sf_open(big, SFM_WRITE, &info) : NULL;
    if (sf) {
        sf_writef_float(sf, x, FRAMES);
        sf_close(sf);
        time_info(big, "20 s stereo (the loader's limit)", 1);
    }
    free(x);
    unlink(big);

    /* an import: write, validate with the IR loader, rename */
    snprintf(path, sizeof path, "%s/irs/plate_2s_stereo.wav", src_dir());
    FILE *f = fopen(path, "rb");
    if (f) {
        fseek(f, 0, SEEK_END);
        size_t n = (size_t)ftell(f);
        fseek(f, 0, SEEK_SET);
        unsigned char *b = malloc(n);
        if (b && fread(b, 1, n, f) == n) {
            double best = 1e30;
            for (int i = 0; i < 3; i++) {
                mem m = {.p = b, .n = n};
                char rel[256];
                pt_error err = {0};
                uint64_t t0 = pt_rt_now_ns();
                int st = pt_asset_import(dir, "ir", "plate.wav", true, (long long)n, mem_read, &m, rel,
                                         sizeof rel, &err);
                double ms = (double)(pt_rt_now_ns() - t0) / 1e6;
                if (st != 200) printf("import failed (%d): %s\n", st, err.msg);
                if (ms < best) best = ms;
            }
            printf("import     %-34s %9.2f ms (best of 3; %zu bytes, with fsync)\n",
                   "plate_2s_stereo.wav", best, n);
        }
        free(b);
        fclose(f);
    }
    snprintf(path, sizeof path, "%s/irs/plate.wav", dir);
    unlink(path);
    snprintf(path, sizeof path, "%s/irs", dir);
    rmdir(path);
    rmdir(dir);
    return 0;
}
