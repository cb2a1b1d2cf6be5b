/* lv2_host.c — the lilv world, the URID map, plugin descriptions and the
 * listing behind `pytone plugins` (see lv2_host.h). Without lilv's headers at
 * build time every entry point says so; without the library at run time
 * (lilv is loaded when first needed, src/io/dynlib.h) likewise. */
#include "lv2_host.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#ifdef PT_HAVE_LILV
#include <lilv/lilv.h>
#include <lv2/atom/atom.h>
#include <lv2/buf-size/buf-size.h>
#include <lv2/core/lv2.h>
#include <lv2/log/log.h>
#include <lv2/options/options.h>
#include <lv2/port-props/port-props.h>
#include <lv2/units/units.h>
#include <lv2/urid/urid.h>
#include <lv2/worker/worker.h>
#endif

#include <cjson/cJSON.h>

#include "../core/rt.h"
#include "../io/dynlib.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

void pt_lv2_lock(void) { pthread_mutex_lock(&lock); }
void pt_lv2_unlock(void) { pthread_mutex_unlock(&lock); }

/* ------------------------------------------------------------- URID map */

static pthread_mutex_t urid_lock = PTHREAD_MUTEX_INITIALIZER;
static char **urid_uris; /* urid_uris[id - 1]; kept for the process's life */
static uint32_t urid_n, urid_cap;

uint32_t pt_lv2_urid(const char *uri)
{
    if (!uri) return 0;
    pthread_mutex_lock(&urid_lock);
    uint32_t id = 0;
    for (uint32_t i = 0; i < urid_n && !id; i++)
        if (!strcmp(urid_uris[i], uri)) id = i + 1;
    if (!id) {
        if (urid_n == urid_cap) {
            uint32_t cap = urid_cap ? urid_cap * 2 : 64;
            char **u = realloc(urid_uris, cap * sizeof *u);
            if (u) urid_uris = u, urid_cap = cap;
        }
        char *copy = urid_n < urid_cap ? strdup(uri) : NULL;
        if (copy) {
            urid_uris[urid_n++] = copy;
            id = urid_n;
        }
    }
    pthread_mutex_unlock(&urid_lock);
    return id;
}

const char *pt_lv2_uri(uint32_t id)
{
    pthread_mutex_lock(&urid_lock);
    const char *u = id >= 1 && id <= urid_n ? urid_uris[id - 1] : NULL;
    pthread_mutex_unlock(&urid_lock);
    return u;
}

#ifdef PT_HAVE_LILV

static LV2_URID map_uri(LV2_URID_Map_Handle h, const char *uri)
{
    (void)h;
    return pt_lv2_urid(uri);
}

static const char *unmap_uri(LV2_URID_Unmap_Handle h, LV2_URID id)
{
    (void)h;
    return pt_lv2_uri(id);
}

/* A plugin's log: printed off the audio thread, dropped on it (printing
 * there could block the callback). */
static int log_vprintf(LV2_Log_Handle h, LV2_URID type, const char *fmt, va_list ap)
{
    (void)h, (void)type;
    if (pt_rt_in_callback) return 0;
    fputs("lv2: ", stderr);
    return vfprintf(stderr, fmt, ap);
}

static int log_printf(LV2_Log_Handle h, LV2_URID type, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = log_vprintf(h, type, fmt, ap);
    va_end(ap);
    return r;
}

static LV2_URID_Map urid_map = {NULL, map_uri};
static LV2_URID_Unmap urid_unmap = {NULL, unmap_uri};
static LV2_Log_Log log_log = {NULL, log_printf, log_vprintf};
static const LV2_Feature f_map = {LV2_URID__map, &urid_map};
static const LV2_Feature f_unmap = {LV2_URID__unmap, &urid_unmap};
static const LV2_Feature f_bounded = {LV2_BUF_SIZE__boundedBlockLength, NULL};
static const LV2_Feature f_log = {LV2_LOG__log, &log_log};

int pt_lv2_common_features(const void **out, int cap)
{
    const LV2_Feature *f[] = {&f_map, &f_unmap, &f_bounded, &f_log};
    int n = 0;
    for (int i = 0; i < 4 && n < cap; i++) out[n++] = f[i];
    return n;
}

