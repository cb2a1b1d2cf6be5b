/* rig.h — rig files: YAML presets holding a graph, its parameter values,
 * scenes and metadata. See docs/rig-format.md.
 *
 * Loading parses and validates the whole file and reports every problem at
 * once, each as file:line:col. Building turns a valid rig into a pt_chain
 * (nodes created, assets loaded, values set), ready for pt_program_build —
 * all off the audio thread. */
#ifndef PT_RIG_H
#define PT_RIG_H

#include <stdbool.h>

#include "../core/error.h"
#include "../graph/graph.h"

#define PT_RIG_VERSION 1

/* Limits no player meets (the factory rigs use at most 8 nodes and 1 split;
 * a large pedalboard is 20-30 nodes), which keep a rig's build, its swap and
 * its scene changes bounded: a rig over them is refused at file:line:col and
 * an edit past them with a message (docs/rig-format.md, "Limits"). */
#define PT_RIG_MAX_NODES 64      /* nodes in the whole graph, branches included */
#define PT_RIG_MAX_SPLITS 16     /* splits in the whole graph */
#define PT_RIG_MAX_BRANCHES 16   /* branches of one split */
#define PT_RIG_MAX_SCENES 64     /* scenes of one rig */
#define PT_SETLIST_MAX_RIGS 128  /* entries of a setlist (one per MIDI program) */

/* A list of problems, each with file:line:col. */
typedef struct pt_diags {
    pt_error *items;
    int n, cap;
} pt_diags;

void pt_diags_init(pt_diags *d);
void pt_diags_free(pt_diags *d);
void pt_diags_add(pt_diags *d, const char *file, int line, int col, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;
void pt_diags_print(const pt_diags *d, FILE *out);

typedef struct pt_rig_value {
    int param;   /* index in the node type's table */
    float value;
    int line, col;
} pt_rig_value;

typedef struct pt_rig_chain pt_rig_chain;

typedef struct pt_rig_node {
    char id[PT_ID_MAX];
    const pt_node_type *type;
    pt_rig_value *values;
    int n_values;
    char **asset;       /* type->n_assets entries, as written (NULL if absent) */
    char **asset_path;  /* resolved against the rig's folder */
    int bypass;
    int line, col;
    char *state;        /* the node's saved state (node.h save_state), or NULL */
} pt_rig_node;

typedef struct pt_rig_branch {
    pt_rig_chain *chain;
    float level_db, pan;
} pt_rig_branch;

typedef struct pt_rig_item {
    int is_split;
    pt_rig_node node;
    char split_id[PT_ID_MAX];
    pt_rig_branch *branches;
    int n_branches;
    int line, col;
} pt_rig_item;

struct pt_rig_chain {
    pt_rig_item *items;
    int n;
};

typedef struct pt_scene_value {
    char node[PT_ID_MAX];
    int param; /* -1: a bypass entry */
    float value;
} pt_scene_value;

typedef struct pt_scene {
    char name[PT_ID_MAX];
    pt_scene_value *values;
    int n_values;
} pt_scene;

typedef struct pt_rig {
    int version;  /* as read from the file, before migration */
    char *path;   /* the file it came from ("" for one built in memory) */
    char *dir;    /* folder assets are relative to */
    char *name, *author, *notes;
    char **tags;
    int n_tags;
    float tempo_bpm, input_trim_db, output_level_db;
    pt_rig_chain chain;
    pt_scene *scenes;
    int n_scenes;
    struct pt_midi_map *midi; /* the `midi:` section (src/midi/mapping.h), NULL if none */
} pt_rig;

/* Parse and validate a rig file. Returns NULL when it has problems; they are
 * all in diags. */
pt_rig *pt_rig_load(const char *path, pt_diags *diags);

/* Where the files a rig or setlist names may be, for one loaded on someone
 * else's behalf (the network: src/control/libpath.h): allows(user, path)
 * says yes only for a regular file in an allowed place. A refused name gets
 * the same message whether or not the file exists. NULL: any file. */
typedef struct pt_rig_confine {
    bool (*allows)(const void *user, const char *path);
    const void *user;
} pt_rig_confine;
pt_rig *pt_rig_load_confined(const char *path, const pt_rig_confine *confine, pt_diags *diags);
/* The same from a string (path names it in messages). */
pt_rig *pt_rig_load_string(const char *text, size_t len, const char *path, const char *dir,
                           pt_diags *diags);
void pt_rig_free(pt_rig *rig);

/* A rig of one node, for `pytone render MODEL.nam|IR.wav|CIRCUIT.yaml`:
 * asset_path may be NULL. */
pt_rig *pt_rig_single(const char *type, const char *asset_name, const char *asset_path,
                      pt_error *err);

/* Create the nodes and build the chain (loading models, IRs, circuits). */
pt_chain *pt_rig_build_chain(const pt_rig *rig, pt_error *err);
/* pt_rig_build_chain + pt_program_build. */
pt_program *pt_rig_build_program(const pt_rig *rig, double rate, int max_frames, pt_error *err);

/* The rig as YAML text of the current version (caller frees). */
char *pt_rig_to_yaml(const pt_rig *rig, size_t *len);
/* Save safely: temporary file, fsync, old file kept as PATH.bak, rename. */
int pt_rig_save(const pt_rig *rig, const char *path, pt_error *err);
/* The same, optionally writing asset paths resolved (for a recovery file
 * that lives away from the rig). */
int pt_rig_save_ex(const pt_rig *rig, const char *path, int absolute_assets, pt_error *err);
/* A deep copy (through YAML: what a save then a load would give). */
pt_rig *pt_rig_clone(const pt_rig *rig);

/* Set a node's value in the description (added if the rig did not list it). */
int pt_rig_node_set(pt_rig_node *n, int param, float value);
/* The value the rig gives (the type's default where it gives none). */
float pt_rig_node_get(const pt_rig_node *n, int param);

/* ---- setlists ---- */
typedef struct pt_setlist {
    char *path, *name;
    char **rigs; /* resolved paths */
    int n_rigs;
} pt_setlist;
/* 1 if the file is a setlist (top-level `rigs:`), 0 if not. */
int pt_is_setlist(const char *path);
pt_setlist *pt_setlist_load(const char *path, pt_diags *diags);
pt_setlist *pt_setlist_load_confined(const char *path, const pt_rig_confine *confine,
                                     pt_diags *diags);
void pt_setlist_free(pt_setlist *s);

/* Find a node by id anywhere in the graph. */
pt_rig_node *pt_rig_find_node(const pt_rig *rig, const char *id);
int pt_rig_find_scene(const pt_rig *rig, const char *name);

#endif
