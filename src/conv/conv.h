/* conv.h — zero-latency partitioned convolution (one input, one or two
 * outputs, each with its own impulse response).
 *
 * Scheme (non-uniform partitioned overlap-save):
 *
 *   IR:  | head  | P1 | P1 | .. | P2 .. | ... | Pmax | Pmax | ... |
 *          FIR     FFT partitions, sizes growing by `ratio`
 *
 * - The head, h[0 .. base), is a direct-form FIR run in the callback: the
 *   output sample for input x[n] needs nothing but x[..n], so the node adds
 *   no latency at any device block size.
 * - A level of partition size P starting at offset s in the IR is a uniform
 *   partitioned overlap-save convolver: every P input samples it transforms
 *   the last 2P inputs, multiply-accumulates against its K partition spectra
 *   through a frequency-domain delay line, and transforms back P outputs.
 *   The block of inputs ending at time t contributes from time t - P + s on.
 *   "Sync" levels (P <= sync_max) have s = P: they run in the callback at
 *   the moment a block completes, and their output starts right then.
 *   "Async" levels have s = 2P: the block ending at t is needed only from
 *   t + P on, so a worker thread has P samples of time to compute it.
 *
 * Hand-off with the worker (no lock, no wait on the audio side):
 *   audio thread: writes inputs into a ring, publishes (epoch, position) with
 *     a release store and posts a semaphore when an async block completed.
 *     When output block m of a level is due, it checks once whether the
 *     worker published "done (epoch, m)" (acquire load); if yes it plays the
 *     result over the next P samples, if not it plays nothing for that
 *     level's share of those P samples and counts a late block.
 *   worker: takes due blocks, earliest deadline first, computes them into a
 *     slot of a 3-slot ring per level and publishes "done" with a release
 *     store. A result whose deadline passed is not computed (only the input
 *     spectrum is kept, so later blocks are right again).
 * So a late worker costs a gap of P samples in that level's share of the
 * tail, never a late callback. Sizing: async partitions are larger than
 * sync_max (1024 by default), which gives the worker >= 43 ms at 48 kHz for
 * a block, against about 1 ms of work for the largest block of a 10 s IR.
 *
 * The plan (head length, growth ratio, largest partition) is the cheapest by
 * a cost model calibrated on this machine's FFT (fft.h) and kernels; see
 * pt_conv_describe and bench/bench_conv.c.
 *
 * Offline use (render, tests): set `offline`: there is no worker, and every
 * level is computed on the calling thread when its block completes. Unless
 * sync_max is given, every level is then a sync level (s = P): with no
 * worker to give time to, starting the large levels at 2P would only make
 * the level before each one longer (more partitions to multiply-accumulate).
 * With the same sync_max as a real-time convolver, the output is exactly
 * what a worker that is never late gives.
 */
#ifndef PT_CONV_H
#define PT_CONV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../core/error.h"

#define PT_CONV_MAX_OUT 2

typedef struct pt_conv pt_conv;

typedef struct pt_conv_config {
    int base_frames;   /* FIR head length = smallest partition, a power of two
                          (0: the cheapest of 64, 128, 256 for this IR) */
    int sync_max;      /* largest partition computed in the callback (0: 1024;
                          offline, 0 means every level, see below) */
    int max_partition; /* largest partition (0: chosen from the IR length) */
    int ratio;         /* growth of partition sizes, 2 to 16 (0: chosen) */
    bool offline;      /* no worker thread: every partition on the caller */
} pt_conv_config;

/* A convolver for ir[0..n_out)[0..ir_frames). The IR data is copied.
 * Off the audio thread (allocates, starts the worker). */
pt_conv *pt_conv_new(const float *const *ir, int n_out, int ir_frames,
                     const pt_conv_config *cfg, pt_error *err);
void pt_conv_free(pt_conv *c);

/* RT: out[o][0..frames) = (ir[o] * in)[...], for any frames >= 0. out may
 * alias in. The output of a sample depends only on inputs up to it. */
void pt_conv_process(pt_conv *c, const float *in, float *const *out, int frames);
/* RT: forget all past input (the worker notices and clears its own state). */
void pt_conv_reset(pt_conv *c);

int pt_conv_outputs(const pt_conv *c);
/* Output blocks a late worker did not deliver in time (any thread). */
uint64_t pt_conv_late_blocks(const pt_conv *c);
/* Async blocks that are due to the worker but not finished (any thread). */
int pt_conv_pending(const pt_conv *c);
/* IR samples convolved inside the callback (FIR head and sync levels): all
 * of the IR when there is no async level. While the worker is stalled the
 * output is the convolution with this much of the IR. */
int pt_conv_callback_frames(const pt_conv *c);
/* The largest partition, in frames. */
int pt_conv_max_partition(const pt_conv *c);
/* "FIR 64 | 64x1 128x1 ... (sync) | 1024x6 ... (async)" */
void pt_conv_describe(const pt_conv *c, char *buf, size_t size);

/* Test hook: the worker calls hook(ctx) before each block it computes (to
 * slow it down or stall it). Set it before the worker has work. */
void pt_conv_set_worker_hook(pt_conv *c, void (*hook)(void *ctx), void *ctx);

/* Process-wide default for `offline` used by nodes that build convolvers
 * (the cab node reads it in prepare): the CLI's render and bench commands
 * set it, a real-time device leaves it false. Any thread. */
void pt_conv_set_offline_default(bool offline);
/* The same for convolvers built on the calling thread only (a capture job
 * renders the rig on its own thread while the engine plays on). */
void pt_conv_set_offline_thread(bool offline);
bool pt_conv_offline_default(void);

#endif
