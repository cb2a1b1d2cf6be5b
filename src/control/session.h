/* session.h — everything the control side knows and does: the engine, the
 * rig being played (its editable description), scenes, the setlist, tempo.
 *
 * The HTTP/WebSocket server, MIDI, the CLI and tests all act through these
 * functions, so they behave alike. Each call is one whole change: validated
 * first, and on any error nothing changes (the running sound goes on). Graph
 * edits rebuild the program off the audio thread and crossfade to it;
 * parameter, bypass and scene changes go through the engine's queue and are
 * smoothed. Calls are serialised by a mutex inside the session (control
 * threads only; the audio thread never touches the session).
 */
#ifndef PT_SESSION_H
#define PT_SESSION_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "../core/engine.h"
#include "../rig/rig.h"

typedef struct pt_session pt_session;

typedef struct pt_session_config {
    const char *library_dir;   /* the rig library (list_rigs; network paths are confined to it) */
    const char *autosave_path; /* recovery file written after edits; NULL: none */
    bool watch;                /* reload the rig (and its assets) when its files change */
} pt_session_config;

/* Where a node goes in the graph. Exactly one of: after / before a node id;
 * or inside a split's branch at an index (-1: the end); all NULL: the end of
 * the main chain. */
typedef struct pt_position {
    const char *after;
    const char *before;
    const char *split;
    int branch;
    int index;
} pt_position;

pt_session *pt_session_create(pt_engine *engine, const pt_session_config *cfg, pt_error *err);
void pt_session_destroy(pt_session *s);

/* Load a rig or a setlist (its first rig) and crossfade to it. All problems
 * go to diags; on failure the old rig keeps playing. */
int pt_session_load(pt_session *s, const char *path, pt_diags *diags);
/* The same for a rig or setlist from the library on the network's behalf:
 * its assets and setlist entries must lie in the library or the factory
 * folders (libpath.h), and so must those of its hot reloads and setlist
 * slots. pt_session_load and pt_session_use_rig (the local user's command
 * line) lift that again. */
int pt_session_load_library(pt_session *s, const char *path, pt_diags *diags);
/* The addresses a phone pairs with (`run --listen lan`: one URL a line, each
 * with the token); "" when the server listens on loopback only. */
void pt_session_set_pairing(pt_session *s, const char *urls);
void pt_session_pairing(pt_session *s, char *out, size_t size);
/* A factory rig (library.h): loaded like a library rig, saved only under a new name. */
int pt_session_load_factory(pt_session *s, const char *path, pt_diags *diags);
/* The safety limiter at the output on or off (state and meters report it
 * as "limiter": {on, reduction_db, limited_frames}). */
int pt_session_set_limiter(pt_session *s, bool on);
/* Read a rig from the library under the same rule, without playing it. */
pt_rig *pt_session_load_library_rig(pt_session *s, const char *path, pt_diags *diags);
/* Play a rig already loaded (a one-node rig for a .nam/IR/circuit, say); the
 * session owns it on success. */
int pt_session_use_rig(pt_session *s, pt_rig *rig, pt_error *err);
/* A rig file was renamed on disk: if it is the one playing, later saves go
 * to its new name. */
void pt_session_rig_renamed(pt_session *s, const char *from, const char *to);
/* Save the rig (to its own path when path is NULL): written to a temporary
 * file, synced, renamed over the old one, which is kept as PATH.bak. */
int pt_session_save(pt_session *s, const char *path, pt_error *err);

int pt_session_set_param(pt_session *s, const char *node, const char *param, float value,
                         pt_error *err);
/* The same, `frame` frames into the audio block that takes it (MIDI events
 * that came with a frame offset keep their timing; see pt_engine_set_param_at). */
int pt_session_set_param_at(pt_session *s, const char *node, const char *param, float value,
                            int frame, pt_error *err);
int pt_session_get_param(pt_session *s, const char *node, const char *param, float *value,
                         pt_error *err);
int pt_session_set_bypass(pt_session *s, const char *node, bool bypass, pt_error *err);
int pt_session_set_branch(pt_session *s, const char *split, int branch, float level_db, float pan,
                          pt_error *err);

int pt_session_add_node(pt_session *s, const char *type, const char *id, const pt_position *where,
                        pt_error *err);
/* The same with files for its assets (a cab's IR, a nam's model, a
 * circuit's file): names[i] -> paths[i], n of them. */
int pt_session_add_node_with_assets(pt_session *s, const char *type, const char *id,
                                    const pt_position *where, const char *const *names,
                                    const char *const *paths, int n, pt_error *err);
/* The same for a type keyed by more than a file (node.h key_name: an LV2
 * node's `uri`); key may be NULL for other types. */
int pt_session_add_node_keyed(pt_session *s, const char *type, const char *key, const char *id,
                              const pt_position *where, const char *const *names,
                              const char *const *paths, int n, pt_error *err);
/* Point a node's asset (model, IR, circuit) at a file; the node is rebuilt. */
int pt_session_set_asset(pt_session *s, const char *node, const char *asset, const char *path,
                         pt_error *err);
int pt_session_add_split(pt_session *s, const char *id, int branches, const pt_position *where,
                         pt_error *err);
int pt_session_remove(pt_session *s, const char *id, pt_error *err); /* a node or a split */
int pt_session_move(pt_session *s, const char *id, const pt_position *where, pt_error *err);

int pt_session_scene_select(pt_session *s, const char *name, pt_error *err);
int pt_session_scene_store(pt_session *s, const char *name, pt_error *err); /* current values */
int pt_session_scene_rename(pt_session *s, const char *from, const char *to, pt_error *err);

