/* pytone.h — the library's small C API, for bindings (python/pytone.py loads
 * libpytone.so with ctypes) and other programs that want to process audio
 * through a rig without the CLI.
 *
 * A pytone handle is one rig built for one sample rate, run through the same
 * engine as real time (smoothing, crossfades, latency compensation, the NaN
 * guard), on the caller's thread. All calls on one handle must come from one
 * thread at a time; different handles are independent.
 *
 * Errors: functions that can fail take a buffer `err` of `err_size` bytes
 * (may be NULL) and write one line there naming the file and the problem.
 */
#ifndef PYTONE_H
#define PYTONE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pytone pytone;

const char *pytone_version(void);

/* Load what `path` names (a rig .yaml, a setlist's first rig, a .nam capture,
 * an IR or a circuit file, as `pytone render` does) and build it for `rate`
 * Hz with blocks of up to `max_frames` frames (1..4096). NULL on failure. */
pytone *pytone_open(const char *path, double rate, int max_frames, char *err, size_t err_size);
void pytone_close(pytone *h);

int pytone_channels(const pytone *h);   /* 1 or 2 output channels */
int pytone_latency(const pytone *h);    /* samples the rig adds (declared by its nodes) */
double pytone_rate(const pytone *h);

/* Process `frames` (any number) mono input samples into out_l and out_r
 * (out_r may be NULL; a mono rig writes the same to both). The output is
 * delayed by pytone_latency() samples, as in real time. */
void pytone_process(pytone *h, const float *in, float *out_l, float *out_r, long frames);

/* Set a parameter (smoothed as from the UI) for the following samples.
 * `node` may be NULL or "" for a one-node rig. Returns 0, or -1 with err. */
int pytone_set_param(pytone *h, const char *node, const char *param, double value, char *err,
                     size_t err_size);
/* Bypass a node (crossfaded) or bring it back. Returns 0 or -1 with err. */
int pytone_set_bypass(pytone *h, const char *node, int bypass, char *err, size_t err_size);

/* The rig's nodes and their parameters as JSON (owned by the handle, valid
 * until the next call of this function or pytone_close):
 * {"rate":48000,"latency":0,"channels":1,"nodes":[{"id":"amp","type":"drive",
 *  "params":[{"name":"drive_db","unit":"dB","min":0,"max":40,"default":12,
 *  "taper":"linear","smoothing_ms":20,"doc":"...","rebuild":false,
 *  "value":12}, ...]}, ...]}  (params as the protocol's list_types gives
 *  them, plus "value"; enums have "choices") */
const char *pytone_describe(pytone *h);

#ifdef __cplusplus
}
#endif

#endif
