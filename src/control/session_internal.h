/* session_internal.h — the session's state, shared by the files that make up
 * the session: session.c (loading, editing, scenes, setlists, polling) and
 * session_edit.c (graph edits), session_json.c (what it shows: state, rig,
 * meters, types, rig lists, responses). Nothing outside src/control/session*.c includes this. */
#ifndef PT_SESSION_INTERNAL_H
#define PT_SESSION_INTERNAL_H

#include "session.h"
#include "calibrate.h"
#include "libpath.h"
#include "platform/platform.h"

#include <pthread.h>
#include <stdbool.h>

#define WATCH_MAX 64

typedef struct watched {
    char *path;
    pt_file_stamp stamp;
} watched;

struct pt_session {
    pthread_mutex_t lock;
    pt_engine *e;
    char *library, *autosave;
    bool watch;
    pt_rig *rig;
    int scene; /* index into rig->scenes, -1: none */
    int dirty, autosave_due;
    int autosaved; /* this session wrote the recovery file */
    double last_edit;
    pt_setlist *setlist;
    int slot;
    pt_program *pre[2]; /* built neighbours: slot - 1, slot + 1 */
    int pre_slot[2];
    int prebuilding; /* a neighbour is being built outside the lock */
    watched files[WATCH_MAX];
    int n_files;
    double last_watch;
    char reload_error[1024];
    void *midi;
    pt_calibration cal; /* the input-level helper (calibrate.h) */
    pt_lib_roots *roots;   /* the library and the factory folders */
    pt_rig_confine confine;
    bool confined;         /* the rig came over the network: its files stay in roots */
    bool factory;          /* a factory rig: saved only under a new name */
    char pairing[2048];    /* the server's addresses with the LAN token, one a line; "" on loopback */
    struct pt_capture_job *capture; /* the Capture page's background job (capture_job.h) */
};

/* The rule for the files the playing rig (or setlist) may name. */
static inline const pt_rig_confine *pt_session_confine_rule(const pt_session *s)
{
    return s->confined ? &s->confine : NULL;
}

/* The node `id` of the session's rig, or NULL with an error (session.c; the
 * lock held). */
pt_rig_node *pt_session_need_node(pt_session *s, const char *id, pt_error *err);

/* session.c, the lock held: make `rig` the one playing (build, crossfade,
 * adopt; on failure nothing changes and the caller keeps rig); mark the rig
 * edited (dirty, autosave due). */
int pt_session_apply(pt_session *s, pt_rig *rig, pt_error *err);
void pt_session_edited(pt_session *s);

/* A parameter's value as the page shows it: a number, a toggle as true/false,
 * a choice by its name (session_json.c). */
cJSON *pt_session_param_value_json(const pt_param_def *d, float v);

#endif
