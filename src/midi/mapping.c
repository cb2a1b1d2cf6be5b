/* mapping.c — see mapping.h. */
#include "mapping.h"

#include "../rig/yaml_doc.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---------------------------------------------------------------- maps */

pt_midi_map *pt_midi_map_new(void)
{
    pt_midi_map *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->channel = -1;
    m->program_change = -1;
    m->clock = -1;
    return m;
}

void pt_midi_map_free(pt_midi_map *m)
{
    if (!m) return;
    free(m->items);
    free(m);
}

int pt_midi_map_add(pt_midi_map *m, const pt_midi_mapping *item)
{
    if (m->n == m->cap) {
        int cap = m->cap ? m->cap * 2 : 8;
        pt_midi_mapping *it = realloc(m->items, (size_t)cap * sizeof *it);
        if (!it) return -1;
        m->items = it;
        m->cap = cap;
    }
    m->items[m->n++] = *item;
    return 0;
}

pt_midi_map *pt_midi_map_copy(const pt_midi_map *m)
{
    pt_midi_map *c = pt_midi_map_new();
    if (!c || !m) return c;
    pt_midi_mapping *items = c->items;
    *c = *m;
    c->items = items;
    c->n = c->cap = 0;
    for (int i = 0; i < m->n; i++)
        if (pt_midi_map_add(c, &m->items[i]) != 0) {
            pt_midi_map_free(c);
            return NULL;
        }
    return c;
}

static int overlap(int a, int b) { return a == 0 || b == 0 || a == b; }

int pt_midi_map_remove(pt_midi_map *m, int channel, int cc)
{
    int k = 0, removed = 0;
    for (int i = 0; i < m->n; i++) {
        if (m->items[i].cc == cc && overlap(m->items[i].channel, channel)) {
            removed++;
            continue;
        }
        m->items[k++] = m->items[i];
    }
    m->n = k;
    return removed;
}

/* --------------------------------------------------------------- curves */

static float unit_x(const pt_midi_mapping *m, int raw)
{
    int heel = m->heel, toe = m->toe;
    if (heel == toe) return raw >= toe ? 1.0f : 0.0f;
    float x = (float)(raw - heel) / (float)(toe - heel);
    return x < 0 ? 0.0f : x > 1 ? 1.0f : x;
}

float pt_midi_curve_value(const pt_midi_mapping *m, int raw, float lo, float hi)
{
    double x = unit_x(m, raw);
    switch (m->curve) {
    case PT_CURVE_LOG:
        if (lo * hi > 0) return (float)(lo * pow(hi / lo, x));
        break; /* not valid for a range through 0: linear */
    case PT_CURVE_EXP:
        return (float)(lo + (hi - lo) * (pow(10.0, 2.0 * x) - 1.0) / 99.0);
    default:
        break;
    }
    return (float)(lo + (hi - lo) * x);
}

int pt_midi_curve_raw(const pt_midi_mapping *m, float v, float lo, float hi)
{
    double x;
    if (hi == lo) x = 0;
    else if (m->curve == PT_CURVE_LOG && lo * hi > 0 && v / lo > 0)
        x = log(v / lo) / log(hi / lo);
    else if (m->curve == PT_CURVE_EXP) {
        double u = 1.0 + 99.0 * (v - lo) / (hi - lo);
        x = u > 0 ? log10(u) / 2.0 : 0.0;
    } else
        x = (v - lo) / (hi - lo);
    if (!(x > 0)) x = 0;
    if (x > 1) x = 1;
    long raw = lrint(m->heel + x * (m->toe - m->heel));
    return raw < 0 ? 0 : raw > 127 ? 127 : (int)raw;
}

/* -------------------------------------------------------------- parsing */

typedef struct pctx {
    pt_ydoc y;
    const pt_rig *rig;
} pctx;

static int boolean(pt_ydoc *y, yaml_node_t *v, const char *key, int *out)
{
    if (pt_yd_to_bool(pt_yd_scalar(v), out) == 0) return 0;
    pt_yd_problem(y, v, "'%s' must be true or false, not %s", key, pt_yd_shown(y, v));
    return -1;
}

/* omni or 1..16 */
static int channel(pt_ydoc *y, yaml_node_t *v, int *out)
{
    const char *s = pt_yd_scalar(v);
    if (s && !strcmp(s, "omni")) return *out = 0, 0;
    char *end = NULL;
    long ch = s && *s ? strtol(s, &end, 10) : -1;
    if (!s || !*s || *end || ch < 1 || ch > 16) {
        pt_yd_problem(y, v, "'channel' must be omni or 1 .. 16, not %s", pt_yd_shown(y, v));
        return -1;
    }
    *out = (int)ch;
    return 0;
}

