/* session.c — see session.h.
 *
 * The rig description (pt_rig) is the control side's truth: every edit lands
 * there first, so a save writes what is playing. Graph edits are made on a
 * copy, built into a program, and only when that succeeds does the copy
 * replace the rig and the program go to the engine — a failed edit changes
 * nothing. */
#include "session.h"
#include "calibrate.h"

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
};

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
    if (!s->roots) {
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
static int apply(pt_session *s, pt_rig *rig, pt_error *err)
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

static void edited(pt_session *s)
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
    if (apply(s, rig, &err) != 0) {
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
    int rc = apply(s, rig, err);
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

static pt_rig_node *need_node(pt_session *s, const char *id, pt_error *err)
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
    pt_rig_node *n = need_node(s, node, err);
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
        if (value != old && apply(s, s->rig, err) != 0) {
            pt_rig_node_set(n, pi, old);
            return PT_ERR;
        }
    } else if (pt_engine_set_param_at(s->e, node, param, value, frame, err) != 0) {
        return PT_ERR;
    }
    edited(s);
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
    pt_rig_node *n = need_node(s, node, err);
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
    pt_rig_node *n = need_node(s, node, err);
    if (!n) return PT_ERR_INVALID;
    if (pt_engine_set_bypass(s->e, node, bypass, err) != 0) return PT_ERR;
    n->bypass = bypass;
    edited(s);
    return 0;
}

int pt_session_set_bypass(pt_session *s, const char *node, bool bypass, pt_error *err)
{
    pthread_mutex_lock(&s->lock);
    int rc = set_bypass_locked(s, node, bypass, err);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

/* ---------------------------------------------------------- graph edits */

typedef struct place {
    pt_rig_chain *chain;
    int index;
} place;

static int find_item(pt_rig_chain *c, const char *id, place *out)
{
    for (int i = 0; c && i < c->n; i++) {
        pt_rig_item *it = &c->items[i];
        const char *iid = it->is_split ? it->split_id : it->node.id;
        if (iid[0] && !strcmp(iid, id)) {
            out->chain = c;
            out->index = i;
            return 1;
        }
        for (int b = 0; it->is_split && b < it->n_branches; b++)
            if (find_item(it->branches[b].chain, id, out)) return 1;
    }
    return 0;
}

static int id_taken(pt_rig *rig, const char *id)
{
    place p;
    return find_item(&rig->chain, id, &p);
}

static int valid_id(const char *id)
{
    if (!id || !id[0] || strlen(id) >= PT_ID_MAX) return 0;
    for (const char *c = id; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '_' || *c == '-'))
            return 0;
    return 1;
}

static int resolve_place(pt_rig *rig, const pt_position *w, place *out, pt_error *err)
{
    if (!w || (!w->after && !w->before && !w->split)) {
        out->chain = &rig->chain;
        out->index = rig->chain.n;
        return 0;
    }
    const char *ref = w->after ? w->after : w->before ? w->before : w->split;
    place p;
    if (!find_item(&rig->chain, ref, &p))
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "no node or split '%s' in the rig", ref);
    if (w->after || w->before) {
        out->chain = p.chain;
        out->index = p.index + (w->after ? 1 : 0);
        return 0;
    }
    pt_rig_item *it = &p.chain->items[p.index];
    if (!it->is_split) return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "'%s' is not a split", ref);
    if (w->branch < 0 || w->branch >= it->n_branches)
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "split '%s' has no branch %d (it has %d)",
                            ref, w->branch, it->n_branches);
    out->chain = it->branches[w->branch].chain;
    int n = out->chain->n;
    if (w->index > n)
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "branch %d of '%s' has only %d entries",
                            w->branch, ref, n);
    out->index = w->index < 0 ? n : w->index;
    return 0;
}

static int insert(place *p, const pt_rig_item *item)
{
    pt_rig_item *items = realloc(p->chain->items, (size_t)(p->chain->n + 1) * sizeof *items);
    if (!items) return -1;
    p->chain->items = items;
    memmove(items + p->index + 1, items + p->index,
            (size_t)(p->chain->n - p->index) * sizeof *items);
    items[p->index] = *item;
    p->chain->n++;
    return 0;
}

/* Take an item out of its chain without freeing what it holds. */
static pt_rig_item extract(place *p)
{
    pt_rig_item it = p->chain->items[p->index];
    memmove(p->chain->items + p->index, p->chain->items + p->index + 1,
            (size_t)(p->chain->n - p->index - 1) * sizeof it);
    p->chain->n--;
    return it;
}

/* The edited copy becomes the rig if it builds. */
static int commit_copy(pt_session *s, pt_rig *copy, pt_error *err)
{
    if (apply(s, copy, err) != 0) {
        pt_rig_free(copy);
        return PT_ERR;
    }
    edited(s);
    return 0;
}

static pt_rig *copy_rig(pt_session *s, pt_error *err)
{
    if (!s->rig) {
        pt_error_set(err, PT_ERR, NULL, 0, 0, "no rig is loaded");
        return NULL;
    }
    pt_rig *c = pt_rig_clone(s->rig);
    if (!c) pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "cannot copy the rig");
    return c;
}

/* Set asset a of node n to path, as written and resolved against the rig's
 * folder. */
static int put_asset(const pt_rig *rig, pt_rig_node *n, int a, const char *path)
{
    if (!n->asset) n->asset = calloc((size_t)n->type->n_assets, sizeof(char *));
    if (!n->asset_path) n->asset_path = calloc((size_t)n->type->n_assets, sizeof(char *));
    if (!n->asset || !n->asset_path) return -1;
    free(n->asset[a]);
    free(n->asset_path[a]);
    n->asset[a] = strdup(path);
    if (path[0] == '/' || !rig->dir || !rig->dir[0]) {
        n->asset_path[a] = strdup(path);
    } else {
        size_t len = strlen(rig->dir) + strlen(path) + 2;
        n->asset_path[a] = malloc(len);
        if (n->asset_path[a]) snprintf(n->asset_path[a], len, "%s/%s", rig->dir, path);
    }
    return n->asset[a] && n->asset_path[a] ? 0 : -1;
}

