/* session_stub.c — TEMPORARY minimal implementation of session.h so the
 * control server and its tests build before the real session.c lands.
 * DROP THIS FILE when merging the lead's session.c.
 *
 * Main chain only (no splits), one slot, no watch, no autosave. Enough to
 * load, edit parameters/bypass/nodes, select/store/rename scenes, set the
 * tempo and save a rig file the loader reads back.
 */
#include "session.h"

#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct pt_session {
    pt_engine *engine;
    char *library;
    pt_rig *rig;
    char scene[PT_ID_MAX];
    int dirty;
    pthread_mutex_t mu;
};

pt_session *pt_session_create(pt_engine *engine, const pt_session_config *cfg, pt_error *err)
{
    pt_session *s = calloc(1, sizeof *s);
    if (!s) {
        pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
        return NULL;
    }
    s->engine = engine;
    s->library = strdup(cfg && cfg->library_dir ? cfg->library_dir : "");
    pthread_mutex_init(&s->mu, NULL);
    return s;
}

void pt_session_destroy(pt_session *s)
{
    if (!s) return;
    pt_rig_free(s->rig);
    free(s->library);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static int rebuild(pt_session *s, pt_error *err)
{
    pt_program *p = pt_rig_build_program(s->rig, pt_engine_rate(s->engine),
                                         pt_engine_max_frames(s->engine), err);
    if (!p) return PT_ERR;
    return pt_engine_swap(s->engine, p, err);
}

int pt_session_load(pt_session *s, const char *path, pt_diags *diags)
{
    pt_rig *rig = pt_rig_load(path, diags);
    if (!rig) return PT_ERR;
    pthread_mutex_lock(&s->mu);
    pt_rig *old = s->rig;
    s->rig = rig;
    pt_error err = {0};
    int rc = rebuild(s, &err);
    if (rc) {
        s->rig = old;
        pt_diags_add(diags, path, 0, 0, "%s", err.msg);
        pt_rig_free(rig);
    } else {
        pt_rig_free(old);
        s->scene[0] = 0;
        s->dirty = 0;
        pt_set_tempo_bpm(rig->tempo_bpm);
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static void yaml_value(FILE *f, const pt_node_type *t, int param, float v)
{
    const pt_param_def *d = &t->params[param];
    if (d->taper == PT_TAPER_ENUM && d->choices) fprintf(f, "%s", d->choices[(int)v]);
    else fprintf(f, "%.9g", (double)v);
}

int pt_session_save(pt_session *s, const char *path, pt_error *err)
{
    pthread_mutex_lock(&s->mu);
    int rc = 0;
    const char *to = path ? path : s->rig ? s->rig->path : "";
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", to);
    FILE *f = s->rig && to[0] ? fopen(tmp, "w") : NULL;
    if (!f) {
        rc = pt_error_set(err, PT_ERR_IO, to, 0, 0, "cannot write the rig");
        goto out;
    }
    pt_rig *r = s->rig;
    fprintf(f, "version: 1\nname: \"%s\"\ntempo_bpm: %.9g\nchain:\n", r->name, (double)r->tempo_bpm);
    for (int i = 0; i < r->chain.n; i++) {
        pt_rig_node *n = &r->chain.items[i].node;
        fprintf(f, "  - id: %s\n    type: %s\n    bypass: %s\n", n->id, n->type->name,
                n->bypass ? "true" : "false");
        if (n->n_values) fprintf(f, "    params:\n");
        for (int v = 0; v < n->n_values; v++) {
            fprintf(f, "      %s: ", n->type->params[n->values[v].param].name);
            yaml_value(f, n->type, n->values[v].param, n->values[v].value);
            fputc('\n', f);
        }
    }
    if (r->n_scenes) fprintf(f, "scenes:\n");
    for (int i = 0; i < r->n_scenes; i++) {
        pt_scene *sc = &r->scenes[i];
        fprintf(f, "  - name: \"%s\"\n    params:\n", sc->name);
        for (int v = 0; v < sc->n_values; v++) {
            pt_rig_node *n = pt_rig_find_node(r, sc->values[v].node);
            if (!n || sc->values[v].param < 0) continue;
            fprintf(f, "      %s.%s: ", n->id, n->type->params[sc->values[v].param].name);
            yaml_value(f, n->type, sc->values[v].param, sc->values[v].value);
            fputc('\n', f);
        }
        if (!sc->n_values) fprintf(f, "      {}\n");
    }
    fclose(f);
    if (rename(tmp, to) != 0) rc = pt_error_set(err, PT_ERR_IO, to, 0, 0, "cannot rename");
    else s->dirty = 0;
out:
    pthread_mutex_unlock(&s->mu);
    return rc;
}

static pt_rig_node *node_param(pt_session *s, const char *node, const char *param, int *pi,
                               pt_error *err)
{
    pt_rig_node *n = s->rig ? pt_rig_find_node(s->rig, node) : NULL;
    if (!n) {
        pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "no node '%s' in the rig", node);
        return NULL;
    }
    if (!param) return n;
    *pi = pt_param_index(n->type, param);
    if (*pi < 0) {
        pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "node '%s' has no parameter '%s'", node, param);
        return NULL;
    }
    return n;
}

static void store_value(pt_rig_node *n, int pi, float value)
{
    for (int v = 0; v < n->n_values; v++)
        if (n->values[v].param == pi) {
            n->values[v].value = value;
            return;
        }
    pt_rig_value *nv = realloc(n->values, (size_t)(n->n_values + 1) * sizeof *nv);
    if (!nv) return;
    n->values = nv;
    n->values[n->n_values++] = (pt_rig_value){.param = pi, .value = value};
}

static int set_param_locked(pt_session *s, const char *node, const char *param, float value,
                            pt_error *err)
{
    int pi = 0;
    pt_rig_node *n = node_param(s, node, param, &pi, err);
    if (!n) return PT_ERR;
    const pt_param_def *d = &n->type->params[pi];
    if (!isfinite(value) || value < d->min || value > d->max)
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "%s.%s = %g is out of range", node,
                            param, (double)value);
    if (d->flags & PT_PARAM_REBUILD) {
        store_value(n, pi, value);
        return rebuild(s, err);
    }
    if (pt_engine_set_param(s->engine, node, param, value, err)) return PT_ERR;
    store_value(n, pi, value);
    s->dirty = 1;
    return 0;
}

