/* rig.c — reading and validating rig files (YAML, through libyaml's
 * document API, whose nodes carry the line and column they came from). */
#include "rig.h"

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "yaml_doc.h"
#include "../midi/mapping.h"

/* ------------------------------------------------------------ diagnostics */

void pt_diags_init(pt_diags *d) { memset(d, 0, sizeof *d); }

void pt_diags_free(pt_diags *d)
{
    free(d->items);
    memset(d, 0, sizeof *d);
}

void pt_diags_add(pt_diags *d, const char *file, int line, int col, const char *fmt, ...)
{
    if (!d) return;
    if (d->n == d->cap) {
        int cap = d->cap ? d->cap * 2 : 8;
        pt_error *items = realloc(d->items, (size_t)cap * sizeof *items);
        if (!items) return;
        d->items = items;
        d->cap = cap;
    }
    char msg[sizeof d->items->msg];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pt_error_set(&d->items[d->n++], PT_ERR_INVALID, file, line, col, "%s", msg);
}

void pt_diags_print(const pt_diags *d, FILE *out)
{
    for (int i = 0; i < d->n; i++) pt_error_print(&d->items[i], out);
}

/* ------------------------------------------------------------ YAML access */

typedef struct ctx {
    pt_ydoc y;
    pt_rig *rig;
    int depth;
    int nodes, splits;              /* so far, against PT_RIG_MAX_* */
    const pt_rig_confine *confine;  /* NULL: assets may be anywhere */
} ctx;

#define MAX_DEPTH 32

static char *dupstr(const char *s) { return strdup(s ? s : ""); }

/* ---------------------------------------------------------------- graph */

static void parse_chain(ctx *c, yaml_node_t *seq, pt_rig_chain *out, const char *where);

static int id_ok(const char *id)
{
    if (!id[0] || strlen(id) >= PT_ID_MAX) return 0;
    for (const char *p = id; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '_' || *p == '-')) return 0;
    return 1;
}

/* The message for an asset or setlist entry a confined load may not use:
 * the same whether the file exists or not, so that it tells nothing about
 * files outside the library. */
#define NOT_IN_LIBRARY "is not a file in the rig library or the factory folders (irs/, models/, circuits/, assets/); a rig loaded over the network uses only those"

static bool confined_out(const ctx *c, const char *path)
{
    return c->confine && c->confine->allows && !c->confine->allows(c->confine->user, path);
}

static char *resolve(const char *dir, const char *rel)
{
    if (rel[0] == '/' || !dir || !dir[0]) return strdup(rel);
    size_t n = strlen(dir) + strlen(rel) + 2;
    char *s = malloc(n);
    if (s) snprintf(s, n, "%s/%s", dir, rel);
    return s;
}

/* A parameter value: a number, an enum choice by name, or a toggle. */
static int param_value(pt_ydoc *y, const pt_param_def *def, yaml_node_t *v, const char *node_id,
                       float *out)
{
    const char *s = pt_yd_scalar(v);
    if (!s) {
        pt_yd_problem(y, v, "%s.%s must be a value, not %s", node_id, def->name, pt_yd_kind(v));
        return -1;
    }
    double d;
    int b;
    if (def->taper == PT_TAPER_ENUM) {
        int i = pt_param_choice_index(def, s);
        if (i >= 0) return *out = (float)i, 0;
        if (pt_yd_to_number(s, &d) == 0 && d == floor(d) && d >= def->min && d <= def->max)
            return *out = (float)d, 0;
        char list[512] = "";
        if (def->choices) pt_yd_join(list, sizeof list, def->choices);
        pt_yd_problem(y, v, "%s.%s: '%s' is not one of %s", node_id, def->name, s, list);
        return -1;
    }
    if (def->taper == PT_TAPER_TOGGLE && pt_yd_to_bool(s, &b) == 0) return *out = (float)b, 0;
    if (pt_yd_to_number(s, &d) != 0) {
        pt_yd_problem(y, v, "%s.%s must be a number, not '%s'", node_id, def->name, s);
        return -1;
    }
    if (d < def->min || d > def->max) {
        pt_yd_problem(y, v, "%s.%s = %g is out of range %g .. %g%s%s", node_id, def->name, d,
                      (double)def->min, (double)def->max, def->unit[0] ? " " : "", def->unit);
        return -1;
    }
    *out = (float)d;
    return 0;
}

/* A type whose parameters come from what it loads (type: lv2, type: faust):
 * the node's own type, from its `uri:` or its file. A problem is reported
 * where it lies: a Faust compile error at the .dsp file's line, anything
 * else at the node's key. Returns -1 (the rig then has a problem and n->type
 * stays the generic one) when there is none. */
static int specialize(ctx *c, yaml_node_t *m, pt_rig_node *n)
{
    pt_ydoc *y = &c->y;
    const pt_node_type *g = n->type;
    yaml_node_t *at = m;
    const char *key = NULL;
    if (g->key_name) {
        at = pt_yd_get(y, m, g->key_name);
        key = pt_yd_scalar(at);
        if (!at || !key || !key[0]) {
            pt_yd_problem(y, at ? at : m, "node '%s' (%s) needs '%s'", n->id, g->name, g->key_name);
            return -1;
        }
    } else {
        if (!n->asset_path || !n->asset_path[0]) return -1; /* reported above */
        key = n->asset_path[0];
        at = pt_yd_get(y, m, g->assets[0].name);
    }
    pt_error err = {0};
    const pt_node_type *t = g->specialize(g, key, &err);
    if (t) {
        n->type = t;
        return 0;
    }
    if (err.file[0] && y->diags)
        pt_diags_add(y->diags, err.file, err.line, err.col, "node '%s' (%s): %s", n->id, g->name,
                     err.msg);
    else
        pt_yd_problem(y, at, "node '%s' (%s): %s", n->id, g->name, err.msg);
    return -1;
}