static int asset_index(const pt_node_type *t, const char *name)
{
    for (int i = 0; name && i < t->n_assets; i++)
        if (!strcmp(t->assets[i].name, name)) return i;
    return -1;
}

/* Nodes and splits in a chain, branches included (against PT_RIG_MAX_*). */
static void count_graph(const pt_rig_chain *c, int *nodes, int *splits)
{
    for (int i = 0; c && i < c->n; i++) {
        const pt_rig_item *it = &c->items[i];
        if (!it->is_split) {
            ++*nodes;
            continue;
        }
        ++*splits;
        for (int b = 0; b < it->n_branches; b++) count_graph(it->branches[b].chain, nodes, splits);
    }
}

/* An edit that adds a node or a split stays inside the limits a rig file
 * has (rig.h): refused with a message that says so. */
static int room_for(pt_session *s, bool split, pt_error *err)
{
    int nodes = 0, splits = 0;
    if (s->rig) count_graph(&s->rig->chain, &nodes, &splits);
    if (!split && nodes >= PT_RIG_MAX_NODES)
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                            "the rig has %d nodes, the most a rig may have; remove one first",
                            PT_RIG_MAX_NODES);
    if (split && splits >= PT_RIG_MAX_SPLITS)
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                            "the rig has %d splits, the most a rig may have; remove one first",
                            PT_RIG_MAX_SPLITS);
    return 0;
}

int pt_session_add_node(pt_session *s, const char *type, const char *id, const pt_position *where,
                        pt_error *err)
{
    return pt_session_add_node_with_assets(s, type, id, where, NULL, NULL, 0, err);
}

int pt_session_add_node_with_assets(pt_session *s, const char *type, const char *id,
                                    const pt_position *where, const char *const *names,
                                    const char *const *paths, int n_assets, pt_error *err)
{
    return pt_session_add_node_keyed(s, type, NULL, id, where, names, paths, n_assets, err);
}

/* A type whose table comes from what it loads (node.h specialize): its own
 * type from the key or the node's first file. -1 with err when there is none. */
static int specialize_node(pt_rig_node *n, const char *key, pt_error *err)
{
    const pt_node_type *g = n->type;
    if (!g->specialize) return 0;
    const char *k = g->key_name ? key : (n->asset_path ? n->asset_path[0] : NULL);
    if (!k || !k[0])
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "a node of type '%s' needs '%s'", g->name,
                            g->key_name ? g->key_name : g->assets[0].name);
    const pt_node_type *t = g->specialize(g, k, err);
    if (!t) return err && err->code ? err->code : PT_ERR;
    n->type = t;
    return 0;
}

int pt_session_add_node_keyed(pt_session *s, const char *type, const char *key, const char *id,
                              const pt_position *where, const char *const *names,
                              const char *const *paths, int n_assets, pt_error *err)
{
    pthread_mutex_lock(&s->lock);
    int rc = PT_ERR_INVALID;
    const pt_node_type *t = type ? pt_node_type_find(type) : NULL;
    pt_rig *copy = NULL;
    place p;
    if (!t) {
        pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "unknown node type '%s' (did you mean '%s'?)",
                     type ? type : "", pt_node_type_nearest(type ? type : ""));
    } else if (!valid_id(id)) {
        pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                     "node id must be letters, digits, '_' or '-' (at most %d)", PT_ID_MAX - 1);
    } else if (room_for(s, false, err)) {
    } else if ((copy = copy_rig(s, err)) && id_taken(copy, id)) {
        pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "id '%s' is already used in the rig", id);
    } else if (copy && resolve_place(copy, where, &p, err) == 0) {
        pt_rig_item it = {0};
        snprintf(it.node.id, sizeof it.node.id, "%s", id);
        it.node.type = t;
        if (t->n_assets) {
            it.node.asset = calloc((size_t)t->n_assets, sizeof(char *));
            it.node.asset_path = calloc((size_t)t->n_assets, sizeof(char *));
        }
        int bad_asset = 0;
        for (int k = 0; k < n_assets && !bad_asset; k++) {
            int a = asset_index(t, names[k]);
            if (a < 0 || !paths[k] || !paths[k][0]) {
                pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "%s has no asset '%s' (or no file given)",
                             t->name, names[k] ? names[k] : "");
                bad_asset = 1;
            } else if (put_asset(copy, &it.node, a, paths[k]) != 0) {
                pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
                bad_asset = 1;
            }
        }
        if (!bad_asset && specialize_node(&it.node, key, err) != 0) bad_asset = 1;
        if (bad_asset) { /* the node never went into the copy: drop its files */
            for (int a = 0; a < t->n_assets; a++) {
                if (it.node.asset) free(it.node.asset[a]);
                if (it.node.asset_path) free(it.node.asset_path[a]);
            }
            free(it.node.asset);
            free(it.node.asset_path);
        } else if (insert(&p, &it) != 0) {
            pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
        } else {
            rc = commit_copy(s, copy, err);
            copy = NULL;
        }
    }
    pt_rig_free(copy);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int pt_session_set_asset(pt_session *s, const char *node, const char *asset, const char *path,
                         pt_error *err)
{
    pthread_mutex_lock(&s->lock);
    int rc = PT_ERR_INVALID;
    pt_rig *copy = NULL;
    pt_rig_node *n = need_node(s, node, err);
    int a = -1;
    for (int i = 0; n && asset && i < n->type->n_assets; i++)
        if (!strcmp(n->type->assets[i].name, asset)) a = i;
    if (n && a < 0) {
        pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "node '%s' (%s) has no asset '%s'", node,
                     n->type->name, asset ? asset : "");
    } else if (n && (!path || !path[0])) {
        pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "give a file for %s.%s", node, asset);
    } else if (n && (copy = copy_rig(s, err))) {
        pt_rig_node *cn = pt_rig_find_node(copy, node);
        if (put_asset(copy, cn, a, path) != 0) {
            pt_rig_free(copy);
            rc = pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
        } else {
            rc = commit_copy(s, copy, err);
        }
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int pt_session_add_split(pt_session *s, const char *id, int branches, const pt_position *where,
                         pt_error *err)
{
    pthread_mutex_lock(&s->lock);
    int rc = PT_ERR_INVALID;
    pt_rig *copy = NULL;
    place p;
    if (branches < 1 || branches > PT_RIG_MAX_BRANCHES) {
        pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "a split needs 1 to %d branches, not %d",
                     PT_RIG_MAX_BRANCHES, branches);
    } else if (!valid_id(id)) {
        pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "split id must be letters, digits, '_' or '-'");
    } else if (room_for(s, true, err)) {
    } else if ((copy = copy_rig(s, err)) && id_taken(copy, id)) {
        pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "id '%s' is already used in the rig", id);
    } else if (copy && resolve_place(copy, where, &p, err) == 0) {
        pt_rig_item it = {.is_split = 1, .n_branches = branches};
        snprintf(it.split_id, sizeof it.split_id, "%s", id);
        it.branches = calloc((size_t)branches, sizeof *it.branches);
        for (int b = 0; it.branches && b < branches; b++)
            it.branches[b].chain = calloc(1, sizeof(pt_rig_chain));
        if (!it.branches || insert(&p, &it) != 0) {
            pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
        } else {
            rc = commit_copy(s, copy, err);
            copy = NULL;
        }
    }
    pt_rig_free(copy);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static void free_item(pt_rig_item *it)
{
    /* reuse the rig's own freeing through a one-item chain in a rig shell */
    pt_rig *shell = calloc(1, sizeof *shell);
    if (!shell) return;
    shell->chain.items = malloc(sizeof *it);
    if (shell->chain.items) {
        shell->chain.items[0] = *it;
        shell->chain.n = 1;
    }
    pt_rig_free(shell);
}

