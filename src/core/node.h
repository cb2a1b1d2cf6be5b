/* node.h — the one interface every node type implements.
 *
 * A node type is one file in src/nodes/ that defines a const pt_node_type and
 * one line in src/nodes/registry.c. The type declares its parameters (name,
 * label, unit, display precision, range, default, taper, smoothing) and its
 * assets (files such as a .nam model or an IR); the rig loader, the control
 * protocol, MIDI mapping, the UI and the docs all read that same table. The
 * name is for files and the protocol; people read the label.
 *
 * Life of a node, and which thread runs each step:
 *   create   control thread  allocate state, load assets (files) — may fail
 *   prepare  control thread  size buffers for (rate, max_frames, in_channels);
 *                            set out_channels and latency_samples — may fail
 *   process  audio thread    RT: in -> out for `frames` (<= max_frames) samples
 *   set_param audio thread   RT: a parameter's target changed (optional hook)
 *   reset    audio thread    RT: clear delay lines and filter state
 *   destroy  control thread  free everything create/prepare allocated
 *
 * The engine owns the parameter smoothers (pt_node.param). A node reads them
 * with pt_param_next() per sample or pt_param_block() once per block; the
 * engine never advances a smoother itself, so each node consumes exactly what
 * it needs and the result does not depend on the block size.
 */
#ifndef PT_NODE_H
#define PT_NODE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"

#define PT_MAX_CHANNELS 2
#define PT_ID_MAX 64

typedef enum pt_taper {
    PT_TAPER_LINEAR = 0, /* knob moves linearly through [min, max] */
    PT_TAPER_LOG,        /* knob moves geometrically (frequencies, times); min > 0 */
    PT_TAPER_ENUM,       /* integer index into choices[]; applied at once */
    PT_TAPER_TOGGLE      /* 0 or 1; applied at once */
} pt_taper;

typedef struct pt_param_def {
    const char *name;           /* snake_case, unit in the name: "gain_db", "cutoff_hz" */
    const char *unit;           /* "dB", "Hz", "ms", "%", "x", "" */
    float min, max, def;
    pt_taper taper;
    float smoothing_ms;         /* ramp time for a change; 0 = at once */
    const char *const *choices; /* PT_TAPER_ENUM: NULL-terminated names */
    const char *doc;            /* one line for the UI and docs */
    unsigned flags;             /* PT_PARAM_* */
    const char *label;          /* what people read: "Drive", "Interface level" */
    int precision;              /* digits after the point when shown: 1 -> "12.5 dB" */
} pt_param_def;

/* The parameter shapes the node itself (oversampling factor, model size):
 * the node reads it in prepare(), and a change rebuilds the node off the
 * audio thread and crossfades to it instead of going through set_param. */
#define PT_PARAM_REBUILD 1u

typedef struct pt_asset_def {
    const char *name;   /* key in the rig: "model", "ir", "circuit" */
    const char *kind;   /* "nam", "ir", "circuit": which library folder the UI offers */
    bool required;
    const char *doc;
} pt_asset_def;

/* A smoothed parameter: linear ramps (geometric for PT_TAPER_LOG). */
typedef struct pt_smoothed {
    float current;
    float target;
    float step;      /* added (linear) or multiplied (log) per sample */
    int remaining;   /* samples left in the ramp */
    int ramp_samples;
    unsigned char log;
} pt_smoothed;

/* A value the node publishes from the audio thread for meters and the UI
 * (tuner pitch, gain reduction, gate state). */
typedef struct pt_readout_def {
    const char *name; /* "freq_hz", "cents", "gain_reduction_db" */
    const char *unit;
    const char *doc;
} pt_readout_def;

typedef struct pt_node pt_node;
typedef struct pt_node_type pt_node_type;

/* What create() is given. Asset paths are already resolved against the rig's
 * folder; asset[i] is NULL when the rig did not name one. */
typedef struct pt_node_config {
    const char *id;
    const char *const *asset; /* indexed like type->assets */
    const char *rig_file;     /* for error messages; may be NULL */
    const char *state;        /* what the type's save_state wrote into the rig; NULL if none */
    int line, col;            /* where the node is declared; 0 if unknown */
} pt_node_config;

struct pt_node_type {
    const char *name;     /* the rig's `type:` */
    const char *summary;  /* one line for the palette and docs */
    const pt_param_def *params;
    int n_params;
    const pt_asset_def *assets;
    int n_assets;
    const pt_readout_def *readouts;
    int n_readouts;

    int (*create)(pt_node *n, const pt_node_config *cfg, pt_error *err);
    int (*prepare)(pt_node *n, double rate, int max_frames, pt_error *err);
    void (*process)(pt_node *n, const float *const *in, float *const *out, int frames);
    void (*set_param)(pt_node *n, int index, float value); /* may be NULL */
    void (*reset)(pt_node *n);                              /* may be NULL */
    void (*destroy)(pt_node *n);                            /* may be NULL */

