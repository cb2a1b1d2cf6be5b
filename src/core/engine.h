/* engine.h — the real-time engine: what the audio device calls.
 *
 * Flow: device callback -> pt_engine_process -> current program -> device.
 * Control (UI, MIDI, CLI, tests) talks to the engine only through the
 * functions below marked "control thread"; they push commands into a
 * lock-free SPSC queue that the audio thread drains at the top of each block.
 * A new program (a rig) is built off the audio thread, sent with
 * pt_engine_swap, crossfaded in, and the old one comes back through a second
 * queue to be freed by pt_engine_collect on the control thread.
 *
 * Exactly one control thread may call the control functions (or callers must
 * serialise them); exactly one audio thread calls pt_engine_process.
 */
#ifndef PT_ENGINE_H
#define PT_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "../graph/graph.h"
#include "stats.h"

typedef struct pt_engine pt_engine;
struct pt_perf_counter; /* core/perfcount.h */

typedef struct pt_engine_config {
    double rate;
    int max_frames;       /* largest block the engine processes at once; bigger
                             device blocks are split */
    float crossfade_ms;   /* rig swaps (default 20 ms) */
    bool clip_output;     /* clamp device output to [-1, 1] (real-time devices) */
    bool limiter;         /* the safety limiter (limiter.h) starts on: pytone run's
                             and bench's default; render and the C API start with it off */
} pt_engine_config;

typedef struct pt_meter_reading {
    float in_peak, in_rms, out_peak, out_rms; /* linear, 0..1 for full scale */
} pt_meter_reading;

pt_engine *pt_engine_create(const pt_engine_config *cfg, pt_error *err);
/* Frees everything, current program included. The audio thread must have
 * stopped calling pt_engine_process. */
void pt_engine_destroy(pt_engine *e);

/* ---- control thread ---- */

/* Send a program to the audio thread. The engine owns it from now on. The
 * first program starts at once; later ones crossfade. */
int pt_engine_swap(pt_engine *e, pt_program *prog, pt_error *err);
/* The program most recently sent (what control commands address), or NULL. */
pt_program *pt_engine_program(pt_engine *e);
int pt_engine_set_param(pt_engine *e, const char *node_id, const char *param, float value,
                        pt_error *err);
int pt_engine_set_param_index(pt_engine *e, int node, int param, float value);
/* The same, applied `frame` frames into the block in which the audio thread
 * takes it (the block is split there), so that events which came with a
 * frame offset (JACK MIDI) keep their spacing. frame <= 0: at the start. */
int pt_engine_set_param_at(pt_engine *e, const char *node_id, const char *param, float value,
                           int frame, pt_error *err);
int pt_engine_set_bypass(pt_engine *e, const char *node_id, bool bypass, pt_error *err);
int pt_engine_bypassed(pt_engine *e, const char *node_id);
int pt_engine_set_branch(pt_engine *e, const char *mix_id, int branch, float level_db, float pan,
                         pt_error *err);
/* Free programs the audio thread has finished with. Call often. */
int pt_engine_collect(pt_engine *e); /* how many it freed */
/* Blocks until the audio thread has taken every queued command, or the
 * timeout passes (returns non-zero). For tests and orderly shutdown. */
int pt_engine_sync(pt_engine *e, int timeout_ms);

int pt_engine_latency(pt_engine *e); /* of the program most recently sent */
double pt_engine_rate(const pt_engine *e);
int pt_engine_max_frames(const pt_engine *e);

void pt_engine_meters(pt_engine *e, pt_meter_reading *m);
/* The input's highest absolute sample since the last call (0 at first),
 * exact and without fall-off, and start again: for setting the input level. */
float pt_engine_take_input_max(pt_engine *e);
void pt_engine_load(pt_engine *e, pt_load_summary *s);
/* Samples the final guard removed (NaN/Inf at the output). */
uint64_t pt_engine_output_faults(pt_engine *e);

