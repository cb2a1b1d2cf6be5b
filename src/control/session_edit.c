/* session_edit.c — editing the session's graph (see session.h): nodes and
 * splits added, moved, removed and specialised, assets set, branches and
 * scenes pruned, each made on a copy of the rig that replaces it only when
 * the copy builds (session.c's rule). */
#include "session_internal.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    if (pt_session_apply(s, copy, err) != 0) {
        pt_rig_free(copy);
        return PT_ERR;
    }
    pt_session_edited(s);
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
    pt_rig_node *n = pt_session_need_node(s, node, err);
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
            rc = now_stereo != was_stereo ? pt_session_apply(s, s->rig, err)
                                          : pt_engine_set_branch(s->e, split, branch, level_db, pan, err);
            if (rc) it->branches[branch] = old;
            else pt_session_edited(s);
        }
    }
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
            pt_session_edited(s);
        }
    }
    pthread_mutex_unlock(&s->lock);
    return rc;
}
