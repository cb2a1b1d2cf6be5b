/* trainer.h — `pytone train`: a .nam capture from a re-amp recording.
 *
 * The input must be pytone's capture signal (either length) or NAM's v3
 * signal; the recording the same length, rate and mono. The round-trip
 * latency is found from the blips and removed; the second validation copy
 * is held out; windows of 8192 outputs (plus the receptive field) are
 * shuffled each epoch into batches of 16; Adam (lr 4e-3, x0.993 per epoch)
 * minimises loss.h's loss; after each epoch the validation ESR is measured
 * with the player itself (src/neural), and the best weights are kept and
 * written. Ctrl-C writes the best so far; a checkpoint (OUT.nam.ckpt) after
 * each epoch lets `--resume` continue. */
#ifndef PT_TRAINER_H
#define PT_TRAINER_H

#include <stdatomic.h>
#include <stdint.h>

#include "../core/error.h"
#include "../neural/nam_file.h"

/* What a training reports after each epoch (and once before the first,
 * epoch 0), for a caller that shows it (the web UI's Capture page). */
typedef struct pt_train_progress {
    int epoch, epochs;         /* epochs finished, of how many */
    double esr, best_esr;      /* this epoch's validation ESR, the best so far (NAN before) */
    int best_epoch;            /* 1-based; 0: none yet */
    double loss;               /* this epoch's mean training loss */
    double seconds_left;       /* estimated; -1 before the first epoch */
    long latency;              /* samples, found from the blips */
    double copies_esr;         /* the validation copies' agreement */
} pt_train_progress;

typedef struct pt_train_opts {
    const char *input, *output, *model_out;
    const char *arch; /* nano, feather, lite, standard */
    int epochs, threads;
    uint64_t seed;
    const char *name, *gear;
    int resume;
    int ignore_checks; /* train on a take that failed the level or drift checks */
    long max_batches; /* per epoch, 0: all (short runs for tests and bench) */
    int quiet;
    /* For a caller that runs the training on a thread of its own: called on
     * that thread after each epoch; and a flag that ends it (as Ctrl-C does:
     * the best model so far is written). With `cancel` set, no SIGINT
     * handler is installed. Both may be NULL. */
    void (*progress)(void *user, const pt_train_progress *p);
    void *user;
    const atomic_int *cancel;
} pt_train_opts;

/* The A1 config of an architecture name; -1 if unknown. */
int pt_train_arch_config(const char *arch, pt_nam_wavenet_config *cfg);

int pt_train_run(const pt_train_opts *o, pt_error *err);

/* For the gradient tests: the loss and its gradient for the weights of a
 * WaveNet .nam file on a batch of B windows (raw float32: B rows of L input
 * samples then B rows of ny targets, L = ny + rf - 1). Writes float32
 * [loss, mse, mrstft, gradient in file order (head_scale excluded)] to out. */
int pt_train_grad_dump(const char *nam_path, const char *batch_path, int B, int ny, const char *out_path,
                       int threads, pt_error *err);

#endif