static void parse_node(ctx *c, yaml_node_t *m, pt_rig_node *n)
{
    pt_ydoc *y = &c->y;
    n->line = PT_YD_LINE(m);
    n->col = PT_YD_COL(m);
    yaml_node_t *vid = pt_yd_get(y, m, "id"), *vtype = pt_yd_get(y, m, "type");
    if (!vtype) {
        pt_yd_problem(y, m, "a node needs a 'type'");
    } else if (!pt_yd_scalar(vtype)) {
        pt_yd_problem(y, vtype, "'type' must be a node type name, not %s", pt_yd_kind(vtype));
    } else {
        n->type = pt_node_type_find(pt_yd_scalar(vtype));
        if (!n->type)
            pt_yd_problem(y, vtype, "unknown node type '%s' (did you mean '%s'?)",
                          pt_yd_scalar(vtype), pt_node_type_nearest(pt_yd_scalar(vtype)));
    }
    if (!vid) {
        pt_yd_problem(y, m, "a node needs an 'id'");
    } else if (!pt_yd_scalar(vid) || !id_ok(pt_yd_scalar(vid))) {
        pt_yd_problem(y, vid, "node id must be letters, digits, '_' or '-' (at most %d), not '%s'",
                      PT_ID_MAX - 1, pt_yd_shown(y, vid));
    } else {
        snprintf(n->id, sizeof n->id, "%s", pt_yd_scalar(vid));
    }
    yaml_node_t *vb = pt_yd_get(y, m, "bypass");
    if (vb && pt_yd_to_bool(pt_yd_scalar(vb), &n->bypass) != 0)
        pt_yd_problem(y, vb, "'bypass' must be true or false");
    if (!n->type) return;

    /* keys: id, type, bypass, params, and the type's assets */
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        yaml_node_t *k = pt_yd_node(y, p->key);
        const char *key = pt_yd_scalar(k);
        if (!key) continue;
        if (!strcmp(key, "id") || !strcmp(key, "type") || !strcmp(key, "bypass") ||
            !strcmp(key, "params") || (n->type->key_name && !strcmp(key, n->type->key_name)) ||
            (n->type->save_state && !strcmp(key, "state")))
            continue;
        int a;
        for (a = 0; a < n->type->n_assets; a++)
            if (!strcmp(key, n->type->assets[a].name)) break;
        if (a == n->type->n_assets)
            pt_yd_problem(y, k,
                          "unknown key '%s' in node '%s' (%s takes id, type, bypass, params%s%s)",
                          key, n->id, n->type->name, n->type->n_assets ? ", " : "",
                          n->type->n_assets ? n->type->assets[0].name : "");
    }
    if (n->type->n_assets) {
        n->asset = calloc((size_t)n->type->n_assets, sizeof(char *));
        n->asset_path = calloc((size_t)n->type->n_assets, sizeof(char *));
        for (int a = 0; a < n->type->n_assets && n->asset; a++) {
            yaml_node_t *v = pt_yd_get(y, m, n->type->assets[a].name);
            if (!v) {
                if (n->type->assets[a].required)
                    pt_yd_problem(y, m, "node '%s' (%s) needs '%s': %s", n->id, n->type->name,
                                  n->type->assets[a].name, n->type->assets[a].doc);
                continue;
            }
            if (!pt_yd_scalar(v) || !pt_yd_scalar(v)[0]) {
                pt_yd_problem(y, v, "'%s' must be a file path", n->type->assets[a].name);
                continue;
            }
            n->asset[a] = dupstr(pt_yd_scalar(v));
            n->asset_path[a] = resolve(c->rig->dir, pt_yd_scalar(v));
            struct stat st;
            if (n->asset_path[a] && confined_out(c, n->asset_path[a]))
                pt_yd_problem(y, v, "%s file '%s' " NOT_IN_LIBRARY, n->type->assets[a].name,
                              pt_yd_scalar(v));
            else if (n->asset_path[a] && stat(n->asset_path[a], &st) != 0)
                pt_yd_problem(y, v, "%s file '%s' not found (looked for %s)",
                              n->type->assets[a].name, pt_yd_scalar(v), n->asset_path[a]);
            else if (n->asset_path[a] && !S_ISREG(st.st_mode)) /* a FIFO would never end */
                pt_yd_problem(y, v, "%s file '%s' is not a regular file (a folder, FIFO or device)",
                              n->type->assets[a].name, pt_yd_scalar(v));
        }
    }
    yaml_node_t *vs = n->type->save_state ? pt_yd_get(y, m, "state") : NULL;
    if (vs && !pt_yd_scalar(vs))
        pt_yd_problem(y, vs, "'state' must be the text pytone saved, not %s", pt_yd_kind(vs));
    else if (vs)
        n->state = dupstr(pt_yd_scalar(vs));
    if (n->type->specialize && specialize(c, m, n) != 0) return;
    yaml_node_t *params = pt_yd_get(y, m, "params");
    if (params && params->type != YAML_MAPPING_NODE) {
        pt_yd_problem(y, params, "'params' must be a mapping of name: value, not %s",
                      pt_yd_kind(params));
        params = NULL;
    }
    if (params) {
        int cap = pt_yd_len(params);
        n->values = calloc((size_t)(cap > 0 ? cap : 1), sizeof *n->values);
        for (yaml_node_pair_t *p = params->data.mapping.pairs.start;
             p < params->data.mapping.pairs.top && n->values; p++) {
            yaml_node_t *k = pt_yd_node(y, p->key), *v = pt_yd_node(y, p->value);
            const char *key = pt_yd_scalar(k);
            int pi = key ? pt_param_index(n->type, key) : -1;
            if (pi < 0) {
                char list[512] = "";
                for (int i = 0; i < n->type->n_params; i++)
                    pt_yd_list_add(list, sizeof list, n->type->params[i].name,
                                   i + 1 < n->type->n_params);
                pt_yd_problem(y, k, "unknown parameter '%s' for node '%s' (%s has: %s)",
                              key ? key : "?", n->id, n->type->name,
                              n->type->n_params ? list : "no parameters");
                continue;
            }
            float val;
            if (param_value(y, &n->type->params[pi], v, n->id, &val) != 0) continue;
            pt_rig_value *rv = &n->values[n->n_values++];
            rv->param = pi;
            rv->value = val;
            rv->line = PT_YD_LINE(v);
            rv->col = PT_YD_COL(v);
        }
    }
}

