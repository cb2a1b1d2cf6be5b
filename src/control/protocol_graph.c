/* protocol_graph.c — the commands that edit the rig's graph and read or
 * set its values: parameters, bypass, nodes and their assets, splits and
 * branches, moves, scenes.
 */
#include "protocol_internal.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ node types */

typedef struct type_query {
    const char *node;
    const pt_node_type *type;
} type_query;

static int find_type(pt_rig *rig, void *user)
{
    type_query *q = user;
    pt_rig_node *n = pt_rig_find_node(rig, q->node);
    q->type = n ? n->type : NULL;
    return 0;
}

/* The node's own type: an LV2 or Faust node's is specialized (node.h), so
 * it is read from the rig, not looked up by name. Types live for the
 * process, so the pointer outlives the session's lock. */
static const pt_node_type *node_type_of(pt_session *s, const char *node)
{
    type_query q = {node, NULL};
    pt_session_with_rig(s, find_type, &q);
    return q.type;
}

static void list_params(const pt_node_type *t, char *buf, size_t size)
{
    buf[0] = 0;
    for (int i = 0; i < t->n_params; i++) {
        strncat(buf, t->params[i].name, size - strlen(buf) - 3);
        if (i + 1 < t->n_params) strncat(buf, ", ", size - strlen(buf) - 1);
    }
}

static void list_choices(const pt_param_def *d, char *buf, size_t size)
{
    buf[0] = 0;
    for (int k = 0; d->choices && d->choices[k]; k++) {
        strncat(buf, d->choices[k], size - strlen(buf) - 3);
        if (d->choices[k + 1]) strncat(buf, ", ", size - strlen(buf) - 1);
    }
}

/* ------------------------------------------------------------ commands */

/* The value of set_param: a number in the parameter's range, an enum choice
 * by name, or true/false for a toggle. */
static int param_value(req *r, const char *node, const char *param, float *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(r->msg, "value");
    if (!v) return fail(r, "set_param: 'value' is missing");
    if (!cJSON_IsNumber(v) && !cJSON_IsString(v) && !cJSON_IsBool(v))
        return fail(r, "set_param: 'value' must be a number, a choice name or true/false, not %s",
                    json_kind(v));
    const pt_node_type *t = node_type_of(r->s, node);
    const pt_param_def *d = NULL;
    if (t) {
        int pi = pt_param_index(t, param);
        if (pi < 0) {
            char list[512];
            list_params(t, list, sizeof list);
            return fail(r, "node '%s' has no parameter '%s' (%s has: %s)", node, param, t->name,
                        t->n_params ? list : "no parameters");
        }
        d = &t->params[pi];
    }
    if (cJSON_IsNumber(v)) {
        double x = v->valuedouble;
        if (!isfinite(x)) return fail(r, "set_param: 'value' must be a finite number");
        if (fabs(x) > 1e9) return fail(r, "set_param: 'value' = %g is out of range", x);
        if (d && (x < d->min || x > d->max))
            return fail(r, "%s.%s = %g is out of range %g .. %g%s%s", node, param, x,
                        (double)d->min, (double)d->max, d->unit[0] ? " " : "", d->unit);
        if (d && (d->taper == PT_TAPER_ENUM || d->taper == PT_TAPER_TOGGLE) && x != floor(x))
            return fail(r, "%s.%s takes a whole number (or a choice name)", node, param);
        *out = (float)x;
        return 0;
    }
    if (!d) return fail(r, "set_param: node '%s' not found for a named value", node);
    if (cJSON_IsBool(v)) {
        if (d->taper != PT_TAPER_TOGGLE)
            return fail(r, "%s.%s is not a switch; give a number", node, param);
        *out = cJSON_IsTrue(v) ? 1.0f : 0.0f;
        return 0;
    }
    const char *s = v->valuestring;
    if (d->taper != PT_TAPER_ENUM)
        return fail(r, "%s.%s takes a number, not a string", node, param);
    int ci = strnlen(s, 256) < 256 ? pt_param_choice_index(d, s) : -1;
    if (ci < 0) {
        char list[512];
        list_choices(d, list, sizeof list);
        return fail(r, "%s.%s: '%.64s' is not one of %s", node, param, s, list);
    }
    *out = (float)ci;
    return 0;
}

int cmd_set_param(req *r)
{
    bool bad;
    const char *node = get_str(r, r->msg, "node", STR_ID, true, &bad);
    if (bad) return -1;
    const char *param = get_str(r, r->msg, "param", STR_ID, true, &bad);
    if (bad) return -1;
    float value = 0;
    if (param_value(r, node, param, &value)) return -1;
    pt_error err = {0};
    if (pt_session_set_param(r->s, node, param, value, &err)) return fail_err(r, &err);
    return 0;
}