int pt_session_set_param(pt_session *s, const char *node, const char *param, float value,
                         pt_error *err)
{
    pthread_mutex_lock(&s->mu);
    int rc = set_param_locked(s, node, param, value, err);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int pt_session_get_param(pt_session *s, const char *node, const char *param, float *value,
                         pt_error *err)
{
    pthread_mutex_lock(&s->mu);
    int pi = 0, rc = PT_ERR;
    pt_rig_node *n = node_param(s, node, param, &pi, err);
    if (n) {
        *value = n->type->params[pi].def;
        for (int v = 0; v < n->n_values; v++)
            if (n->values[v].param == pi) *value = n->values[v].value;
        rc = 0;
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int pt_session_set_bypass(pt_session *s, const char *node, bool bypass, pt_error *err)
{
    pthread_mutex_lock(&s->mu);
    pt_rig_node *n = node_param(s, node, NULL, NULL, err);
    int rc = n ? pt_engine_set_bypass(s->engine, node, bypass, err) : PT_ERR;
    if (!rc) n->bypass = bypass, s->dirty = 1;
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int pt_session_set_branch(pt_session *s, const char *split, int branch, float level_db, float pan,
                          pt_error *err)
{
    return pt_error_set(err, PT_ERR_UNSUPPORTED, NULL, 0, 0, "stub: no splits");
}

static int find_item(pt_rig *r, const char *id)
{
    for (int i = 0; r && i < r->chain.n; i++)
        if (!r->chain.items[i].is_split && !strcmp(r->chain.items[i].node.id, id)) return i;
    return -1;
}

static int position_index(pt_session *s, const pt_position *w, pt_error *err)
{
    if (!w || (!w->after && !w->before && !w->split)) return s->rig->chain.n;
    if (w->split) return pt_error_set(err, PT_ERR_UNSUPPORTED, NULL, 0, 0, "stub: no splits"), -1;
    const char *ref = w->after ? w->after : w->before;
    int i = find_item(s->rig, ref);
    if (i < 0) return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "no node '%s'", ref), -1;
    return w->after ? i + 1 : i;
}

int pt_session_add_node(pt_session *s, const char *type, const char *id, const pt_position *where,
                        pt_error *err)
{
    pthread_mutex_lock(&s->mu);
    int rc = PT_ERR;
    const pt_node_type *t = pt_node_type_find(type);
    pt_rig_chain *c = s->rig ? &s->rig->chain : NULL;
    if (!c || !t) {
        pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "unknown node type '%s'", type);
        goto out;
    }
    if (pt_rig_find_node(s->rig, id)) {
        pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "a node '%s' is already in the rig", id);
        goto out;
    }
    int at = position_index(s, where, err);
    if (at < 0) goto out;
    pt_rig_item *items = realloc(c->items, (size_t)(c->n + 1) * sizeof *items);
    if (!items) goto out;
    c->items = items;
    memmove(&items[at + 1], &items[at], (size_t)(c->n - at) * sizeof *items);
    memset(&items[at], 0, sizeof *items);
    items[at].node.type = t;
    snprintf(items[at].node.id, PT_ID_MAX, "%s", id);
    c->n++;
    rc = rebuild(s, err);
    if (rc) {
        memmove(&items[at], &items[at + 1], (size_t)(c->n - at - 1) * sizeof *items);
        c->n--;
    } else {
        s->dirty = 1;
    }
out:
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int pt_session_add_split(pt_session *s, const char *id, int branches, const pt_position *where,
                         pt_error *err)
{
    return pt_error_set(err, PT_ERR_UNSUPPORTED, NULL, 0, 0, "stub: no splits");
}

int pt_session_remove(pt_session *s, const char *id, pt_error *err)
{
    pthread_mutex_lock(&s->mu);
    int i = find_item(s->rig, id), rc = PT_ERR;
    if (i < 0) {
        pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "no node '%s' in the rig", id);
    } else {
        pt_rig_chain *c = &s->rig->chain;
        pt_rig_item keep = c->items[i];
        memmove(&c->items[i], &c->items[i + 1], (size_t)(c->n - i - 1) * sizeof *c->items);
        c->n--;
        rc = rebuild(s, err);
        if (rc) {
            memmove(&c->items[i + 1], &c->items[i], (size_t)(c->n - i) * sizeof *c->items);
            c->items[i] = keep;
            c->n++;
        } else {
            free(keep.node.values);
            for (int k = 0; k < s->rig->n_scenes; k++) {
                pt_scene *sc = &s->rig->scenes[k];
                int m = 0;
                for (int v = 0; v < sc->n_values; v++)
                    if (strcmp(sc->values[v].node, id)) sc->values[m++] = sc->values[v];
                sc->n_values = m;
            }
            s->dirty = 1;
        }
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int pt_session_move(pt_session *s, const char *id, const pt_position *where, pt_error *err)
{
    pthread_mutex_lock(&s->mu);
    int rc = PT_ERR;
    int i = find_item(s->rig, id);
    if (i < 0) {
        pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "no node '%s' in the rig", id);
        goto out;
    }
    pt_rig_chain *c = &s->rig->chain;
    pt_rig_item *saved = malloc((size_t)c->n * sizeof *saved);
    if (!saved) goto out;
    memcpy(saved, c->items, (size_t)c->n * sizeof *saved);
    pt_rig_item it = c->items[i];
    memmove(&c->items[i], &c->items[i + 1], (size_t)(c->n - i - 1) * sizeof *c->items);
    c->n--;
    int at = position_index(s, where, err);
    if (at >= 0) {
        memmove(&c->items[at + 1], &c->items[at], (size_t)(c->n - at) * sizeof *c->items);
        c->items[at] = it;
        c->n++;
        rc = rebuild(s, err);
    } else {
        c->n++;
    }
    if (rc) memcpy(c->items, saved, (size_t)c->n * sizeof *saved);
    else s->dirty = 1;
    free(saved);
out:
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int pt_session_scene_select(pt_session *s, const char *name, pt_error *err)
{
    pthread_mutex_lock(&s->mu);
    int k = s->rig ? pt_rig_find_scene(s->rig, name) : -1, rc = 0;
    if (k < 0) {
        rc = pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "no scene '%s'", name);
    } else {
        pt_scene *sc = &s->rig->scenes[k];
        for (int v = 0; v < sc->n_values && !rc; v++) {
            pt_rig_node *n = pt_rig_find_node(s->rig, sc->values[v].node);
            if (!n) continue;
            if (sc->values[v].param < 0) {
                n->bypass = sc->values[v].value != 0;
                pt_engine_set_bypass(s->engine, n->id, n->bypass, NULL);
            } else {
                rc = set_param_locked(s, n->id, n->type->params[sc->values[v].param].name,
                                      sc->values[v].value, err);
            }
        }
        snprintf(s->scene, sizeof s->scene, "%s", name);
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int pt_session_scene_store(pt_session *s, const char *name, pt_error *err)
{
    pthread_mutex_lock(&s->mu);
    int rc = 0;
    pt_rig *r = s->rig;
    int k = r ? pt_rig_find_scene(r, name) : -1;
    if (!r) {
        rc = pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "no rig");
        goto out;
    }
    if (k < 0) {
        pt_scene *ns = realloc(r->scenes, (size_t)(r->n_scenes + 1) * sizeof *ns);
        if (!ns) goto out;
        r->scenes = ns;
        k = r->n_scenes++;
        memset(&ns[k], 0, sizeof ns[k]);
        snprintf(ns[k].name, PT_ID_MAX, "%s", name);
    }
    pt_scene *sc = &r->scenes[k];
    free(sc->values);
    sc->values = NULL;
    sc->n_values = 0;
    int total = 0;
    for (int i = 0; i < r->chain.n; i++) total += r->chain.items[i].node.n_values;
    sc->values = calloc((size_t)(total ? total : 1), sizeof *sc->values);
    for (int i = 0; i < r->chain.n && sc->values; i++) {
        pt_rig_node *n = &r->chain.items[i].node;
        for (int v = 0; v < n->n_values; v++) {
            pt_scene_value *sv = &sc->values[sc->n_values++];
            snprintf(sv->node, PT_ID_MAX, "%s", n->id);
            sv->param = n->values[v].param;
            sv->value = n->values[v].value;
        }
    }
    snprintf(s->scene, sizeof s->scene, "%s", name);
    s->dirty = 1;
out:
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int pt_session_scene_rename(pt_session *s, const char *from, const char *to, pt_error *err)
{
    pthread_mutex_lock(&s->mu);
    int rc = 0;
    int k = s->rig ? pt_rig_find_scene(s->rig, from) : -1;
    if (k < 0) rc = pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "no scene '%s'", from);
    else if (pt_rig_find_scene(s->rig, to) >= 0)
        rc = pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "a scene '%s' exists", to);
    else {
        snprintf(s->rig->scenes[k].name, PT_ID_MAX, "%s", to);
        if (!strcmp(s->scene, from)) snprintf(s->scene, sizeof s->scene, "%s", to);
        s->dirty = 1;
    }
    pthread_mutex_unlock(&s->mu);
    return rc;
}

int pt_session_set_tempo(pt_session *s, float bpm, pt_error *err)
{
    if (!(bpm >= 20 && bpm <= 400))
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "tempo out of range");
    pthread_mutex_lock(&s->mu);
    if (s->rig) s->rig->tempo_bpm = bpm;
    pt_set_tempo_bpm(bpm);
    s->dirty = 1;
    pthread_mutex_unlock(&s->mu);
    return 0;
}

int pt_session_select_slot(pt_session *s, int slot, pt_error *err)
{
    return slot == 0 ? 0 : pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "no slot %d", slot);
}