static void parse_split(ctx *c, yaml_node_t *split_key, yaml_node_t *s, pt_rig_item *it)
{
    static const char *const keys[] = {"id", "branches", NULL};
    pt_ydoc *y = &c->y;
    it->is_split = 1;
    if (!s || s->type != YAML_MAPPING_NODE) {
        pt_yd_problem(y, s ? s : split_key, "'split' must be a mapping with 'branches'");
        return;
    }
    pt_yd_check_keys(y, s, "a split", keys);
    char *id = pt_yd_get_string(y, s, "id");
    if (id) {
        if (!id_ok(id))
            pt_yd_problem(y, pt_yd_get(y, s, "id"), "split id '%s' is not a valid id", id);
        snprintf(it->split_id, sizeof it->split_id, "%s", id);
        free(id);
    }
    yaml_node_t *kb;
    yaml_node_t *b = pt_yd_get_key(y, s, "branches", &kb);
    if (!b) {
        pt_yd_problem(y, s, "a split needs 'branches'");
        return;
    }
    if (b->type != YAML_SEQUENCE_NODE) {
        pt_yd_problem(y, b, "'branches' must be a list, not %s", pt_yd_kind(b));
        return;
    }
    int nb = pt_yd_len(b);
    if (nb == 0) {
        pt_yd_problem(y, kb, "a split with no branch (give it at least one under 'branches')");
        return;
    }
    if (nb > PT_RIG_MAX_BRANCHES) {
        pt_yd_problem(y, kb, "a split has %d branches; at most %d", nb, PT_RIG_MAX_BRANCHES);
        return;
    }
    it->branches = calloc((size_t)nb, sizeof *it->branches);
    if (!it->branches) return;
    it->n_branches = nb;
    for (int i = 0; i < nb; i++) {
        yaml_node_t *br = pt_yd_item(y, b, i);
        pt_rig_branch *pb = &it->branches[i];
        pb->chain = calloc(1, sizeof *pb->chain);
        if (!br || br->type != YAML_MAPPING_NODE) {
            pt_yd_problem(y, br,
                          "a branch must be a mapping with 'chain' (and optional level_db, pan)");
            continue;
        }
        static const char *const bkeys[] = {"chain", "level_db", "pan", NULL};
        pt_yd_check_keys(y, br, "a branch", bkeys);
        pt_yd_get_float(y, br, "level_db", -96.0f, 24.0f, "dB", &pb->level_db);
        pt_yd_get_float(y, br, "pan", -1.0f, 1.0f, "", &pb->pan);
        yaml_node_t *ch = pt_yd_get(y, br, "chain");
        if (!ch) {
            pt_yd_problem(y, br, "a branch needs a 'chain' (use [] for a dry branch)");
            continue;
        }
        if (pb->chain) parse_chain(c, ch, pb->chain, "a branch");
    }
}