int cmd_get_param(req *r)
{
    bool bad;
    const char *node = get_str(r, r->msg, "node", STR_ID, true, &bad);
    if (bad) return -1;
    const char *param = get_str(r, r->msg, "param", STR_ID, true, &bad);
    if (bad) return -1;
    float value = 0;
    pt_error err = {0};
    if (pt_session_get_param(r->s, node, param, &value, &err)) return fail_err(r, &err);
    cJSON_AddNumberToObject(r->reply, "value", value);
    const pt_node_type *t = node_type_of(r->s, node);
    int pi = t ? pt_param_index(t, param) : -1;
    if (pi >= 0 && t->params[pi].taper == PT_TAPER_ENUM && t->params[pi].choices) {
        int k = (int)value, n = 0;
        while (t->params[pi].choices[n]) n++;
        if (k >= 0 && k < n) cJSON_AddStringToObject(r->reply, "choice", t->params[pi].choices[k]);
    }
    return 0;
}

/* A node's magnitude response as the engine computes it (the EQ picture). */
int cmd_eq_response(req *r)
{
    bool bad;
    const char *node = get_str(r, r->msg, "node", STR_ID, true, &bad);
    if (bad) return -1;
    double points = 200;
    if (get_num(r, r->msg, "points", 16, 1024, true, false, &points) < 0) return -1;
    int n = (int)points;
    double *f = malloc((size_t)n * sizeof *f), *g = malloc((size_t)n * sizeof *g);
    pt_error err = {0};
    int rc = f && g ? pt_session_response(r->s, node, n, f, g, &err)
                    : pt_error_set(&err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
    if (rc == 0) {
        cJSON_AddItemToObject(r->reply, "freq_hz", cJSON_CreateDoubleArray(f, n));
        cJSON_AddItemToObject(r->reply, "gain_db", cJSON_CreateDoubleArray(g, n));
    }
    free(f);
    free(g);
    return rc ? fail_err(r, &err) : 0;
}

int cmd_set_bypass(req *r)
{
    bool bad, on = false;
    const char *node = get_str(r, r->msg, "node", STR_ID, true, &bad);
    if (bad) return -1;
    if (get_bool(r, r->msg, "bypass", true, &on) < 0) return -1;
    pt_error err = {0};
    if (pt_session_set_bypass(r->s, node, on, &err)) return fail_err(r, &err);
    return 0;
}

int cmd_set_branch(req *r)
{
    bool bad;
    const char *split = get_str(r, r->msg, "split", STR_ID, true, &bad);
    if (bad) return -1;
    double branch = 0, level_db = 0, pan = 0;
    if (get_num(r, r->msg, "branch", 0, 63, true, true, &branch) < 0 ||
        get_num(r, r->msg, "level_db", -96, 24, false, true, &level_db) < 0 ||
        get_num(r, r->msg, "pan", -1, 1, false, true, &pan) < 0)
        return -1;
    pt_error err = {0};
    if (pt_session_set_branch(r->s, split, (int)branch, (float)level_db, (float)pan, &err))
        return fail_err(r, &err);
    return 0;
}

int cmd_add_node(req *r)
{
    bool bad;
    const char *type = get_str(r, r->msg, "type", STR_ID, true, &bad);
    if (bad) return -1;
    const char *id = get_str(r, r->msg, "node", STR_ID, true, &bad);
    if (bad) return -1;
    const char *uri = get_str(r, r->msg, "uri", STR_NAME, false, &bad); /* type lv2 */
    if (bad) return -1;
    if (!pt_node_type_find(type))
        return fail(r, "add_node: unknown node type '%s' (did you mean '%s'?)", type,
                    pt_node_type_nearest(type));
    pt_position pos;
    if (get_position(r, &pos)) return -1;
    /* optional "assets": {"ir": "irs/4x12.wav"}: files from the library */
    enum { MAX_ASSETS = 4 };
    const char *names[MAX_ASSETS];
    const char *paths[MAX_ASSETS];
    char (*paths_buf)[PATH_MAX] = malloc(MAX_ASSETS * sizeof *paths_buf); /* heap: small stacks */
    if (!paths_buf) return fail(r, "add_node: out of memory");
    int n = 0;
    const cJSON *assets = cJSON_GetObjectItemCaseSensitive(r->msg, "assets");
    if (assets) {
        int rc = 0;
        if (!cJSON_IsObject(assets)) rc = fail(r, "add_node: 'assets' must be an object of name: path");
        const cJSON *a;
        cJSON_ArrayForEach(a, assets) {
            if (rc) break;
            if (n == MAX_ASSETS) rc = fail(r, "add_node: at most %d assets", MAX_ASSETS);
            else if (!cJSON_IsString(a) || !a->string || strlen(a->string) >= PT_ID_MAX)
                rc = fail(r, "add_node: each asset must be a name and a path");
            else if (asset_path(r, "add_node", a->valuestring, paths_buf[n])) rc = -1;
            else names[n] = a->string, paths[n] = paths_buf[n], n++;
        }
        if (rc) {
            free(paths_buf);
            return -1;
        }
    }
    pt_error err = {0};
    int rc = pt_session_add_node_keyed(r->s, type, uri, id, &pos, names, paths, n, &err);
    free(paths_buf);
    if (rc) return fail_err(r, &err);
    return 0;
}

/* An asset file (model, IR, circuit) from the library. The rig records it
 * relative to its own folder when that is the library, else absolute. */
/* An asset file (model, IR, circuit) from the library. */
int cmd_set_asset(req *r)
{
    bool bad;
    const char *node = get_str(r, r->msg, "node", STR_ID, true, &bad);
    if (bad) return -1;
    const char *asset = get_str(r, r->msg, "asset", STR_ID, true, &bad);
    if (bad) return -1;
    const char *rel = get_str(r, r->msg, "path", STR_PATH, true, &bad);
    if (bad) return -1;
    char *use = malloc(PATH_MAX); /* heap: small stacks */
    if (!use) return fail(r, "set_asset: out of memory");
    if (asset_path(r, "set_asset", rel, use)) {
        free(use);
        return -1;
    }
    pt_error err = {0};
    int rc = pt_session_set_asset(r->s, node, asset, use, &err);
    free(use);
    if (rc) return fail_err(r, &err);
    return 0;
}

int cmd_add_split(req *r)
{
    bool bad;
    const char *id = get_str(r, r->msg, "split", STR_ID, true, &bad);
    if (bad) return -1;
    double branches = 0;
    if (get_num(r, r->msg, "branches", 1, 16, true, true, &branches) < 0) return -1;
    pt_position pos;
    if (get_position(r, &pos)) return -1;
    pt_error err = {0};
    if (pt_session_add_split(r->s, id, (int)branches, &pos, &err)) return fail_err(r, &err);
    return 0;
}

/* The commands that take one required string and call one session
 * function with it. */
static int call_with_str(req *r, const char *key, enum str_kind kind,
                         int (*fn)(pt_session *, const char *, pt_error *))
{
    bool bad;
    const char *v = get_str(r, r->msg, key, kind, true, &bad);
    if (bad) return -1;
    pt_error err = {0};
    return fn(r->s, v, &err) ? fail_err(r, &err) : 0;
}

int cmd_remove(req *r) { return call_with_str(r, "node", STR_ID, pt_session_remove); }

int cmd_move(req *r)
{
    bool bad;
    const char *id = get_str(r, r->msg, "node", STR_ID, true, &bad);
    if (bad) return -1;
    if (!cJSON_GetObjectItemCaseSensitive(r->msg, "position"))
        return fail(r, "move: 'position' is missing");
    pt_position pos;
    if (get_position(r, &pos)) return -1;
    pt_error err = {0};
    if (pt_session_move(r->s, id, &pos, &err)) return fail_err(r, &err);
    return 0;
}

int cmd_scene_select(req *r) { return call_with_str(r, "name", STR_NAME, pt_session_scene_select); }

int cmd_scene_store(req *r) { return call_with_str(r, "name", STR_NAME, pt_session_scene_store); }

int cmd_scene_rename(req *r)
{
    bool bad;
    const char *from = get_str(r, r->msg, "from", STR_NAME, true, &bad);
    if (bad) return -1;
    const char *to = get_str(r, r->msg, "to", STR_NAME, true, &bad);
    if (bad) return -1;
    pt_error err = {0};
    if (pt_session_scene_rename(r->s, from, to, &err)) return fail_err(r, &err);
    return 0;
}

int cmd_add_branch(req *r)
{
    bool bad;
    const char *split = get_str(r, r->msg, "split", STR_ID, true, &bad);
    if (bad) return -1;
    double at = -1, level_db = 0, pan = 0;
    if (get_num(r, r->msg, "branch", -1, PT_SESSION_MAX_BRANCHES, true, false, &at) < 0 ||
        get_num(r, r->msg, "level_db", -96, 24, false, false, &level_db) < 0 ||
        get_num(r, r->msg, "pan", -1, 1, false, false, &pan) < 0)
        return -1;
    pt_error err = {0};
    int index = -1;
    if (pt_session_add_branch(r->s, split, (int)at, (float)level_db, (float)pan, &index, &err))
        return fail_err(r, &err);
    cJSON_AddNumberToObject(r->reply, "branch", index);
    return 0;
}

int cmd_remove_branch(req *r)
{
    bool bad;
    const char *split = get_str(r, r->msg, "split", STR_ID, true, &bad);
    if (bad) return -1;
    double branch = 0;
    if (get_num(r, r->msg, "branch", 0, 63, true, true, &branch) < 0) return -1;
    pt_error err = {0};
    if (pt_session_remove_branch(r->s, split, (int)branch, &err)) return fail_err(r, &err);
    return 0;
}

int cmd_scene_delete(req *r) { return call_with_str(r, "name", STR_NAME, pt_session_scene_delete); }

int cmd_get_scene(req *r)
{
    bool bad;
    const char *name = get_str(r, r->msg, "name", STR_NAME, true, &bad);
    if (bad) return -1;
    pt_error err = {0};
    cJSON *sc = pt_session_scene_json(r->s, name, &err);
    if (!sc) return fail_err(r, &err);
    cJSON_AddItemToObject(r->reply, "scene", sc);
    return 0;
}