/* Features we provide: a plugin requiring anything else is refused. */
static bool supported_feature(const char *uri)
{
    static const char *const ok[] = {LV2_URID__map, LV2_URID__unmap, LV2_BUF_SIZE__boundedBlockLength,
                                     LV2_LOG__log, LV2_OPTIONS__options, LV2_WORKER__schedule,
                                     LV2_CORE__isLive, NULL};
    for (int i = 0; ok[i]; i++)
        if (!strcmp(ok[i], uri)) return true;
    return false;
}

/* ---------------------------------------------------------------- world */

static LilvWorld *world;
static struct {
    LilvNode *audio, *control, *input, *output, *atom, *cv, *optional, *toggled, *integer,
        *enumeration, *logarithmic, *unit, *unit_symbol, *designation, *enabled, *freewheel,
        *latency, *reports_latency, *worker_iface, *not_on_gui;
} uri;

/* Under the lock: the world, made and loaded once (reading every installed
 * bundle's manifest: tens of milliseconds, on the first rig that names a
 * plugin). Returns NULL with the reason in why. */
static LilvWorld *get_world(char *why, int why_size)
{
    if (world) return world;
    if (!pt_dyn_lilv_available(why, why_size)) return NULL;
    world = lilv_world_new();
    if (!world) {
        snprintf(why, (size_t)why_size, "lilv could not start");
        return NULL;
    }
    lilv_world_load_all(world);
    uri.audio = lilv_new_uri(world, LV2_CORE__AudioPort);
    uri.control = lilv_new_uri(world, LV2_CORE__ControlPort);
    uri.input = lilv_new_uri(world, LV2_CORE__InputPort);
    uri.output = lilv_new_uri(world, LV2_CORE__OutputPort);
    uri.atom = lilv_new_uri(world, LV2_ATOM__AtomPort);
    uri.cv = lilv_new_uri(world, LV2_CORE__CVPort);
    uri.optional = lilv_new_uri(world, LV2_CORE__connectionOptional);
    uri.toggled = lilv_new_uri(world, LV2_CORE__toggled);
    uri.integer = lilv_new_uri(world, LV2_CORE__integer);
    uri.enumeration = lilv_new_uri(world, LV2_CORE__enumeration);
    uri.logarithmic = lilv_new_uri(world, LV2_PORT_PROPS__logarithmic);
    uri.unit = lilv_new_uri(world, LV2_UNITS__unit);
    uri.unit_symbol = lilv_new_uri(world, LV2_UNITS__symbol);
    uri.designation = lilv_new_uri(world, LV2_CORE__designation);
    uri.enabled = lilv_new_uri(world, LV2_CORE_PREFIX "enabled");
    uri.freewheel = lilv_new_uri(world, LV2_CORE__freeWheeling);
    uri.latency = lilv_new_uri(world, LV2_CORE__latency);
    uri.reports_latency = lilv_new_uri(world, LV2_CORE__reportsLatency);
    uri.worker_iface = lilv_new_uri(world, LV2_WORKER__interface);
    uri.not_on_gui = lilv_new_uri(world, LV2_PORT_PROPS__notOnGUI);
    return world;
}

static const LilvPlugin *find_plugin(const char *u, char *why, int why_size)
{
    char reason[256] = "";
    if (!get_world(reason, sizeof reason)) {
        snprintf(why, (size_t)why_size, "LV2 plugin '%s': LV2 hosting is not available: %s", u, reason);
        return NULL;
    }
    LilvNode *n = lilv_new_uri(world, u);
    const LilvPlugin *p = n ? lilv_plugins_get_by_uri(lilv_world_get_all_plugins(world), n) : NULL;
    lilv_node_free(n);
    if (!p)
        snprintf(why, (size_t)why_size,
                 "no LV2 plugin with URI '%s' is installed ('pytone plugins' lists them)", u);
    return p;
}

static bool port_has(const LilvPlugin *p, const LilvPort *port, const LilvNode *prop)
{
    return lilv_port_has_property(p, port, prop);
}

/* The port's designation is `what` (lv2:enabled, lv2:freeWheeling, lv2:latency). */
static bool designated(const LilvPlugin *p, const LilvPort *port, const LilvNode *what)
{
    LilvNode *d = lilv_port_get(p, port, uri.designation);
    bool yes = d && lilv_node_is_uri(d) && !strcmp(lilv_node_as_uri(d), lilv_node_as_uri(what));
    lilv_node_free(d);
    return yes;
}

static char *dup_or(const LilvNode *n, const char *fallback)
{
    return strdup(n ? lilv_node_as_string(n) : fallback);
}