static void parse_chain(ctx *c, yaml_node_t *seq, pt_rig_chain *out, const char *where)
{
    pt_ydoc *y = &c->y;
    if (++c->depth > MAX_DEPTH) {
        pt_yd_problem(y, seq, "splits are nested more than %d deep", MAX_DEPTH);
        c->depth--;
        return;
    }
    if (seq->type != YAML_SEQUENCE_NODE) {
        pt_yd_problem(y, seq, "the chain of %s must be a list, not %s", where, pt_yd_kind(seq));
        c->depth--;
        return;
    }
    int n = pt_yd_len(seq);
    out->items = calloc((size_t)(n > 0 ? n : 1), sizeof *out->items);
    if (!out->items) {
        c->depth--;
        return;
    }
    for (int i = 0; i < n; i++) {
        yaml_node_t *m = pt_yd_item(y, seq, i);
        bool is_split = m->type == YAML_MAPPING_NODE && pt_yd_get(y, m, "split");
        if (is_split ? ++c->splits > PT_RIG_MAX_SPLITS : ++c->nodes > PT_RIG_MAX_NODES) {
            pt_yd_problem(y, m, "the rig has more than %d %s; at most %d are allowed",
                          is_split ? PT_RIG_MAX_SPLITS : PT_RIG_MAX_NODES,
                          is_split ? "splits" : "nodes",
                          is_split ? PT_RIG_MAX_SPLITS : PT_RIG_MAX_NODES);
            break; /* one message, and nothing more is built */
        }
        pt_rig_item *it = &out->items[out->n++];
        it->line = PT_YD_LINE(m);
        it->col = PT_YD_COL(m);
        if (m->type != YAML_MAPPING_NODE) {
            pt_yd_problem(y, m,
                          "a chain entry must be a node (id, type, params) or a split, not %s",
                          pt_yd_kind(m));
            continue;
        }
        yaml_node_t *ks;
        yaml_node_t *s = pt_yd_get_key(y, m, "split", &ks);
        if (s) {
            static const char *const keys[] = {"split", NULL};
            pt_yd_check_keys(y, m, "a split entry", keys);
            parse_split(c, ks, s, it);
        } else {
            parse_node(c, m, &it->node);
        }
    }
    c->depth--;
}

/* Every id once, across the whole graph. */
typedef struct seen_id {
    const char *id;
    int line, col;
} seen_id;

static void check_ids(pt_ydoc *y, const pt_rig_chain *ch, seen_id **seen, int *n, int *cap)
{
    for (int i = 0; i < ch->n; i++) {
        const pt_rig_item *it = &ch->items[i];
        const char *id = it->is_split ? it->split_id : it->node.id;
        int line = it->is_split ? it->line : it->node.line, col = it->is_split ? it->col : it->node.col;
        if (id[0]) {
            for (int k = 0; k < *n; k++)
                if (!strcmp((*seen)[k].id, id)) {
                    pt_yd_report(y, line, col,
                                 "duplicate id '%s' (first used at line %d, column %d)", id,
                                 (*seen)[k].line, (*seen)[k].col);
                    goto next;
                }
            if (*n == *cap) {
                *cap = *cap ? *cap * 2 : 16;
                seen_id *s = realloc(*seen, (size_t)*cap * sizeof *s);
                if (!s) return;
                *seen = s;
            }
            (*seen)[(*n)++] = (seen_id){id, line, col};
        }
    next:
        if (it->is_split)
            for (int b = 0; b < it->n_branches; b++)
                if (it->branches[b].chain) check_ids(y, it->branches[b].chain, seen, n, cap);
    }
}

/* ---------------------------------------------------------------- scenes */

static pt_rig_node *find_node_in(const pt_rig_chain *ch, const char *id)
{
    for (int i = 0; i < ch->n; i++) {
        pt_rig_item *it = &ch->items[i];
        if (!it->is_split && !strcmp(it->node.id, id)) return &it->node;
        for (int b = 0; it->is_split && b < it->n_branches; b++) {
            pt_rig_node *n = it->branches[b].chain ? find_node_in(it->branches[b].chain, id) : NULL;
            if (n) return n;
        }
    }
    return NULL;
}

pt_rig_node *pt_rig_find_node(const pt_rig *rig, const char *id) { return find_node_in(&rig->chain, id); }

int pt_rig_find_scene(const pt_rig *rig, const char *name)
{
    for (int i = 0; i < rig->n_scenes; i++)
        if (!strcmp(rig->scenes[i].name, name)) return i;
    return -1;
}

