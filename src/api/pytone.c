/* pytone.c — see pytone.h. Built into libpytone.so (CMake target
 * `pytone_shared`) together with the engine library and the CLI's target
 * loader, so a binding plays exactly what `pytone render` plays. */
#include "pytone.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/target.h"
#include "control/session.h"
#include "conv/conv.h"
#include "core/engine.h"
#include "graph/graph.h"
#include "io/backend.h"
#include "rig/rig.h"

struct pytone {
    pt_rig *rig;        /* kept: a rebuild-type parameter rebuilds from it */
    pt_engine *engine;
    double rate;
    int max_frames;
    int channels;
    char *described;    /* last pytone_describe() text */
};

static void say(char *err, size_t size, const char *fmt, ...)
{
    if (!err || !size) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, size, fmt, ap);
    va_end(ap);
}

static void say_error(char *err, size_t size, const pt_error *e)
{
    if (!err || !size) return;
    pt_error_format(e, err, size);
}

const char *pytone_version(void) { return PT_VERSION; }

static pt_program *build(pytone *h, pt_error *e)
{
    pt_program *p = pt_rig_build_program(h->rig, h->rate, h->max_frames, e);
    if (p) pt_program_output(p, &h->channels);
    return p;
}

pytone *pytone_open(const char *path, double rate, int max_frames, char *err, size_t err_size)
{
    if (!path || !*path) return say(err, err_size, "pytone_open: no file named"), NULL;
    if (!pt_rate_supported(rate))
        return say(err, err_size, "pytone_open: sample rate %.0f Hz is not supported (use %s)", rate,
                   PT_RATES_TEXT),
               NULL;
    if (max_frames < 1 || max_frames > 4096)
        return say(err, err_size, "pytone_open: max_frames %d is out of range 1 .. 4096", max_frames),
               NULL;
    pytone *h = calloc(1, sizeof *h);
    if (!h) return say(err, err_size, "pytone_open: out of memory"), NULL;
    h->rate = rate;
    h->max_frames = max_frames;
    pt_diags diags;
    pt_diags_init(&diags);
    h->rig = cli_load_target(path, &diags);
    if (!h->rig) {
        /* every problem, one per line, as `pytone validate` prints them */
        if (!diags.n) say(err, err_size, "%s: could not be loaded", path);
        else if (err && err_size) {
            size_t used = 0;
            err[0] = 0;
            for (int i = 0; i < diags.n && used + 1 < err_size; i++) {
                if (i) err[used++] = '\n', err[used] = 0;
                pt_error_format(&diags.items[i], err + used, err_size - used);
                used += strlen(err + used);
            }
        }
        pt_diags_free(&diags);
        free(h);
        return NULL;
    }
    pt_diags_free(&diags);
    pt_set_tempo_bpm(h->rig->tempo_bpm);
    /* no deadline here: long convolution tails are computed in the calling
     * thread rather than by a worker that a fast caller could outrun */
    pt_conv_set_offline_default(true);
    pt_error e = {0};
    pt_program *p = build(h, &e);
    pt_engine_config ec = {.rate = rate, .max_frames = max_frames, .clip_output = false};
    if (p) h->engine = pt_engine_create(&ec, &e);
    if (!p || !h->engine || pt_engine_swap(h->engine, p, &e) != 0) {
        say_error(err, err_size, &e);
        if (!h->engine) pt_program_free(p);
        pytone_close(h);
        return NULL;
    }
    return h;
}

void pytone_close(pytone *h)
{
    if (!h) return;
    if (h->engine) pt_engine_destroy(h->engine);
    pt_rig_free(h->rig);
    cJSON_free(h->described);
    free(h);
}

int pytone_channels(const pytone *h) { return h->channels; }
int pytone_latency(const pytone *h) { return pt_engine_latency(h->engine); }
double pytone_rate(const pytone *h) { return h->rate; }

void pytone_process(pytone *h, const float *in, float *out_l, float *out_r, long frames)
{
    for (long off = 0; off < frames; off += h->max_frames) {
        int n = (int)(frames - off < h->max_frames ? frames - off : h->max_frames);
        pt_engine_process(h->engine, in + off, out_l + off, out_r ? out_r + off : NULL, n);
        pt_engine_collect(h->engine); /* programs a rebuild replaced */
    }
}

