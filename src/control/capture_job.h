/* capture_job.h — the web UI's Capture page, behind the control protocol
 * (protocol_capture.c): a level check, a take, a training, one at a time,
 * each on a thread of the job's own (never the audio thread, never the
 * server's threads), with what it is doing shown in the session's state
 * ("capture", docs/control-protocol.md) and so pushed to every page.
 *
 * Where the signal goes:
 *   - "engine": out of the running engine's own device (the rig's sound
 *     replaced for the take) into the amp, and back in at its input;
 *   - "jack" / "portaudio": out of an interface into the amp and back, as
 *     `pytone capture` does (train/capture_take.h), on a client of its own;
 *   - "rig": through the rig being played, rendered on the job's thread from
 *     a private copy (the engine plays on, untouched): a capture of the rig.
 * Each take is checked as `pytone capture` checks it (capture_signal.h) and
 * refused with the reason. The training is `pytone train`'s (trainer.h) on
 * the last good take; a cancel keeps the best model so far. The files (the
 * signal, the take, the model) live in a private temporary folder until the
 * model is saved into the library's models/ (created without following a
 * link, never over an existing file).
 *
 * Control threads only; every call returns at once. */
#ifndef PT_CAPTURE_JOB_H
#define PT_CAPTURE_JOB_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "../core/error.h"
#include "../rig/rig.h"

typedef struct pt_capture_job pt_capture_job;

pt_capture_job *pt_capture_job_create(void);
/* Cancels what runs, waits for it, removes the temporary files. */
void pt_capture_job_destroy(pt_capture_job *j);

typedef struct pt_capture_take_opts {
    const char *source;  /* "engine", "rig", "jack", "portaudio" */
    const char *device;  /* portaudio: the device by name (NULL: the default) */
    const char *input, *output; /* jack: the ports to record from and play into (NULL: the system's) */
    pt_rig *rig;         /* "rig": a private copy the job takes over (freed by it) */
    struct pt_engine *engine; /* "engine": the session's, its device plays the take */
    double rate;         /* "rig", "engine": the engine's rate (the signal is 48 kHz) */
    double gain_db;      /* the signal's level, -60 .. 0 */
    bool full;           /* the 3:00 signal; false: the 40 s one */
    bool check_only;     /* the level check alone (the start of the signal) */
} pt_capture_take_opts;

/* Start a level check (check_only) or a take: a level check, then the full
 * take, both checked. Refused when a job runs. Takes over o->rig in every
 * case. */
int pt_capture_job_take(pt_capture_job *j, pt_capture_take_opts *o, pt_error *err);

typedef struct pt_capture_train_opts {
    const char *arch; /* nano, feather, lite, standard, lstm */
    int epochs, threads;
    unsigned long seed;
    long max_batches; /* per epoch, 0: all */
    const char *name, *gear;
} pt_capture_train_opts;

/* Train on the last good take. Refused when a job runs or there is none. */
int pt_capture_job_train(pt_capture_job *j, const pt_capture_train_opts *o, pt_error *err);

/* The JACK audio ports a take may use, for the page's pickers:
 * {"jack": {"running", "outputs": [ports that send: the amp's return],
 * "inputs": [ports that receive: to the amp]}, "portaudio": built in}. */
cJSON *pt_capture_ports_json(void);

/* Ask the running job to stop (a training writes its best model so far).
 * Refused when nothing runs. */
int pt_capture_job_cancel(pt_capture_job *j, pt_error *err);

/* Copy the trained model to `rel` in the library ("models/NAME.nam");
 * models/ is made if it is missing. Refused while a job runs, without a
 * model, outside models/, or when the name is taken. */
int pt_capture_job_save(pt_capture_job *j, const char *library, const char *rel, pt_error *err);

/* For listening A/B: up to `seconds` of the held-out validation segment as
 * the amp played it ("recording") or as the trained model plays it
 * ("model"): 16-bit little-endian PCM, base64, at 48 kHz. NULL with err when
 * there is no take or no model. */
char *pt_capture_job_audio(pt_capture_job *j, const char *which, double seconds, pt_error *err);

/* {"job", "running", "progress", "message", "error", "source", "check",
 *  "take", "train", "saved"} */
cJSON *pt_capture_job_json(pt_capture_job *j);

#endif