int pt_session_slot_count(pt_session *s) { return 1; }

void pt_session_poll(pt_session *s)
{
    pthread_mutex_lock(&s->mu);
    pt_engine_collect(s->engine);
    pthread_mutex_unlock(&s->mu);
}

cJSON *pt_session_state(pt_session *s)
{
    pthread_mutex_lock(&s->mu);
    cJSON *j = cJSON_CreateObject();
    pt_load_summary ls;
    pt_engine_load(s->engine, &ls);
    cJSON_AddStringToObject(j, "rig", s->rig ? s->rig->name : "");
    cJSON_AddStringToObject(j, "path", s->rig ? s->rig->path : "");
    if (s->scene[0]) cJSON_AddStringToObject(j, "scene", s->scene);
    else cJSON_AddNullToObject(j, "scene");
    cJSON_AddNumberToObject(j, "tempo", pt_tempo_bpm());
    cJSON_AddNumberToObject(j, "dsp_load_p50", ls.load_p50);
    cJSON_AddNumberToObject(j, "dsp_load_p99", ls.load_p99);
    cJSON_AddNumberToObject(j, "overruns", (double)ls.overruns);
    cJSON_AddBoolToObject(j, "dirty", s->dirty);
    cJSON_AddNumberToObject(j, "slot", 0);
    cJSON_AddNumberToObject(j, "slots", 1);
    cJSON_AddNumberToObject(j, "latency_samples", pt_engine_latency(s->engine));
    cJSON_AddNumberToObject(j, "rate", pt_engine_rate(s->engine));
    cJSON_AddNumberToObject(j, "frames", pt_engine_max_frames(s->engine));
    pthread_mutex_unlock(&s->mu);
    return j;
}

