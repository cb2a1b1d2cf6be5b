/* audiofile.c — see audiofile.h. */
#include "audiofile.h"

#include <errno.h>
#include <math.h>
#include <samplerate.h>
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int pt_audio_read(const char *path, pt_audio *out, pt_error *err)
{
    memset(out, 0, sizeof *out);
    struct stat st;
    if (stat(path, &st) != 0)
        return pt_error_set(err, PT_ERR_IO, path, 0, 0, "cannot open: %s", strerror(errno));
    if (S_ISDIR(st.st_mode))
        return pt_error_set(err, PT_ERR_IO, path, 0, 0, "is a folder, not an audio file");
    SF_INFO info = {0};
    SNDFILE *f = sf_open(path, SFM_READ, &info);
    if (!f)
        return pt_error_set(err, PT_ERR_INVALID, path, 0, 0, "not a readable audio file (%s)",
                            sf_strerror(NULL));
    if (info.frames <= 0) {
        sf_close(f);
        return pt_error_set(err, PT_ERR_INVALID, path, 0, 0, "has no audio (0 frames)");
    }
    if (info.frames > PT_AUDIO_MAX_FRAMES || info.channels < 1 || info.channels > 64) {
        sf_close(f);
        return pt_error_set(err, PT_ERR_INVALID, path, 0, 0,
                            "is too large (%lld frames, %d channels; at most %ld frames)",
                            (long long)info.frames, info.channels, PT_AUDIO_MAX_FRAMES);
    }
    if (info.samplerate < 8000 || info.samplerate > 384000) {
        sf_close(f);
        return pt_error_set(err, PT_ERR_INVALID, path, 0, 0,
                            "has an unusable sample rate (%d Hz)", info.samplerate);
    }
    long frames = (long)info.frames;
    /* a mono file goes straight into its channel: no second buffer to
     * fault in and copy (render reads whole files) */
    float *inter = malloc((size_t)frames * (size_t)info.channels * sizeof(float));
    if (!inter) {
        sf_close(f);
        return pt_error_set(err, PT_ERR_NOMEM, path, 0, 0, "out of memory reading it");
    }
    sf_count_t got = sf_readf_float(f, inter, frames);
    sf_close(f);
    if (got <= 0) {
        free(inter);
        return pt_error_set(err, PT_ERR_INVALID, path, 0, 0, "could not read any audio from it");
    }
    frames = (long)got; /* a truncated file gives what it has */
    out->file_channels = info.channels;
    out->channels = info.channels >= 2 ? 2 : 1;
    out->frames = frames;
    out->rate = info.samplerate;
    if (info.channels == 1) {
        for (long i = 0; i < frames; i++)
            if (!isfinite(inter[i])) inter[i] = 0.0f;
        out->ch[0] = inter;
        return 0;
    }
    for (int k = 0; k < out->channels; k++) {
        out->ch[k] = malloc((size_t)frames * sizeof(float));
        if (!out->ch[k]) {
            free(inter);
            pt_audio_free(out);
            return pt_error_set(err, PT_ERR_NOMEM, path, 0, 0, "out of memory reading it");
        }
        for (long i = 0; i < frames; i++) {
            float v = inter[i * info.channels + k];
            out->ch[k][i] = isfinite(v) ? v : 0.0f;
        }
    }
    free(inter);
    return 0;
}

int pt_audio_read_mono(const char *path, pt_audio *out, pt_error *err)
{
    int rc = pt_audio_read(path, out, err);
    if (rc) return rc;
    if (out->channels == 2) {
        for (long i = 0; i < out->frames; i++) out->ch[0][i] = 0.5f * (out->ch[0][i] + out->ch[1][i]);
        free(out->ch[1]);
        out->ch[1] = NULL;
        out->channels = 1;
    }
    return 0;
}

void pt_audio_free(pt_audio *a)
{
    free(a->ch[0]);
    free(a->ch[1]);
    memset(a, 0, sizeof *a);
}

int pt_audio_write(const char *path, const float *const *ch, int channels, long frames,
                   double rate, pt_error *err)
{
    SF_INFO info = {.samplerate = (int)lrint(rate), .channels = channels,
                    .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT};
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    if (!f) return pt_error_set(err, PT_ERR_IO, path, 0, 0, "cannot write: %s", sf_strerror(NULL));
    enum { CHUNK = 4096 };
    float buf[CHUNK * 2];
    for (long off = 0; off < frames; off += CHUNK) {
        long n = frames - off < CHUNK ? frames - off : CHUNK;
        const float *src = ch[0] + off; /* mono: as it is, no interleaving copy */
        if (channels > 1) {
            for (long i = 0; i < n; i++)
                for (int k = 0; k < channels; k++) buf[i * channels + k] = ch[k][off + i];
            src = buf;
        }
        if (sf_writef_float(f, src, n) != n) {
            pt_error_set(err, PT_ERR_IO, path, 0, 0, "write failed: %s", sf_strerror(f));
            sf_close(f);
            return PT_ERR_IO;
        }
    }
    if (sf_close(f) != 0) return pt_error_set(err, PT_ERR_IO, path, 0, 0, "write failed on close");
    return 0;
}

int pt_audio_resample(pt_audio *a, double rate, pt_error *err)
{
    if (a->rate == rate) return 0;
    double ratio = rate / a->rate;
    long out_frames = (long)ceil((double)a->frames * ratio);
    for (int k = 0; k < a->channels; k++) {
        float *y = calloc((size_t)out_frames + 1, sizeof(float));
        if (!y) return pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory resampling");
        SRC_DATA d = {.data_in = a->ch[k], .data_out = y, .input_frames = a->frames,
                      .output_frames = out_frames, .src_ratio = ratio, .end_of_input = 1};
        int rc = src_simple(&d, SRC_SINC_BEST_QUALITY, 1);
        if (rc) {
            free(y);
            return pt_error_set(err, PT_ERR, NULL, 0, 0, "resampling failed: %s", src_strerror(rc));
        }
        free(a->ch[k]);
        a->ch[k] = y;
        a->frames = d.output_frames_gen;
    }
    a->rate = rate;
    return 0;
}