int pt_session_remove(pt_session *s, const char *id, pt_error *err)
{
    pthread_mutex_lock(&s->lock);
    int rc = PT_ERR_INVALID;
    pt_rig *copy = copy_rig(s, err);
    place p;
    if (copy && (!id || !find_item(&copy->chain, id, &p))) {
        pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "no node or split '%s' in the rig", id ? id : "");
    } else if (copy) {
        pt_rig_item it = extract(&p);
        free_item(&it);
        /* scenes may name what was removed: drop those entries */
        for (int i = 0; i < copy->n_scenes; i++) {
            pt_scene *sc = &copy->scenes[i];
            int k = 0;
            for (int v = 0; v < sc->n_values; v++)
                if (pt_rig_find_node(copy, sc->values[v].node)) sc->values[k++] = sc->values[v];
            sc->n_values = k;
        }
        rc = commit_copy(s, copy, err);
        copy = NULL;
    }
    pt_rig_free(copy);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

static int contains(const pt_rig_item *it, const char *id)
{
    place p;
    for (int b = 0; it->is_split && b < it->n_branches; b++)
        if (find_item(it->branches[b].chain, id, &p)) return 1;
    return 0;
}

int pt_session_move(pt_session *s, const char *id, const pt_position *where, pt_error *err)
{
    pthread_mutex_lock(&s->lock);
    int rc = PT_ERR_INVALID;
    pt_rig *copy = copy_rig(s, err);
    place from, to;
    const char *ref = where ? (where->after ? where->after : where->before ? where->before : where->split) : NULL;
    if (copy && (!id || !find_item(&copy->chain, id, &from))) {
        pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "no node or split '%s' in the rig", id ? id : "");
    } else if (copy && ref && !strcmp(ref, id) && where->split) {
        pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                     "moving split '%s' into its own branch would make a cycle", id);
    } else if (copy && ref && !strcmp(ref, id)) {
        pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "cannot place '%s' relative to itself", id);
    } else if (copy && ref && contains(&from.chain->items[from.index], ref)) {
        pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                     "moving '%s' inside its own branch '%s' would make a cycle", id, ref);
    } else if (copy) {
        pt_rig_item it = extract(&from);
        if (resolve_place(copy, where, &to, err) != 0 || insert(&to, &it) != 0) {
            free_item(&it);
            if (!err || !err->msg[0]) pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
        } else {
            rc = commit_copy(s, copy, err);
            copy = NULL;
        }
    }
    pt_rig_free(copy);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int pt_session_set_branch(pt_session *s, const char *split, int branch, float level_db, float pan,
                          pt_error *err)
{
    pthread_mutex_lock(&s->lock);
    int rc = PT_ERR_INVALID;
    place p;
    if (!s->rig) {
        pt_error_set(err, PT_ERR, NULL, 0, 0, "no rig is loaded");
    } else if (!split || !find_item(&s->rig->chain, split, &p) || !p.chain->items[p.index].is_split) {
        pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "no split '%s' in the rig", split ? split : "");
    } else if (!isfinite(level_db) || level_db < -96 || level_db > 24 || !isfinite(pan) || pan < -1 || pan > 1) {
        pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "level_db must be -96..24 and pan -1..1");
    } else {
        pt_rig_item *it = &p.chain->items[p.index];
        if (branch < 0 || branch >= it->n_branches) {
            pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "split '%s' has no branch %d", split, branch);
        } else {
            int was_stereo = 0, now_stereo;
            for (int b = 0; b < it->n_branches; b++) was_stereo |= it->branches[b].pan != 0;
            pt_rig_branch old = it->branches[branch];
            it->branches[branch].level_db = level_db;
            it->branches[branch].pan = pan;
            now_stereo = was_stereo || pan != 0;
            /* a mono mix that gains a pan must become stereo: rebuild */
            rc = now_stereo != was_stereo ? apply(s, s->rig, err)
                                          : pt_engine_set_branch(s->e, split, branch, level_db, pan, err);
            if (rc) it->branches[branch] = old;
            else edited(s);
        }
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

