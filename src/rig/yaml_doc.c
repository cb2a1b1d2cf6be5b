/* yaml_doc.c — see yaml_doc.h. */
#include "yaml_doc.h"

#include "../core/regfile.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---------------------------------------------------------------- problems */

static int report_v(pt_ydoc *y, int line, int col, const char *fmt, va_list ap)
{
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (y->diags) {
        pt_diags_add(y->diags, y->file, line, col, "%s", msg);
        return PT_ERR_INVALID;
    }
    return pt_error_set(y->err, PT_ERR_INVALID, y->file, line, col, "%s", msg);
}

int pt_yd_report(pt_ydoc *y, int line, int col, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = report_v(y, line, col, fmt, ap);
    va_end(ap);
    return rc;
}

int pt_yd_problem(pt_ydoc *y, const yaml_node_t *at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = report_v(y, at ? PT_YD_LINE(at) : 0, at ? PT_YD_COL(at) : 0, fmt, ap);
    va_end(ap);
    return rc;
}

int pt_yd_nomem(pt_ydoc *y)
{
    if (y->diags) pt_diags_add(y->diags, y->file, 0, 0, "out of memory");
    return pt_error_set(y->diags ? NULL : y->err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
}

/* libyaml's own message for text it cannot parse (with its context, as
 * "YAML: PROBLEM CONTEXT", when with_context). */
static int syntax_error(pt_ydoc *y, const yaml_parser_t *p, int with_context)
{
    int ctx = with_context && p->context;
    return pt_yd_report(y, (int)p->problem_mark.line + 1, (int)p->problem_mark.column + 1,
                        "YAML: %s%s%s", p->problem ? p->problem : "syntax error", ctx ? " " : "",
                        ctx ? p->context : "");
}

/* A bounded first look at the text before it is loaded. libyaml's document
 * loader follows aliases by reference (an alias bomb becomes an
 * exponentially large tree for whoever walks it) and recurses per nesting
 * level. This reads the event stream iteratively and refuses aliases,
 * nesting deeper than MAX_DEPTH, more than MAX_NODES nodes and more than one
 * document, in time and memory linear in the input. */
#define MAX_DEPTH 64
#define MAX_NODES 200000

static int precheck(pt_ydoc *y, const char *text, size_t len)
{
    yaml_parser_t p;
    yaml_event_t ev;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    int depth = 0, docs = 0, rc = 0;
    long nodes = 0;
    for (;;) {
        if (!yaml_parser_parse(&p, &ev)) {
            rc = syntax_error(y, &p, 1);
            break;
        }
        int line = (int)ev.start_mark.line + 1, col = (int)ev.start_mark.column + 1;
        yaml_event_type_t t = ev.type;
        if (t == YAML_ALIAS_EVENT) {
            rc = pt_yd_report(y, line, col, "YAML aliases (*name) are not allowed here");
        } else if (t == YAML_DOCUMENT_START_EVENT && ++docs > 1) {
            rc = pt_yd_report(y, line, col,
                              "only one YAML document is allowed (found a second '---')");
        } else if (t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT) {
            if (++depth > MAX_DEPTH)
                rc = pt_yd_report(y, line, col, "nested more than %d levels deep", MAX_DEPTH);
        } else if (t == YAML_SEQUENCE_END_EVENT || t == YAML_MAPPING_END_EVENT) {
            depth--;
        }
        int is_node = t == YAML_SCALAR_EVENT || t == YAML_SEQUENCE_START_EVENT ||
                      t == YAML_MAPPING_START_EVENT;
        /* (both problems of one event go to diags; err keeps the first) */
        if (is_node && ++nodes > MAX_NODES && (y->diags || !rc))
            rc = pt_yd_report(y, line, col, "more than %d values: too large", MAX_NODES);
        yaml_event_delete(&ev);
        if (rc || t == YAML_STREAM_END_EVENT) break;
    }
    yaml_parser_delete(&p);
    return rc;
}

int pt_yd_load(pt_ydoc *y, yaml_document_t *doc, const char *text, size_t len, int with_context)
{
    int rc = precheck(y, text, len);
    if (rc) return rc;
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) return pt_yd_nomem(y);
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, doc)) rc = syntax_error(y, &parser, with_context);
    else y->doc = doc;
    yaml_parser_delete(&parser);
    return rc;
}

/* ---------------------------------------------------------------- access */

yaml_node_t *pt_yd_node(const pt_ydoc *y, int index)
{
    return yaml_document_get_node(y->doc, index);
}

int pt_yd_len(const yaml_node_t *n)
{
    if (n->type == YAML_SEQUENCE_NODE)
        return (int)(n->data.sequence.items.top - n->data.sequence.items.start);
    if (n->type == YAML_MAPPING_NODE)
        return (int)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
    return 0;
}