/* The unit's symbol ("dB", "Hz", "ms") when the port names a unit. */
static char *unit_of(const LilvPlugin *p, const LilvPort *port)
{
    LilvNode *u = lilv_port_get(p, port, uri.unit);
    LilvNode *sym = u && lilv_node_is_uri(u) ? lilv_world_get(world, u, uri.unit_symbol, NULL) : NULL;
    char *out = sym ? strdup(lilv_node_as_string(sym)) : NULL;
    lilv_node_free(sym);
    lilv_node_free(u);
    return out ? out : strdup("");
}

typedef struct choice { float value; const char *label; } choice;

static int by_value(const void *a, const void *b)
{
    float x = ((const choice *)a)->value, y = ((const choice *)b)->value;
    return (x > y) - (x < y);
}

/* An enumerated control: its scale points, sorted by value, become the
 * choices; the parameter is the index, the port gets choice_value[index]. */
static int enum_param(const LilvPlugin *p, const LilvPort *port, pt_param_def *d, pt_lv2_port *lp)
{
    LilvScalePoints *sp = lilv_port_get_scale_points(p, port);
    int n = sp ? (int)lilv_scale_points_size(sp) : 0;
    if (n < 2) {
        if (sp) lilv_scale_points_free(sp);
        return -1;
    }
    choice *c = calloc((size_t)n, sizeof *c);
    const char **labels = calloc((size_t)n + 1, sizeof *labels);
    float *values = calloc((size_t)n, sizeof *values);
    if (!c || !labels || !values) {
        free(c), free(labels), free(values);
        lilv_scale_points_free(sp);
        return -1;
    }
    int k = 0;
    LILV_FOREACH (scale_points, i, sp) {
        const LilvScalePoint *s = lilv_scale_points_get(sp, i);
        c[k].value = lilv_node_as_float(lilv_scale_point_get_value(s));
        c[k].label = lilv_node_as_string(lilv_scale_point_get_label(s));
        k++;
    }
    qsort(c, (size_t)n, sizeof *c, by_value);
    int def = 0;
    for (int i = 0; i < n; i++) {
        labels[i] = strdup(c[i].label ? c[i].label : "?");
        values[i] = c[i].value;
        if (fabsf(c[i].value - d->def) < fabsf(c[def].value - d->def)) def = i;
    }
    free(c);
    lilv_scale_points_free(sp);
    d->taper = PT_TAPER_ENUM;
    d->choices = labels;
    d->min = 0;
    d->max = (float)(n - 1);
    d->def = (float)def;
    d->precision = 0;
    lp->choice_value = values;
    return 0;
}

static void control_param(const LilvPlugin *p, const LilvPort *port, pt_param_def *d, pt_lv2_port *lp)
{
    LilvNode *def = NULL, *min = NULL, *max = NULL;
    lilv_port_get_range(p, port, &def, &min, &max);
    float lo = min ? lilv_node_as_float(min) : 0.0f, hi = max ? lilv_node_as_float(max) : 1.0f;
    if (!isfinite(lo) || !isfinite(hi) || hi <= lo) lo = 0.0f, hi = lo + 1.0f;
    float dv = def ? lilv_node_as_float(def) : lo;
    if (!isfinite(dv)) dv = lo;
    lilv_node_free(def), lilv_node_free(min), lilv_node_free(max);
    d->name = strdup(lilv_node_as_string(lilv_port_get_symbol(p, port)));
    LilvNode *name = lilv_port_get_name(p, port);
    d->label = dup_or(name, d->name);
    d->doc = d->label;
    lilv_node_free(name);
    d->unit = unit_of(p, port);
    d->min = lo, d->max = hi;
    d->def = dv < lo ? lo : dv > hi ? hi : dv;
    d->smoothing_ms = 0; /* the plugin smooths its own controls, if it does */
    d->precision = 2;
    d->taper = PT_TAPER_LINEAR;
    if (port_has(p, port, uri.toggled)) {
        d->taper = PT_TAPER_TOGGLE, d->min = 0, d->max = 1, d->precision = 0;
        d->def = d->def >= 0.5f ? 1.0f : 0.0f;
    } else if (port_has(p, port, uri.enumeration) && enum_param(p, port, d, lp) == 0) {
        /* done */
    } else if (port_has(p, port, uri.logarithmic) && lo > 0) {
        d->taper = PT_TAPER_LOG;
    }
    if (port_has(p, port, uri.integer) && d->taper == PT_TAPER_LINEAR) d->precision = 0;
}