static int choice(pt_ydoc *y, yaml_node_t *v, const char *key, const char *const *names, int *out)
{
    const char *s = pt_yd_scalar(v);
    for (int i = 0; s && names[i]; i++)
        if (!strcmp(s, names[i])) return *out = i, 0;
    char list[256] = "";
    pt_yd_join(list, sizeof list, names);
    pt_yd_problem(y, v, "'%s' must be one of %s, not %s", key, list, pt_yd_shown(y, v));
    return -1;
}

static const char *const curve_names[] = {"linear", "log", "exp", NULL};

/* node.param against the rig (when there is one). */
static void check_param(pctx *c, yaml_node_t *v, pt_midi_mapping *m, yaml_node_t *minv,
                        yaml_node_t *maxv)
{
    pt_ydoc *y = &c->y;
    if (!c->rig) return;
    pt_rig_node *n = pt_rig_find_node(c->rig, m->node);
    if (!n) {
        pt_yd_problem(y, v, "no node '%s' in the rig", m->node);
        return;
    }
    int pi = pt_param_index(n->type, m->param);
    if (pi < 0) {
        pt_yd_problem(y, v, "node '%s' (%s) has no parameter '%s'", m->node, n->type->name,
                      m->param);
        return;
    }
    const pt_param_def *d = &n->type->params[pi];
    if (d->flags & PT_PARAM_REBUILD) {
        pt_yd_problem(y, v, "%s.%s cannot be mapped: changing it rebuilds the node", m->node,
                      m->param);
        return;
    }
    if (m->has_min && (m->min < d->min || m->min > d->max))
        pt_yd_problem(y, minv, "'min' = %g is outside %s.%s's range %g .. %g", (double)m->min,
                      m->node, m->param, (double)d->min, (double)d->max);
    if (m->has_max && (m->max < d->min || m->max > d->max))
        pt_yd_problem(y, maxv, "'max' = %g is outside %s.%s's range %g .. %g", (double)m->max,
                      m->node, m->param, (double)d->min, (double)d->max);
    float lo = m->has_min ? m->min : d->min, hi = m->has_max ? m->max : d->max;
    if (m->curve == PT_CURVE_LOG && !(lo * hi > 0))
        pt_yd_problem(y, v,
                      "a log curve needs a range that does not include 0 (%s.%s: %g .. %g); set "
                      "'min' and 'max'",
                      m->node, m->param, (double)lo, (double)hi);
}