/* what messages name: the rig's file, or the model/IR/circuit it wraps */
static const char *rig_name(const pytone *h)
{
    if (h->rig->path && *h->rig->path) return h->rig->path;
    const pt_rig_node *n = &h->rig->chain.items[0].node;
    for (int a = 0; n->asset_path && a < n->type->n_assets; a++)
        if (n->asset_path[a]) return n->asset_path[a];
    return "rig";
}

static pt_rig_node *find(pytone *h, const char *node, char *err, size_t err_size)
{
    if (!node || !*node) {
        if (h->rig->chain.n == 1 && !h->rig->chain.items[0].is_split)
            return &h->rig->chain.items[0].node;
        say(err, err_size, "%s: the rig has several nodes: name one", rig_name(h));
        return NULL;
    }
    pt_rig_node *n = pt_rig_find_node(h->rig, node);
    if (!n) say(err, err_size, "%s: no node '%s'", rig_name(h), node);
    return n;
}

int pytone_set_param(pytone *h, const char *node, const char *param, double value, char *err,
                     size_t err_size)
{
    pt_rig_node *n = find(h, node, err, err_size);
    if (!n) return -1;
    int pi = param ? pt_param_index(n->type, param) : -1;
    if (pi < 0) {
        say(err, err_size, "%s: node '%s' (%s) has no parameter '%s'", rig_name(h), n->id,
            n->type->name, param ? param : "");
        return -1;
    }
    const pt_param_def *d = &n->type->params[pi];
    if (!(value >= d->min && value <= d->max)) {
        say(err, err_size, "%s: %s.%s = %g is out of range %g .. %g %s", rig_name(h), n->id, param,
            value, (double)d->min, (double)d->max, d->unit);
        return -1;
    }
    float v = pt_param_sanitize(d, (float)value);
    pt_rig_node_set(n, pi, v);
    pt_error e = {0};
    if (d->flags & PT_PARAM_REBUILD) {
        /* shapes the node (oversampling, model size): rebuilt and crossfaded,
         * as the UI does */
        pt_program *p = build(h, &e);
        if (!p || pt_engine_swap(h->engine, p, &e) != 0) {
            say_error(err, err_size, &e);
            return -1;
        }
        return 0;
    }
    if (pt_engine_set_param(h->engine, n->id, param, v, &e) != 0) {
        say_error(err, err_size, &e);
        return -1;
    }
    return 0;
}

int pytone_set_bypass(pytone *h, const char *node, int bypass, char *err, size_t err_size)
{
    pt_rig_node *n = find(h, node, err, err_size);
    if (!n) return -1;
    pt_error e = {0};
    if (pt_engine_set_bypass(h->engine, n->id, bypass != 0, &e) != 0) {
        say_error(err, err_size, &e);
        return -1;
    }
    n->bypass = bypass != 0;
    return 0;
}

static float rig_value(const pt_rig_node *n, int pi)
{
    for (int i = 0; i < n->n_values; i++)
        if (n->values[i].param == pi) return n->values[i].value;
    return n->type->params[pi].def;
}

static void describe_chain(cJSON *nodes, const pt_rig_chain *c)
{
    for (int i = 0; i < c->n; i++) {
        const pt_rig_item *it = &c->items[i];
        if (it->is_split) {
            for (int b = 0; b < it->n_branches; b++) describe_chain(nodes, it->branches[b].chain);
            continue;
        }
        const pt_rig_node *n = &it->node;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", n->id);
        cJSON_AddStringToObject(o, "type", n->type->name);
        cJSON_AddBoolToObject(o, "bypass", n->bypass != 0);
        cJSON *ps = cJSON_AddArrayToObject(o, "params");
        for (int p = 0; p < n->type->n_params; p++) {
            cJSON *po = pt_param_def_json(&n->type->params[p]); /* as list_types gives it */
            cJSON_AddNumberToObject(po, "value", rig_value(n, p));
            cJSON_AddItemToArray(ps, po);
        }
        cJSON_AddItemToArray(nodes, o);
    }
}

const char *pytone_describe(pytone *h)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "rate", h->rate);
    cJSON_AddNumberToObject(root, "latency", pytone_latency(h));
    cJSON_AddNumberToObject(root, "channels", h->channels);
    describe_chain(cJSON_AddArrayToObject(root, "nodes"), &h->rig->chain);
    cJSON_free(h->described);
    h->described = cJSON_PrintUnformatted(root);
    cJSON_Delete(root);
    return h->described;
}