/* --------------------------------------------------------------- scenes */

/* Lock held: the scene's index, or -1 with err filled. */
static int find_scene(pt_session *s, const char *name, pt_error *err)
{
    int i = s->rig && name ? pt_rig_find_scene(s->rig, name) : -1;
    if (i < 0) pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "no scene '%s' in the rig", name ? name : "");
    return i;
}

int pt_session_scene_select(pt_session *s, const char *name, pt_error *err)
{
    pthread_mutex_lock(&s->lock);
    int rc = 0;
    int i = find_scene(s, name, err);
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
                edited(s);
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
        edited(s);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int pt_session_set_tempo(pt_session *s, float bpm, pt_error *err)
{
    if (!isfinite(bpm) || bpm < 20 || bpm > 400)
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "tempo must be 20 .. 400 BPM");
    pthread_mutex_lock(&s->lock);
    if (s->rig) s->rig->tempo_bpm = bpm;
    pt_set_tempo_bpm(bpm);
    edited(s);
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
            if (rig && apply(s, rig, &err) == 0) {
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
        if (apply(s, s->rig, &err) == 0) {
            edited(s);
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

/* ------------------------------------------------------------------ JSON */

/* The safety limiter at the output: on or off, how deep it is reducing now
 * (dB; 0 when idle) and how many frames it has reduced. */
static cJSON *limiter_json(pt_session *s)
{
    pt_limiter_reading r;
    pt_engine_limiter(s->e, &r);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddBoolToObject(o, "on", r.on);
    cJSON_AddNumberToObject(o, "reduction_db", r.reduction_db);
    cJSON_AddNumberToObject(o, "limited_frames", (double)r.limited_frames);
    return o;
}

int pt_session_set_limiter(pt_session *s, bool on)
{
    pthread_mutex_lock(&s->lock);
    pt_engine_set_limiter(s->e, on);
    pthread_mutex_unlock(&s->lock);
    return 0;
}

/* What each overrun was put down to (core/monitor.h), for the page: the
 * engine's work, the machine, or nothing that could tell; and the evidence. */
static void add_overrun_causes(cJSON *j, const pt_load_summary *ld)
{
    cJSON_AddNumberToObject(j, "overruns_engine", (double)ld->overruns_engine);
    cJSON_AddNumberToObject(j, "overruns_machine", (double)ld->overruns_machine);
    cJSON_AddNumberToObject(j, "overruns_unknown", (double)ld->overruns_unknown);
    cJSON_AddNumberToObject(j, "machine_stalls", (double)ld->machine_stalls);
    char basis[64];
    pt_load_basis_text(ld->basis, basis, sizeof basis);
    cJSON_AddStringToObject(j, "attribution", basis);
}

cJSON *pt_session_state(pt_session *s)
{
    pthread_mutex_lock(&s->lock);
    cJSON *j = cJSON_CreateObject();
    pt_load_summary ld;
    pt_engine_load(s->e, &ld);
    cJSON_AddStringToObject(j, "rig", s->rig && s->rig->name ? s->rig->name : "");
    cJSON_AddStringToObject(j, "path", s->rig && s->rig->path ? s->rig->path : "");
    if (s->rig && s->scene >= 0 && s->scene < s->rig->n_scenes)
        cJSON_AddStringToObject(j, "scene", s->rig->scenes[s->scene].name);
    else
        cJSON_AddNullToObject(j, "scene");
    cJSON_AddNumberToObject(j, "tempo", pt_tempo_bpm()); /* played: the rig's, or followed */
    cJSON_AddNumberToObject(j, "dsp_load_p50", ld.load_p50);
    cJSON_AddNumberToObject(j, "dsp_load_p99", ld.load_p99);
    cJSON_AddNumberToObject(j, "overruns", (double)ld.overruns);
    cJSON_AddNumberToObject(j, "callbacks", (double)ld.callbacks);
    add_overrun_causes(j, &ld);
    cJSON_AddBoolToObject(j, "dirty", s->dirty);
    if (s->setlist) {
        cJSON_AddNumberToObject(j, "slot", s->slot);
        cJSON_AddNumberToObject(j, "slots", s->setlist->n_rigs);
        cJSON_AddStringToObject(j, "setlist", s->setlist->name);
    } else {
        cJSON_AddNullToObject(j, "slot");
        cJSON_AddNumberToObject(j, "slots", 0);
    }
    cJSON_AddNumberToObject(j, "latency_samples", pt_engine_latency(s->e));
    cJSON_AddNumberToObject(j, "rate", pt_engine_rate(s->e));
    cJSON_AddNumberToObject(j, "frames", pt_engine_max_frames(s->e));
    cJSON_AddStringToObject(j, "reload_error", s->reload_error);
    cJSON_AddItemToObject(j, "calibration", pt_calibration_json(&s->cal));
    cJSON_AddItemToObject(j, "limiter", limiter_json(s));
    pthread_mutex_unlock(&s->lock);
    return j;
}

/* A float as people would write it: 7 significant digits, so a pan of -0.7f
 * reads -0.7 in the JSON and not -0.699999988079071 (its exact double). */
static double plain(float v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%.7g", (double)v);
    return strtod(buf, NULL);
}

static cJSON *param_value_json(const pt_param_def *d, float v)
{
    if (d->taper == PT_TAPER_ENUM && d->choices) {
        for (int k = 0; d->choices[k]; k++)
            if (k == (int)v) return cJSON_CreateString(d->choices[k]);
    }
    if (d->taper == PT_TAPER_TOGGLE) return cJSON_CreateBool(v != 0);
    return cJSON_CreateNumber(plain(v));
}

/* The front panel of a running node whose type names its knobs per instance (a
 * circuit shows the controls its file has, by the names the file gives them):
 * "hide" lists the parameters it does not have, "labels" renames the others. */
static void panel_json(cJSON *o, pt_program *p, const pt_rig_node *n)
{
    int idx = p && n->type->param_label ? pt_program_find_node(p, n->id) : -1;
    if (idx < 0) return;
    pt_node *live = pt_program_node(p, idx);
    if (live->type != n->type) return;
    cJSON *hide = NULL, *labels = NULL;
    for (int i = 0; i < n->type->n_params; i++) {
        const pt_param_def *d = &n->type->params[i];
        const char *l = n->type->param_label(live, i);
        if (!l) {
            if (!hide) hide = cJSON_AddArrayToObject(o, "hide");
            cJSON_AddItemToArray(hide, cJSON_CreateString(d->name));
        } else if (strcmp(l, d->label ? d->label : d->name) != 0) {
            if (!labels) labels = cJSON_AddObjectToObject(o, "labels");
            cJSON_AddStringToObject(labels, d->name, l);
        }
    }
}

static cJSON *chain_json(const pt_rig_chain *c, pt_program *p)
{
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; c && i < c->n; i++) {
        const pt_rig_item *it = &c->items[i];
        cJSON *o = cJSON_CreateObject();
        if (it->is_split) {
            cJSON_AddStringToObject(o, "split", it->split_id);
            cJSON *br = cJSON_AddArrayToObject(o, "branches");
            for (int b = 0; b < it->n_branches; b++) {
                cJSON *bo = cJSON_CreateObject();
                cJSON_AddNumberToObject(bo, "level_db", plain(it->branches[b].level_db));
                cJSON_AddNumberToObject(bo, "pan", plain(it->branches[b].pan));
                cJSON_AddItemToObject(bo, "chain", chain_json(it->branches[b].chain, p));
                cJSON_AddItemToArray(br, bo);
            }
        } else {
            const pt_rig_node *n = &it->node;
            cJSON_AddStringToObject(o, "id", n->id);
            cJSON_AddStringToObject(o, "type", n->type->name);
            cJSON_AddBoolToObject(o, "bypass", n->bypass);
            cJSON *params = cJSON_AddObjectToObject(o, "params");
            for (int p = 0; p < n->type->n_params; p++)
                cJSON_AddItemToObject(params, n->type->params[p].name,
                                      param_value_json(&n->type->params[p], pt_rig_node_get(n, p)));
            cJSON *assets = cJSON_AddObjectToObject(o, "assets");
            for (int a = 0; n->asset && a < n->type->n_assets; a++)
                if (n->asset[a]) cJSON_AddStringToObject(assets, n->type->assets[a].name, n->asset[a]);
            if (n->type->generic) { /* an LV2 or Faust node: its own tables (node.h) */
                if (n->type->key_name && n->type->key)
                    cJSON_AddStringToObject(o, n->type->key_name, n->type->key);
                cJSON *defs = cJSON_AddArrayToObject(o, "param_defs");
                for (int i = 0; i < n->type->n_params; i++)
                    cJSON_AddItemToArray(defs, pt_param_def_json(&n->type->params[i]));
                cJSON *rds = cJSON_AddArrayToObject(o, "readout_defs");
                for (int k = 0; k < n->type->n_readouts; k++) {
                    cJSON *rd = cJSON_CreateObject();
                    cJSON_AddStringToObject(rd, "name", n->type->readouts[k].name);
                    cJSON_AddStringToObject(rd, "unit", n->type->readouts[k].unit);
                    cJSON_AddItemToArray(rds, rd);
                }
            }
            panel_json(o, p, n);
        }
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

cJSON *pt_session_rig_json(pt_session *s)
{
    pthread_mutex_lock(&s->lock);
    cJSON *j = cJSON_CreateObject();
    if (s->rig) {
        const pt_rig *r = s->rig;
        cJSON_AddStringToObject(j, "name", r->name ? r->name : "");
        cJSON_AddStringToObject(j, "author", r->author ? r->author : "");
        cJSON_AddStringToObject(j, "notes", r->notes ? r->notes : "");
        cJSON_AddStringToObject(j, "path", r->path ? r->path : "");
        cJSON *tags = cJSON_AddArrayToObject(j, "tags");
        for (int i = 0; i < r->n_tags; i++) cJSON_AddItemToArray(tags, cJSON_CreateString(r->tags[i]));
        cJSON_AddNumberToObject(j, "tempo_bpm", r->tempo_bpm);
        cJSON_AddNumberToObject(j, "input_trim_db", plain(r->input_trim_db));
        cJSON_AddNumberToObject(j, "output_level_db", plain(r->output_level_db));
        cJSON_AddItemToObject(j, "chain", chain_json(&r->chain, pt_engine_program(s->e)));
        cJSON *scenes = cJSON_AddArrayToObject(j, "scenes");
        for (int i = 0; i < r->n_scenes; i++) cJSON_AddItemToArray(scenes, cJSON_CreateString(r->scenes[i].name));
    }
    pthread_mutex_unlock(&s->lock);
    return j;
}

cJSON *pt_session_meters(pt_session *s)
{
    pthread_mutex_lock(&s->lock);
    cJSON *j = cJSON_CreateObject();
    pt_meter_reading m;
    pt_engine_meters(s->e, &m);
    cJSON *in = cJSON_AddObjectToObject(j, "in"), *out = cJSON_AddObjectToObject(j, "out");
    cJSON_AddNumberToObject(in, "peak", m.in_peak);
    cJSON_AddNumberToObject(in, "rms", m.in_rms);
    cJSON_AddNumberToObject(out, "peak", m.out_peak);
    cJSON_AddNumberToObject(out, "rms", m.out_rms);
    cJSON_AddItemToObject(j, "limiter", limiter_json(s));
    pt_load_summary ld;
    pt_engine_load(s->e, &ld);
    cJSON *load = cJSON_AddObjectToObject(j, "load");
    cJSON_AddNumberToObject(load, "p50", ld.load_p50);
    cJSON_AddNumberToObject(load, "p99", ld.load_p99);
    cJSON_AddNumberToObject(load, "max", ld.load_max);
    cJSON_AddNumberToObject(load, "overruns", (double)ld.overruns);
    add_overrun_causes(load, &ld);
    cJSON *nodes = cJSON_AddObjectToObject(j, "nodes");
    cJSON *readouts = cJSON_AddObjectToObject(j, "readouts");
    pt_program *p = pt_engine_program(s->e);
    for (int i = 0; p && i < pt_program_node_count(p); i++) {
        pt_node *n = pt_program_node(p, i);
        const pt_node_health *h = pt_program_health(p, i);
        union { unsigned u; float f; } b = {atomic_load_explicit(&((pt_node_health *)h)->peak_bits,
                                                                 memory_order_relaxed)};
        cJSON *no = cJSON_AddObjectToObject(nodes, n->id);
        cJSON_AddNumberToObject(no, "peak", b.f);
        cJSON_AddNumberToObject(no, "faults", atomic_load(&((pt_node_health *)h)->faults));
        if (n->type->n_readouts) {
            cJSON *ro = cJSON_AddObjectToObject(readouts, n->id);
            for (int r = 0; r < n->type->n_readouts; r++)
                cJSON_AddNumberToObject(ro, n->type->readouts[r].name, pt_node_readout(n, r));
        }
    }
    pthread_mutex_unlock(&s->lock);
    return j;
}

cJSON *pt_param_def_json(const pt_param_def *d)
{
    static const char *const tapers[] = {"linear", "log", "enum", "toggle"};
    cJSON *po = cJSON_CreateObject();
    cJSON_AddStringToObject(po, "name", d->name);
    cJSON_AddStringToObject(po, "label", d->label ? d->label : d->name);
    cJSON_AddStringToObject(po, "unit", d->unit);
    cJSON_AddNumberToObject(po, "precision", d->precision);
    cJSON_AddNumberToObject(po, "min", plain(d->min));
    cJSON_AddNumberToObject(po, "max", plain(d->max));
    cJSON_AddNumberToObject(po, "default", plain(d->def));
    cJSON_AddStringToObject(po, "taper", tapers[d->taper]);
    cJSON_AddNumberToObject(po, "smoothing_ms", d->smoothing_ms);
    cJSON_AddStringToObject(po, "doc", d->doc ? d->doc : "");
    cJSON_AddBoolToObject(po, "rebuild", (d->flags & PT_PARAM_REBUILD) != 0);
    if (d->choices) {
        cJSON *ch = cJSON_AddArrayToObject(po, "choices");
        for (int k = 0; d->choices[k]; k++) cJSON_AddItemToArray(ch, cJSON_CreateString(d->choices[k]));
    }
    return po;
}

cJSON *pt_node_types_json(void)
{
    int count;
    const pt_node_type *const *types = pt_node_types(&count);
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; i < count; i++) {
        const pt_node_type *t = types[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", t->name);
        cJSON_AddStringToObject(o, "summary", t->summary ? t->summary : "");
        cJSON *params = cJSON_AddArrayToObject(o, "params");
        for (int p = 0; p < t->n_params; p++) cJSON_AddItemToArray(params, pt_param_def_json(&t->params[p]));
        cJSON *assets = cJSON_AddArrayToObject(o, "assets");
        for (int a = 0; a < t->n_assets; a++) {
            cJSON *ao = cJSON_CreateObject();
            cJSON_AddStringToObject(ao, "name", t->assets[a].name);
            cJSON_AddStringToObject(ao, "kind", t->assets[a].kind);
            cJSON_AddBoolToObject(ao, "required", t->assets[a].required);
            cJSON_AddItemToArray(assets, ao);
        }
        cJSON *ro = cJSON_AddArrayToObject(o, "readouts");
        for (int r = 0; r < t->n_readouts; r++) {
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "name", t->readouts[r].name);
            cJSON_AddStringToObject(x, "unit", t->readouts[r].unit ? t->readouts[r].unit : "");
            cJSON_AddItemToArray(ro, x);
        }
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}

/* The rigs in folder `dir` (the library, or the factory's beside it), named
 * with `prefix` ("" or "../factory/rigs/"). */
static void list_rig_folder(pt_session *s, const char *dir, const char *prefix, cJSON *arr)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    while (d && (de = readdir(d))) {
        const char *n = de->d_name;
        size_t len = strlen(n);
        if (n[0] == '.' || len < 6 || (strcmp(n + len - 5, ".yaml") && strcmp(n + len - 4, ".yml"))) continue;
        /* a regular file of rig size, or a link to one inside the folder:
         * a link out, a FIFO or /dev/zero under a rig's name is not listed */
        char full[PATH_MAX], file[PATH_MAX];
        if (!pt_lib_listable(dir, n, 4LL << 20, full, sizeof full)) continue;
        snprintf(file, sizeof file, "%s%s", prefix, n);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "file", file);
        if (prefix[0]) cJSON_AddBoolToObject(o, "factory", true);
        int setlist = pt_is_setlist(full);
        cJSON_AddStringToObject(o, "kind", setlist ? "setlist" : "rig");
        if (!setlist) {
            pt_diags dg;
            pt_diags_init(&dg);
            pt_rig *r = pt_rig_load_confined(full, &s->confine, &dg);
            cJSON_AddBoolToObject(o, "valid", r != NULL);
            if (r) {
                cJSON_AddStringToObject(o, "name", r->name ? r->name : "");
                cJSON_AddStringToObject(o, "author", r->author ? r->author : "");
                cJSON *tags = cJSON_AddArrayToObject(o, "tags");
                for (int i = 0; i < r->n_tags; i++) cJSON_AddItemToArray(tags, cJSON_CreateString(r->tags[i]));
            }
            pt_rig_free(r);
            pt_diags_free(&dg);
        }
        cJSON_AddItemToArray(arr, o);
    }
    if (d) closedir(d);
}

cJSON *pt_session_list_rigs(pt_session *s)
{
    pthread_mutex_lock(&s->lock);
    cJSON *arr = cJSON_CreateArray();
    list_rig_folder(s, s->library, "", arr);
    char factory[PATH_MAX];
    if (pt_library_factory_rigs_dir(s->library, factory, sizeof factory))
        list_rig_folder(s, factory, PT_LIBRARY_FACTORY_RIGS, arr);
    pthread_mutex_unlock(&s->lock);
    return arr;
}

/* ------------------------------------------------------------- response */

int pt_session_response(pt_session *s, const char *node, int points, double *freq_hz,
                        double *gain_db, pt_error *err)
{
    if (points < 2 || points > 4096)
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "points must be 2 .. 4096");
    pthread_mutex_lock(&s->lock);
    pt_rig_node *rn = need_node(s, node, err);
    if (!rn) {
        pthread_mutex_unlock(&s->lock);
        return PT_ERR_INVALID;
    }
    pt_node_config cfg = {.id = rn->id, .asset = (const char *const *)rn->asset_path};
    pt_node *n = pt_node_create(rn->type, &cfg, err);
    for (int v = 0; n && v < rn->n_values; v++) pt_node_set_param_now(n, rn->values[v].param, rn->values[v].value);
    double rate = pt_engine_rate(s->e);
    pthread_mutex_unlock(&s->lock);
    if (!n) return PT_ERR;
    enum { BLOCK = 256 };
    const float amp = 1e-3f;
    int len = 1 << 16; /* 1.4 s at 48 kHz: long enough for filters, cabinets, rooms */
    int rc = 0;
    float *x = calloc(BLOCK, sizeof(float)), *y = malloc((size_t)len * sizeof(float));
    float *out[PT_MAX_CHANNELS] = {malloc(BLOCK * sizeof(float)), malloc(BLOCK * sizeof(float))};
    if (!x || !y || !out[0] || !out[1]) {
        rc = pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
    } else if (pt_node_prepare(n, rate, BLOCK, 1, err) != 0) {
        rc = PT_ERR;
    } else {
        const float *in[PT_MAX_CHANNELS] = {x, x};
        for (int off = 0; off < len; off += BLOCK) {
            x[0] = off == 0 ? amp : 0.0f;
            n->type->process(n, in, out, BLOCK);
            memcpy(y + off, out[0], BLOCK * sizeof(float));
        }
        for (int i = 0; i < points; i++) {
            double f = 20.0 * pow(1000.0, (double)i / (points - 1));
            freq_hz[i] = f;
            gain_db[i] = 20.0 * log10(pt_dft_mag(y, len, rate, f) / amp + 1e-12);
        }
    }
    free(x), free(y), free(out[0]), free(out[1]);
    pt_node_destroy(n);
    return rc;
}

/* ---------------------------------------------- other modules' rig parts */

int pt_session_with_rig(pt_session *s, int (*fn)(pt_rig *rig, void *user), void *user)
{
    pthread_mutex_lock(&s->lock);
    int rc = fn(s->rig, user);
    if (rc == 1) edited(s);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

/* ------------------------------------ additions for the web UI (issue #8) */

int pt_session_rig_dir(pt_session *s, char *out, size_t size)
{
    pthread_mutex_lock(&s->lock);
    int rc = -1;
    if (s->rig && size > 1) {
        const char *p = s->rig->path ? s->rig->path : "";
        const char *slash = strrchr(p, '/');
        size_t n = slash ? (size_t)(slash - p) : 0;
        if (!slash) rc = snprintf(out, size, ".") < (int)size ? 0 : -1;
        else if (n < size) {
            memcpy(out, p, n);
            out[n] = 0;
            if (n == 0) snprintf(out, size, "/");
            rc = 0;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

/* The split `id` in rig (an item that is a split), or NULL with err set. */
static pt_rig_item *need_split(pt_rig *rig, const char *id, pt_error *err)
{
    place p;
    if (!rig) {
        pt_error_set(err, PT_ERR, NULL, 0, 0, "no rig is loaded");
        return NULL;
    }
    if (!id || !find_item(&rig->chain, id, &p) || !p.chain->items[p.index].is_split) {
        pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "no split '%s' in the rig", id ? id : "");
        return NULL;
    }
    return &p.chain->items[p.index];
}

/* Scene entries naming nodes the rig no longer has are dropped. */
static void prune_scenes(pt_rig *rig)
{
    for (int i = 0; i < rig->n_scenes; i++) {
        pt_scene *sc = &rig->scenes[i];
        int k = 0;
        for (int v = 0; v < sc->n_values; v++)
            if (pt_rig_find_node(rig, sc->values[v].node)) sc->values[k++] = sc->values[v];
        sc->n_values = k;
    }
}

int pt_session_add_branch(pt_session *s, const char *split, int at, float level_db, float pan,
                          int *index, pt_error *err)
{
    pthread_mutex_lock(&s->lock);
    int rc = PT_ERR_INVALID;
    pt_rig *copy = copy_rig(s, err);
    pt_rig_item *it = copy ? need_split(copy, split, err) : NULL;
    if (it && it->n_branches >= PT_SESSION_MAX_BRANCHES) {
        pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "split '%s' has %d branches already (at most %d)",
                     split, it->n_branches, PT_SESSION_MAX_BRANCHES);
    } else if (it && (at < -1 || at > it->n_branches)) {
        pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                     "split '%s' has %d branches: a new one goes at 0 .. %d (or -1, the end)", split,
                     it->n_branches, it->n_branches);
    } else if (it && (!isfinite(level_db) || level_db < -96 || level_db > 24 || !isfinite(pan) ||
                      pan < -1 || pan > 1)) {
        pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "level_db must be -96..24 and pan -1..1");
    } else if (it) {
        int b = at < 0 ? it->n_branches : at;
        pt_rig_branch *br = realloc(it->branches, (size_t)(it->n_branches + 1) * sizeof *br);
        pt_rig_chain *chain = calloc(1, sizeof *chain);
        if (br) it->branches = br;
        if (!br || !chain) {
            free(chain);
            pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
        } else {
            memmove(br + b + 1, br + b, (size_t)(it->n_branches - b) * sizeof *br);
            br[b] = (pt_rig_branch){.chain = chain, .level_db = level_db, .pan = pan};
            it->n_branches++;
            rc = commit_copy(s, copy, err);
            copy = NULL;
            if (rc == 0 && index) *index = b;
        }
    }
    pt_rig_free(copy);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int pt_session_remove_branch(pt_session *s, const char *split, int branch, pt_error *err)
{
    pthread_mutex_lock(&s->lock);
    int rc = PT_ERR_INVALID;
    pt_rig *copy = copy_rig(s, err);
    pt_rig_item *it = copy ? need_split(copy, split, err) : NULL;
    if (it && (branch < 0 || branch >= it->n_branches)) {
        pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "split '%s' has no branch %d (it has %d)", split,
                     branch, it->n_branches);
    } else if (it && it->n_branches <= 1) {
        pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                     "split '%s' has only one branch; remove the split itself instead", split);
    } else if (it) {
        /* free the branch's chain through a one-split item holding only it */
        pt_rig_item gone = {.is_split = 1, .n_branches = 1};
        gone.branches = malloc(sizeof *gone.branches);
        if (!gone.branches) {
            pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
        } else {
            gone.branches[0] = it->branches[branch];
            memmove(it->branches + branch, it->branches + branch + 1,
                    (size_t)(it->n_branches - branch - 1) * sizeof *it->branches);
            it->n_branches--;
            free_item(&gone);
            prune_scenes(copy);
            rc = commit_copy(s, copy, err);
            copy = NULL;
        }
    }
    pt_rig_free(copy);
    pthread_mutex_unlock(&s->lock);
    return rc;
}

