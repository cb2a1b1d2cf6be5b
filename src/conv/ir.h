/* ir.h — impulse responses: load, check, resample, trim, normalise.
 *
 * Any file libsndfile reads (WAV, AIFF, FLAC, ...), mono or stereo, at any
 * sample rate. pt_ir_load reads and validates a file as it is; pt_ir_prepare
 * derives what a convolver needs: resampled to the engine rate with
 * libsamplerate (best sinc), optionally trimmed and normalised. Both run off
 * the audio thread. Errors name the file and the problem.
 */
#ifndef PT_IR_H
#define PT_IR_H

#include <stdbool.h>

#include "../core/error.h"

#define PT_IR_MAX_SECONDS 20.0              /* longer is refused as absurd */
#define PT_IR_MAX_BYTES (256ll * 1024 * 1024) /* bigger files are not even opened */
#define PT_IR_SILENT_PEAK 1e-6f             /* -120 dBFS: below this, "silent" */

typedef struct pt_ir {
    int channels;   /* 1 or 2 */
    int frames;
    double rate;
    float *data[2]; /* data[c][0..frames) */
    char path[512];
} pt_ir;

typedef struct pt_ir_options {
    double rate;    /* engine rate to resample to */
    float trim_ms;  /* keep at most this much (with a short fade-out); 0: all */
    bool normalize; /* scale to unit energy (white-noise gain 0 dB) */
} pt_ir_options;

/* Read and validate an IR file. */
int pt_ir_load(const char *path, pt_ir **out, pt_error *err);
/* A new IR derived from src for the engine. */
int pt_ir_prepare(const pt_ir *src, const pt_ir_options *opt, pt_ir **out, pt_error *err);
void pt_ir_free(pt_ir *ir);

/* Energy normalisation factor applied by `normalize`: 1 / sqrt(mean over
 * channels of sum h^2). */
double pt_ir_energy_gain(const pt_ir *ir);

#endif