cJSON *pt_session_rig_json(pt_session *s)
{
    pthread_mutex_lock(&s->mu);
    cJSON *j = cJSON_CreateObject();
    pt_rig *r = s->rig;
    cJSON_AddStringToObject(j, "name", r ? r->name : "");
    cJSON_AddNumberToObject(j, "tempo_bpm", r ? r->tempo_bpm : 120);
    cJSON *chain = cJSON_AddArrayToObject(cJSON_AddObjectToObject(j, "graph"), "chain");
    for (int i = 0; r && i < r->chain.n; i++) {
        pt_rig_node *n = &r->chain.items[i].node;
        cJSON *jn = cJSON_CreateObject();
        cJSON_AddStringToObject(jn, "id", n->id);
        cJSON_AddStringToObject(jn, "type", n->type->name);
        cJSON_AddBoolToObject(jn, "bypass", n->bypass);
        cJSON *p = cJSON_AddObjectToObject(jn, "params");
        for (int k = 0; k < n->type->n_params; k++) {
            float v = n->type->params[k].def;
            for (int m = 0; m < n->n_values; m++)
                if (n->values[m].param == k) v = n->values[m].value;
            cJSON_AddNumberToObject(p, n->type->params[k].name, v);
        }
        cJSON_AddItemToArray(chain, jn);
    }
    cJSON *scenes = cJSON_AddArrayToObject(j, "scenes");
    for (int i = 0; r && i < r->n_scenes; i++) {
        cJSON *sc = cJSON_CreateObject();
        cJSON_AddStringToObject(sc, "name", r->scenes[i].name);
        cJSON_AddItemToArray(scenes, sc);
    }
    pthread_mutex_unlock(&s->mu);
    return j;
}