static void parse_item(pctx *c, yaml_node_t *it, pt_midi_map *map)
{
    static const char *const keys[] = {"cc",    "channel", "param",        "scene", "bypass",
                                       "tap",   "min",     "max",          "curve", "takeover",
                                       "heel",  "toe",     "smoothing_ms", "mode",  "value",
                                       "feedback", NULL};
    pt_ydoc *y = &c->y;
    if (it->type != YAML_MAPPING_NODE) {
        pt_yd_problem(y, it, "a mapping entry must be a mapping like {cc: 7, param: amp.gain_db}");
        return;
    }
    int before = y->diags->n;
    pt_yd_check_keys(y, it, "a MIDI mapping", keys);
    pt_midi_mapping m;
    memset(&m, 0, sizeof m);
    m.toe = 127;
    m.value = -1;
    m.line = PT_YD_LINE(it);
    m.col = PT_YD_COL(it);
    double d;
    yaml_node_t *v;
    if (!pt_yd_get(y, it, "cc"))
        pt_yd_problem(y, it, "missing 'cc' (the controller number, 0 .. 127)");
    else if (pt_yd_get_number(y, it, "cc", 0, 127, "", 1, &d) > 0) m.cc = (int)d;
    if ((v = pt_yd_get(y, it, "channel"))) channel(y, v, &m.channel);
    /* exactly one target */
    const char *targets[] = {"param", "scene", "bypass", "tap"};
    yaml_node_t *tv[4];
    int n_targets = 0;
    for (int i = 0; i < 4; i++) {
        tv[i] = pt_yd_get(y, it, targets[i]);
        if (tv[i]) {
            if (n_targets == 0) m.kind = (pt_map_kind)i;
            n_targets++;
        }
    }
    if (n_targets != 1) {
        pt_yd_problem(y, it, "a mapping needs exactly one of 'param', 'scene', 'bypass', 'tap' "
                             "(it has %d)", n_targets);
        return;
    }
    yaml_node_t *t = tv[m.kind];
    const char *ts = pt_yd_scalar(t);
    if (m.kind == PT_MAP_PARAM) {
        const char *dot = ts ? strchr(ts, '.') : NULL;
        if (!dot || dot == ts || !dot[1] || (size_t)(dot - ts) >= sizeof m.node ||
            strlen(dot + 1) >= sizeof m.param) {
            pt_yd_problem(y, t, "'param' must be NODE.PARAM (like amp.gain_db), not %s",
                          ts ? ts : "a list");
            return;
        }
        memcpy(m.node, ts, (size_t)(dot - ts));
        snprintf(m.param, sizeof m.param, "%s", dot + 1);
        if (pt_yd_get_number(y, it, "min", -1e9, 1e9, "", 0, &d) > 0)
            m.has_min = 1, m.min = (float)d;
        if (pt_yd_get_number(y, it, "max", -1e9, 1e9, "", 0, &d) > 0)
            m.has_max = 1, m.max = (float)d;
        int k;
        if ((v = pt_yd_get(y, it, "curve")) && choice(y, v, "curve", curve_names, &k) == 0)
            m.curve = (pt_map_curve)k;
        static const char *const takeover[] = {"jump", "soft", NULL};
        if ((v = pt_yd_get(y, it, "takeover")) && choice(y, v, "takeover", takeover, &k) == 0)
            m.soft = k;
        if (pt_yd_get_number(y, it, "heel", 0, 127, "", 1, &d) > 0) m.heel = (int)d;
        if (pt_yd_get_number(y, it, "toe", 0, 127, "", 1, &d) > 0) m.toe = (int)d;
        if (pt_yd_get(y, it, "heel") && (v = pt_yd_get(y, it, "toe")) && m.heel == m.toe)
            pt_yd_problem(y, v, "'heel' and 'toe' must differ (both %d)", m.heel);
        if (pt_yd_get_number(y, it, "smoothing_ms", 0, 2000, "", 0, &d) > 0)
            m.smoothing_ms = (float)d;
        if (y->diags->n == before)
            check_param(c, t, &m, pt_yd_get(y, it, "min"), pt_yd_get(y, it, "max"));
    } else if (m.kind == PT_MAP_SCENE) {
        if (!ts || !ts[0] || strlen(ts) >= sizeof m.scene) {
            pt_yd_problem(y, t, "'scene' must be a scene name");
            return;
        }
        snprintf(m.scene, sizeof m.scene, "%s", ts);
        if (c->rig && pt_rig_find_scene(c->rig, ts) < 0)
            pt_yd_problem(y, t, "no scene '%s' in the rig", ts);
        if (pt_yd_get_number(y, it, "value", 0, 127, "", 1, &d) > 0) m.value = (int)d;
    } else if (m.kind == PT_MAP_BYPASS) {
        if (!ts || !ts[0] || strlen(ts) >= sizeof m.node) {
            pt_yd_problem(y, t, "'bypass' must be a node id");
            return;
        }
        snprintf(m.node, sizeof m.node, "%s", ts);
        if (c->rig && !pt_rig_find_node(c->rig, ts))
            pt_yd_problem(y, t, "no node '%s' in the rig", ts);
        static const char *const modes[] = {"latching", "momentary", NULL};
        int k;
        if ((v = pt_yd_get(y, it, "mode")) && choice(y, v, "mode", modes, &k) == 0) m.momentary = k;
    } else {
        int on;
        if (boolean(y, t, "tap", &on) == 0 && !on) pt_yd_problem(y, t, "'tap' can only be true");
    }
    /* keys that belong to another kind of mapping */
    static const char *const param_only[] = {"min", "max", "curve", "takeover", "heel", "toe",
                                             "smoothing_ms", NULL};
    for (int i = 0; m.kind != PT_MAP_PARAM && param_only[i]; i++)
        if ((v = pt_yd_get(y, it, param_only[i])))
            pt_yd_problem(y, v, "'%s' applies to 'param' mappings only", param_only[i]);
    if (m.kind != PT_MAP_BYPASS && (v = pt_yd_get(y, it, "mode")))
        pt_yd_problem(y, v, "'mode' applies to 'bypass' mappings only");
    if (m.kind != PT_MAP_SCENE && (v = pt_yd_get(y, it, "value")))
        pt_yd_problem(y, v, "'value' applies to 'scene' mappings only");
    int fb;
    if ((v = pt_yd_get(y, it, "feedback")) && boolean(y, v, "feedback", &fb) == 0) m.feedback = fb;
    if (y->diags->n > before) return;
    /* one meaning per control: the same CC on an overlapping channel twice is
     * a mistake, unless both select scenes by distinct values */
    for (int i = 0; i < map->n; i++) {
        pt_midi_mapping *o = &map->items[i];
        if (o->cc != m.cc || !overlap(o->channel, m.channel)) continue;
        if (o->kind == PT_MAP_SCENE && m.kind == PT_MAP_SCENE && o->value >= 0 && m.value >= 0 &&
            o->value != m.value)
            continue;
        pt_yd_problem(y, pt_yd_get(y, it, "cc"), "CC %d is already mapped at line %d", m.cc,
                      o->line);
        return;
    }
    pt_midi_map_add(map, &m);
}