static void parse_scenes(ctx *c, yaml_node_t *seq)
{
    pt_ydoc *y = &c->y;
    pt_rig *rig = c->rig;
    if (seq->type != YAML_SEQUENCE_NODE) {
        pt_yd_problem(y, seq, "'scenes' must be a list, not %s", pt_yd_kind(seq));
        return;
    }
    int n = pt_yd_len(seq);
    if (n > PT_RIG_MAX_SCENES) {
        pt_yd_problem(y, seq, "the rig has %d scenes; at most %d are allowed", n, PT_RIG_MAX_SCENES);
        return;
    }
    rig->scenes = calloc((size_t)(n > 0 ? n : 1), sizeof *rig->scenes);
    if (!rig->scenes) return;
    for (int i = 0; i < n; i++) {
        yaml_node_t *m = pt_yd_item(y, seq, i);
        if (m->type != YAML_MAPPING_NODE) {
            pt_yd_problem(y, m, "a scene must be a mapping with 'name', 'params' and 'bypass'");
            continue;
        }
        static const char *const keys[] = {"name", "params", "bypass", NULL};
        pt_yd_check_keys(y, m, "a scene", keys);
        pt_scene *sc = &rig->scenes[rig->n_scenes++];
        char *name = pt_yd_get_string(y, m, "name");
        if (!name || !name[0]) pt_yd_problem(y, m, "a scene needs a 'name'");
        snprintf(sc->name, sizeof sc->name, "%s", name ? name : "");
        for (int k = 0; k < rig->n_scenes - 1; k++)
            if (name && !strcmp(rig->scenes[k].name, name))
                pt_yd_problem(y, pt_yd_get(y, m, "name"), "duplicate scene name '%s'", name);
        free(name);
        yaml_node_t *params = pt_yd_get(y, m, "params"), *bypass = pt_yd_get(y, m, "bypass");
        int cap = 0;
        if (params && params->type == YAML_MAPPING_NODE)
            cap += pt_yd_len(params);
        else if (params)
            pt_yd_problem(y, params, "scene 'params' must be a mapping of node.param: value");
        if (bypass && bypass->type == YAML_MAPPING_NODE)
            cap += pt_yd_len(bypass);
        else if (bypass)
            pt_yd_problem(y, bypass, "scene 'bypass' must be a mapping of node: true/false");
        sc->values = calloc((size_t)(cap > 0 ? cap : 1), sizeof *sc->values);
        if (!sc->values) continue;
        if (params && params->type == YAML_MAPPING_NODE) {
            for (yaml_node_pair_t *p = params->data.mapping.pairs.start;
                 p < params->data.mapping.pairs.top; p++) {
                yaml_node_t *k = pt_yd_node(y, p->key), *v = pt_yd_node(y, p->value);
                const char *key = pt_yd_scalar(k);
                const char *dot = key ? strchr(key, '.') : NULL;
                if (!dot) {
                    pt_yd_problem(y, k, "scene parameter '%s' must be written node.param",
                                  key ? key : "?");
                    continue;
                }
                char nid[PT_ID_MAX];
                snprintf(nid, sizeof nid, "%.*s", (int)(dot - key), key);
                pt_rig_node *rn = pt_rig_find_node(rig, nid);
                if (!rn) {
                    pt_yd_problem(y, k, "scene '%s' names node '%s', which is not in the chain",
                                  sc->name, nid);
                    continue;
                }
                if (!rn->type) continue;
                int pi = pt_param_index(rn->type, dot + 1);
                if (pi < 0) {
                    pt_yd_problem(y, k, "unknown parameter '%s' for node '%s' (%s)", dot + 1, nid,
                                  rn->type->name);
                    continue;
                }
                float val;
                if (param_value(y, &rn->type->params[pi], v, nid, &val) != 0) continue;
                pt_scene_value *sv = &sc->values[sc->n_values++];
                snprintf(sv->node, sizeof sv->node, "%s", nid);
                sv->param = pi;
                sv->value = val;
            }
        }
        if (bypass && bypass->type == YAML_MAPPING_NODE) {
            for (yaml_node_pair_t *p = bypass->data.mapping.pairs.start;
                 p < bypass->data.mapping.pairs.top; p++) {
                yaml_node_t *k = pt_yd_node(y, p->key), *v = pt_yd_node(y, p->value);
                const char *key = pt_yd_scalar(k);
                int b;
                if (!key || !pt_rig_find_node(rig, key)) {
                    pt_yd_problem(y, k, "scene '%s' bypasses node '%s', which is not in the chain",
                                  sc->name, key ? key : "?");
                    continue;
                }
                if (pt_yd_to_bool(pt_yd_scalar(v), &b) != 0) {
                    pt_yd_problem(y, v, "bypass of '%s' must be true or false", key);
                    continue;
                }
                pt_scene_value *sv = &sc->values[sc->n_values++];
                snprintf(sv->node, sizeof sv->node, "%s", key);
                sv->param = -1;
                sv->value = (float)b;
            }
        }
    }
}

/* ------------------------------------------------------------- top level */

int pt_rig_migrate(yaml_document_t *doc, int from_version);

