/* nam_write.h — writing a trained WaveNet as a .nam file (format 0.5.4, as
 * NAM's trainer exports it), with NAM's metadata and its `training` block. */
#ifndef PT_NAM_WRITE_H
#define PT_NAM_WRITE_H

#include "../neural/nam_file.h"

typedef struct pt_train_meta {
    const char *name, *gear, *arch_name, *signal_kind;
    double validation_esr;
    long latency_samples;
    int epochs_run;
    long val_start, val_len; /* where the held-out validation is in the input */
    double val_copies_esr;   /* the two validation copies of the recording against each other */
    int checks_passed;
    long esr_skip; /* validation samples the ESR leaves out at the start */
} pt_train_meta;

/* Writes path atomically (a temporary file renamed), so a failure leaves
 * nothing. f: a WaveNet or LSTM with its weights (format 0.5 configs). */
int pt_train_write_nam(const char *path, const pt_nam_file *f, const pt_train_meta *meta, pt_error *err);

#endif