/* A take through the engine's own device (the Capture page's "engine"
 * source, control/capture_job.c): while one is set, each block plays
 * play[pos..] times gain on both outputs in place of the rig (after the
 * limiter: the signal goes out as it is) and records the device's input
 * into rec[pos..], until pos reaches n; then silence, until it is cleared.
 * The control side owns the buffers: after clearing it waits until
 * pt_engine_blocks has moved on by two before it frees them. */
typedef struct pt_engine_tap {
    const float *play;
    float *rec;
    long n;
    float gain;
    _Atomic long pos;
} pt_engine_tap;
void pt_engine_set_tap(pt_engine *e, pt_engine_tap *t); /* any control thread; NULL: none */
uint64_t pt_engine_blocks(pt_engine *e);                 /* pt_engine_process calls so far */
/* RT: one block of a take (what the engine does with its tap; a capture
 * device's callback does the same). */
void pt_engine_tap_run(pt_engine_tap *t, const float *in, float *out_l, float *out_r, int frames);

/* The safety limiter at the output (src/core/limiter.h): switched from any
 * control thread (an atomic the audio thread reads per block); a reading
 * for the stats line and the state JSON. */
typedef struct pt_limiter_reading {
    bool on;
    float reduction_db;       /* deepest gain reduction in the latest block (0: idle) */
    uint64_t limited_frames;  /* frames it reduced since the start */
} pt_limiter_reading;
void pt_engine_set_limiter(pt_engine *e, bool on);
void pt_engine_limiter(pt_engine *e, pt_limiter_reading *r);

/* ---- diagnostics ---- */

/* Where the audio thread's time went in its most recent block, in ns of
 * CLOCK_MONOTONIC (tests/tools/rt_swap_stress.c reads it from inside the
 * device callback, right after pt_engine_process, on the audio thread). */
typedef struct pt_engine_trace {
    uint64_t drain_ns;   /* taking queued commands (swaps, parameters) */
    uint64_t cur_ns;     /* running the current program */
    uint64_t old_ns;     /* running the outgoing program and the crossfade */
    uint64_t guard_ns;   /* output guard and meters */
    int swaps;           /* programs taken in this block */
    int fading;          /* an outgoing program ran in this block */
    int retired;         /* a program was handed back in this block */
} pt_engine_trace;
/* Control thread, before the device starts (or NULL to stop): the audio
 * thread overwrites *t at the end of every block. Off by default; when off
 * the audio path only tests one pointer. */
void pt_engine_set_trace(pt_engine *e, pt_engine_trace *t);

/* ---- overrun attribution (core/monitor.h drives these) ---- */

/* One overrun as the audio thread saw it, handed to the monitor thread. */
typedef struct pt_overrun_record {
    uint64_t t0_ns, t1_ns;  /* the callback, CLOCK_MONOTONIC */
    uint64_t period_ns;
    uint64_t cpu_ns;        /* the thread's CPU time in it; 0: no CPU clock */
    uint64_t instructions;  /* user-space instructions retired, if has_instructions */
    int has_instructions;
} pt_overrun_record;

/* Monitor thread: the next overrun waiting to be attributed. */
bool pt_engine_take_overrun(pt_engine *e, pt_overrun_record *r);
/* Monitor thread: the audio thread's kernel id (0 before its first block). */
int pt_engine_audio_tid(pt_engine *e);
/* Monitor thread: an instruction counter opened for the audio thread (or
 * NULL); the audio thread uses it from its next block, only if it counts
 * that thread. The caller keeps it open until the audio thread stopped. */
void pt_engine_set_counter(pt_engine *e, struct pt_perf_counter *c);
/* Instructions and wall time of the blocks that did not overrun, summed
 * while a counter was in use: how fast this thread retires its work. */
void pt_engine_normal_work(pt_engine *e, uint64_t *instructions, uint64_t *ns);
pt_load_stats *pt_engine_load_stats(pt_engine *e);

/* ---- audio thread ---- */

/* RT: process one device block: mono input, two output channels (a mono
 * program's output goes to both). Any `frames` is accepted. out_r may be
 * NULL for a one-channel device. */
void pt_engine_process(pt_engine *e, const float *in, float *out_l, float *out_r, int frames);

#endif
