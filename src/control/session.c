/* session.c — see session.h.
 *
 * The rig description (pt_rig) is the control side's truth: every edit lands
 * there first, so a save writes what is playing. Graph edits are made on a
 * copy, built into a program, and only when that succeeds does the copy
 * replace the rig and the program go to the engine — a failed edit changes
 * nothing. */
#include "session.h"
#include "calibrate.h"
#include "capture_job.h"

#include "../dsp/analysis.h"
#include "libpath.h"
#include "library.h"
#include "platform/platform.h"

#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "session_internal.h"

/* The rule for the files the playing rig (or setlist) may name. */
static const pt_rig_confine *confine(const pt_session *s)
{
    return s->confined ? &s->confine : NULL;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ---------------------------------------------------------------- set-up */

pt_session *pt_session_create(pt_engine *engine, const pt_session_config *cfg, pt_error *err)
{
    pt_session *s = calloc(1, sizeof *s);
    if (!s) {
        pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    s->e = engine;
    s->library = strdup(cfg && cfg->library_dir ? cfg->library_dir : "rigs");
    s->autosave = cfg && cfg->autosave_path ? strdup(cfg->autosave_path) : NULL;
    s->watch = cfg && cfg->watch;
    s->scene = -1;
    s->pre_slot[0] = s->pre_slot[1] = -1;
    s->roots = pt_lib_roots_create(s->library);
    s->confine = (pt_rig_confine){.allows = pt_lib_roots_allow, .user = s->roots};
    s->capture = pt_capture_job_create();
    if (!s->roots || !s->capture) {
        pt_session_destroy(s);
        pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
        return NULL;
    }
    return s;
}

static void drop_prebuilt(pt_session *s)
{
    for (int i = 0; i < 2; i++) {
        pt_program_free(s->pre[i]);
        s->pre[i] = NULL;
        s->pre_slot[i] = -1;
    }
}

static void clear_watch(pt_session *s)
{
    for (int i = 0; i < s->n_files; i++) free(s->files[i].path);
    s->n_files = 0;
}

void pt_session_destroy(pt_session *s)
{
    if (!s) return;
    pt_capture_job_destroy(s->capture); /* first: its thread may be rendering a copy of the rig */
    drop_prebuilt(s);
    clear_watch(s);
    pt_rig_free(s->rig);
    pt_setlist_free(s->setlist);
    free(s->library);
    free(s->autosave);
    pt_lib_roots_free(s->roots);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

pt_engine *pt_session_engine(pt_session *s) { return s->e; }

void pt_session_set_midi(pt_session *s, void *midi)
{
    pthread_mutex_lock(&s->lock);
    s->midi = midi;
    pthread_mutex_unlock(&s->lock);
}

void *pt_session_midi(pt_session *s)
{
    pthread_mutex_lock(&s->lock);
    void *m = s->midi;
    pthread_mutex_unlock(&s->lock);
    return m;
}

int pt_session_latency(pt_session *s)
{
    pthread_mutex_lock(&s->lock);
    int l = pt_engine_latency(s->e);
    pthread_mutex_unlock(&s->lock);
    return l;
}
const char *pt_session_library(pt_session *s) { return s->library; }

void pt_session_set_pairing(pt_session *s, const char *urls)
{
    pthread_mutex_lock(&s->lock);
    snprintf(s->pairing, sizeof s->pairing, "%s", urls ? urls : "");
    pthread_mutex_unlock(&s->lock);
}

void pt_session_pairing(pt_session *s, char *out, size_t size)
{
    pthread_mutex_lock(&s->lock);
    snprintf(out, size, "%s", s->pairing);
    pthread_mutex_unlock(&s->lock);
}

/* ------------------------------------------------------------ watching */

static void watch_add(pt_session *s, const char *path)
{
    if (!path || !path[0] || s->n_files >= WATCH_MAX) return;
    watched *w = &s->files[s->n_files];
    memset(w, 0, sizeof *w);
    pt_file_stamp_get(path, &w->stamp);
    w->path = strdup(path);
    if (w->path) s->n_files++;
}

static void watch_chain(pt_session *s, const pt_rig_chain *c)
{
    for (int i = 0; c && i < c->n; i++) {
        const pt_rig_item *it = &c->items[i];
        if (it->is_split) {
            for (int b = 0; b < it->n_branches; b++) watch_chain(s, it->branches[b].chain);
        } else {
            for (int a = 0; it->node.asset_path && a < it->node.type->n_assets; a++)
                watch_add(s, it->node.asset_path[a]);
        }
    }
}

static void watch_rig(pt_session *s)
{
    clear_watch(s);
    if (!s->rig) return;
    watch_add(s, s->rig->path);
    watch_chain(s, &s->rig->chain);
}

static int watch_changed(pt_session *s)
{
    int changed = 0;
    for (int i = 0; i < s->n_files; i++) {
        pt_file_stamp now;
        watched *w = &s->files[i];
        if (!pt_file_stamp_get(w->path, &now)) continue; /* mid-save: look again later */
        if (!pt_file_stamp_equal(&now, &w->stamp)) {
            w->stamp = now;
            changed = 1;
        }
    }
    return changed;
}

/* ------------------------------------------------------------ building */

static pt_program *build(pt_session *s, const pt_rig *rig, pt_error *err)
{
    return pt_rig_build_program(rig, pt_engine_rate(s->e), pt_engine_max_frames(s->e), err);
}

/* Make `rig` the one playing: build, crossfade, adopt. On failure nothing
 * changes and the caller keeps ownership of rig. */
int pt_session_apply(pt_session *s, pt_rig *rig, pt_error *err)
{
    pt_program *p = build(s, rig, err);
    if (!p) return err && err->code ? err->code : PT_ERR;
    if (pt_engine_swap(s->e, p, err) != 0) return PT_ERR;
    if (rig != s->rig) {
        pt_rig_free(s->rig);
        s->rig = rig;
    }
    pt_set_tempo_bpm(rig->tempo_bpm);
    watch_rig(s);
    return 0;
}

void pt_session_edited(pt_session *s)
{
    s->dirty = 1;
    s->autosave_due = 1;
    s->last_edit = now_s();
}

/* --------------------------------------------------------------- loading */

static int load_rig_file(pt_session *s, const char *path, pt_diags *diags)
{
    pt_rig *rig = pt_rig_load_confined(path, confine(s), diags);
    if (!rig) return PT_ERR_INVALID;
    pt_error err = {0};
    if (pt_session_apply(s, rig, &err) != 0) {
        pt_diags_add(diags, err.file[0] ? err.file : path, err.line, err.col, "%s", err.msg);
        pt_rig_free(rig);
        return PT_ERR;
    }
    s->scene = -1;
    s->dirty = 0;
    s->reload_error[0] = 0;
    return 0;
}

static int load_locked(pt_session *s, const char *path, pt_diags *diags)
{
    int rc;
    if (pt_is_setlist(path)) {
        pt_setlist *sl = pt_setlist_load_confined(path, confine(s), diags);
        rc = sl ? load_rig_file(s, sl->rigs[0], diags) : PT_ERR_INVALID;
        if (rc == 0) {
            pt_setlist_free(s->setlist);
            s->setlist = sl;
            s->slot = 0;
            drop_prebuilt(s);
        } else {
            pt_setlist_free(sl);
        }
    } else {
        rc = load_rig_file(s, path, diags);
        if (rc == 0) {
            pt_setlist_free(s->setlist);
            s->setlist = NULL;
            drop_prebuilt(s);
        }
    }
    return rc;
}

/* With the rule for the new rig's files in force while it loads; the old
 * rule comes back when it fails (the old rig plays on). */
static int load_as(pt_session *s, const char *path, bool confined, bool factory, pt_diags *diags)
{
    pthread_mutex_lock(&s->lock);
    bool was = s->confined;
    s->confined = confined;
    int rc = load_locked(s, path, diags);
    if (rc != 0) s->confined = was;
    else s->factory = factory;
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int pt_session_load(pt_session *s, const char *path, pt_diags *diags)
{
    return load_as(s, path, false, false, diags);
}

int pt_session_load_library(pt_session *s, const char *path, pt_diags *diags)
{
    return load_as(s, path, true, false, diags);
}

int pt_session_load_factory(pt_session *s, const char *path, pt_diags *diags)
{
    return load_as(s, path, true, true, diags);
}

pt_rig *pt_session_load_library_rig(pt_session *s, const char *path, pt_diags *diags)
{
    return pt_rig_load_confined(path, &s->confine, diags); /* roots never change */
}

int pt_session_use_rig(pt_session *s, pt_rig *rig, pt_error *err)
{
    pthread_mutex_lock(&s->lock);
    int rc = pt_session_apply(s, rig, err);
    if (rc == 0) {
        s->confined = false;
        s->factory = false;
        s->scene = -1;
        s->dirty = 0;
        pt_setlist_free(s->setlist);
        s->setlist = NULL;
        drop_prebuilt(s);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

void pt_session_rig_renamed(pt_session *s, const char *from, const char *to)
{
    pthread_mutex_lock(&s->lock);
    if (s->rig && s->rig->path && s->rig->path[0]) {
        /* the file is gone from its old name: compare folder (resolved) and name */
        char *d = strdup(s->rig->path), *f = strdup(s->rig->path), real[PATH_MAX], cand[2 * PATH_MAX];
        if (d && f && realpath(dirname(d), real)) {
            snprintf(cand, sizeof cand, "%s/%s", real, basename(f));
            if (!strcmp(cand, from)) {
                free(s->rig->path);
                s->rig->path = strdup(to);
                watch_rig(s);
            }
        }
        free(d), free(f);
    }
    pthread_mutex_unlock(&s->lock);
}

/* Nodes whose state goes beyond their parameters (LV2 plugins with the
 * state extension): ask each playing node for it, into the rig, so a save
 * keeps what the plugin holds now. Under the session's lock: the program
 * asked is the one the engine plays (swaps happen under the same lock). */
static int refresh_chain_state(pt_session *s, pt_rig_chain *c)
{
    pt_program *p = pt_engine_program(s->e);
    for (int i = 0; p && i < c->n; i++) {
        pt_rig_item *it = &c->items[i];
        if (it->is_split) {
            for (int b = 0; b < it->n_branches; b++)
                if (it->branches[b].chain) refresh_chain_state(s, it->branches[b].chain);
            continue;
        }
        pt_rig_node *rn = &it->node;
        if (!rn->type || !rn->type->save_state) continue;
        int k = pt_program_find_node(p, rn->id);
        pt_node *n = k >= 0 ? pt_program_node(p, k) : NULL;
        if (!n || n->type != rn->type) continue;
        char *text = rn->type->save_state(n);
        if (text) {
            free(rn->state);
            rn->state = text;
        }
    }
    return 0;
}

int pt_session_save(pt_session *s, const char *path, pt_error *err)
{
    pthread_mutex_lock(&s->lock);
    int rc;
    if (!s->rig) {
        rc = pt_error_set(err, PT_ERR, NULL, 0, 0, "no rig is loaded");
    } else {
        const char *to = path ? path : s->rig->path;
        if (!to || !to[0]) {
            rc = pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "this rig has no file yet: give a path");
        } else if (!path && s->factory) {
            rc = pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                              "'%s' is a factory rig, which stays as it is: save it under a new "
                              "name (Save as)", s->rig->name ? s->rig->name : to);
        } else {
            refresh_chain_state(s, &s->rig->chain);
            rc = pt_rig_save(s->rig, to, err);
            if (rc == 0) {
                if (path && strcmp(path, s->rig->path)) {
                    free(s->rig->path);
                    s->rig->path = strdup(path);
                }
                s->dirty = 0;
                s->factory = false;
                watch_rig(s); /* our own write is not a change to reload */
            }
        }
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

/* ------------------------------------------------------------ parameters */

pt_rig_node *pt_session_need_node(pt_session *s, const char *id, pt_error *err)
{
    if (!s->rig) {
        pt_error_set(err, PT_ERR, NULL, 0, 0, "no rig is loaded");
        return NULL;
    }
    pt_rig_node *n = id ? pt_rig_find_node(s->rig, id) : NULL;
    if (!n) pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "no node '%s' in the rig", id ? id : "");
    return n;
}

static int set_param_locked_at(pt_session *s, const char *node, const char *param, float value,
                               int frame, pt_error *err)
{
    pt_rig_node *n = pt_session_need_node(s, node, err);
    if (!n) return PT_ERR_INVALID;
    int pi = param ? pt_param_index(n->type, param) : -1;
    if (pi < 0)
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "node '%s' (%s) has no parameter '%s'",
                            node, n->type->name, param ? param : "");
    const pt_param_def *d = &n->type->params[pi];
    if (!isfinite(value) || value < d->min || value > d->max)
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "%s.%s = %g is out of range %g .. %g %s",
                            node, param, value, (double)d->min, (double)d->max, d->unit);
    value = pt_param_sanitize(d, value);
    float old = pt_rig_node_get(n, pi);
    if (pt_rig_node_set(n, pi, value) != 0) return pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
    if (d->flags & PT_PARAM_REBUILD) {
        if (value != old && pt_session_apply(s, s->rig, err) != 0) {
            pt_rig_node_set(n, pi, old);
            return PT_ERR;
        }
    } else if (pt_engine_set_param_at(s->e, node, param, value, frame, err) != 0) {
        return PT_ERR;
    }
    pt_session_edited(s);
    return 0;
}

static int set_param_locked(pt_session *s, const char *node, const char *param, float value,
                            pt_error *err)
{
    return set_param_locked_at(s, node, param, value, 0, err);
}

int pt_session_set_param(pt_session *s, const char *node, const char *param, float value,
                         pt_error *err)
{
    pthread_mutex_lock(&s->lock);
    int rc = set_param_locked(s, node, param, value, err);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int pt_session_set_param_at(pt_session *s, const char *node, const char *param, float value,
                            int frame, pt_error *err)
{
    pthread_mutex_lock(&s->lock);
    int rc = set_param_locked_at(s, node, param, value, frame, err);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int pt_session_get_param(pt_session *s, const char *node, const char *param, float *value,
                         pt_error *err)
{
    pthread_mutex_lock(&s->lock);
    int rc = 0;
    pt_rig_node *n = pt_session_need_node(s, node, err);
    int pi = n && param ? pt_param_index(n->type, param) : -1;
    if (!n) rc = PT_ERR_INVALID;
    else if (pi < 0)
        rc = pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "node '%s' (%s) has no parameter '%s'",
                          node, n->type->name, param ? param : "");
    else *value = pt_rig_node_get(n, pi);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static int set_bypass_locked(pt_session *s, const char *node, bool bypass, pt_error *err)
{
    pt_rig_node *n = pt_session_need_node(s, node, err);
    if (!n) return PT_ERR_INVALID;
    if (pt_engine_set_bypass(s->e, node, bypass, err) != 0) return PT_ERR;
    n->bypass = bypass;
    pt_session_edited(s);
    return 0;
}

int pt_session_set_bypass(pt_session *s, const char *node, bool bypass, pt_error *err)
{
    pthread_mutex_lock(&s->lock);
    int rc = set_bypass_locked(s, node, bypass, err);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

/* --------------------------------------------------------------- scenes */

/* Lock held: the scene's index, or -1 with err filled. */
static int pt_session_find_scene(pt_session *s, const char *name, pt_error *err)
{
    int i = s->rig && name ? pt_rig_find_scene(s->rig, name) : -1;
    if (i < 0) pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "no scene '%s' in the rig", name ? name : "");
    return i;
}

int pt_session_scene_select(pt_session *s, const char *name, pt_error *err)
{
    pthread_mutex_lock(&s->lock);
    int rc = 0;
    int i = pt_session_find_scene(s, name, err);
    if (i < 0) {
        rc = PT_ERR_INVALID;
    } else {
        /* parameters ramp and bypasses crossfade: each value is one queued
         * command, so the audio thread's cost is a few microseconds */
        pt_scene *sc = &s->rig->scenes[i];
        for (int v = 0; v < sc->n_values && rc == 0; v++) {
            pt_scene_value *sv = &sc->values[v];
            pt_rig_node *n = pt_rig_find_node(s->rig, sv->node);
            if (!n) continue;
            if (sv->param < 0) rc = set_bypass_locked(s, sv->node, sv->value != 0, err);
            else rc = set_param_locked(s, sv->node, n->type->params[sv->param].name, sv->value, err);
        }
        if (rc == 0) s->scene = i;
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static void snapshot_chain(const pt_rig_chain *c, pt_scene *sc)
{
    for (int i = 0; c && i < c->n; i++) {
        const pt_rig_item *it = &c->items[i];
        if (it->is_split) {
            for (int b = 0; b < it->n_branches; b++) snapshot_chain(it->branches[b].chain, sc);
            continue;
        }
        const pt_rig_node *n = &it->node;
        for (int p = 0; p <= n->type->n_params; p++) {
            pt_scene_value *v = &sc->values[sc->n_values++];
            snprintf(v->node, sizeof v->node, "%s", n->id);
            v->param = p < n->type->n_params ? p : -1;
            v->value = p < n->type->n_params ? pt_rig_node_get(n, p) : (float)n->bypass;
        }
    }
}

static int count_values(const pt_rig_chain *c)
{
    int k = 0;
    for (int i = 0; c && i < c->n; i++) {
        const pt_rig_item *it = &c->items[i];
        if (it->is_split)
            for (int b = 0; b < it->n_branches; b++) k += count_values(it->branches[b].chain);
        else k += it->node.type->n_params + 1;
    }
    return k;
}

int pt_session_scene_store(pt_session *s, const char *name, pt_error *err)
{
    pthread_mutex_lock(&s->lock);
    int rc = 0;
    if (!s->rig) rc = pt_error_set(err, PT_ERR, NULL, 0, 0, "no rig is loaded");
    else if (!name || !name[0] || strlen(name) >= PT_ID_MAX)
        rc = pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "a scene needs a name of 1 to %d characters",
                          PT_ID_MAX - 1);
    if (rc == 0) {
        int i = pt_rig_find_scene(s->rig, name);
        if (i < 0 && s->rig->n_scenes >= PT_RIG_MAX_SCENES) {
            rc = pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                              "the rig has %d scenes, the most a rig may have; store over one or "
                              "delete one first",
                              PT_RIG_MAX_SCENES);
        } else if (i < 0) {
            pt_scene *sc = realloc(s->rig->scenes, (size_t)(s->rig->n_scenes + 1) * sizeof *sc);
            if (!sc) {
                rc = pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
            } else {
                s->rig->scenes = sc;
                i = s->rig->n_scenes++;
                memset(&sc[i], 0, sizeof sc[i]);
                snprintf(sc[i].name, sizeof sc[i].name, "%s", name);
            }
        }
        if (rc == 0) {
            pt_scene *sc = &s->rig->scenes[i];
            pt_scene_value *vals = calloc((size_t)count_values(&s->rig->chain) + 1, sizeof *vals);
            if (!vals) {
                rc = pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
            } else {
                free(sc->values);
                sc->values = vals;
                sc->n_values = 0;
                snapshot_chain(&s->rig->chain, sc);
                s->scene = i;
                pt_session_edited(s);
            }
        }
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int pt_session_scene_rename(pt_session *s, const char *from, const char *to, pt_error *err)
{
    pthread_mutex_lock(&s->lock);
    int rc = 0;
    int i = s->rig && from ? pt_rig_find_scene(s->rig, from) : -1;
    if (i < 0) rc = pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "no scene '%s'", from ? from : "");
    else if (!to || !to[0] || strlen(to) >= PT_ID_MAX)
        rc = pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "a scene needs a name of 1 to %d characters",
                          PT_ID_MAX - 1);
    else if (pt_rig_find_scene(s->rig, to) >= 0 && strcmp(from, to))
        rc = pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "there is already a scene '%s'", to);
    else {
        snprintf(s->rig->scenes[i].name, sizeof s->rig->scenes[i].name, "%s", to);
        pt_session_edited(s);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int pt_session_scene_delete(pt_session *s, const char *name, pt_error *err)
{
    pthread_mutex_lock(&s->lock);
    int rc = 0;
    int i = pt_session_find_scene(s, name, err);
    if (i < 0) {
        rc = PT_ERR_INVALID;
    } else {
        pt_rig *r = s->rig;
        free(r->scenes[i].values);
        memmove(r->scenes + i, r->scenes + i + 1, (size_t)(r->n_scenes - i - 1) * sizeof *r->scenes);
        r->n_scenes--;
        if (s->scene == i) s->scene = -1;
        else if (s->scene > i) s->scene--;
        pt_session_edited(s);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

cJSON *pt_session_scene_json(pt_session *s, const char *name, pt_error *err)
{
    pthread_mutex_lock(&s->lock);
    cJSON *j = NULL;
    int i = pt_session_find_scene(s, name, err);
    if (i >= 0 && !(j = cJSON_CreateObject())) {
        pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
    } else if (i >= 0) {
        const pt_scene *sc = &s->rig->scenes[i];
        cJSON_AddStringToObject(j, "name", sc->name);
        cJSON *params = cJSON_AddObjectToObject(j, "params");
        cJSON *bypass = cJSON_AddObjectToObject(j, "bypass");
        for (int v = 0; v < sc->n_values; v++) {
            const pt_scene_value *sv = &sc->values[v];
            const pt_rig_node *n = pt_rig_find_node(s->rig, sv->node);
            if (!n) continue;
            if (sv->param < 0) {
                cJSON_AddBoolToObject(bypass, sv->node, sv->value != 0);
            } else if (sv->param < n->type->n_params) {
                char key[2 * PT_ID_MAX + 2];
                snprintf(key, sizeof key, "%s.%s", sv->node, n->type->params[sv->param].name);
                cJSON_AddItemToObject(params, key, pt_session_param_value_json(&n->type->params[sv->param], sv->value));
            }
        }
    }
    pthread_mutex_unlock(&s->lock);
    return j;
}

int pt_session_set_tempo(pt_session *s, float bpm, pt_error *err)
{
    if (!isfinite(bpm) || bpm < 20 || bpm > 400)
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "tempo must be 20 .. 400 BPM");
    pthread_mutex_lock(&s->lock);
    if (s->rig) s->rig->tempo_bpm = bpm;
    pt_set_tempo_bpm(bpm);
    pt_session_edited(s);
    pthread_mutex_unlock(&s->lock);
    return 0;
}

int pt_session_follow_tempo(pt_session *s, float bpm, pt_error *err)
{
    if (!isfinite(bpm) || bpm < 20 || bpm > 400)
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "tempo must be 20 .. 400 BPM");
    (void)s; /* the rig is untouched; the server's state check sees the new
                tempo in pt_session_state() */
    pt_set_tempo_bpm(bpm); /* an atomic the nodes read */
    return 0;
}

/* --------------------------------------------------------------- setlist */

int pt_session_slot_count(pt_session *s)
{
    pthread_mutex_lock(&s->lock);
    int n = s->setlist ? s->setlist->n_rigs : 0;
    pthread_mutex_unlock(&s->lock);
    return n;
}

int pt_session_select_slot(pt_session *s, int slot, pt_error *err)
{
    pthread_mutex_lock(&s->lock);
    int rc = 0;
    if (!s->setlist) {
        rc = pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "no setlist is loaded");
    } else if (slot < 0 || slot >= s->setlist->n_rigs) {
        rc = pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "the setlist has slots 0 .. %d, not %d",
                          s->setlist->n_rigs - 1, slot);
    } else {
        pt_diags d;
        pt_diags_init(&d);
        pt_rig *rig = pt_rig_load_confined(s->setlist->rigs[slot], confine(s), &d);
        if (!rig) {
            rc = pt_error_set(err, PT_ERR_INVALID, d.items[0].file, d.items[0].line, d.items[0].col, "%s",
                              d.items[0].msg);
        } else {
            pt_program *p = NULL;
            for (int i = 0; i < 2; i++)
                if (s->pre_slot[i] == slot) { /* built in advance: instant */
                    p = s->pre[i];
                    s->pre[i] = NULL;
                    s->pre_slot[i] = -1;
                }
            if (!p) p = build(s, rig, err);
            if (!p || pt_engine_swap(s->e, p, err) != 0) {
                pt_rig_free(rig);
                rc = PT_ERR;
            } else {
                pt_rig_free(s->rig);
                s->rig = rig;
                s->slot = slot;
                s->scene = -1;
                s->dirty = 0;
                pt_set_tempo_bpm(rig->tempo_bpm);
                watch_rig(s);
                /* neighbours that no longer neighbour are dropped; poll builds the rest */
                for (int i = 0; i < 2; i++)
                    if (s->pre_slot[i] >= 0 && abs(s->pre_slot[i] - slot) != 1) {
                        pt_program_free(s->pre[i]);
                        s->pre[i] = NULL;
                        s->pre_slot[i] = -1;
                    }
            }
        }
        pt_diags_free(&d);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

/* Build one missing neighbour of the current slot. Called with the lock
 * held; it is let go while the rig is read and built (a NAM capture or a
 * long IR takes hundreds of ms), so that replies and meters go on meanwhile.
 * What was built is kept only if that slot still names the same file, is
 * still a neighbour and still has no program; otherwise it is dropped. */
static void prebuild(pt_session *s)
{
    if (!s->setlist || s->prebuilding) return;
    int want[2] = {s->slot - 1, s->slot + 1};
    for (int k = 0; k < 2; k++) {
        int slot = want[k];
        if (!s->setlist) return; /* replaced while the lock was let go */
        if (slot < 0 || slot >= s->setlist->n_rigs) continue;
        if (s->pre_slot[0] == slot || s->pre_slot[1] == slot) continue;
        if (s->pre_slot[0] >= 0 && s->pre_slot[1] >= 0) return;
        char *path = strdup(s->setlist->rigs[slot]);
        if (!path) return;
        const pt_rig_confine *rule = confine(s); /* s->confine itself never changes */
        s->prebuilding = 1;
        pthread_mutex_unlock(&s->lock);
        pt_diags d;
        pt_diags_init(&d);
        pt_rig *rig = pt_rig_load_confined(path, rule, &d);
        pt_diags_free(&d);
        pt_program *p = rig ? build(s, rig, NULL) : NULL;
        pt_rig_free(rig);
        pthread_mutex_lock(&s->lock);
        s->prebuilding = 0;
        int free_i = s->pre_slot[0] < 0 ? 0 : s->pre_slot[1] < 0 ? 1 : -1;
        bool still_wanted = s->setlist && slot < s->setlist->n_rigs &&
                            !strcmp(s->setlist->rigs[slot], path) && abs(slot - s->slot) == 1 &&
                            s->pre_slot[0] != slot && s->pre_slot[1] != slot && free_i >= 0;
        free(path);
        if (!p) continue;
        if (!still_wanted) {
            pt_program_free(p);
            return;
        }
        s->pre[free_i] = p;
        s->pre_slot[free_i] = slot;
        return; /* one per poll: keep the control thread responsive */
    }
}

/* ------------------------------------------------------------------ poll */

void pt_session_poll(pt_session *s)
{
    pthread_mutex_lock(&s->lock);
    /* A freed program leaves megabytes of free heap that glibc keeps
     * resident while a live block sits above it; give those pages back so
     * that a long session's memory is what it uses (control thread; the
     * audio thread never allocates, so it never waits for the allocator). */
    if (pt_engine_collect(s->e) > 0) pt_mem_trim();
    double t = now_s();
    if (s->watch && s->rig && t - s->last_watch > 0.25) {
        s->last_watch = t;
        if (watch_changed(s)) {
            /* reload from disk: the rig file or one of its assets changed */
            pt_diags d;
            pt_diags_init(&d);
            pt_rig *rig = pt_rig_load_confined(s->rig->path, confine(s), &d);
            pt_error err = {0};
            if (rig && pt_session_apply(s, rig, &err) == 0) {
                s->reload_error[0] = 0;
                s->dirty = 0;
                fprintf(stderr, "pytone: reloaded %s\n", rig->path);
            } else {
                if (rig) {
                    pt_error_format(&err, s->reload_error, sizeof s->reload_error);
                    pt_rig_free(rig);
                } else if (d.n) {
                    pt_error_format(&d.items[0], s->reload_error, sizeof s->reload_error);
                }
                fprintf(stderr, "pytone: not reloaded, the old sound keeps playing:\n");
                if (d.n) pt_diags_print(&d, stderr);
                else fprintf(stderr, "%s\n", s->reload_error);
            }
            pt_diags_free(&d);
        }
    }
    if (s->autosave && s->autosave_due && s->rig && t - s->last_edit > 1.0) {
        pt_error err = {0};
        /* asset paths written absolute: the recovery file lives elsewhere */
        if (pt_rig_save_ex(s->rig, s->autosave, 1, &err) == 0) s->autosave_due = 0, s->autosaved = 1;
    }
    if (s->rig && pt_calibration_poll(&s->cal, s->e, t) == 1) {
        pt_error err = {0};
        float was = s->rig->input_trim_db;
        s->rig->input_trim_db = s->cal.trim_db;
        if (pt_session_apply(s, s->rig, &err) == 0) {
            pt_session_edited(s);
        } else {
            s->rig->input_trim_db = was;
            s->cal.state = PT_CAL_FAILED;
            snprintf(s->cal.message, sizeof s->cal.message, "the input trim could not be set: %.200s", err.msg);
        }
    }
    prebuild(s);
    pthread_mutex_unlock(&s->lock);
}

int pt_session_calibrate_input(pt_session *s, double seconds, pt_error *err)
{
    if (!(seconds >= PT_CALIBRATE_MIN_S && seconds <= PT_CALIBRATE_MAX_S))
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "seconds must be %g .. %g",
                            PT_CALIBRATE_MIN_S, PT_CALIBRATE_MAX_S);
    pthread_mutex_lock(&s->lock);
    pt_calibration_start(&s->cal, s->e, now_s(), seconds);
    pthread_mutex_unlock(&s->lock);
    return 0;
}

cJSON *pt_session_calibration(pt_session *s)
{
    pthread_mutex_lock(&s->lock);
    cJSON *j = pt_calibration_json(&s->cal);
    pthread_mutex_unlock(&s->lock);
    return j;
}

const char *pt_session_reload_error(pt_session *s) { return s->reload_error; }

void pt_session_close_clean(pt_session *s)
{
    /* only what this session wrote: a crash's recovery file stays until an
     * edit here replaces it */
    if (!s->autosave || !s->autosaved) return;
    unlink(s->autosave);
    char bak[4200];
    snprintf(bak, sizeof bak, "%s.bak", s->autosave);
    unlink(bak);
}

/* ---------------------------------------------- other modules' rig parts */

int pt_session_with_rig(pt_session *s, int (*fn)(pt_rig *rig, void *user), void *user)
{
    pthread_mutex_lock(&s->lock);
    int rc = fn(s->rig, user);
    if (rc == 1) pt_session_edited(s);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

struct pt_capture_job *pt_session_capture(pt_session *s) { return s->capture; }