yaml_node_t *pt_yd_item(const pt_ydoc *y, const yaml_node_t *seq, int i)
{
    return pt_yd_node(y, seq->data.sequence.items.start[i]);
}

const char *pt_yd_scalar(const yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

const char *pt_yd_kind(const yaml_node_t *n)
{
    if (!n) return "nothing";
    switch (n->type) {
    case YAML_SCALAR_NODE: return "a value";
    case YAML_SEQUENCE_NODE: return "a list";
    case YAML_MAPPING_NODE: return "a mapping";
    default: return "nothing";
    }
}

const char *pt_yd_shown(const pt_ydoc *y, const yaml_node_t *n)
{
    if (pt_yd_scalar(n)) return pt_yd_scalar(n);
    return y->nonscalar ? y->nonscalar : pt_yd_kind(n);
}

yaml_node_t *pt_yd_get_key(const pt_ydoc *y, const yaml_node_t *map, const char *key,
                           yaml_node_t **key_node)
{
    if (!map || map->type != YAML_MAPPING_NODE) return NULL;
    const yaml_node_pair_t *end = map->data.mapping.pairs.top;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < end; p++) {
        yaml_node_t *k = pt_yd_node(y, p->key);
        const char *s = pt_yd_scalar(k);
        if (s && !strcmp(s, key)) {
            if (key_node) *key_node = k;
            return pt_yd_node(y, p->value);
        }
    }
    return NULL;
}

yaml_node_t *pt_yd_get(const pt_ydoc *y, const yaml_node_t *map, const char *key)
{
    return pt_yd_get_key(y, map, key, NULL);
}

/* ---------------------------------------------------------------- keys */

void pt_yd_list_add(char *buf, size_t size, const char *item, int more)
{
    strncat(buf, item, size - strlen(buf) - 3);
    if (more) strncat(buf, ", ", size - strlen(buf) - 1);
}

void pt_yd_join(char *buf, size_t size, const char *const *names)
{
    for (int i = 0; names[i]; i++) pt_yd_list_add(buf, size, names[i], names[i + 1] != NULL);
}

const char *pt_yd_nearest(const char *name, const char *const *names, int below)
{
    const char *near = NULL;
    for (int i = 0; names[i]; i++) {
        int dist = pt_edit_distance(name, names[i]);
        if (dist < below) below = dist, near = names[i];
    }
    return near;
}

int pt_yd_check_keys(pt_ydoc *y, const yaml_node_t *map, const char *what,
                     const char *const *allowed)
{
    int rc = 0;
    const yaml_node_pair_t *end = map->data.mapping.pairs.top;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < end; p++) {
        yaml_node_t *k = pt_yd_node(y, p->key);
        const char *key = pt_yd_scalar(k);
        int ok = 0;
        for (int i = 0; key && allowed[i]; i++)
            if (!strcmp(key, allowed[i])) ok = 1;
        if (ok) continue;
        char list[512] = "";
        pt_yd_join(list, sizeof list, allowed);
        const char *near = key && y->keys == PT_YD_KEYS_NEAREST ? pt_yd_nearest(key, allowed, 3)
                                                                : NULL;
        if (y->keys == PT_YD_KEYS_KNOWN)
            rc = pt_yd_problem(y, k, "unknown key '%s' in %s (known: %s)", key ? key : "?", what,
                               list);
        else if (!key)
            rc = pt_yd_problem(y, k, "%s: keys must be plain names", what);
        else if (near)
            rc = pt_yd_problem(y, k, "unknown key '%s' in %s (did you mean '%s'?)", key, what,
                               near);
        else
            rc = pt_yd_problem(y, k, "unknown key '%s' in %s; it takes: %s", key, what, list);
        if (!y->diags) return rc;
    }
    return rc;
}

/* ---------------------------------------------------------------- values */

