/* ir.c — impulse response files (libsndfile) and their preparation for the
 * engine (libsamplerate). */
#include "ir.h"

#include <errno.h>
#include <math.h>
#include <samplerate.h>
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static pt_ir *ir_new(int channels, int frames, double rate, const char *path)
{
    pt_ir *ir = calloc(1, sizeof *ir);
    if (!ir) return NULL;
    ir->channels = channels;
    ir->frames = frames;
    ir->rate = rate;
    snprintf(ir->path, sizeof ir->path, "%s", path ? path : "");
    for (int c = 0; c < channels; c++) {
        ir->data[c] = calloc((size_t)(frames > 0 ? frames : 1), sizeof(float));
        if (!ir->data[c]) {
            pt_ir_free(ir);
            return NULL;
        }
    }
    return ir;
}

void pt_ir_free(pt_ir *ir)
{
    if (!ir) return;
    free(ir->data[0]);
    free(ir->data[1]);
    free(ir);
}

int pt_ir_load(const char *path, pt_ir **out, pt_error *err)
{
    *out = NULL;
    struct stat st;
    if (stat(path, &st) != 0)
        return pt_error_set(err, PT_ERR_IO, path, 0, 0, "cannot open impulse response: %s",
                            strerror(errno));
    if (S_ISDIR(st.st_mode))
        return pt_error_set(err, PT_ERR_INVALID, path, 0, 0,
                            "impulse response is a directory, not an audio file");
    if (!S_ISREG(st.st_mode)) /* a FIFO or device: sf_open would wait or read forever */
        return pt_error_set(err, PT_ERR_INVALID, path, 0, 0,
                            "impulse response is not a regular file (a FIFO, device or socket)");
    if (st.st_size == 0)
        return pt_error_set(err, PT_ERR_INVALID, path, 0, 0,
                            "impulse response file is empty (0 bytes)");
    if ((long long)st.st_size > PT_IR_MAX_BYTES)
        return pt_error_set(err, PT_ERR_INVALID, path, 0, 0,
                            "impulse response file is too big (%lld bytes; the limit is %lld MiB)",
                            (long long)st.st_size, PT_IR_MAX_BYTES >> 20);

    SF_INFO info = {0};
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    if (!sf)
        return pt_error_set(err, PT_ERR_INVALID, path, 0, 0,
                            "not an audio file that can be read as an impulse response (%s)",
                            sf_strerror(NULL));
    int rc = 0;
    float *buf = NULL;
    pt_ir *ir = NULL;
    if (info.channels < 1 || info.channels > 2) {
        rc = pt_error_set(err, PT_ERR_INVALID, path, 0, 0,
                          "impulse response has %d channels; it must be mono or stereo",
                          info.channels);
        goto done;
    }
    if (info.samplerate < 1000 || info.samplerate > 1536000) {
        rc = pt_error_set(err, PT_ERR_INVALID, path, 0, 0,
                          "impulse response has an unusable sample rate (%d Hz)", info.samplerate);
        goto done;
    }
    if (info.frames <= 0) {
        rc = pt_error_set(err, PT_ERR_INVALID, path, 0, 0,
                          "impulse response is empty: the file holds no audio frames");
        goto done;
    }
    double seconds = (double)info.frames / info.samplerate;
    if (seconds > PT_IR_MAX_SECONDS) {
        rc = pt_error_set(err, PT_ERR_INVALID, path, 0, 0,
                          "impulse response is %.1f s long; the longest accepted is %.0f s",
                          seconds, PT_IR_MAX_SECONDS);
        goto done;
    }
    int frames = (int)info.frames;
    buf = malloc((size_t)frames * (size_t)info.channels * sizeof(float));
    ir = buf ? ir_new(info.channels, frames, info.samplerate, path) : NULL;
    if (!ir) {
        rc = pt_error_set(err, PT_ERR_NOMEM, path, 0, 0, "out of memory reading the impulse response");
        goto done;
    }
    sf_count_t got = sf_readf_float(sf, buf, frames);
    if (got != frames) {
        rc = pt_error_set(err, PT_ERR_INVALID, path, 0, 0,
                          "impulse response is truncated or damaged: read %lld of %d frames",
                          (long long)got, frames);
        goto done;
    }
    float peak = 0.0f;
    for (int i = 0; i < frames; i++)
        for (int c = 0; c < info.channels; c++) {
            float v = buf[(size_t)i * info.channels + c];
            if (!isfinite(v)) {
                rc = pt_error_set(err, PT_ERR_INVALID, path, 0, 0,
                                  "impulse response holds a NaN or infinite sample (frame %d)", i);
                goto done;
            }
            ir->data[c][i] = v;
            if (fabsf(v) > peak) peak = fabsf(v);
        }
    if (peak < PT_IR_SILENT_PEAK) {
        rc = pt_error_set(err, PT_ERR_INVALID, path, 0, 0,
                          "impulse response is silent (peak %s); it would mute the signal",
                          peak > 0 ? "below -120 dBFS" : "exactly zero");
        goto done;
    }
done:
    sf_close(sf);
    free(buf);
    if (rc) pt_ir_free(ir);
    else *out = ir;
    return rc;
}

