/* nam_model.h — a loaded .nam model, ready to run on blocks of samples.
 *
 * Built off the audio thread from a validated pt_nam_file: every buffer the
 * model will ever touch is allocated here, for blocks of up to max_frames.
 * Then pt_nam_model_prewarm() runs it on silence for as long as it can
 * remember (its receptive field; half a second for an LSTM), as the
 * reference player does, so the first real sample meets settled state; that
 * settled state is saved, and pt_nam_model_reset() puts it back (a copy, RT).
 *
 * The model runs at its own sample rate (pt_nam_file.sample_rate_hz); the
 * node resamples around it when the engine runs at another rate.
 */
#ifndef PT_NAM_MODEL_H
#define PT_NAM_MODEL_H

#include "nam_file.h"

typedef struct pt_nam_model pt_nam_model;

/* Off the audio thread. NULL and err filled on failure. */
pt_nam_model *pt_nam_model_create(const pt_nam_file *f, int max_frames, pt_error *err);
void pt_nam_model_free(pt_nam_model *m);

/* Run on silence for pt_nam_model_prewarm_samples() samples, in blocks of
 * max_frames, then save the state for reset. Off the audio thread. */
void pt_nam_model_prewarm(pt_nam_model *m);
long pt_nam_model_prewarm_samples(const pt_nam_model *m);
/* Save the current state as the one reset() restores (prewarm does this). */
void pt_nam_model_save(pt_nam_model *m);

/* RT: out[i] = model(in)[i] for `frames` samples (any count; split into
 * max_frames pieces inside). in and out may be the same buffer. */
void pt_nam_model_process(pt_nam_model *m, const float *in, float *out, int frames);
/* RT: back to the saved (prewarmed) state. */
void pt_nam_model_reset(pt_nam_model *m);

int pt_nam_model_max_frames(const pt_nam_model *m);

#endif