/* Read the plugin's ports into a description and a node type. */
static pt_lv2_desc *describe(const pt_node_type *g, const LilvPlugin *p, const char *u, pt_error *err)
{
    pt_lv2_desc *d = calloc(1, sizeof *d);
    int np = (int)lilv_plugin_get_num_ports(p);
    if (!d || !(d->ports = calloc((size_t)np + 1, sizeof *d->ports))) {
        free(d);
        pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
        return NULL;
    }
    pt_param_def *params = calloc((size_t)np + 1, sizeof *params);
    pt_readout_def *readouts = calloc((size_t)np + 1, sizeof *readouts);
    d->uri = strdup(u);
    LilvNode *name = lilv_plugin_get_name(p);
    d->name = dup_or(name, u);
    lilv_node_free(name);
    d->plugin = p;
    d->n_ports = np;
    d->latency_port = -1;
    int n_params = 0, n_readouts = 0;
    int n_ain = 0, n_aout = 0;
    const char *problem = NULL;
    char pbuf[256];
    for (int i = 0; i < np && !problem; i++) {
        const LilvPort *port = lilv_plugin_get_port_by_index(p, (uint32_t)i);
        pt_lv2_port *lp = &d->ports[i];
        lp->param = lp->readout = -1;
        bool in = lilv_port_is_a(p, port, uri.input), out = lilv_port_is_a(p, port, uri.output);
        const char *sym = lilv_node_as_string(lilv_port_get_symbol(p, port));
        if (lilv_port_is_a(p, port, uri.audio)) {
            lp->kind = in ? PT_LV2_AUDIO_IN : PT_LV2_AUDIO_OUT;
            if (in && n_ain < 2) d->audio_in[n_ain] = i;
            if (out && n_aout < 2) d->audio_out[n_aout] = i;
            in ? n_ain++ : n_aout++;
        } else if (lilv_port_is_a(p, port, uri.control) && in) {
            lp->kind = PT_LV2_CONTROL_IN;
            if (designated(p, port, uri.enabled)) {
                lp->fixed = 1.0f; /* bypass is ours */
            } else if (designated(p, port, uri.freewheel)) {
                lp->fixed = 0.0f;
            } else {
                control_param(p, port, &params[n_params], lp);
                lp->param = n_params++;
            }
        } else if (lilv_port_is_a(p, port, uri.control) && out) {
            lp->kind = PT_LV2_CONTROL_OUT;
            if (designated(p, port, uri.latency) || port_has(p, port, uri.reports_latency)) {
                d->latency_port = i;
            } else {
                pt_readout_def *r = &readouts[n_readouts];
                r->name = strdup(sym);
                LilvNode *pn = lilv_port_get_name(p, port);
                r->doc = dup_or(pn, sym);
                lilv_node_free(pn);
                r->unit = unit_of(p, port);
                lp->readout = n_readouts++;
            }
        } else if (lilv_port_is_a(p, port, uri.atom)) {
            lp->kind = in ? PT_LV2_ATOM_IN : PT_LV2_ATOM_OUT;
        } else if (lilv_port_is_a(p, port, uri.cv)) {
            lp->kind = in ? PT_LV2_CV_IN : PT_LV2_CV_OUT;
        } else if (port_has(p, port, uri.optional)) {
            lp->kind = PT_LV2_UNUSED;
        } else {
            snprintf(pbuf, sizeof pbuf, "its port '%s' is of a kind pytone cannot connect", sym);
            problem = pbuf;
        }
    }
    if (!problem && n_ain == 0 && n_aout == 0) problem = "it has no audio ports";
    else if (!problem && n_aout == 0) problem = "it has no audio output port";
    else if (!problem && n_ain == 0)
        problem = "it has no audio input port (pytone hosts effects, not instruments)";
    LilvNodes *req = problem ? NULL : lilv_plugin_get_required_features(p);
    LILV_FOREACH (nodes, i, req) {
        const char *f = lilv_node_as_uri(lilv_nodes_get(req, i));
        if (!problem && !supported_feature(f)) {
            snprintf(pbuf, sizeof pbuf, "it requires the feature <%s>, which pytone does not provide", f);
            problem = pbuf;
        }
    }
    lilv_nodes_free(req);
    if (problem) {
        pt_error_set(err, PT_ERR_UNSUPPORTED, NULL, 0, 0, "LV2 plugin '%s' cannot be used: %s", u,
                     problem);
        free(d->ports), free(d->uri), free(d->name), free(d);
        free(params), free(readouts); /* their strings are small and left: a refusal is rare */
        return NULL;
    }
    d->ctrl_in = calloc((size_t)np + 1, sizeof(int));
    d->readout_port = calloc((size_t)np + 1, sizeof(int));
    d->atom_port = calloc((size_t)np + 1, sizeof(int));
    if (!d->ctrl_in || !d->readout_port || !d->atom_port) {
        pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
        free(d->ctrl_in), free(d->readout_port), free(d->atom_port);
        free(d->ports), free(d->uri), free(d->name), free(d), free(params), free(readouts);
        return NULL;
    }
    for (int i = 0; i < np; i++) {
        pt_lv2_port_kind k = d->ports[i].kind;
        if (k == PT_LV2_CONTROL_IN) d->ctrl_in[d->n_ctrl_in++] = i;
        if (k == PT_LV2_CONTROL_OUT && d->ports[i].readout >= 0) d->readout_port[d->n_readout_port++] = i;
        if (k == PT_LV2_ATOM_IN || k == PT_LV2_ATOM_OUT) d->atom_port[d->n_atom_port++] = i;
    }
    d->n_audio_in = n_ain > 2 ? 2 : n_ain;
    d->n_audio_out = n_aout > 2 ? 2 : n_aout;
    d->has_worker = lilv_plugin_has_extension_data(p, uri.worker_iface);
    readouts[n_readouts++] = pt_run_time_readout; /* the last one: the plugin's time */
    d->type = *g;
    d->type.summary = d->name;
    d->type.params = params;
    d->type.n_params = n_params;
    d->type.readouts = readouts;
    d->type.n_readouts = n_readouts;
    d->type.specialize = NULL;
    d->type.generic = g;
    d->type.key = d->uri;
    d->type.impl = d;
    return d;
}