double pt_ir_energy_gain(const pt_ir *ir)
{
    double e = 0;
    for (int c = 0; c < ir->channels; c++)
        for (int i = 0; i < ir->frames; i++) e += (double)ir->data[c][i] * ir->data[c][i];
    e /= ir->channels;
    return e > 0 ? 1.0 / sqrt(e) : 1.0;
}

int pt_ir_prepare(const pt_ir *src, const pt_ir_options *opt, pt_ir **out, pt_error *err)
{
    *out = NULL;
    double rate = opt->rate > 0 ? opt->rate : src->rate;
    double ratio = rate / src->rate;
    int frames = src->frames;
    if (ratio != 1.0) frames = (int)ceil(src->frames * ratio);
    int keep = frames;
    if (opt->trim_ms > 0) {
        int n = (int)lrint(opt->trim_ms * 0.001 * rate);
        if (n < 1) n = 1;
        if (n < keep) keep = n;
    }
    pt_ir *ir = ir_new(src->channels, frames, rate, src->path);
    if (!ir) return pt_error_set(err, PT_ERR_NOMEM, src->path, 0, 0, "out of memory");
    for (int c = 0; c < src->channels; c++) {
        if (ratio == 1.0) {
            memcpy(ir->data[c], src->data[c], (size_t)frames * sizeof(float));
            continue;
        }
        SRC_DATA d = {0};
        d.data_in = src->data[c];
        d.input_frames = src->frames;
        d.data_out = ir->data[c];
        d.output_frames = frames;
        d.src_ratio = ratio;
        int e = src_simple(&d, SRC_SINC_BEST_QUALITY, 1);
        if (e) {
            pt_ir_free(ir);
            return pt_error_set(err, PT_ERR, src->path, 0, 0,
                                "cannot resample the impulse response from %.0f to %.0f Hz: %s",
                                src->rate, rate, src_strerror(e));
        }
        /* A sampled impulse response carries the sample period in its
         * amplitude: keep the frequency response, not the sample values. */
        float g = (float)(src->rate / rate);
        for (long i = 0; i < d.output_frames_gen; i++) ir->data[c][i] *= g;
        for (long i = d.output_frames_gen; i < frames; i++) ir->data[c][i] = 0.0f;
    }
    if (keep < frames) {
        ir->frames = keep;
        /* fade out over the last 5 ms (at most a quarter of what is kept) so
         * the cut does not click */
        int fade = (int)(0.005 * rate);
        if (fade > keep / 4) fade = keep / 4;
        for (int c = 0; c < ir->channels; c++)
            for (int i = 0; i < fade; i++) {
                double w = 0.5 * (1.0 + cos(M_PI * (i + 1) / (fade + 1)));
                ir->data[c][keep - fade + i] *= (float)w;
            }
    }
    if (opt->normalize) {
        float g = (float)pt_ir_energy_gain(ir);
        for (int c = 0; c < ir->channels; c++)
            for (int i = 0; i < ir->frames; i++) ir->data[c][i] *= g;
    }
    *out = ir;
    return 0;
}