int pt_session_scene_delete(pt_session *s, const char *name, pt_error *err)
{
    pthread_mutex_lock(&s->lock);
    int rc = 0;
    int i = find_scene(s, name, err);
    if (i < 0) {
        rc = PT_ERR_INVALID;
    } else {
        pt_rig *r = s->rig;
        free(r->scenes[i].values);
        memmove(r->scenes + i, r->scenes + i + 1, (size_t)(r->n_scenes - i - 1) * sizeof *r->scenes);
        r->n_scenes--;
        if (s->scene == i) s->scene = -1;
        else if (s->scene > i) s->scene--;
        edited(s);
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}

cJSON *pt_session_scene_json(pt_session *s, const char *name, pt_error *err)
{
    pthread_mutex_lock(&s->lock);
    cJSON *j = NULL;
    int i = find_scene(s, name, err);
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
                cJSON_AddItemToObject(params, key, param_value_json(&n->type->params[sv->param], sv->value));
            }
        }
    }
    pthread_mutex_unlock(&s->lock);
    return j;
}

static char *dup_or_null(const char *s, int *fail)
{
    char *d = strdup(s);
    if (!d) *fail = 1;
    return d;
}

int pt_session_set_rig_info(pt_session *s, const char *name, const char *author, const char *notes,
                            const char *const *tags, int n_tags, pt_error *err)
{
    pthread_mutex_lock(&s->lock);
    int rc = 0;
    if (!s->rig) {
        rc = pt_error_set(err, PT_ERR, NULL, 0, 0, "no rig is loaded");
    } else if (name && !name[0]) {
        rc = pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "a rig needs a name (it is required)");
    } else {
        /* everything allocated first, then swapped in: all or nothing */
        int fail = 0;
        char *nn = name ? dup_or_null(name, &fail) : NULL;
        char *na = author ? dup_or_null(author, &fail) : NULL;
        char *no = notes ? dup_or_null(notes, &fail) : NULL;
        char **nt = NULL;
        if (n_tags > 0) {
            nt = calloc((size_t)n_tags, sizeof *nt);
            if (!nt) fail = 1;
            for (int i = 0; nt && i < n_tags; i++) nt[i] = dup_or_null(tags[i], &fail);
        }
        if (fail) {
            free(nn), free(na), free(no);
            for (int i = 0; nt && i < n_tags; i++) free(nt[i]);
            free(nt);
            rc = pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
        } else {
            pt_rig *r = s->rig;
            if (name) free(r->name), r->name = nn;
            if (author) free(r->author), r->author = na;
            if (notes) free(r->notes), r->notes = no;
            if (n_tags >= 0) {
                for (int i = 0; i < r->n_tags; i++) free(r->tags[i]);
                free(r->tags);
                r->tags = nt;
                r->n_tags = n_tags;
            }
            edited(s);
        }
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}