/* Interned descriptions: one per URI, for the process's life. */
static pt_lv2_desc **interned;
static int n_interned;

const pt_node_type *pt_lv2_specialize(const pt_node_type *g, const char *u, pt_error *err)
{
    pthread_mutex_lock(&lock);
    const pt_node_type *t = NULL;
    for (int i = 0; i < n_interned && !t; i++)
        if (!strcmp(interned[i]->uri, u)) t = &interned[i]->type;
    if (!t) {
        char why[512] = "";
        const LilvPlugin *p = find_plugin(u, why, sizeof why);
        pt_lv2_desc *d = NULL;
        if (!p) {
            pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "%s", why);
        } else if ((d = describe(g, p, u, err)) != NULL) {
            pt_lv2_desc **m = realloc(interned, (size_t)(n_interned + 1) * sizeof *m);
            if (m) {
                interned = m;
                interned[n_interned++] = d;
                t = &d->type;
            } else {
                pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
            }
        }
    }
    pthread_mutex_unlock(&lock);
    return t;
}

/* ---------------------------------------------------------------- listing */

static void count_ports(const LilvPlugin *p, int *ain, int *aout, int *cin, int *cout)
{
    *ain = *aout = *cin = *cout = 0;
    uint32_t np = lilv_plugin_get_num_ports(p);
    for (uint32_t i = 0; i < np; i++) {
        const LilvPort *port = lilv_plugin_get_port_by_index(p, i);
        bool in = lilv_port_is_a(p, port, uri.input);
        if (lilv_port_is_a(p, port, uri.audio)) in ? (*ain)++ : (*aout)++;
        else if (lilv_port_is_a(p, port, uri.control)) in ? (*cin)++ : (*cout)++;
    }
}

static void list_ports(FILE *out, const pt_lv2_desc *d)
{
    fprintf(out, "%s\n  uri: %s\n  audio: %d in, %d out%s\n", d->name, d->uri, d->n_audio_in,
            d->n_audio_out, d->latency_port >= 0 ? "; reports its latency" : "");
    fprintf(out, "  params:\n");
    for (int i = 0; i < d->type.n_params; i++) {
        const pt_param_def *p = &d->type.params[i];
        fprintf(out, "    %-20s %s: %g .. %g, default %g%s%s%s", p->name, p->label, (double)p->min,
                (double)p->max, (double)p->def, p->unit[0] ? " " : "", p->unit,
                p->taper == PT_TAPER_TOGGLE ? " (toggle)"
                : p->taper == PT_TAPER_LOG  ? " (logarithmic)"
                                            : "");
        if (p->taper == PT_TAPER_ENUM) {
            fprintf(out, " (choices:");
            for (int k = 0; p->choices[k]; k++) fprintf(out, "%s %s", k ? "," : "", p->choices[k]);
            fprintf(out, ")");
        }
        fprintf(out, "\n");
    }
    if (d->type.n_readouts) fprintf(out, "  readouts:\n");
    for (int i = 0; i < d->type.n_readouts; i++)
        fprintf(out, "    %-20s %s\n", d->type.readouts[i].name, d->type.readouts[i].doc);
}