/* The rig's tempo (an edit: saved with the rig). */
int pt_session_set_tempo(pt_session *s, float bpm, pt_error *err);
/* The tempo being played, from MIDI clock or a tap on a foot controller:
 * tempo-synced nodes follow it and the state shows it, but the rig's own
 * tempo_bpm is left alone (not an edit: nothing to save, no autosave). A new
 * rig brings its own tempo until the next beat. */
int pt_session_follow_tempo(pt_session *s, float bpm, pt_error *err);

/* Setlist slots (0-based); neighbours of the current slot are kept built so
 * switching to them is instant. */
int pt_session_select_slot(pt_session *s, int slot, pt_error *err);
int pt_session_slot_count(pt_session *s);

/* Call from the control thread every few tens of ms: frees retired
 * programs, reloads watched files, writes the autosave. */
void pt_session_poll(pt_session *s);

/* ---- state, as JSON (caller frees with cJSON_Delete) ---- */
/* {"rig", "path", "scene", "tempo", "dsp_load_p50", "dsp_load_p99", "overruns",
 *  "dirty", "slot", "slots", "latency_samples", "rate", "frames", "calibration",
 *  "limiter", "capture" (capture_job.h)} */
cJSON *pt_session_state(pt_session *s);
/* The rig as JSON: name, metadata, graph (nodes with type, params, bypass),
 * scenes. */
cJSON *pt_session_rig_json(pt_session *s);
/* Meters: {"in": {peak, rms}, "out": {...}, "nodes": {id: peak}, "load": {...}}
 * plus read-outs of nodes that publish them (tuner). */
cJSON *pt_session_meters(pt_session *s);
/* Every node type with its parameter table (for the UI's palette). */
cJSON *pt_node_types_json(void);
/* One parameter's table entry: name, unit, min, max, default, taper,
 * smoothing_ms, doc, rebuild, choices (enums only). */
cJSON *pt_param_def_json(const pt_param_def *d);

/* The input-level helper (calibrate.h): listen to the input for `seconds`,
 * then set the rig's input trim so the highest peak lands at the target.
 * pt_session_poll does the listening; the state (and the state JSON's
 * "calibration") says how it went. */
int pt_session_calibrate_input(pt_session *s, double seconds, pt_error *err);
cJSON *pt_session_calibration(pt_session *s);
/* Rigs and setlists in the library folder. */
cJSON *pt_session_list_rigs(pt_session *s);

/* A node's frequency response as the engine computes it: a private copy of
 * the node (same type, values and files) is built off the audio thread and
 * fed a small impulse (small, so nonlinear nodes show their small-signal
 * response); gain_db[i] is its magnitude at freq_hz[i], `points` frequencies
 * log-spaced from 20 Hz to 20 kHz. */
int pt_session_response(pt_session *s, const char *node, int points, double *freq_hz,
                        double *gain_db, pt_error *err);

/* The problem the last automatic reload (--watch) found, "" if none. */
const char *pt_session_reload_error(pt_session *s);
/* Clean shutdown: removes the autosave (recovery) file. */
void pt_session_close_clean(pt_session *s);

/* The latency of the program playing, read under the session's lock (other
 * threads may be swapping programs). */
int pt_session_latency(pt_session *s);

/* The MIDI layer, when one runs (an opaque pt_midi*, src/midi/midi.h), so the
 * control protocol can offer learn; NULL when none. The owner clears it
 * before destroying the MIDI layer, after the server has stopped. */
void pt_session_set_midi(pt_session *s, void *midi);
void *pt_session_midi(pt_session *s);

pt_engine *pt_session_engine(pt_session *s);

/* The Capture page's background job (capture_job.h), owned by the session. */
struct pt_capture_job *pt_session_capture(pt_session *s);

/* Run fn on the rig being played (NULL when none), under the session's lock,
 * for parts of the rig kept by other modules (MIDI mappings). fn must not
 * call session functions. It returns < 0 on failure, 1 when it changed the
 * rig (which is then marked edited: dirty, autosaved), else 0; that value is
 * returned. */
int pt_session_with_rig(pt_session *s, int (*fn)(pt_rig *rig, void *user), void *user);
const char *pt_session_library(pt_session *s);

/* ---- for the web UI (issue #8) ---- */

#define PT_SESSION_MAX_BRANCHES PT_RIG_MAX_BRANCHES

/* The folder of the rig file being played ("." when it has no folder part),
 * copied under the session's lock; non-zero when no rig is loaded or it
 * does not fit. */
int pt_session_rig_dir(pt_session *s, char *out, size_t size);
/* A new, empty branch in split `split` at index `at` (-1: the end), with its
 * level and pan; *index gets where it went. At most PT_SESSION_MAX_BRANCHES. */
int pt_session_add_branch(pt_session *s, const char *split, int at, float level_db, float pan,
                          int *index, pt_error *err);
/* Remove a branch and everything in it (scene entries naming its nodes go
 * too); a split keeps at least one branch. */
int pt_session_remove_branch(pt_session *s, const char *split, int branch, pt_error *err);
int pt_session_scene_delete(pt_session *s, const char *name, pt_error *err);
/* {"name", "params": {"node.param": value}, "bypass": {"node": bool}};
 * NULL with err when there is no such scene. */
cJSON *pt_session_scene_json(pt_session *s, const char *name, pt_error *err);
/* The rig's metadata; NULL leaves a field as it is, n_tags < 0 leaves the
 * tags. Saved by the next save. */
int pt_session_set_rig_info(pt_session *s, const char *name, const char *author, const char *notes,
                            const char *const *tags, int n_tags, pt_error *err);

#endif
