/* mapping.c — see mapping.h. */
#include "mapping.h"

#include "../rig/yaml_guard.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
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
    yaml_document_t *doc;
    const char *file;
    pt_diags *diags;
    const pt_rig *rig;
} pctx;

#define LINE(n) ((int)(n)->start_mark.line + 1)
#define COL(n) ((int)(n)->start_mark.column + 1)

static void problem(pctx *c, yaml_node_t *at, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static void problem(pctx *c, yaml_node_t *at, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    pt_diags_add(c->diags, c->file, at ? LINE(at) : 0, at ? COL(at) : 0, "%s", msg);
}

static yaml_node_t *at(pctx *c, int i) { return yaml_document_get_node(c->doc, i); }

static const char *scalar(yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static yaml_node_t *get(pctx *c, yaml_node_t *map, const char *key)
{
    if (!map || map->type != YAML_MAPPING_NODE) return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        const char *s = scalar(at(c, p->key));
        if (s && !strcmp(s, key)) return at(c, p->value);
    }
    return NULL;
}

static void check_keys(pctx *c, yaml_node_t *map, const char *what, const char *const *allowed)
{
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = at(c, p->key);
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

/* A number in lo..hi; whole when `whole`. 0 on success, -1 reported. */
static int number(pctx *c, yaml_node_t *v, const char *key, double lo, double hi, int whole,
                  double *out)
{
    const char *s = scalar(v);
    char *end = NULL;
    errno = 0;
    double d = s && *s ? strtod(s, &end) : NAN;
    if (!s || !*s || errno || *end || !isfinite(d)) {
        problem(c, v, "'%s' must be a number, not %s", key, s ? s : "a list or mapping");
        return -1;
    }
    if (whole && d != floor(d)) {
        problem(c, v, "'%s' must be a whole number, not %s", key, s);
        return -1;
    }
    if (d < lo || d > hi) {
        problem(c, v, "'%s' = %g is out of range %g .. %g", key, d, lo, hi);
        return -1;
    }
    *out = d;
    return 0;
}

static int boolean(pctx *c, yaml_node_t *v, const char *key, int *out)
{
    const char *s = scalar(v);
    if (s && (!strcmp(s, "true") || !strcmp(s, "on") || !strcmp(s, "yes"))) return *out = 1, 0;
    if (s && (!strcmp(s, "false") || !strcmp(s, "off") || !strcmp(s, "no"))) return *out = 0, 0;
    problem(c, v, "'%s' must be true or false, not %s", key, s ? s : "a list or mapping");
    return -1;
}

/* omni or 1..16 */
static int channel(pctx *c, yaml_node_t *v, int *out)
{
    const char *s = scalar(v);
    if (s && !strcmp(s, "omni")) return *out = 0, 0;
    char *end = NULL;
    long ch = s && *s ? strtol(s, &end, 10) : -1;
    if (!s || !*s || *end || ch < 1 || ch > 16) {
        problem(c, v, "'channel' must be omni or 1 .. 16, not %s", s ? s : "a list or mapping");
        return -1;
    }
    *out = (int)ch;
    return 0;
}

static int choice(pctx *c, yaml_node_t *v, const char *key, const char *const *names, int *out)
{
    const char *s = scalar(v);
    for (int i = 0; s && names[i]; i++)
        if (!strcmp(s, names[i])) return *out = i, 0;
    char list[256] = "";
    for (int i = 0; names[i]; i++) {
        strncat(list, names[i], sizeof list - strlen(list) - 3);
        if (names[i + 1]) strncat(list, ", ", sizeof list - strlen(list) - 1);
    }
    problem(c, v, "'%s' must be one of %s, not %s", key, list, s ? s : "a list or mapping");
    return -1;
}

static const char *const curve_names[] = {"linear", "log", "exp", NULL};

/* node.param against the rig (when there is one). */
static void check_param(pctx *c, yaml_node_t *v, pt_midi_mapping *m, yaml_node_t *minv,
                        yaml_node_t *maxv)
{
    if (!c->rig) return;
    pt_rig_node *n = pt_rig_find_node(c->rig, m->node);
    if (!n) {
        problem(c, v, "no node '%s' in the rig", m->node);
        return;
    }
    int pi = pt_param_index(n->type, m->param);
    if (pi < 0) {
        problem(c, v, "node '%s' (%s) has no parameter '%s'", m->node, n->type->name, m->param);
        return;
    }
    const pt_param_def *d = &n->type->params[pi];
    if (d->flags & PT_PARAM_REBUILD) {
        problem(c, v, "%s.%s cannot be mapped: changing it rebuilds the node", m->node, m->param);
        return;
    }
    if (m->has_min && (m->min < d->min || m->min > d->max))
        problem(c, minv, "'min' = %g is outside %s.%s's range %g .. %g", (double)m->min, m->node,
                m->param, (double)d->min, (double)d->max);
    if (m->has_max && (m->max < d->min || m->max > d->max))
        problem(c, maxv, "'max' = %g is outside %s.%s's range %g .. %g", (double)m->max, m->node,
                m->param, (double)d->min, (double)d->max);
    float lo = m->has_min ? m->min : d->min, hi = m->has_max ? m->max : d->max;
    if (m->curve == PT_CURVE_LOG && !(lo * hi > 0))
        problem(c, v, "a log curve needs a range that does not include 0 (%s.%s: %g .. %g); set "
                      "'min' and 'max'",
                m->node, m->param, (double)lo, (double)hi);
}

static void parse_item(pctx *c, yaml_node_t *it, pt_midi_map *map)
{
    static const char *const keys[] = {"cc",    "channel", "param",        "scene", "bypass",
                                       "tap",   "min",     "max",          "curve", "takeover",
                                       "heel",  "toe",     "smoothing_ms", "mode",  "value",
                                       "feedback", NULL};
    if (it->type != YAML_MAPPING_NODE) {
        problem(c, it, "a mapping entry must be a mapping like {cc: 7, param: amp.gain_db}");
        return;
    }
    int before = c->diags->n;
    check_keys(c, it, "a MIDI mapping", keys);
    pt_midi_mapping m;
    memset(&m, 0, sizeof m);
    m.toe = 127;
    m.value = -1;
    m.line = LINE(it);
    m.col = COL(it);
    double d;
    yaml_node_t *v = get(c, it, "cc");
    if (!v) problem(c, it, "missing 'cc' (the controller number, 0 .. 127)");
    else if (number(c, v, "cc", 0, 127, 1, &d) == 0) m.cc = (int)d;
    if ((v = get(c, it, "channel"))) channel(c, v, &m.channel);
    /* exactly one target */
    const char *targets[] = {"param", "scene", "bypass", "tap"};
    yaml_node_t *tv[4];
    int n_targets = 0;
    for (int i = 0; i < 4; i++) {
        tv[i] = get(c, it, targets[i]);
        if (tv[i]) {
            if (n_targets == 0) m.kind = (pt_map_kind)i;
            n_targets++;
        }
    }
    if (n_targets != 1) {
        problem(c, it, "a mapping needs exactly one of 'param', 'scene', 'bypass', 'tap' (it has %d)",
                n_targets);
        return;
    }
    yaml_node_t *t = tv[m.kind];
    const char *ts = scalar(t);
    if (m.kind == PT_MAP_PARAM) {
        const char *dot = ts ? strchr(ts, '.') : NULL;
        if (!dot || dot == ts || !dot[1] || (size_t)(dot - ts) >= sizeof m.node ||
            strlen(dot + 1) >= sizeof m.param) {
            problem(c, t, "'param' must be NODE.PARAM (like amp.gain_db), not %s", ts ? ts : "a list");
            return;
        }
        memcpy(m.node, ts, (size_t)(dot - ts));
        snprintf(m.param, sizeof m.param, "%s", dot + 1);
        yaml_node_t *minv = get(c, it, "min"), *maxv = get(c, it, "max");
        if (minv && number(c, minv, "min", -1e9, 1e9, 0, &d) == 0) m.has_min = 1, m.min = (float)d;
        if (maxv && number(c, maxv, "max", -1e9, 1e9, 0, &d) == 0) m.has_max = 1, m.max = (float)d;
        int k;
        if ((v = get(c, it, "curve")) && choice(c, v, "curve", curve_names, &k) == 0)
            m.curve = (pt_map_curve)k;
        static const char *const takeover[] = {"jump", "soft", NULL};
        if ((v = get(c, it, "takeover")) && choice(c, v, "takeover", takeover, &k) == 0) m.soft = k;
        if ((v = get(c, it, "heel")) && number(c, v, "heel", 0, 127, 1, &d) == 0) m.heel = (int)d;
        if ((v = get(c, it, "toe")) && number(c, v, "toe", 0, 127, 1, &d) == 0) m.toe = (int)d;
        if (get(c, it, "heel") && get(c, it, "toe") && m.heel == m.toe)
            problem(c, get(c, it, "toe"), "'heel' and 'toe' must differ (both %d)", m.heel);
        if ((v = get(c, it, "smoothing_ms")) && number(c, v, "smoothing_ms", 0, 2000, 0, &d) == 0)
            m.smoothing_ms = (float)d;
        if (c->diags->n == before) check_param(c, t, &m, minv, maxv);
    } else if (m.kind == PT_MAP_SCENE) {
        if (!ts || !ts[0] || strlen(ts) >= sizeof m.scene) {
            problem(c, t, "'scene' must be a scene name");
            return;
        }
        snprintf(m.scene, sizeof m.scene, "%s", ts);
        if (c->rig && pt_rig_find_scene(c->rig, ts) < 0) problem(c, t, "no scene '%s' in the rig", ts);
        if ((v = get(c, it, "value")) && number(c, v, "value", 0, 127, 1, &d) == 0) m.value = (int)d;
    } else if (m.kind == PT_MAP_BYPASS) {
        if (!ts || !ts[0] || strlen(ts) >= sizeof m.node) {
            problem(c, t, "'bypass' must be a node id");
            return;
        }
        snprintf(m.node, sizeof m.node, "%s", ts);
        if (c->rig && !pt_rig_find_node(c->rig, ts)) problem(c, t, "no node '%s' in the rig", ts);
        static const char *const modes[] = {"latching", "momentary", NULL};
        int k;
        if ((v = get(c, it, "mode")) && choice(c, v, "mode", modes, &k) == 0) m.momentary = k;
    } else {
        int on;
        if (boolean(c, t, "tap", &on) == 0 && !on) problem(c, t, "'tap' can only be true");
    }
    /* keys that belong to another kind of mapping */
    static const char *const param_only[] = {"min", "max", "curve", "takeover", "heel", "toe",
                                             "smoothing_ms", NULL};
    for (int i = 0; m.kind != PT_MAP_PARAM && param_only[i]; i++)
        if ((v = get(c, it, param_only[i])))
            problem(c, v, "'%s' applies to 'param' mappings only", param_only[i]);
    if (m.kind != PT_MAP_BYPASS && (v = get(c, it, "mode")))
        problem(c, v, "'mode' applies to 'bypass' mappings only");
    if (m.kind != PT_MAP_SCENE && (v = get(c, it, "value")))
        problem(c, v, "'value' applies to 'scene' mappings only");
    int fb;
    if ((v = get(c, it, "feedback")) && boolean(c, v, "feedback", &fb) == 0) m.feedback = fb;
    if (c->diags->n > before) return;
    /* one meaning per control: the same CC on an overlapping channel twice is
     * a mistake, unless both select scenes by distinct values */
    for (int i = 0; i < map->n; i++) {
        pt_midi_mapping *o = &map->items[i];
        if (o->cc != m.cc || !overlap(o->channel, m.channel)) continue;
        if (o->kind == PT_MAP_SCENE && m.kind == PT_MAP_SCENE && o->value >= 0 && m.value >= 0 &&
            o->value != m.value)
            continue;
        problem(c, get(c, it, "cc"), "CC %d is already mapped at line %d", m.cc, o->line);
        return;
    }
    pt_midi_map_add(map, &m);
}

pt_midi_map *pt_midi_map_parse(yaml_document_t *doc, yaml_node_t *node, const char *file,
                               const pt_rig *rig, pt_diags *diags)
{
    pctx c = {.doc = doc, .file = file, .diags = diags, .rig = rig};
    int before = diags->n;
    if (!node || node->type != YAML_MAPPING_NODE) {
        problem(&c, node, "'midi' must be a mapping (channel, program_change, map, ...)");
        return NULL;
    }
    static const char *const keys[] = {"channel", "program_change", "bank_size", "clock",
                                       "tap_reset_ms", "map", NULL};
    check_keys(&c, node, "the midi section", keys);
    pt_midi_map *m = pt_midi_map_new();
    if (!m) return NULL;
    yaml_node_t *v;
    double d;
    int b;
    if ((v = get(&c, node, "channel"))) channel(&c, v, &m->channel);
    if ((v = get(&c, node, "program_change")) && boolean(&c, v, "program_change", &b) == 0)
        m->program_change = b;
    if ((v = get(&c, node, "bank_size")) && number(&c, v, "bank_size", 1, 128, 1, &d) == 0)
        m->bank_size = (int)d;
    if ((v = get(&c, node, "clock")) && boolean(&c, v, "clock", &b) == 0) m->clock = b;
    if ((v = get(&c, node, "tap_reset_ms")) && number(&c, v, "tap_reset_ms", 200, 10000, 0, &d) == 0)
        m->tap_reset_ms = (float)d;
    if ((v = get(&c, node, "map"))) {
        if (v->type != YAML_SEQUENCE_NODE) {
            problem(&c, v, "'map' must be a list of mappings");
        } else {
            for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++)
                parse_item(&c, at(&c, *i), m);
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
    /* aliases, absurd nesting or size: refused before libyaml builds a tree */
    if (pt_yaml_precheck(text, len, path, diags) != 0) return NULL;
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        pt_diags_add(diags, path, (int)parser.problem_mark.line + 1,
                     (int)parser.problem_mark.column + 1, "YAML: %s",
                     parser.problem ? parser.problem : "syntax error");
        yaml_parser_delete(&parser);
        return NULL;
    }
    pctx c = {.doc = &doc, .file = path, .diags = diags};
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    pt_midi_map *m = NULL;
    if (!root) m = pt_midi_map_new(); /* an empty file maps nothing */
    else if (root->type != YAML_MAPPING_NODE)
        problem(&c, root, "a MIDI mapping file must be a mapping with a 'midi' key");
    else {
        yaml_node_t *midi = get(&c, root, "midi");
        m = midi ? pt_midi_map_parse(&doc, midi, path, NULL, diags) : pt_midi_map_new();
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    return m;
}

pt_midi_map *pt_midi_map_load_file(const char *path, pt_diags *diags)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        pt_diags_add(diags, path, 0, 0, "cannot open: %s", strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || st.st_size > 4 * 1024 * 1024) {
        fclose(f);
        pt_diags_add(diags, path, 0, 0, "is not a file of at most 4 MiB");
        return NULL;
    }
    char *buf = malloc((size_t)st.st_size + 1);
    size_t n = buf ? fread(buf, 1, (size_t)st.st_size, f) : 0;
    fclose(f);
    if (!buf) return NULL;
    buf[n] = 0;
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

typedef struct em {
    yaml_emitter_t *em;
    int failed;
} em;

static void ev(em *o, yaml_event_t *e)
{
    if (!o->failed && !yaml_emitter_emit(o->em, e)) o->failed = 1;
}

static void s(em *o, const char *text)
{
    yaml_event_t e;
    yaml_scalar_event_initialize(&e, NULL, NULL, (yaml_char_t *)text, (int)strlen(text), 1, 1,
                                 YAML_ANY_SCALAR_STYLE);
    ev(o, &e);
}

static void num(em *o, double v)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.9g", v);
    s(o, buf);
}

static void kv(em *o, const char *k, const char *v) { s(o, k), s(o, v); }
static void kn(em *o, const char *k, double v) { s(o, k), num(o, v); }

static void map_start(em *o, int flow)
{
    yaml_event_t e;
    yaml_mapping_start_event_initialize(&e, NULL, NULL, 1,
                                        flow ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE);
    ev(o, &e);
}

static void map_end(em *o)
{
    yaml_event_t e;
    yaml_mapping_end_event_initialize(&e);
    ev(o, &e);
}

int pt_midi_map_emit(const pt_midi_map *m, yaml_emitter_t *emitter)
{
    em o = {.em = emitter};
    map_start(&o, 0);
    char buf[2 * PT_ID_MAX + 64];
    if (m->channel >= 0) {
        snprintf(buf, sizeof buf, "%d", m->channel);
        kv(&o, "channel", m->channel ? buf : "omni");
    }
    if (m->program_change >= 0) kv(&o, "program_change", m->program_change ? "true" : "false");
    if (m->bank_size > 0) kn(&o, "bank_size", m->bank_size);
    if (m->clock >= 0) kv(&o, "clock", m->clock ? "true" : "false");
    if (m->tap_reset_ms > 0) kn(&o, "tap_reset_ms", m->tap_reset_ms);
    if (m->n > 0) {
        s(&o, "map");
        yaml_event_t e;
        yaml_sequence_start_event_initialize(&e, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE);
        ev(&o, &e);
        for (int i = 0; i < m->n; i++) {
            const pt_midi_mapping *it = &m->items[i];
            map_start(&o, 1);
            kn(&o, "cc", it->cc);
            if (it->channel) kn(&o, "channel", it->channel);
            switch (it->kind) {
            case PT_MAP_PARAM:
                snprintf(buf, sizeof buf, "%s.%s", it->node, it->param);
                kv(&o, "param", buf);
                if (it->has_min) kn(&o, "min", it->min);
                if (it->has_max) kn(&o, "max", it->max);
                if (it->curve) kv(&o, "curve", curve_names[it->curve]);
                if (it->soft) kv(&o, "takeover", "soft");
                if (it->heel != 0) kn(&o, "heel", it->heel);
                if (it->toe != 127) kn(&o, "toe", it->toe);
                if (it->smoothing_ms > 0) kn(&o, "smoothing_ms", it->smoothing_ms);
                break;
            case PT_MAP_SCENE:
                kv(&o, "scene", it->scene);
                if (it->value >= 0) kn(&o, "value", it->value);
                break;
            case PT_MAP_BYPASS:
                kv(&o, "bypass", it->node);
                if (it->momentary) kv(&o, "mode", "momentary");
                break;
            case PT_MAP_TAP:
                kv(&o, "tap", "true");
                break;
            }
            if (it->feedback) kv(&o, "feedback", "true");
            map_end(&o);
        }
        yaml_sequence_end_event_initialize(&e);
        ev(&o, &e);
    }
    map_end(&o);
    return o.failed ? -1 : 0;
}