int pt_yd_to_number(const char *s, double *out)
{
    if (!s || !*s) return -1;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || *end || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

int pt_yd_to_bool(const char *s, int *out)
{
    if (!s) return -1;
    if (!strcmp(s, "true") || !strcmp(s, "on") || !strcmp(s, "yes")) return *out = 1, 0;
    if (!strcmp(s, "false") || !strcmp(s, "off") || !strcmp(s, "no")) return *out = 0, 0;
    return -1;
}

int pt_yd_number(pt_ydoc *y, const yaml_node_t *v, const char *key, double lo, double hi,
                 const char *unit, int whole, double *out)
{
    double d;
    if (pt_yd_to_number(pt_yd_scalar(v), &d) != 0) {
        pt_yd_problem(y, v, "'%s' must be a number, not %s", key, pt_yd_shown(y, v));
        return -1;
    }
    if (whole && d != floor(d)) {
        pt_yd_problem(y, v, "'%s' must be a whole number, not %s", key, pt_yd_scalar(v));
        return -1;
    }
    if (d < lo || d > hi) {
        pt_yd_problem(y, v, "'%s' = %g is out of range %g .. %g%s%s", key, d, lo, hi,
                      unit[0] ? " " : "", unit);
        return -1;
    }
    *out = d;
    return 0;
}

int pt_yd_get_number(pt_ydoc *y, const yaml_node_t *map, const char *key, double lo, double hi,
                     const char *unit, int whole, double *out)
{
    yaml_node_t *v = pt_yd_get(y, map, key);
    if (!v) return 0;
    return pt_yd_number(y, v, key, lo, hi, unit, whole, out) == 0 ? 1 : -1;
}

int pt_yd_get_float(pt_ydoc *y, const yaml_node_t *map, const char *key, float lo, float hi,
                    const char *unit, float *out)
{
    double d;
    int rc = pt_yd_get_number(y, map, key, lo, hi, unit, 0, &d);
    if (rc > 0) *out = (float)d;
    return rc;
}

char *pt_yd_get_string(pt_ydoc *y, const yaml_node_t *map, const char *key)
{
    yaml_node_t *v = pt_yd_get(y, map, key);
    if (!v) return NULL;
    if (!pt_yd_scalar(v)) {
        pt_yd_problem(y, v, "'%s' must be text, not %s", key, pt_yd_kind(v));
        return NULL;
    }
    return strdup(pt_yd_scalar(v));
}

/* ---------------------------------------------------------------- writing */

void pt_ye_event(pt_yemit *o, yaml_event_t *e)
{
    if (!o->failed && !yaml_emitter_emit(o->em, e)) o->failed = 1;
}

static void text(pt_yemit *o, const char *s, int plain, yaml_scalar_style_t style)
{
    yaml_event_t e;
    yaml_scalar_event_initialize(&e, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), plain, 1, style);
    pt_ye_event(o, &e);
}

void pt_ye_scalar(pt_yemit *o, const char *s) { text(o, s, s[0] != 0, YAML_ANY_SCALAR_STYLE); }
void pt_ye_literal(pt_yemit *o, const char *s) { text(o, s, 0, YAML_LITERAL_SCALAR_STYLE); }

void pt_ye_number(pt_yemit *o, double v)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.9g", v);
    pt_ye_scalar(o, buf);
}

void pt_ye_pair(pt_yemit *o, const char *key, const char *value)
{
    pt_ye_scalar(o, key);
    pt_ye_scalar(o, value);
}

void pt_ye_pair_number(pt_yemit *o, const char *key, double v)
{
    pt_ye_scalar(o, key);
    pt_ye_number(o, v);
}

void pt_ye_map_start(pt_yemit *o, const char *key, int flow)
{
    yaml_event_t e;
    if (key) pt_ye_scalar(o, key);
    yaml_mapping_start_event_initialize(&e, NULL, NULL, 1,
                                        flow ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE);
    pt_ye_event(o, &e);
}

void pt_ye_map_end(pt_yemit *o)
{
    yaml_event_t e;
    yaml_mapping_end_event_initialize(&e);
    pt_ye_event(o, &e);
}

void pt_ye_seq_start(pt_yemit *o, const char *key, int flow)
{
    yaml_event_t e;
    if (key) pt_ye_scalar(o, key);
    yaml_sequence_style_t style = flow ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE;
    yaml_sequence_start_event_initialize(&e, NULL, NULL, 1, style);
    pt_ye_event(o, &e);
}

void pt_ye_seq_end(pt_yemit *o)
{
    yaml_event_t e;
    yaml_sequence_end_event_initialize(&e);
    pt_ye_event(o, &e);
}

FILE *pt_yd_open_regular(const char *path, pt_diags *diags)
{
    FILE *f = pt_fopen_regular(path, 0);
    if (!f)
        pt_diags_add(diags, path, 0, 0, "%s",
                     errno == EINVAL ? "is not a regular file (a folder, FIFO, device or socket)"
                                     : strerror(errno));
    return f;
}

char *pt_yd_read_file(const char *path, const char *what, size_t *len, pt_diags *diags)
{
    FILE *f = pt_yd_open_regular(path, diags);
    if (!f) return NULL;
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        fclose(f);
        pt_diags_add(diags, path, 0, 0, "is not a file");
        return NULL;
    }
    if (st.st_size > 4 * 1024 * 1024) {
        fclose(f);
        pt_diags_add(diags, path, 0, 0, "is too large for %s (%lld bytes; at most 4 MiB)", what,
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