static void parse_rig(ctx *c, yaml_node_t *root)
{
    pt_ydoc *y = &c->y;
    pt_rig *rig = c->rig;
    if (!root || root->type != YAML_MAPPING_NODE) {
        pt_yd_problem(y, root, "a rig file must be a mapping with 'version', 'name' and 'chain'");
        return;
    }
    yaml_node_t *v = pt_yd_get(y, root, "version");
    double ver;
    if (!v) {
        pt_yd_problem(y, root, "missing 'version' (this program writes version %d)",
                      PT_RIG_VERSION);
        return;
    }
    if (pt_yd_to_number(pt_yd_scalar(v), &ver) != 0 || ver != floor(ver) || ver < 0) {
        pt_yd_problem(y, v, "'version' must be a whole number, not '%s'",
                      pt_yd_scalar(v) ? pt_yd_scalar(v) : "?");
        return;
    }
    rig->version = (int)ver;
    if (rig->version > PT_RIG_VERSION) {
        pt_yd_problem(y, v,
                      "rig version %d is newer than this program understands (%d); update PyTone",
                      rig->version, PT_RIG_VERSION);
        return;
    }
    while (ver < PT_RIG_VERSION) {
        /* older files go through the explicit migrations, one version at a time */
        if (pt_rig_migrate(y->doc, (int)ver) != 0) {
            pt_yd_problem(y, v, "rig version %d cannot be migrated (this program reads %d)",
                          (int)ver, PT_RIG_VERSION);
            return;
        }
        ver += 1;
        root = yaml_document_get_root_node(y->doc);
    }
    static const char *const keys[] = {"version",       "name",   "author",          "tags",
                                       "tempo_bpm",     "notes",  "input_trim_db",   "output_level_db",
                                       "chain",         "scenes", "midi",          NULL};
    pt_yd_check_keys(y, root, "a rig", keys);
    rig->name = pt_yd_get_string(y, root, "name");
    if (!rig->name) {
        pt_yd_problem(y, root, "missing 'name'");
        rig->name = dupstr("");
    }
    rig->author = pt_yd_get_string(y, root, "author");
    rig->notes = pt_yd_get_string(y, root, "notes");
    rig->tempo_bpm = 120.0f;
    pt_yd_get_float(y, root, "tempo_bpm", 20.0f, 400.0f, "BPM", &rig->tempo_bpm);
    pt_yd_get_float(y, root, "input_trim_db", -60.0f, 24.0f, "dB", &rig->input_trim_db);
    pt_yd_get_float(y, root, "output_level_db", -60.0f, 24.0f, "dB", &rig->output_level_db);
    yaml_node_t *tags = pt_yd_get(y, root, "tags");
    if (tags && tags->type != YAML_SEQUENCE_NODE) {
        pt_yd_problem(y, tags, "'tags' must be a list of words");
    } else if (tags) {
        int n = pt_yd_len(tags);
        rig->tags = calloc((size_t)(n > 0 ? n : 1), sizeof(char *));
        for (int i = 0; i < n && rig->tags; i++) {
            yaml_node_t *t = pt_yd_item(y, tags, i);
            if (!pt_yd_scalar(t)) pt_yd_problem(y, t, "a tag must be a word");
            else rig->tags[rig->n_tags++] = dupstr(pt_yd_scalar(t));
        }
    }
    yaml_node_t *chain = pt_yd_get(y, root, "chain");
    if (!chain) pt_yd_problem(y, root, "missing 'chain' (the list of nodes)");
    else parse_chain(c, chain, &rig->chain, "the rig");
    seen_id *seen = NULL;
    int n = 0, cap = 0;
    check_ids(y, &rig->chain, &seen, &n, &cap);
    free(seen);
    yaml_node_t *scenes = pt_yd_get(y, root, "scenes");
    if (scenes) parse_scenes(c, scenes);
    yaml_node_t *midi = pt_yd_get(y, root, "midi");
    if (midi) rig->midi = pt_midi_map_parse(y->doc, midi, y->file, rig, y->diags);
}

static pt_rig *rig_new(const char *path, const char *dir)
{
    pt_rig *rig = calloc(1, sizeof *rig);
    if (!rig) return NULL;
    rig->path = dupstr(path);
    rig->dir = dupstr(dir);
    return rig;
}

static pt_rig *load_string(const char *text, size_t len, const char *path, const char *dir,
                           const pt_rig_confine *confine, pt_diags *diags)
{
    pt_rig *rig = rig_new(path, dir);
    if (!rig) return NULL;
    int before = diags->n;
    ctx c = {.y = {.file = path, .diags = diags}, .rig = rig, .confine = confine};
    yaml_document_t doc;
    if (pt_yd_load(&c.y, &doc, text, len, 1) != 0) {
        pt_rig_free(rig);
        return NULL;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root) pt_yd_report(&c.y, 1, 1, "the file is empty");
    else parse_rig(&c, root);
    yaml_document_delete(&doc);
    if (diags->n > before) {
        pt_rig_free(rig);
        return NULL;
    }
    return rig;
}

pt_rig *pt_rig_load_string(const char *text, size_t len, const char *path, const char *dir,
                           pt_diags *diags)
{
    return load_string(text, len, path, dir, NULL, diags);
}

pt_rig *pt_rig_load(const char *path, pt_diags *diags)
{
    return pt_rig_load_confined(path, NULL, diags);
}

pt_rig *pt_rig_load_confined(const char *path, const pt_rig_confine *confine, pt_diags *diags)
{
    size_t len;
    char *text = pt_yd_read_file(path, "a rig", &len, diags);
    if (!text) return NULL;
    char *tmp = strdup(path);
    char *dir = tmp ? dirname(tmp) : ".";
    pt_rig *rig = load_string(text, len, path, dir, confine, diags);
    free(tmp);
    free(text);
    return rig;
}

static void free_chain(pt_rig_chain *ch)
{
    if (!ch) return;
    for (int i = 0; i < ch->n; i++) {
        pt_rig_item *it = &ch->items[i];
        if (it->is_split) {
            for (int b = 0; b < it->n_branches; b++) {
                free_chain(it->branches[b].chain);
                free(it->branches[b].chain);
            }
            free(it->branches);
        } else {
            pt_rig_node *n = &it->node;
            for (int a = 0; n->type && a < n->type->n_assets; a++) {
                if (n->asset) free(n->asset[a]);
                if (n->asset_path) free(n->asset_path[a]);
            }
            free(n->asset);
            free(n->asset_path);
            free(n->state);
            free(n->values);
        }
    }
    free(ch->items);
}

void pt_rig_free(pt_rig *rig)
{
    if (!rig) return;
    free_chain(&rig->chain);
    for (int i = 0; i < rig->n_scenes; i++) free(rig->scenes[i].values);
    free(rig->scenes);
    for (int i = 0; i < rig->n_tags; i++) free(rig->tags[i]);
    free(rig->tags);
    free(rig->path);
    free(rig->dir);
    free(rig->name);
    free(rig->author);
    free(rig->notes);
    pt_midi_map_free(rig->midi);
    free(rig);
}

