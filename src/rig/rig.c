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

#include "yaml_guard.h"
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
    pt_error *e = &d->items[d->n++];
    memset(e, 0, sizeof *e);
    e->code = PT_ERR_INVALID;
    snprintf(e->file, sizeof e->file, "%s", file ? file : "");
    e->line = line;
    e->col = col;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
}

void pt_diags_print(const pt_diags *d, FILE *out)
{
    for (int i = 0; i < d->n; i++) pt_error_print(&d->items[i], out);
}

/* ------------------------------------------------------------ YAML access */

typedef struct ctx {
    yaml_document_t *doc;
    const char *file;
    pt_diags *diags;
    pt_rig *rig;
    int depth;
} ctx;

#define LINE(n) ((int)(n)->start_mark.line + 1)
#define COL(n) ((int)(n)->start_mark.column + 1)
#define MAX_DEPTH 32

static void problem(ctx *c, yaml_node_t *at, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static void problem(ctx *c, yaml_node_t *at, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pt_diags_add(c->diags, c->file, at ? LINE(at) : 0, at ? COL(at) : 0, "%s", msg);
}

static yaml_node_t *node_at(ctx *c, int index) { return yaml_document_get_node(c->doc, index); }

static const char *scalar(yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static const char *kind_name(yaml_node_t *n)
{
    if (!n) return "nothing";
    switch (n->type) {
    case YAML_SCALAR_NODE: return "a value";
    case YAML_SEQUENCE_NODE: return "a list";
    case YAML_MAPPING_NODE: return "a mapping";
    default: return "nothing";
    }
}

/* Parse a number; returns 0 on success. Accepts YAML's plain numbers. */
static int to_number(const char *s, double *out)
{
    if (!s || !*s) return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

static int to_bool(const char *s, int *out)
{
    if (!s) return -1;
    if (!strcmp(s, "true") || !strcmp(s, "on") || !strcmp(s, "yes")) return *out = 1, 0;
    if (!strcmp(s, "false") || !strcmp(s, "off") || !strcmp(s, "no")) return *out = 0, 0;
    return -1;
}

static char *dupstr(const char *s) { return strdup(s ? s : ""); }

/* Check a mapping's keys against the allowed ones; report the others. */
static void check_keys(ctx *c, yaml_node_t *map, const char *what, const char *const *allowed)
{
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node_at(c, p->key);
        const char *key = scalar(k);
        int ok = 0;
        for (int i = 0; key && allowed[i]; i++)
            if (!strcmp(key, allowed[i])) ok = 1;
        if (!ok) {
            char list[512] = "";
            for (int i = 0; allowed[i]; i++) {
                strncat(list, allowed[i], sizeof list - strlen(list) - 3);
                if (allowed[i + 1]) strncat(list, ", ", sizeof list - strlen(list) - 1);
            }
            problem(c, k, "unknown key '%s' in %s (known: %s)", key ? key : "?", what, list);
        }
    }
}

static yaml_node_t *get(ctx *c, yaml_node_t *map, const char *key, yaml_node_t **key_node)
{
    if (!map || map->type != YAML_MAPPING_NODE) return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node_at(c, p->key);
        const char *s = scalar(k);
        if (s && !strcmp(s, key)) {
            if (key_node) *key_node = k;
            return node_at(c, p->value);
        }
    }
    return NULL;
}

static int get_number(ctx *c, yaml_node_t *map, const char *key, float lo, float hi,
                      const char *unit, float *out)
{
    yaml_node_t *v = get(c, map, key, NULL);
    if (!v) return 0;
    double d;
    if (to_number(scalar(v), &d) != 0) {
        problem(c, v, "'%s' must be a number, not %s", key, scalar(v) ? scalar(v) : kind_name(v));
        return -1;
    }
    if (d < lo || d > hi) {
        problem(c, v, "'%s' = %g is out of range %g .. %g%s%s", key, d, (double)lo, (double)hi,
                unit[0] ? " " : "", unit);
        return -1;
    }
    *out = (float)d;
    return 0;
}

static char *get_string(ctx *c, yaml_node_t *map, const char *key)
{
    yaml_node_t *v = get(c, map, key, NULL);
    if (!v) return NULL;
    if (!scalar(v)) {
        problem(c, v, "'%s' must be text, not %s", key, kind_name(v));
        return NULL;
    }
    return dupstr(scalar(v));
}

/* ---------------------------------------------------------------- graph */

static void parse_chain(ctx *c, yaml_node_t *seq, pt_rig_chain *out, const char *where);

static int id_ok(const char *id)
{
    if (!id[0] || strlen(id) >= PT_ID_MAX) return 0;
    for (const char *p = id; *p; p++)
        if (!(isalnum((unsigned char)*p) || *p == '_' || *p == '-')) return 0;
    return 1;
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
static int param_value(ctx *c, const pt_param_def *def, yaml_node_t *v, const char *node_id,
                       float *out)
{
    const char *s = scalar(v);
    if (!s) {
        problem(c, v, "%s.%s must be a value, not %s", node_id, def->name, kind_name(v));
        return -1;
    }
    double d;
    int b;
    if (def->taper == PT_TAPER_ENUM) {
        int i = pt_param_choice_index(def, s);
        if (i >= 0) return *out = (float)i, 0;
        if (to_number(s, &d) == 0 && d == floor(d) && d >= def->min && d <= def->max)
            return *out = (float)d, 0;
        char list[512] = "";
        for (int k = 0; def->choices && def->choices[k]; k++) {
            strncat(list, def->choices[k], sizeof list - strlen(list) - 3);
            if (def->choices[k + 1]) strncat(list, ", ", sizeof list - strlen(list) - 1);
        }
        problem(c, v, "%s.%s: '%s' is not one of %s", node_id, def->name, s, list);
        return -1;
    }
    if (def->taper == PT_TAPER_TOGGLE && to_bool(s, &b) == 0) return *out = (float)b, 0;
    if (to_number(s, &d) != 0) {
        problem(c, v, "%s.%s must be a number, not '%s'", node_id, def->name, s);
        return -1;
    }
    if (d < def->min || d > def->max) {
        problem(c, v, "%s.%s = %g is out of range %g .. %g%s%s", node_id, def->name, d,
                (double)def->min, (double)def->max, def->unit[0] ? " " : "", def->unit);
        return -1;
    }
    *out = (float)d;
    return 0;
}

static void parse_node(ctx *c, yaml_node_t *m, pt_rig_node *n)
{
    n->line = LINE(m);
    n->col = COL(m);
    yaml_node_t *kid, *ktype;
    yaml_node_t *vid = get(c, m, "id", &kid);
    yaml_node_t *vtype = get(c, m, "type", &ktype);
    if (!vtype) {
        problem(c, m, "a node needs a 'type'");
    } else if (!scalar(vtype)) {
        problem(c, vtype, "'type' must be a node type name, not %s", kind_name(vtype));
    } else {
        n->type = pt_node_type_find(scalar(vtype));
        if (!n->type)
            problem(c, vtype, "unknown node type '%s' (did you mean '%s'?)", scalar(vtype),
                    pt_node_type_nearest(scalar(vtype)));
    }
    if (!vid) {
        problem(c, m, "a node needs an 'id'");
    } else if (!scalar(vid) || !id_ok(scalar(vid))) {
        problem(c, vid, "node id must be letters, digits, '_' or '-' (at most %d), not '%s'",
                PT_ID_MAX - 1, scalar(vid) ? scalar(vid) : kind_name(vid));
    } else {
        snprintf(n->id, sizeof n->id, "%s", scalar(vid));
    }
    yaml_node_t *vb = get(c, m, "bypass", NULL);
    if (vb && to_bool(scalar(vb), &n->bypass) != 0)
        problem(c, vb, "'bypass' must be true or false");
    if (!n->type) return;

    /* keys: id, type, bypass, params, and the type's assets */
    for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node_at(c, p->key);
        const char *key = scalar(k);
        if (!key) continue;
        if (!strcmp(key, "id") || !strcmp(key, "type") || !strcmp(key, "bypass") ||
            !strcmp(key, "params"))
            continue;
        int a;
        for (a = 0; a < n->type->n_assets; a++)
            if (!strcmp(key, n->type->assets[a].name)) break;
        if (a == n->type->n_assets)
            problem(c, k, "unknown key '%s' in node '%s' (%s takes id, type, bypass, params%s%s)",
                    key, n->id, n->type->name, n->type->n_assets ? ", " : "",
                    n->type->n_assets ? n->type->assets[0].name : "");
    }
    if (n->type->n_assets) {
        n->asset = calloc((size_t)n->type->n_assets, sizeof(char *));
        n->asset_path = calloc((size_t)n->type->n_assets, sizeof(char *));
        for (int a = 0; a < n->type->n_assets && n->asset; a++) {
            yaml_node_t *v = get(c, m, n->type->assets[a].name, NULL);
            if (!v) {
                if (n->type->assets[a].required)
                    problem(c, m, "node '%s' (%s) needs '%s': %s", n->id, n->type->name,
                            n->type->assets[a].name, n->type->assets[a].doc);
                continue;
            }
            if (!scalar(v) || !scalar(v)[0]) {
                problem(c, v, "'%s' must be a file path", n->type->assets[a].name);
                continue;
            }
            n->asset[a] = dupstr(scalar(v));
            n->asset_path[a] = resolve(c->rig->dir, scalar(v));
            struct stat st;
            if (n->asset_path[a] && (stat(n->asset_path[a], &st) != 0 || S_ISDIR(st.st_mode)))
                problem(c, v, "%s file '%s' not found (looked for %s)", n->type->assets[a].name,
                        scalar(v), n->asset_path[a]);
        }
    }
    yaml_node_t *params = get(c, m, "params", NULL);
    if (params && params->type != YAML_MAPPING_NODE) {
        problem(c, params, "'params' must be a mapping of name: value, not %s", kind_name(params));
        params = NULL;
    }
    if (params) {
        int cap = (int)(params->data.mapping.pairs.top - params->data.mapping.pairs.start);
        n->values = calloc((size_t)(cap > 0 ? cap : 1), sizeof *n->values);
        for (yaml_node_pair_t *p = params->data.mapping.pairs.start;
             p < params->data.mapping.pairs.top && n->values; p++) {
            yaml_node_t *k = node_at(c, p->key), *v = node_at(c, p->value);
            const char *key = scalar(k);
            int pi = key ? pt_param_index(n->type, key) : -1;
            if (pi < 0) {
                char list[512] = "";
                for (int i = 0; i < n->type->n_params; i++) {
                    strncat(list, n->type->params[i].name, sizeof list - strlen(list) - 3);
                    if (i + 1 < n->type->n_params) strncat(list, ", ", sizeof list - strlen(list) - 1);
                }
                problem(c, k, "unknown parameter '%s' for node '%s' (%s has: %s)", key ? key : "?",
                        n->id, n->type->name, n->type->n_params ? list : "no parameters");
                continue;
            }
            float val;
            if (param_value(c, &n->type->params[pi], v, n->id, &val) != 0) continue;
            pt_rig_value *rv = &n->values[n->n_values++];
            rv->param = pi;
            rv->value = val;
            rv->line = LINE(v);
            rv->col = COL(v);
        }
    }
}

static void parse_split(ctx *c, yaml_node_t *split_key, yaml_node_t *s, pt_rig_item *it)
{
    static const char *const keys[] = {"id", "branches", NULL};
    it->is_split = 1;
    if (!s || s->type != YAML_MAPPING_NODE) {
        problem(c, s ? s : split_key, "'split' must be a mapping with 'branches'");
        return;
    }
    check_keys(c, s, "a split", keys);
    char *id = get_string(c, s, "id");
    if (id) {
        if (!id_ok(id)) problem(c, get(c, s, "id", NULL), "split id '%s' is not a valid id", id);
        snprintf(it->split_id, sizeof it->split_id, "%s", id);
        free(id);
    }
    yaml_node_t *kb;
    yaml_node_t *b = get(c, s, "branches", &kb);
    if (!b) {
        problem(c, s, "a split needs 'branches'");
        return;
    }
    if (b->type != YAML_SEQUENCE_NODE) {
        problem(c, b, "'branches' must be a list, not %s", kind_name(b));
        return;
    }
    int nb = (int)(b->data.sequence.items.top - b->data.sequence.items.start);
    if (nb == 0) {
        problem(c, kb, "a split with no branch (give it at least one under 'branches')");
        return;
    }
    it->branches = calloc((size_t)nb, sizeof *it->branches);
    if (!it->branches) return;
    it->n_branches = nb;
    for (int i = 0; i < nb; i++) {
        yaml_node_t *br = node_at(c, b->data.sequence.items.start[i]);
        pt_rig_branch *pb = &it->branches[i];
        pb->chain = calloc(1, sizeof *pb->chain);
        if (!br || br->type != YAML_MAPPING_NODE) {
            problem(c, br, "a branch must be a mapping with 'chain' (and optional level_db, pan)");
            continue;
        }
        static const char *const bkeys[] = {"chain", "level_db", "pan", NULL};
        check_keys(c, br, "a branch", bkeys);
        get_number(c, br, "level_db", -96.0f, 24.0f, "dB", &pb->level_db);
        get_number(c, br, "pan", -1.0f, 1.0f, "", &pb->pan);
        yaml_node_t *ch = get(c, br, "chain", NULL);
        if (!ch) {
            problem(c, br, "a branch needs a 'chain' (use [] for a dry branch)");
            continue;
        }
        if (pb->chain) parse_chain(c, ch, pb->chain, "a branch");
    }
}

static void parse_chain(ctx *c, yaml_node_t *seq, pt_rig_chain *out, const char *where)
{
    if (++c->depth > MAX_DEPTH) {
        problem(c, seq, "splits are nested more than %d deep", MAX_DEPTH);
        c->depth--;
        return;
    }
    if (seq->type != YAML_SEQUENCE_NODE) {
        problem(c, seq, "the chain of %s must be a list, not %s", where, kind_name(seq));
        c->depth--;
        return;
    }
    int n = (int)(seq->data.sequence.items.top - seq->data.sequence.items.start);
    out->items = calloc((size_t)(n > 0 ? n : 1), sizeof *out->items);
    if (!out->items) {
        c->depth--;
        return;
    }
    for (int i = 0; i < n; i++) {
        yaml_node_t *m = node_at(c, seq->data.sequence.items.start[i]);
        pt_rig_item *it = &out->items[out->n++];
        it->line = LINE(m);
        it->col = COL(m);
        if (m->type != YAML_MAPPING_NODE) {
            problem(c, m, "a chain entry must be a node (id, type, params) or a split, not %s",
                    kind_name(m));
            continue;
        }
        yaml_node_t *ks;
        yaml_node_t *s = get(c, m, "split", &ks);
        if (s) {
            static const char *const keys[] = {"split", NULL};
            check_keys(c, m, "a split entry", keys);
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

static void check_ids(ctx *c, const pt_rig_chain *ch, seen_id **seen, int *n, int *cap)
{
    for (int i = 0; i < ch->n; i++) {
        const pt_rig_item *it = &ch->items[i];
        const char *id = it->is_split ? it->split_id : it->node.id;
        int line = it->is_split ? it->line : it->node.line, col = it->is_split ? it->col : it->node.col;
        if (id[0]) {
            for (int k = 0; k < *n; k++)
                if (!strcmp((*seen)[k].id, id)) {
                    pt_diags_add(c->diags, c->file, line, col,
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
                if (it->branches[b].chain) check_ids(c, it->branches[b].chain, seen, n, cap);
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
    pt_rig *rig = c->rig;
    if (seq->type != YAML_SEQUENCE_NODE) {
        problem(c, seq, "'scenes' must be a list, not %s", kind_name(seq));
        return;
    }
    int n = (int)(seq->data.sequence.items.top - seq->data.sequence.items.start);
    rig->scenes = calloc((size_t)(n > 0 ? n : 1), sizeof *rig->scenes);
    if (!rig->scenes) return;
    for (int i = 0; i < n; i++) {
        yaml_node_t *m = node_at(c, seq->data.sequence.items.start[i]);
        if (m->type != YAML_MAPPING_NODE) {
            problem(c, m, "a scene must be a mapping with 'name', 'params' and 'bypass'");
            continue;
        }
        static const char *const keys[] = {"name", "params", "bypass", NULL};
        check_keys(c, m, "a scene", keys);
        pt_scene *sc = &rig->scenes[rig->n_scenes++];
        char *name = get_string(c, m, "name");
        if (!name || !name[0]) problem(c, m, "a scene needs a 'name'");
        snprintf(sc->name, sizeof sc->name, "%s", name ? name : "");
        for (int k = 0; k < rig->n_scenes - 1; k++)
            if (name && !strcmp(rig->scenes[k].name, name))
                problem(c, get(c, m, "name", NULL), "duplicate scene name '%s'", name);
        free(name);
        yaml_node_t *params = get(c, m, "params", NULL), *bypass = get(c, m, "bypass", NULL);
        int cap = 0;
        if (params && params->type == YAML_MAPPING_NODE)
            cap += (int)(params->data.mapping.pairs.top - params->data.mapping.pairs.start);
        else if (params)
            problem(c, params, "scene 'params' must be a mapping of node.param: value");
        if (bypass && bypass->type == YAML_MAPPING_NODE)
            cap += (int)(bypass->data.mapping.pairs.top - bypass->data.mapping.pairs.start);
        else if (bypass)
            problem(c, bypass, "scene 'bypass' must be a mapping of node: true/false");
        sc->values = calloc((size_t)(cap > 0 ? cap : 1), sizeof *sc->values);
        if (!sc->values) continue;
        if (params && params->type == YAML_MAPPING_NODE) {
            for (yaml_node_pair_t *p = params->data.mapping.pairs.start;
                 p < params->data.mapping.pairs.top; p++) {
                yaml_node_t *k = node_at(c, p->key), *v = node_at(c, p->value);
                const char *key = scalar(k);
                const char *dot = key ? strchr(key, '.') : NULL;
                if (!dot) {
                    problem(c, k, "scene parameter '%s' must be written node.param",
                            key ? key : "?");
                    continue;
                }
                char nid[PT_ID_MAX];
                snprintf(nid, sizeof nid, "%.*s", (int)(dot - key), key);
                pt_rig_node *rn = pt_rig_find_node(rig, nid);
                if (!rn) {
                    problem(c, k, "scene '%s' names node '%s', which is not in the chain",
                            sc->name, nid);
                    continue;
                }
                if (!rn->type) continue;
                int pi = pt_param_index(rn->type, dot + 1);
                if (pi < 0) {
                    problem(c, k, "unknown parameter '%s' for node '%s' (%s)", dot + 1, nid,
                            rn->type->name);
                    continue;
                }
                float val;
                if (param_value(c, &rn->type->params[pi], v, nid, &val) != 0) continue;
                pt_scene_value *sv = &sc->values[sc->n_values++];
                snprintf(sv->node, sizeof sv->node, "%s", nid);
                sv->param = pi;
                sv->value = val;
            }
        }
        if (bypass && bypass->type == YAML_MAPPING_NODE) {
            for (yaml_node_pair_t *p = bypass->data.mapping.pairs.start;
                 p < bypass->data.mapping.pairs.top; p++) {
                yaml_node_t *k = node_at(c, p->key), *v = node_at(c, p->value);
                const char *key = scalar(k);
                int b;
                if (!key || !pt_rig_find_node(rig, key)) {
                    problem(c, k, "scene '%s' bypasses node '%s', which is not in the chain",
                            sc->name, key ? key : "?");
                    continue;
                }
                if (to_bool(scalar(v), &b) != 0) {
                    problem(c, v, "bypass of '%s' must be true or false", key);
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
    pt_rig *rig = c->rig;
    if (!root || root->type != YAML_MAPPING_NODE) {
        problem(c, root, "a rig file must be a mapping with 'version', 'name' and 'chain'");
        return;
    }
    yaml_node_t *kv;
    yaml_node_t *v = get(c, root, "version", &kv);
    double ver;
    if (!v) {
        problem(c, root, "missing 'version' (this program writes version %d)", PT_RIG_VERSION);
        return;
    }
    if (to_number(scalar(v), &ver) != 0 || ver != floor(ver) || ver < 0) {
        problem(c, v, "'version' must be a whole number, not '%s'", scalar(v) ? scalar(v) : "?");
        return;
    }
    rig->version = (int)ver;
    if (rig->version > PT_RIG_VERSION) {
        problem(c, v, "rig version %d is newer than this program understands (%d); update PyTone",
                rig->version, PT_RIG_VERSION);
        return;
    }
    while (ver < PT_RIG_VERSION) {
        /* older files go through the explicit migrations, one version at a time */
        if (pt_rig_migrate(c->doc, (int)ver) != 0) {
            problem(c, v, "rig version %d cannot be migrated (this program reads %d)", (int)ver,
                    PT_RIG_VERSION);
            return;
        }
        ver += 1;
        root = yaml_document_get_root_node(c->doc);
    }
    static const char *const keys[] = {"version",       "name",   "author",          "tags",
                                       "tempo_bpm",     "notes",  "input_trim_db",   "output_level_db",
                                       "chain",         "scenes", "midi",          NULL};
    check_keys(c, root, "a rig", keys);
    rig->name = get_string(c, root, "name");
    if (!rig->name) {
        problem(c, root, "missing 'name'");
        rig->name = dupstr("");
    }
    rig->author = get_string(c, root, "author");
    rig->notes = get_string(c, root, "notes");
    rig->tempo_bpm = 120.0f;
    get_number(c, root, "tempo_bpm", 20.0f, 400.0f, "BPM", &rig->tempo_bpm);
    get_number(c, root, "input_trim_db", -60.0f, 24.0f, "dB", &rig->input_trim_db);
    get_number(c, root, "output_level_db", -60.0f, 24.0f, "dB", &rig->output_level_db);
    yaml_node_t *tags = get(c, root, "tags", NULL);
    if (tags && tags->type != YAML_SEQUENCE_NODE) {
        problem(c, tags, "'tags' must be a list of words");
    } else if (tags) {
        int n = (int)(tags->data.sequence.items.top - tags->data.sequence.items.start);
        rig->tags = calloc((size_t)(n > 0 ? n : 1), sizeof(char *));
        for (int i = 0; i < n && rig->tags; i++) {
            yaml_node_t *t = node_at(c, tags->data.sequence.items.start[i]);
            if (!scalar(t)) problem(c, t, "a tag must be a word");
            else rig->tags[rig->n_tags++] = dupstr(scalar(t));
        }
    }
    yaml_node_t *kc;
    yaml_node_t *chain = get(c, root, "chain", &kc);
    if (!chain) problem(c, root, "missing 'chain' (the list of nodes)");
    else parse_chain(c, chain, &rig->chain, "the rig");
    seen_id *seen = NULL;
    int n = 0, cap = 0;
    check_ids(c, &rig->chain, &seen, &n, &cap);
    free(seen);
    yaml_node_t *scenes = get(c, root, "scenes", NULL);
    if (scenes) parse_scenes(c, scenes);
    yaml_node_t *midi = get(c, root, "midi", NULL);
    if (midi) rig->midi = pt_midi_map_parse(c->doc, midi, c->file, rig, c->diags);
}

static pt_rig *rig_new(const char *path, const char *dir)
{
    pt_rig *rig = calloc(1, sizeof *rig);
    if (!rig) return NULL;
    rig->path = dupstr(path);
    rig->dir = dupstr(dir);
    return rig;
}

pt_rig *pt_rig_load_string(const char *text, size_t len, const char *path, const char *dir,
                           pt_diags *diags)
{
    pt_rig *rig = rig_new(path, dir);
    if (!rig) return NULL;
    int before = diags->n;
    if (pt_yaml_precheck(text, len, path, diags) != 0) {
        pt_rig_free(rig);
        return NULL;
    }
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        pt_diags_add(diags, path, (int)parser.problem_mark.line + 1,
                     (int)parser.problem_mark.column + 1, "YAML: %s%s%s",
                     parser.problem ? parser.problem : "syntax error",
                     parser.context ? " " : "", parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        pt_rig_free(rig);
        return NULL;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    ctx c = {.doc = &doc, .file = path, .diags = diags, .rig = rig};
    if (!root) pt_diags_add(diags, path, 1, 1, "the file is empty");
    else parse_rig(&c, root);
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    if (diags->n > before) {
        pt_rig_free(rig);
        return NULL;
    }
    return rig;
}

/* Read a whole file, refusing absurd sizes. */
static char *slurp(const char *path, size_t *len, pt_diags *diags)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        pt_diags_add(diags, path, 0, 0, "cannot open: %s", strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || S_ISDIR(st.st_mode)) {
        fclose(f);
        pt_diags_add(diags, path, 0, 0, "is not a file");
        return NULL;
    }
    if (st.st_size > 4 * 1024 * 1024) {
        fclose(f);
        pt_diags_add(diags, path, 0, 0, "is too large for a rig (%lld bytes; at most 4 MiB)",
                     (long long)st.st_size);
        return NULL;
    }
    char *buf = malloc((size_t)st.st_size + 1);
    size_t n = buf ? fread(buf, 1, (size_t)st.st_size, f) : 0;
    fclose(f);
    if (!buf) return NULL;
    buf[n] = 0;
    *len = n;
    return buf;
}

pt_rig *pt_rig_load(const char *path, pt_diags *diags)
{
    size_t len;
    char *text = slurp(path, &len, diags);
    if (!text) return NULL;
    char *tmp = strdup(path);
    char *dir = tmp ? dirname(tmp) : ".";
    pt_rig *rig = pt_rig_load_string(text, len, path, dir, diags);
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
                              .rig_file = rig->path, .line = rn->line, .col = rn->col};
        pt_node *n = pt_node_create(rn->type, &cfg, err);
        if (!n) return PT_ERR;
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
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char line[1024];
    int found = 0;
    while (fgets(line, sizeof line, f))
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
    int before = diags->n;
    size_t len;
    char *text = slurp(path, &len, diags);
    if (!text) return NULL;
    if (pt_yaml_precheck(text, len, path, diags) != 0) {
        free(text);
        return NULL;
    }
    pt_setlist *sl = calloc(1, sizeof *sl);
    char *tmp = strdup(path);
    const char *dir = tmp ? dirname(tmp) : ".";
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!sl || !yaml_parser_load(&parser, &doc)) {
        pt_diags_add(diags, path, (int)parser.problem_mark.line + 1, (int)parser.problem_mark.column + 1,
                     "YAML: %s", parser.problem ? parser.problem : "syntax error");
        yaml_parser_delete(&parser);
        free(text), free(tmp);
        pt_setlist_free(sl);
        return NULL;
    }
    ctx c = {.doc = &doc, .file = path, .diags = diags};
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    sl->path = dupstr(path);
    if (!root || root->type != YAML_MAPPING_NODE) {
        problem(&c, root, "a setlist must be a mapping with 'version', 'name' and 'rigs'");
    } else {
        static const char *const keys[] = {"version", "name", "rigs", "notes", "midi", NULL};
        check_keys(&c, root, "a setlist", keys);
        yaml_node_t *v = get(&c, root, "version", NULL);
        double ver;
        if (!v) problem(&c, root, "missing 'version' (setlists use version %d)", PT_RIG_VERSION);
        else if (to_number(scalar(v), &ver) != 0 || ver != PT_RIG_VERSION)
            problem(&c, v, "setlist version '%s' is not supported (this program reads %d)",
                    scalar(v) ? scalar(v) : "?", PT_RIG_VERSION);
        sl->name = get_string(&c, root, "name");
        yaml_node_t *kr;
        yaml_node_t *rigs = get(&c, root, "rigs", &kr);
        if (!rigs) {
            problem(&c, root, "missing 'rigs' (a list of rig files)");
        } else if (rigs->type != YAML_SEQUENCE_NODE) {
            problem(&c, rigs, "'rigs' must be a list of rig files");
        } else {
            int n = (int)(rigs->data.sequence.items.top - rigs->data.sequence.items.start);
            if (n == 0) problem(&c, kr, "the setlist has no rigs");
            sl->rigs = calloc((size_t)(n > 0 ? n : 1), sizeof(char *));
            for (int i = 0; i < n && sl->rigs; i++) {
                yaml_node_t *r = node_at(&c, rigs->data.sequence.items.start[i]);
                if (!scalar(r) || !scalar(r)[0]) {
                    problem(&c, r, "a setlist entry must be a rig file path");
                    continue;
                }
                char *full = resolve(dir, scalar(r));
                struct stat st;
                if (!full || stat(full, &st) != 0 || S_ISDIR(st.st_mode)) {
                    problem(&c, r, "rig file '%s' not found (looked for %s)", scalar(r), full ? full : "?");
                    free(full);
                    continue;
                }
                sl->rigs[sl->n_rigs++] = full;
            }
        }
    }
    if (!sl->name) sl->name = dupstr("");
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    free(text);
    free(tmp);
    if (diags->n > before) {
        pt_setlist_free(sl);
        return NULL;
    }
    return sl;
}