struct cJSON *pt_lv2_plugins_json(char *why, int why_size)
{
    pthread_mutex_lock(&lock);
    if (!get_world(why, why_size)) {
        pthread_mutex_unlock(&lock);
        return NULL;
    }
    cJSON *arr = cJSON_CreateArray();
    const LilvPlugins *all = lilv_world_get_all_plugins(world);
    LILV_FOREACH (plugins, i, all) {
        const LilvPlugin *p = lilv_plugins_get(all, i);
        int ain, aout, cin, cout;
        count_ports(p, &ain, &aout, &cin, &cout);
        if (ain < 1 || aout < 1) continue; /* not an effect: it could not be a node */
        LilvNode *name = lilv_plugin_get_name(p);
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", name ? lilv_node_as_string(name) : "?");
        cJSON_AddStringToObject(o, "uri", lilv_node_as_uri(lilv_plugin_get_uri(p)));
        cJSON_AddNumberToObject(o, "audio_in", ain);
        cJSON_AddNumberToObject(o, "audio_out", aout);
        cJSON_AddItemToArray(arr, o);
        lilv_node_free(name);
    }
    pthread_mutex_unlock(&lock);
    return arr;
}

int pt_lv2_list(FILE *out, const char *u)
{
    extern const pt_node_type pt_node_lv2;
    char why[512] = "";
    if (u) {
        pt_error err = {0};
        const pt_node_type *t = pt_lv2_specialize(&pt_node_lv2, u, &err);
        if (!t) {
            fprintf(stderr, "pytone plugins: %s\n", err.msg);
            return 1;
        }
        list_ports(out, t->impl);
        return 0;
    }
    pthread_mutex_lock(&lock);
    if (!get_world(why, sizeof why)) {
        pthread_mutex_unlock(&lock);
        fprintf(stderr, "pytone plugins: LV2 hosting is not available: %s\n", why);
        return 1;
    }
    const LilvPlugins *all = lilv_world_get_all_plugins(world);
    fprintf(out, "%u LV2 plugins (audio in/out, controls in/out); 'pytone plugins URI' shows one's "
                 "parameters\n", lilv_plugins_size(all));
    LILV_FOREACH (plugins, i, all) {
        const LilvPlugin *p = lilv_plugins_get(all, i);
        LilvNode *name = lilv_plugin_get_name(p);
        int ain, aout, cin, cout;
        count_ports(p, &ain, &aout, &cin, &cout);
        fprintf(out, "%-40s %d/%d %3d/%-3d %s\n", name ? lilv_node_as_string(name) : "?", ain, aout,
                cin, cout, lilv_node_as_uri(lilv_plugin_get_uri(p)));
        lilv_node_free(name);
    }
    pthread_mutex_unlock(&lock);
    return 0;
}

#else /* built without lilv */

int pt_lv2_common_features(const void **out, int cap)
{
    (void)out, (void)cap;
    return 0;
}

const pt_node_type *pt_lv2_specialize(const pt_node_type *g, const char *u, pt_error *err)
{
    (void)g;
    pt_error_set(err, PT_ERR_UNSUPPORTED, NULL, 0, 0,
                 "LV2 plugin '%s': this pytone was built without LV2 hosting (apt install "
                 "liblilv-dev, then rebuild)", u);
    return NULL;
}

struct cJSON *pt_lv2_plugins_json(char *why, int why_size)
{
    snprintf(why, (size_t)why_size, "this pytone was built without LV2 hosting (apt install liblilv-dev)");
    return NULL;
}

int pt_lv2_list(FILE *out, const char *u)
{
    (void)out, (void)u;
    fprintf(stderr, "pytone plugins: this pytone was built without LV2 hosting (apt install "
                    "liblilv-dev, then rebuild)\n");
    return 1;
}

#endif