pt_rig *pt_rig_single(const char *type, const char *asset_name, const char *asset_path,
                      pt_error *err)
{
    const pt_node_type *t = pt_node_type_find(type);
    if (!t) {
        pt_error_set(err, PT_ERR_UNSUPPORTED, NULL, 0, 0, "node type '%s' is not built in", type);
        return NULL;
    }
    pt_rig *rig = rig_new("", ".");
    if (!rig) return NULL;
    rig->version = PT_RIG_VERSION;
    rig->name = dupstr(asset_path ? asset_path : type);
    rig->tempo_bpm = 120.0f;
    rig->chain.items = calloc(1, sizeof *rig->chain.items);
    if (!rig->chain.items) {
        pt_rig_free(rig);
        return NULL;
    }
    rig->chain.n = 1;
    pt_rig_node *n = &rig->chain.items[0].node;
    n->type = t;
    snprintf(n->id, sizeof n->id, "%s", type);
    if (t->n_assets) {
        n->asset = calloc((size_t)t->n_assets, sizeof(char *));
        n->asset_path = calloc((size_t)t->n_assets, sizeof(char *));
        for (int a = 0; a < t->n_assets && n->asset && asset_name; a++)
            if (!strcmp(t->assets[a].name, asset_name)) {
                n->asset[a] = dupstr(asset_path);
                n->asset_path[a] = dupstr(asset_path);
            }
    }
    return rig;
}

/* --------------------------------------------------------------- building */

/* A node's error about one of its files (a .nam of a newer format, an IR
 * that cannot be read) told from where the rig names the node: the rig's
 * file:line:col first, then the asset's own message. Returns the error code. */
static int in_rig(const pt_rig *rig, const pt_rig_node *rn, pt_error *err)
{
    if (!err) return PT_ERR;
    int code = err->code ? err->code : PT_ERR;
    if (!rig->path || !rig->path[0] || !strcmp(err->file, rig->path)) return code;
    char inner[sizeof err->file + sizeof err->msg + 4];
    if (err->file[0]) snprintf(inner, sizeof inner, "%s: %s", err->file, err->msg);
    else snprintf(inner, sizeof inner, "%s", err->msg);
    pt_error_set(err, code, rig->path, rn->line, rn->col, "node '%s' (%s): %s", rn->id, rn->type->name,
                 inner);
    return code;
}

static int build_chain(const pt_rig *rig, const pt_rig_chain *rc, pt_chain *out, pt_error *err)
{
    for (int i = 0; i < rc->n; i++) {
        const pt_rig_item *it = &rc->items[i];
        if (it->is_split) {
            pt_item *s = pt_chain_add_split(out, it->n_branches);
            if (!s) return pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
            snprintf(s->id, sizeof s->id, "%s", it->split_id);
            for (int b = 0; b < it->n_branches; b++) {
                s->branches[b].level_db = it->branches[b].level_db;
                s->branches[b].pan = it->branches[b].pan;
                if (it->branches[b].chain &&
                    build_chain(rig, it->branches[b].chain, s->branches[b].chain, err) != 0)
                    return PT_ERR;
            }
            continue;
        }
        const pt_rig_node *rn = &it->node;
        pt_node_config cfg = {.id = rn->id, .asset = (const char *const *)rn->asset_path,
                              .rig_file = rig->path, .line = rn->line, .col = rn->col,
                              .state = rn->state};
        pt_node *n = pt_node_create(rn->type, &cfg, err);
        if (!n) return in_rig(rig, rn, err);
        for (int v = 0; v < rn->n_values; v++)
            pt_node_set_param_now(n, rn->values[v].param, rn->values[v].value);
        n->control_bypass = rn->bypass;
        pt_item *ni = pt_chain_add_node(out, n);
        if (!ni) return pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
        ni->bypass = rn->bypass;
    }
    return 0;
}

static int add_level(pt_chain *c, const char *id, float gain_db, pt_error *err)
{
    pt_node_config cfg = {.id = id};
    pt_node *n = pt_node_create(pt_node_type_find("level"), &cfg, err);
    if (!n) return PT_ERR;
    pt_node_set_param_now(n, 0, gain_db);
    return pt_chain_add_node(c, n) ? 0 : PT_ERR;
}

pt_chain *pt_rig_build_chain(const pt_rig *rig, pt_error *err)
{
    pt_chain *c = pt_chain_new();
    if (!c) return NULL;
    /* The rig's input trim and output level are level nodes with reserved
     * ids at both ends, only where the rig asks for them. */
    if ((rig->input_trim_db != 0.0f && add_level(c, "rig-input", rig->input_trim_db, err) != 0) ||
        build_chain(rig, &rig->chain, c, err) != 0 ||
        (rig->output_level_db != 0.0f && add_level(c, "rig-output", rig->output_level_db, err) != 0)) {
        pt_chain_free(c);
        return NULL;
    }
    return c;
}

pt_program *pt_rig_build_program(const pt_rig *rig, double rate, int max_frames, pt_error *err)
{
    pt_chain *c = pt_rig_build_chain(rig, err);
    if (!c) return NULL;
    pt_program *p = pt_program_build(c, rate, max_frames, err);
    pt_chain_free(c);
    return p;
}

/* ------------------------------------------------------------- editing */