pt_midi_map *pt_midi_map_parse(yaml_document_t *doc, yaml_node_t *node, const char *file,
                               const pt_rig *rig, pt_diags *diags)
{
    pctx c = {.y = {.doc = doc, .file = file, .diags = diags, .nonscalar = "a list or mapping"},
              .rig = rig};
    pt_ydoc *y = &c.y;
    int before = diags->n;
    if (!node || node->type != YAML_MAPPING_NODE) {
        pt_yd_problem(y, node, "'midi' must be a mapping (channel, program_change, map, ...)");
        return NULL;
    }
    static const char *const keys[] = {"channel", "program_change", "bank_size", "clock",
                                       "tap_reset_ms", "map", NULL};
    pt_yd_check_keys(y, node, "the midi section", keys);
    pt_midi_map *m = pt_midi_map_new();
    if (!m) return NULL;
    yaml_node_t *v;
    double d;
    int b;
    if ((v = pt_yd_get(y, node, "channel"))) channel(y, v, &m->channel);
    if ((v = pt_yd_get(y, node, "program_change")) && boolean(y, v, "program_change", &b) == 0)
        m->program_change = b;
    if (pt_yd_get_number(y, node, "bank_size", 1, 128, "", 1, &d) > 0) m->bank_size = (int)d;
    if ((v = pt_yd_get(y, node, "clock")) && boolean(y, v, "clock", &b) == 0) m->clock = b;
    if (pt_yd_get_number(y, node, "tap_reset_ms", 200, 10000, "", 0, &d) > 0)
        m->tap_reset_ms = (float)d;
    if ((v = pt_yd_get(y, node, "map"))) {
        if (v->type != YAML_SEQUENCE_NODE) {
            pt_yd_problem(y, v, "'map' must be a list of mappings");
        } else {
            for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++)
                parse_item(&c, pt_yd_node(y, *i), m);
        }
    }
    if (diags->n > before) {
        pt_midi_map_free(m);
        return NULL;
    }
    return m;
}

pt_midi_map *pt_midi_map_load_string(const char *text, size_t len, const char *path,
                                     pt_diags *diags)
{
    pt_ydoc y = {.file = path, .diags = diags};
    yaml_document_t doc;
    if (pt_yd_load(&y, &doc, text, len, 0) != 0) return NULL;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    pt_midi_map *m = NULL;
    if (!root) m = pt_midi_map_new(); /* an empty file maps nothing */
    else if (root->type != YAML_MAPPING_NODE)
        pt_yd_problem(&y, root, "a MIDI mapping file must be a mapping with a 'midi' key");
    else {
        yaml_node_t *midi = pt_yd_get(&y, root, "midi");
        m = midi ? pt_midi_map_parse(&doc, midi, path, NULL, diags) : pt_midi_map_new();
    }
    yaml_document_delete(&doc);
    return m;
}

pt_midi_map *pt_midi_map_load_file(const char *path, pt_diags *diags)
{
    size_t n;
    char *buf = pt_yd_read_file(path, "a MIDI map", &n, diags);
    if (!buf) return NULL;
    pt_midi_map *m = pt_midi_map_load_string(buf, n, path, diags);
    free(buf);
    return m;
}

/* -------------------------------------------------------------- merging */