cJSON *pt_session_meters(pt_session *s)
{
    pt_meter_reading m;
    pt_engine_meters(s->engine, &m);
    pt_load_summary ls;
    pt_engine_load(s->engine, &ls);
    cJSON *j = cJSON_CreateObject();
    cJSON *in = cJSON_AddObjectToObject(j, "in"), *out = cJSON_AddObjectToObject(j, "out");
    cJSON_AddNumberToObject(in, "peak", m.in_peak);
    cJSON_AddNumberToObject(in, "rms", m.in_rms);
    cJSON_AddNumberToObject(out, "peak", m.out_peak);
    cJSON_AddNumberToObject(out, "rms", m.out_rms);
    cJSON_AddObjectToObject(j, "nodes");
    cJSON *load = cJSON_AddObjectToObject(j, "load");
    cJSON_AddNumberToObject(load, "p50", ls.load_p50);
    cJSON_AddNumberToObject(load, "p99", ls.load_p99);
    return j;
}

cJSON *pt_node_types_json(void)
{
    int n;
    const pt_node_type *const *types = pt_node_types(&n);
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++) {
        cJSON *t = cJSON_CreateObject();
        cJSON_AddStringToObject(t, "name", types[i]->name);
        cJSON_AddItemToArray(a, t);
    }
    return a;
}

cJSON *pt_session_list_rigs(pt_session *s)
{
    cJSON *a = cJSON_CreateArray();
    DIR *d = opendir(s->library);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (e->d_name[0] != '.' && n > 5 && !strcmp(e->d_name + n - 5, ".yaml"))
            cJSON_AddItemToArray(a, cJSON_CreateString(e->d_name));
    }
    if (d) closedir(d);
    return a;
}

pt_engine *pt_session_engine(pt_session *s) { return s->engine; }
const char *pt_session_library(pt_session *s) { return s->library; }