    /* Types whose parameters come from what the node loads (an LV2 plugin's
     * ports, a Faust program's controls) instead of from a table in their
     * file. The rig loader calls specialize() off the audio thread with the
     * node's key — the value of its `key_name` entry (`uri:`), or, when
     * key_name is NULL, the resolved path of its first asset — and gives the
     * node the type returned: the same name and assets, its own parameters
     * and readouts. Specialized types are interned for the life of the
     * process (the same key and content return the same pointer), so they
     * live as long as a built-in type and every `const pt_node_type *` or
     * label kept elsewhere stays valid. NULL for ordinary types. */
    const char *key_name;
    const pt_node_type *(*specialize)(const pt_node_type *generic, const char *key,
                                      pt_error *err);
    const pt_node_type *generic; /* on a specialized type: the one it came from */
    const char *key;             /* on a specialized type: its URI or file */
    const void *impl;            /* on a specialized type: the type's own description */
    /* Control thread, while the node plays: the node's state beyond its
     * parameters (an LV2 plugin's state extension), as text the rig keeps
     * under `state:` and create() gets back in cfg->state; malloc'd, or
     * NULL when there is none. NULL for types without such state. */
    char *(*save_state)(pt_node *n);
    /* Control thread, after create: the name this instance's front panel gives
     * parameter `index`, or NULL to leave it off the panel (a control the loaded
     * circuit does not have). NULL function: every parameter, with its table's
     * label. */
    const char *(*param_label)(const pt_node *n, int index);
};

struct pt_node {
    const pt_node_type *type;
    void *state;          /* the type's own struct */
    pt_smoothed *param;   /* type->n_params smoothers, owned by pt_node */
    double rate;
    int max_frames;
    int in_channels;      /* set before prepare: 1 or 2 */
    int out_channels;     /* set by prepare (defaults to in_channels) */
    int latency_samples;  /* set by prepare; the graph compensates it */
    char id[PT_ID_MAX];
    float *control_value; /* last value set from the control side (control
                             thread owns it; the audio thread never reads it) */
    int control_bypass;   /* likewise, the bypass state last asked for */
    _Atomic unsigned *readout_bits; /* type->n_readouts floats, as bits */
};

/* ---- Registry (src/nodes/registry.c) ---- */
const pt_node_type *pt_node_type_find(const char *name);
const pt_node_type *const *pt_node_types(int *count);
/* The known type name closest to `name` (edit distance), for "did you mean". */
const char *pt_node_type_nearest(const char *name);

/* ---- Life cycle (src/core/node.c), all off the audio thread ---- */
/* Create a node with default parameter values. cfg may be NULL if the type
 * has no required assets. Returns NULL and fills err on failure. */
pt_node *pt_node_create(const pt_node_type *type, const pt_node_config *cfg, pt_error *err);
int pt_node_prepare(pt_node *n, double rate, int max_frames, int in_channels, pt_error *err);
void pt_node_destroy(pt_node *n);

/* Parameter lookup by name; -1 if unknown. */
int pt_param_index(const pt_node_type *type, const char *name);
/* Enum choice by name ("lowpass"); -1 if unknown. */
int pt_param_choice_index(const pt_param_def *def, const char *choice);
/* Clamp and quantise a value to what the parameter accepts. */
float pt_param_sanitize(const pt_param_def *def, float value);
/* Set a parameter before the node runs: no ramp. */
void pt_node_set_param_now(pt_node *n, int index, float value);

/* RT: set a parameter's target; ramps over its smoothing time, then calls the
 * type's set_param hook. */
void pt_node_set_param(pt_node *n, int index, float value);

/* RT: the next smoothed value (advances one sample). */
static inline float pt_param_next(pt_smoothed *p)
{
    if (p->remaining > 0) {
        if (--p->remaining == 0)
            p->current = p->target;
        else if (p->log)
            p->current *= p->step;
        else
            p->current += p->step;
    }
    return p->current;
}

/* RT: advance a smoother by `frames` samples and return its value at the end
 * of the block — for nodes that update coefficients once per block. */
float pt_param_block(pt_smoothed *p, int frames);

static inline bool pt_param_smoothing(const pt_smoothed *p) { return p->remaining > 0; }

/* The time a node's hosted code (an LV2 plugin's run(), a Faust program's
 * compute()) takes, published as its last read-out `run_us`: every 16th
 * block is timed (two clock reads amortised to a few nanoseconds a block),
 * and the largest of a window of about 0.1 s is shown, so a plugin that
 * takes too long shows as this node's time. */
#define PT_RUN_TIME_EVERY 16
typedef struct pt_run_time {
    unsigned blocks;
    int window_frames;
    float max_us;
} pt_run_time;
extern const pt_readout_def pt_run_time_readout;
/* RT: a block's start: its time when this block is one timed, else 0. */
unsigned long long pt_run_time_begin(pt_run_time *t);
/* RT: a block's end: fold its time in, publish (the type's last read-out)
 * at the end of each window. */
void pt_run_time_end(pt_node *n, pt_run_time *t, unsigned long long t0, int frames);

/* RT: publish read-out `index` (single writer: the audio thread). */
void pt_node_publish(pt_node *n, int index, float value);
/* Any thread: the last published value (0 before the first). */
float pt_node_readout(const pt_node *n, int index);
int pt_readout_index(const pt_node_type *type, const char *name);

/* ---- Shared musical time (src/core/transport.c) ----
 * The rig's tempo, set from the control side (rig load, tap tempo, MIDI
 * clock) and read by tempo-synced nodes on the audio thread. */
float pt_tempo_bpm(void);            /* RT */
void pt_set_tempo_bpm(float bpm);    /* any thread; clamped to 20..400 */

#endif