pt_midi_map *pt_midi_map_merge(const pt_midi_map *const *layers, int n)
{
    pt_midi_map *out = pt_midi_map_new();
    if (!out) return NULL;
    out->channel = 0;
    out->program_change = 1;
    out->bank_size = 128;
    out->clock = 0;
    out->tap_reset_ms = 2000;
    for (int l = 0; l < n; l++) {
        const pt_midi_map *m = layers[l];
        if (!m) continue;
        if (m->channel >= 0) out->channel = m->channel;
        if (m->program_change >= 0) out->program_change = m->program_change;
        if (m->bank_size > 0) out->bank_size = m->bank_size;
        if (m->clock >= 0) out->clock = m->clock;
        if (m->tap_reset_ms > 0) out->tap_reset_ms = m->tap_reset_ms;
    }
    for (int l = 0; l < n; l++) {
        const pt_midi_map *m = layers[l];
        if (!m) continue;
        int ch = m->channel > 0 ? m->channel : 0;
        /* this layer's CCs replace what the layers below mapped */
        for (int i = 0; i < m->n; i++) {
            int ich = m->items[i].channel ? m->items[i].channel : ch;
            int k = 0;
            for (int j = 0; j < out->n; j++) {
                pt_midi_mapping *o = &out->items[j];
                if (o->cc == m->items[i].cc && overlap(o->channel, ich))
                    continue; /* replaced */
                out->items[k++] = *o;
            }
            out->n = k;
        }
        for (int i = 0; i < m->n; i++) {
            pt_midi_mapping it = m->items[i];
            it.channel = it.channel ? it.channel : ch;
            pt_midi_map_add(out, &it);
        }
    }
    return out;
}

/* -------------------------------------------------------------- writing */

int pt_midi_map_emit(const pt_midi_map *m, yaml_emitter_t *emitter)
{
    pt_yemit o = {.em = emitter};
    pt_ye_map_start(&o, NULL, 0);
    char buf[2 * PT_ID_MAX + 64];
    if (m->channel >= 0) {
        snprintf(buf, sizeof buf, "%d", m->channel);
        pt_ye_pair(&o, "channel", m->channel ? buf : "omni");
    }
    if (m->program_change >= 0)
        pt_ye_pair(&o, "program_change", m->program_change ? "true" : "false");
    if (m->bank_size > 0) pt_ye_pair_number(&o, "bank_size", m->bank_size);
    if (m->clock >= 0) pt_ye_pair(&o, "clock", m->clock ? "true" : "false");
    if (m->tap_reset_ms > 0) pt_ye_pair_number(&o, "tap_reset_ms", m->tap_reset_ms);
    if (m->n > 0) {
        pt_ye_seq_start(&o, "map", 0);
        for (int i = 0; i < m->n; i++) {
            const pt_midi_mapping *it = &m->items[i];
            pt_ye_map_start(&o, NULL, 1);
            pt_ye_pair_number(&o, "cc", it->cc);
            if (it->channel) pt_ye_pair_number(&o, "channel", it->channel);
            switch (it->kind) {
            case PT_MAP_PARAM:
                snprintf(buf, sizeof buf, "%s.%s", it->node, it->param);
                pt_ye_pair(&o, "param", buf);
                if (it->has_min) pt_ye_pair_number(&o, "min", it->min);
                if (it->has_max) pt_ye_pair_number(&o, "max", it->max);
                if (it->curve) pt_ye_pair(&o, "curve", curve_names[it->curve]);
                if (it->soft) pt_ye_pair(&o, "takeover", "soft");
                if (it->heel != 0) pt_ye_pair_number(&o, "heel", it->heel);
                if (it->toe != 127) pt_ye_pair_number(&o, "toe", it->toe);
                if (it->smoothing_ms > 0) pt_ye_pair_number(&o, "smoothing_ms", it->smoothing_ms);
                break;
            case PT_MAP_SCENE:
                pt_ye_pair(&o, "scene", it->scene);
                if (it->value >= 0) pt_ye_pair_number(&o, "value", it->value);
                break;
            case PT_MAP_BYPASS:
                pt_ye_pair(&o, "bypass", it->node);
                if (it->momentary) pt_ye_pair(&o, "mode", "momentary");
                break;
            case PT_MAP_TAP:
                pt_ye_pair(&o, "tap", "true");
                break;
            }
            if (it->feedback) pt_ye_pair(&o, "feedback", "true");
            pt_ye_map_end(&o);
        }
        pt_ye_seq_end(&o);
    }
    pt_ye_map_end(&o);
    return o.failed ? -1 : 0;
}
