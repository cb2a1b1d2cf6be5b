/* audiofile.h — reading and writing audio files through libsndfile
 * (WAV, AIFF, FLAC, …). Samples are float, one array per channel. */
#ifndef PT_AUDIOFILE_H
#define PT_AUDIOFILE_H

#include "../core/error.h"

typedef struct pt_audio {
    float *ch[2];   /* planar; ch[1] is NULL for mono files */
    int channels;   /* channels kept: 1 or 2 */
    int file_channels;
    long frames;
    double rate;
} pt_audio;

/* Largest file accepted, in frames (an hour at 96 kHz). */
#define PT_AUDIO_MAX_FRAMES (96000L * 3600L)

/* Read a file. Files with more than two channels keep the first two.
 * Errors name the file and the problem. */
int pt_audio_read(const char *path, pt_audio *out, pt_error *err);
/* Read and mix down to mono (the average of the channels). */
int pt_audio_read_mono(const char *path, pt_audio *out, pt_error *err);
void pt_audio_free(pt_audio *a);
/* Write 32-bit float WAV. */
int pt_audio_write(const char *path, const float *const *ch, int channels, long frames,
                   double rate, pt_error *err);
/* Resample in place to `rate` with libsamplerate's best sinc converter. */
int pt_audio_resample(pt_audio *a, double rate, pt_error *err);

#endif
