/* session_json.c — what the session shows, as JSON (see session.h): the
 * state, the rig with each node's front panel, meters, node types, the rig
 * lists of the library and the factory, and a node's frequency response. */
#include "session_internal.h"

#include "../dsp/analysis.h"
#include "library.h"
#include "capture_job.h"

#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    cJSON_AddItemToObject(j, "capture", pt_capture_job_json(s->capture));
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

cJSON *pt_session_param_value_json(const pt_param_def *d, float v)
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
                                      pt_session_param_value_json(&n->type->params[p], pt_rig_node_get(n, p)));
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
    pt_rig_node *rn = pt_session_need_node(s, node, err);
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