int pt_rig_node_set(pt_rig_node *n, int param, float value)
{
    for (int i = 0; i < n->n_values; i++)
        if (n->values[i].param == param) {
            n->values[i].value = value;
            return 0;
        }
    pt_rig_value *v = realloc(n->values, (size_t)(n->n_values + 1) * sizeof *v);
    if (!v) return PT_ERR_NOMEM;
    n->values = v;
    n->values[n->n_values++] = (pt_rig_value){.param = param, .value = value};
    return 0;
}

float pt_rig_node_get(const pt_rig_node *n, int param)
{
    for (int i = 0; i < n->n_values; i++)
        if (n->values[i].param == param) return n->values[i].value;
    return n->type->params[param].def;
}

/* ------------------------------------------------------------- setlists */

int pt_is_setlist(const char *path)
{
    /* only a regular file, and no more of it than a rig may hold: a FIFO or
     * /dev/zero under a rig's name must not stall the caller */
    FILE *f = pt_yd_open_regular(path, NULL);
    if (!f) return 0;
    char line[1024];
    int found = 0;
    long lines = 0;
    while (fgets(line, sizeof line, f) && ++lines < 200000)
        if (!strncmp(line, "rigs:", 5)) {
            found = 1;
            break;
        }
    fclose(f);
    return found;
}

void pt_setlist_free(pt_setlist *s)
{
    if (!s) return;
    for (int i = 0; i < s->n_rigs; i++) free(s->rigs[i]);
    free(s->rigs);
    free(s->path);
    free(s->name);
    free(s);
}

pt_setlist *pt_setlist_load(const char *path, pt_diags *diags)
{
    return pt_setlist_load_confined(path, NULL, diags);
}

pt_setlist *pt_setlist_load_confined(const char *path, const pt_rig_confine *confine,
                                     pt_diags *diags)
{
    int before = diags->n;
    size_t len;
    char *text = pt_yd_read_file(path, "a rig", &len, diags);
    if (!text) return NULL;
    pt_ydoc yd = {.file = path, .diags = diags}, *y = &yd;
    yaml_document_t doc;
    int rc = pt_yd_load(y, &doc, text, len, 0);
    free(text);
    pt_setlist *sl = rc ? NULL : calloc(1, sizeof *sl);
    if (!sl) {
        if (!rc) yaml_document_delete(&doc);
        return NULL;
    }
    char *tmp = strdup(path);
    const char *dir = tmp ? dirname(tmp) : ".";
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    sl->path = dupstr(path);
    if (!root || root->type != YAML_MAPPING_NODE) {
        pt_yd_problem(y, root, "a setlist must be a mapping with 'version', 'name' and 'rigs'");
    } else {
        static const char *const keys[] = {"version", "name", "rigs", "notes", "midi", NULL};
        pt_yd_check_keys(y, root, "a setlist", keys);
        yaml_node_t *v = pt_yd_get(y, root, "version");
        double ver;
        if (!v)
            pt_yd_problem(y, root, "missing 'version' (setlists use version %d)", PT_RIG_VERSION);
        else if (pt_yd_to_number(pt_yd_scalar(v), &ver) != 0 || ver != PT_RIG_VERSION)
            pt_yd_problem(y, v, "setlist version '%s' is not supported (this program reads %d)",
                          pt_yd_scalar(v) ? pt_yd_scalar(v) : "?", PT_RIG_VERSION);
        sl->name = pt_yd_get_string(y, root, "name");
        yaml_node_t *kr;
        yaml_node_t *rigs = pt_yd_get_key(y, root, "rigs", &kr);
        if (!rigs) {
            pt_yd_problem(y, root, "missing 'rigs' (a list of rig files)");
        } else if (rigs->type != YAML_SEQUENCE_NODE) {
            pt_yd_problem(y, rigs, "'rigs' must be a list of rig files");
        } else {
            int n = pt_yd_len(rigs);
            if (n == 0) pt_yd_problem(y, kr, "the setlist has no rigs");
            if (n > PT_SETLIST_MAX_RIGS) {
                pt_yd_problem(y, kr, "the setlist has %d rigs; at most %d are allowed", n,
                              PT_SETLIST_MAX_RIGS);
                n = 0;
            }
            sl->rigs = calloc((size_t)(n > 0 ? n : 1), sizeof(char *));
            for (int i = 0; i < n && sl->rigs; i++) {
                yaml_node_t *r = pt_yd_item(y, rigs, i);
                if (!pt_yd_scalar(r) || !pt_yd_scalar(r)[0]) {
                    pt_yd_problem(y, r, "a setlist entry must be a rig file path");
                    continue;
                }
                char *full = resolve(dir, pt_yd_scalar(r));
                struct stat st;
                if (full && confine && confine->allows && !confine->allows(confine->user, full)) {
                    pt_yd_problem(y, r, "rig file '%s' " NOT_IN_LIBRARY, pt_yd_scalar(r));
                    free(full);
                    continue;
                }
                if (!full || stat(full, &st) != 0 || !S_ISREG(st.st_mode)) {
                    pt_yd_problem(y, r, "rig file '%s' not found (looked for %s)", pt_yd_scalar(r),
                                  full ? full : "?");
                    free(full);
                    continue;
                }
                sl->rigs[sl->n_rigs++] = full;
            }
        }
    }
    if (!sl->name) sl->name = dupstr("");
    yaml_document_delete(&doc);
    free(tmp);
    if (diags->n > before) {
        pt_setlist_free(sl);
        return NULL;
    }
    return sl;
}
