/* protocol.c — the JSON command dispatcher (see protocol.h and
 * docs/control-protocol.md).
 *
 * Order of checks for every message: size, raw-text scan (NUL bytes, \u0000
 * escapes, nesting depth), JSON syntax, shape (an object, a known "cmd", only
 * the fields that command takes, each once), each field's type and range,
 * then the session call. The session itself validates again and changes
 * nothing on error; the checks here make sure nothing strange even reaches
 * it and that every refusal says which field is wrong and why.
 */
#include "protocol.h"
#include "calibrate.h"
#include "../nodes/lv2_host.h"

#include <errno.h>
#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utime.h>
#include <time.h>

#include "../midi/midi.h"
#include "assets.h"
#include "library.h"
#include "qr.h"
#include "protocol_capture.h"
#include "libpath.h"
#include "../wdf/wdf.h"

#ifndef PT_VERSION
#define PT_VERSION "0"
#endif

void pt_protocol_client_init(pt_protocol_client *c, bool can_subscribe)
{
    memset(c, 0, sizeof *c);
    c->can_subscribe = can_subscribe;
    c->state = can_subscribe;
    c->meters_hz = 30;
}

void pt_protocol_free(char *json) { cJSON_free(json); }

/* ------------------------------------------------------------ a request */

typedef struct req {
    pt_session *s;
    pt_protocol_client *cl;
    const char *cmd;
    const cJSON *msg;
    cJSON *reply;
    char err[1024];
} req;

static int fail(req *r, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 if invalid
 * (overlong forms, surrogates and values past U+10FFFF included). */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
    if (p[0] < 0x80) return 1;
    size_t len = p[0] >= 0xf0 ? 4 : p[0] >= 0xe0 ? 3 : p[0] >= 0xc2 ? 2 : 0;
    if (!len || len > n || p[0] > 0xf4) return 0;
    for (size_t i = 1; i < len; i++)
        if ((p[i] & 0xc0) != 0x80) return 0;
    if (len == 3 && ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0))) return 0;
    if (len == 4 && ((p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90))) return 0;
    return len;
}

/* Error text quotes the message; keep the reply valid UTF-8 whatever was
 * quoted (or cut short by a field width). */
static void utf8_sanitize(char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        size_t k = utf8_seq((const unsigned char *)s + i, n - i);
        if (k) i += k;
        else s[i++] = '?';
    }
}

static int fail(req *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
    utf8_sanitize(r->err);
    return -1;
}

static int fail_err(req *r, const pt_error *e)
{
    char buf[2048];
    pt_error_format(e, buf, sizeof buf);
    return fail(r, "%s", buf[0] ? buf : "failed (no reason given)");
}

static const char *json_kind(const cJSON *v)
{
    if (!v) return "missing";
    if (cJSON_IsString(v)) return "a string";
    if (cJSON_IsNumber(v)) return "a number";
    if (cJSON_IsBool(v)) return "a boolean";
    if (cJSON_IsNull(v)) return "null";
    if (cJSON_IsArray(v)) return "an array";
    if (cJSON_IsObject(v)) return "an object";
    return "invalid";
}

/* ------------------------------------------------------------ field checks */

enum str_kind {
    STR_ID,   /* node ids, parameter and type names: letters, digits, _ and - */
    STR_NAME, /* scene names: any printable text */
    STR_PATH  /* rig paths: printable, confined later */
};

static bool id_ok(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n >= PT_ID_MAX) return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-'))
            return false;
    return true;
}

static bool printable(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f) return false;
    return true;
}

/* A string field. Returns its value, or NULL (with r->err set when it was
 * required or present but wrong; *bad says which). */
static const char *get_str(req *r, const cJSON *obj, const char *key, enum str_kind kind,
                           bool required, bool *bad)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    *bad = false;
    if (!v) {
        if (required) {
            *bad = true;
            fail(r, "%s: '%s' is missing", r->cmd, key);
        }
        return NULL;
    }
    *bad = true;
    if (!cJSON_IsString(v) || !v->valuestring) {
        fail(r, "%s: '%s' must be a string, not %s", r->cmd, key, json_kind(v));
        return NULL;
    }
    const char *s = v->valuestring;
    size_t max = kind == STR_PATH ? PT_PROTOCOL_MAX_PATH : PT_ID_MAX - 1;
    size_t n = strnlen(s, max + 1);
    if (n > max) {
        fail(r, "%s: '%s' is too long (at most %zu bytes)", r->cmd, key, max);
        return NULL;
    }
    if (n == 0) {
        fail(r, "%s: '%s' is empty", r->cmd, key);
        return NULL;
    }
    if (kind == STR_ID && !id_ok(s)) {
        fail(r, "%s: '%s' must be letters, digits, '_' or '-', not '%s'", r->cmd, key, s);
        return NULL;
    }
    if (kind != STR_ID && !printable(s)) {
        fail(r, "%s: '%s' contains control characters", r->cmd, key);
        return NULL;
    }
    *bad = false;
    return s;
}

/* A finite number in [lo, hi]; integer when `integer`. Returns 1 when
 * present and valid, 0 when absent and optional, -1 on error. */
static int get_num(req *r, const cJSON *obj, const char *key, double lo, double hi, bool integer,
                   bool required, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v) return required ? fail(r, "%s: '%s' is missing", r->cmd, key) : 0;
    if (!cJSON_IsNumber(v))
        return fail(r, "%s: '%s' must be a number, not %s", r->cmd, key, json_kind(v));
    double d = v->valuedouble;
    if (!isfinite(d)) return fail(r, "%s: '%s' must be a finite number", r->cmd, key);
    if (integer && d != floor(d)) return fail(r, "%s: '%s' must be a whole number", r->cmd, key);
    if (d < lo || d > hi)
        return fail(r, "%s: '%s' = %g is out of range %g .. %g", r->cmd, key, d, lo, hi);
    *out = d;
    return 1;
}

static int get_bool(req *r, const cJSON *obj, const char *key, bool required, bool *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v) return required ? fail(r, "%s: '%s' is missing", r->cmd, key) : 0;
    if (!cJSON_IsBool(v))
        return fail(r, "%s: '%s' must be true or false, not %s", r->cmd, key, json_kind(v));
    *out = cJSON_IsTrue(v);
    return 1;
}

/* Only the allowed keys, each once. */
static int check_keys(req *r, const cJSON *obj, const char *what, const char *const *allowed)
{
    int n = 0;
    for (const cJSON *c = obj->child; c; c = c->next, n++) {
        if (!c->string) return fail(r, "%s: a field has no name", what);
        if (n > 32) return fail(r, "%s: too many fields", what);
        bool known = false;
        for (int i = 0; allowed[i]; i++)
            if (!strcmp(c->string, allowed[i])) known = true;
        if (!known) {
            char list[512] = "";
            for (int i = 0; allowed[i]; i++) {
                strncat(list, allowed[i], sizeof list - strlen(list) - 3);
                if (allowed[i + 1]) strncat(list, ", ", sizeof list - strlen(list) - 1);
            }
            char name[80];
            snprintf(name, sizeof name, "%s", c->string);
            return fail(r, "%s: unknown field '%s'%s (it takes: %s)", what, name,
                        strlen(c->string) >= sizeof name ? "..." : "", list[0] ? list : "nothing");
        }
        for (const cJSON *d = obj->child; d != c; d = d->next)
            if (!strcmp(d->string, c->string))
                return fail(r, "%s: field '%s' is given twice", what, c->string);
    }
    return 0;
}

/* Where a node goes: {"after": id} | {"before": id} |
 * {"split": id, "branch": n, "index": n}; absent: the end of the main chain. */
static int get_position(req *r, pt_position *pos)
{
    memset(pos, 0, sizeof *pos);
    pos->index = -1;
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(r->msg, "position");
    if (!p) return 0;
    if (!cJSON_IsObject(p))
        return fail(r, "%s: 'position' must be an object like {\"after\": \"drive\"}, not %s",
                    r->cmd, json_kind(p));
    static const char *const keys[] = {"after", "before", "split", "branch", "index", NULL};
    char what[64];
    snprintf(what, sizeof what, "%s: position", r->cmd);
    if (check_keys(r, p, what, keys)) return -1;
    bool bad;
    pos->after = get_str(r, p, "after", STR_ID, false, &bad);
    if (bad) return -1;
    pos->before = get_str(r, p, "before", STR_ID, false, &bad);
    if (bad) return -1;
    pos->split = get_str(r, p, "split", STR_ID, false, &bad);
    if (bad) return -1;
    int n = !!pos->after + !!pos->before + !!pos->split;
    if (n != 1)
        return fail(r, "%s: 'position' needs exactly one of 'after', 'before' or 'split'", r->cmd);
    double d = 0;
    int got = get_num(r, p, "branch", 0, 63, true, pos->split != NULL, &d);
    if (got < 0) return -1;
    if (got > 0 && !pos->split) return fail(r, "%s: 'branch' goes with 'split'", r->cmd);
    if (got > 0) pos->branch = (int)d;
    got = get_num(r, p, "index", -1, 4096, true, false, &d);
    if (got < 0) return -1;
    if (got > 0 && !pos->split) return fail(r, "%s: 'index' goes with 'split'", r->cmd);
    if (got > 0) pos->index = (int)d;
    return 0;
}

/* ------------------------------------------------------------ rig paths */

/* models (.nam), impulse responses, circuits */
static const char *const asset_exts[] = {".nam", ".wav", ".aif", ".aiff", ".flac", ".yaml", ".yml",
                                         ".json", NULL};

/* The one rule for network paths lives in libpath.c. */
int pt_protocol_confine_path(const char *library, const char *rel, const char *const *exts,
                             bool must_exist, char *out, size_t out_size, pt_error *err)
{
    return pt_lib_confine(library, rel, exts, must_exist ? PT_LIB_READ : PT_LIB_CREATE, out,
                          out_size, err);
}

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

static cJSON *wrap(cJSON *obj)
{
    return obj ? obj : cJSON_CreateNull();
}

static int cmd_hello(req *r);

static int cmd_get_state(req *r)
{
    cJSON_AddItemToObject(r->reply, "state", wrap(pt_session_state(r->s)));
    return 0;
}

static int cmd_get_rig(req *r)
{
    cJSON_AddItemToObject(r->reply, "rig", wrap(pt_session_rig_json(r->s)));
    return 0;
}

static int cmd_get_meters(req *r)
{
    cJSON_AddItemToObject(r->reply, "meters", wrap(pt_session_meters(r->s)));
    return 0;
}

static int cmd_list_rigs(req *r)
{
    cJSON_AddItemToObject(r->reply, "rigs", wrap(pt_session_list_rigs(r->s)));
    return 0;
}

static int cmd_list_types(req *r)
{
    cJSON_AddItemToObject(r->reply, "types", wrap(pt_node_types_json()));
    return 0;
}

/* The installed LV2 plugins, for the palette: [{name, uri, audio_in, audio_out}]. */
static int cmd_list_plugins(req *r)
{
    char why[512] = "";
    cJSON *list = pt_lv2_plugins_json(why, sizeof why);
    if (!list) return fail(r, "list_plugins: %s", why);
    cJSON_AddItemToObject(r->reply, "plugins", list);
    return 0;
}

static int cmd_load_rig(req *r)
{
    bool bad;
    const char *rel = get_str(r, r->msg, "path", STR_PATH, true, &bad);
    if (bad) return -1;
    char path[PATH_MAX];
    pt_error err = {0};
    bool factory = pt_library_is_factory_rig(rel);
    if (factory ? pt_library_factory_rig(pt_session_library(r->s), rel, path, sizeof path, &err)
                : pt_protocol_confine_path(pt_session_library(r->s), rel, NULL, true, path,
                                           sizeof path, &err))
        return fail(r, "load_rig: %s", err.msg);
    pt_diags diags;
    pt_diags_init(&diags);
    int rc = factory ? pt_session_load_factory(r->s, path, &diags)
                     : pt_session_load_library(r->s, path, &diags);
    if (rc != 0) {
        char buf[1024] = "";
        for (int i = 0; i < diags.n && i < 4; i++) {
            char one[1024];
            pt_error_format(&diags.items[i], one, sizeof one);
            if (i) strncat(buf, "; ", sizeof buf - strlen(buf) - 1);
            strncat(buf, one, sizeof buf - strlen(buf) - 1);
        }
        int n = diags.n;
        pt_diags_free(&diags);
        return fail(r, "load_rig: '%s' could not be loaded%s%s%s", rel, n ? ": " : "", buf,
                    n > 4 ? " (and more)" : "");
    }
    pt_diags_free(&diags);
    cJSON_AddStringToObject(r->reply, "path", rel);
    return 0;
}

static int cmd_save_rig(req *r)
{
    bool bad;
    const char *rel = get_str(r, r->msg, "path", STR_PATH, false, &bad);
    if (bad) return -1;
    char path[PATH_MAX];
    pt_error err = {0};
    if (rel &&
        pt_protocol_confine_path(pt_session_library(r->s), rel, NULL, false, path, sizeof path,
                                 &err))
        return fail(r, "save_rig: %s", err.msg);
    if (pt_session_save(r->s, rel ? path : NULL, &err)) return fail_err(r, &err);
    if (rel) cJSON_AddStringToObject(r->reply, "path", rel);
    return 0;
}

/* ---- rig files in the library: rename, copy, delete into .trash, restore ---- */

/* Moved with the library's folders opened and links not followed
 * (libpath.c): a link is renamed or trashed as a link, never its target. */
static int cmd_rename_rig(req *r)
{
    bool bad;
    const char *f = get_str(r, r->msg, "from", STR_PATH, true, &bad);
    if (bad) return -1;
    const char *t = get_str(r, r->msg, "to", STR_PATH, true, &bad);
    if (bad) return -1;
    char *from = malloc(PATH_MAX), *to = malloc(PATH_MAX); /* heap: small stacks */
    pt_error err = {0};
    int rc = 0;
    if (!from || !to) rc = fail(r, "rename_rig: out of memory");
    else if (pt_lib_rename(pt_session_library(r->s), f, t, from, to, PATH_MAX, &err))
        rc = fail(r, "rename_rig: %s", err.msg);
    else pt_session_rig_renamed(r->s, from, to);
    free(from), free(to);
    return rc;
}

/* Through the rig loader and saver: a copy into another folder keeps its
 * asset paths right. The copy is loaded as a network rig (its assets
 * confined) and written without following a link at the new name. */
static int cmd_copy_rig(req *r)
{
    bool bad;
    const char *f = get_str(r, r->msg, "from", STR_PATH, true, &bad);
    if (bad) return -1;
    const char *t = get_str(r, r->msg, "to", STR_PATH, true, &bad);
    if (bad) return -1;
    char *from = malloc(PATH_MAX), *to = malloc(PATH_MAX);
    const char *lib = pt_session_library(r->s);
    pt_error err = {0};
    struct stat st;
    int rc = 0;
    if (!from || !to) rc = fail(r, "copy_rig: out of memory");
    else if ((pt_library_is_factory_rig(f) ? pt_library_factory_rig(lib, f, from, PATH_MAX, &err)
                                           : pt_lib_confine(lib, f, NULL, PT_LIB_READ, from,
                                                            PATH_MAX, &err)) ||
             pt_lib_confine(lib, t, NULL, PT_LIB_CREATE, to, PATH_MAX, &err))
        rc = fail(r, "copy_rig: %s", err.msg);
    else if (lstat(to, &st) == 0) rc = fail(r, "copy_rig: '%s' already exists", t);
    if (rc == 0) {
        pt_diags d;
        pt_diags_init(&d);
        pt_rig *rig = pt_session_load_library_rig(r->s, from, &d);
        if (!rig) rc = fail(r, "copy_rig: %s", d.n ? d.items[0].msg : "cannot load it");
        else if (pt_rig_save(rig, to, &err)) rc = fail_err(r, &err);
        pt_rig_free(rig);
        pt_diags_free(&d);
    }
    free(from), free(to);
    return rc;
}

static int cmd_delete_rig(req *r)
{
    bool bad;
    const char *rel = get_str(r, r->msg, "path", STR_PATH, true, &bad);
    if (bad) return -1;
    pt_error err = {0};
    if (pt_lib_trash(pt_session_library(r->s), rel, &err)) return fail(r, "delete_rig: %s", err.msg);
    return 0;
}

static void trash_item(void *user, const char *name, long mtime)
{
    char when[32];
    time_t t = (time_t)mtime;
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "file", name);
    cJSON_AddStringToObject(o, "deleted", when);
    cJSON_AddItemToArray(user, o);
}

static int cmd_list_trash(req *r)
{
    cJSON *list = cJSON_AddArrayToObject(r->reply, "rigs");
    pt_lib_list_trash(pt_session_library(r->s), trash_item, list);
    return 0;
}

static int cmd_restore_rig(req *r)
{
    bool bad;
    const char *name = get_str(r, r->msg, "path", STR_PATH, true, &bad);
    if (bad) return -1;
    char orig[NAME_MAX + 1];
    pt_error err = {0};
    if (pt_lib_restore(pt_session_library(r->s), name, orig, sizeof orig, &err))
        return fail(r, "restore_rig: %s", err.msg);
    cJSON_AddStringToObject(r->reply, "path", orig);
    return 0;
}

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

static int cmd_set_param(req *r)
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

static int cmd_get_param(req *r)
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
static int cmd_eq_response(req *r)
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

/* Files in the library the nodes can use, by kind (for the file pickers):
 * those of pt_asset_kind that are not rigs. */
static const char *asset_kind(const char *full, const char *name)
{
    const char *k = pt_asset_kind(full, name);
    return k && strcmp(k, "rig") ? k : NULL;
}

static void list_dir(const char *root, const char *rel, int depth, const char *want, cJSON *out)
{
    char *dir = malloc(PATH_MAX), *full = malloc(PATH_MAX), *sub = malloc(PATH_MAX);
    DIR *d = NULL;
    if (dir && full && sub) {
        snprintf(dir, PATH_MAX, "%s%s%s", root, rel[0] ? "/" : "", rel);
        d = opendir(dir);
    }
    struct dirent *de;
    while (d && (de = readdir(d)) && cJSON_GetArraySize(out) < 2000) {
        if (de->d_name[0] == '.') continue; /* hidden, the trash, . and .. */
        snprintf(sub, PATH_MAX, "%s%s%s", rel, rel[0] ? "/" : "", de->d_name);
        snprintf(full, PATH_MAX, "%s/%s", root, sub);
        struct stat st;
        if (lstat(full, &st) != 0 || S_ISLNK(st.st_mode)) continue; /* links may leave the library */
        if (S_ISDIR(st.st_mode)) {
            if (depth < 4) list_dir(root, sub, depth + 1, want, out);
            continue;
        }
        const char *kind = S_ISREG(st.st_mode) ? asset_kind(full, de->d_name) : NULL;
        if (!kind || (want && strcmp(want, kind))) continue;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "path", sub);
        cJSON_AddStringToObject(o, "kind", kind);
        cJSON_AddNumberToObject(o, "bytes", (double)st.st_size);
        cJSON_AddItemToArray(out, o);
    }
    if (d) closedir(d);
    free(dir), free(full), free(sub);
}

static int cmd_list_assets(req *r)
{
    bool bad;
    const char *kind = get_str(r, r->msg, "kind", STR_ID, false, &bad);
    if (bad) return -1;
    if (kind && strcmp(kind, "nam") && strcmp(kind, "ir") && strcmp(kind, "circuit"))
        return fail(r, "list_assets: kind must be nam, ir or circuit, not '%s'", kind);
    cJSON *list = cJSON_AddArrayToObject(r->reply, "assets");
    list_dir(pt_session_library(r->s), "", 0, kind, list);
    return 0;
}

/* The user's and the factory's files by kind, for the library view and the
 * file pickers (src/control/library.h). */
static int cmd_list_files(req *r)
{
    bool bad;
    const char *kind = get_str(r, r->msg, "kind", STR_ID, false, &bad);
    if (bad) return -1;
    if (kind && strcmp(kind, "rig") && strcmp(kind, "nam") && strcmp(kind, "ir") &&
        strcmp(kind, "circuit"))
        return fail(r, "list_files: kind must be rig, nam, ir or circuit, not '%s'", kind);
    pt_library_list(pt_session_library(r->s), kind, cJSON_AddArrayToObject(r->reply, "files"));
    return 0;
}

/* ---- MIDI learn (src/midi), when a MIDI layer runs ---- */

static pt_midi *need_midi(req *r, const char *cmd)
{
    pt_midi *m = pt_session_midi(r->s);
    if (!m) fail(r, "%s: MIDI is not running", cmd);
    return m;
}

static int cmd_get_midi(req *r)
{
    pt_midi *m = need_midi(r, "get_midi");
    if (!m) return -1;
    cJSON_AddItemToObject(r->reply, "midi", wrap(pt_midi_state(m)));
    cJSON_AddItemToObject(r->reply, "mappings", wrap(pt_midi_mappings_json(m)));
    return 0;
}

static int cmd_midi_learn(req *r)
{
    bool bad;
    const char *kind = get_str(r, r->msg, "kind", STR_ID, true, &bad);
    if (bad) return -1;
    const char *target = get_str(r, r->msg, "target", STR_PATH, false, &bad);
    if (bad) return -1;
    pt_midi *m = need_midi(r, "midi_learn");
    if (!m) return -1;
    pt_error err = {0};
    if (pt_midi_learn_arm(m, kind, target, &err)) return fail_err(r, &err);
    return 0;
}

static int cmd_midi_learn_cancel(req *r)
{
    pt_midi *m = need_midi(r, "midi_learn_cancel");
    if (!m) return -1;
    pt_midi_learn_cancel(m);
    return 0;
}

static int cmd_midi_unmap(req *r)
{
    double ch = 0, cc = 0;
    if (get_num(r, r->msg, "channel", 0, 16, true, true, &ch) < 0) return -1;
    if (get_num(r, r->msg, "cc", 0, 127, true, true, &cc) < 0) return -1;
    pt_midi *m = need_midi(r, "midi_unmap");
    if (!m) return -1;
    pt_error err = {0};
    if (pt_midi_unmap(m, (int)ch, (int)cc, &err)) return fail_err(r, &err);
    return 0;
}

/* The safety limiter at the output: off for measuring and re-amping. */
static int cmd_set_limiter(req *r)
{
    bool on = true;
    if (get_bool(r, r->msg, "on", true, &on) < 0) return -1;
    pt_session_set_limiter(r->s, on);
    return 0;
}

static int cmd_set_bypass(req *r)
{
    bool bad, on = false;
    const char *node = get_str(r, r->msg, "node", STR_ID, true, &bad);
    if (bad) return -1;
    if (get_bool(r, r->msg, "bypass", true, &on) < 0) return -1;
    pt_error err = {0};
    if (pt_session_set_bypass(r->s, node, on, &err)) return fail_err(r, &err);
    return 0;
}

static int cmd_set_branch(req *r)
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

/* An asset path from the network, confined to the library; what the rig
 * records: relative to its own folder when that is the library, else
 * absolute. Fills use (PATH_MAX bytes). */
static int asset_path(req *r, const char *cmd, const char *rel, char *use)
{
    /* on the heap: civetweb's worker threads have small stacks */
    struct bufs {
        char path[PATH_MAX], rig_dir[PATH_MAX], real_rig_dir[PATH_MAX], real_lib[PATH_MAX];
    } *b = malloc(sizeof *b);
    if (!b) return fail(r, "%s: out of memory", cmd);
    pt_error err = {0};
    const char *lib = pt_session_library(r->s);
    if (pt_library_is_factory(rel)
            ? pt_library_factory_path(lib, rel, b->path, sizeof b->path, &err)
            : pt_protocol_confine_path(lib, rel, asset_exts, true, b->path, sizeof b->path, &err)) {
        free(b);
        return fail(r, "%s: %s", cmd, err.msg);
    }
    snprintf(use, PATH_MAX, "%s", b->path);
    if (pt_session_rig_dir(r->s, b->rig_dir, sizeof b->rig_dir) == 0 &&
        realpath(b->rig_dir, b->real_rig_dir) && realpath(lib, b->real_lib) &&
        !strcmp(b->real_rig_dir, b->real_lib))
        snprintf(use, PATH_MAX, "%s", rel);
    free(b);
    return 0;
}

static int cmd_add_node(req *r)
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
static int cmd_set_asset(req *r)
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

static int cmd_add_split(req *r)
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

static int cmd_remove(req *r) { return call_with_str(r, "node", STR_ID, pt_session_remove); }

static int cmd_move(req *r)
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

static int cmd_scene_select(req *r) { return call_with_str(r, "name", STR_NAME, pt_session_scene_select); }

static int cmd_scene_store(req *r) { return call_with_str(r, "name", STR_NAME, pt_session_scene_store); }

static int cmd_scene_rename(req *r)
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

static int cmd_set_tempo(req *r)
{
    double bpm = 0;
    if (get_num(r, r->msg, "bpm", 20, 400, false, true, &bpm) < 0) return -1;
    pt_error err = {0};
    if (pt_session_set_tempo(r->s, (float)bpm, &err)) return fail_err(r, &err);
    return 0;
}

/* The input-level helper: replies at once; the state's "calibration" says
 * when it is done and what trim it set. */
static int cmd_calibrate_input(req *r)
{
    double seconds = 5.0;
    if (get_num(r, r->msg, "seconds", PT_CALIBRATE_MIN_S, PT_CALIBRATE_MAX_S, false, false, &seconds) < 0)
        return -1;
    pt_error err = {0};
    if (pt_session_calibrate_input(r->s, seconds, &err)) return fail_err(r, &err);
    cJSON_AddItemToObject(r->reply, "calibration", pt_session_calibration(r->s));
    return 0;
}

static int cmd_select_slot(req *r)
{
    double slot = 0;
    if (get_num(r, r->msg, "slot", 0, 9999, true, true, &slot) < 0) return -1;
    int n = pt_session_slot_count(r->s);
    if ((int)slot >= n)
        return fail(r, "select_slot: slot %d does not exist (the setlist has %d)", (int)slot, n);
    pt_error err = {0};
    if (pt_session_select_slot(r->s, (int)slot, &err)) return fail_err(r, &err);
    return 0;
}

static int cmd_subscribe(req *r)
{
    if (!r->cl || !r->cl->can_subscribe)
        return fail(r, "subscribe: events need a WebSocket connection (/ws)");
    bool meters = r->cl->meters, state = r->cl->state;
    double hz = r->cl->meters_hz;
    if (get_bool(r, r->msg, "meters", false, &meters) < 0 ||
        get_bool(r, r->msg, "state", false, &state) < 0 ||
        get_num(r, r->msg, "meters_hz", 1, 60, true, false, &hz) < 0)
        return -1;
    r->cl->meters = meters;
    r->cl->state = state;
    r->cl->meters_hz = (int)hz;
    cJSON_AddBoolToObject(r->reply, "meters", meters);
    cJSON_AddBoolToObject(r->reply, "state", state);
    cJSON_AddNumberToObject(r->reply, "meters_hz", (int)hz);
    return 0;
}

/* ---- for the web UI (issue #8): files, lanes, scenes, rig metadata ---- */

/* What a library file holds: a capture's metadata, an IR's waveform and
 * spectrum, a circuit's description (src/control/assets.h). */
static int cmd_asset_info(req *r)
{
    bool bad;
    const char *rel = get_str(r, r->msg, "path", STR_PATH, true, &bad);
    if (bad) return -1;
    char *path = malloc(PATH_MAX); /* heap: small stacks */
    if (!path) return fail(r, "asset_info: out of memory");
    pt_error err = {0};
    cJSON *info = NULL;
    const char *lib = pt_session_library(r->s);
    if ((pt_library_is_factory(rel)
             ? pt_library_factory_path(lib, rel, path, PATH_MAX, &err)
             : pt_protocol_confine_path(lib, rel, asset_exts, true, path, PATH_MAX, &err)) == 0)
        info = pt_asset_info(path, rel, &err);
    free(path);
    if (!info) {
        char buf[2048];
        pt_error_format(&err, buf, sizeof buf);
        return fail(r, "asset_info: %s", buf);
    }
    while (info->child) {
        cJSON *c = info->child;
        cJSON_DetachItemViaPointer(info, c);
        cJSON_AddItemToObject(r->reply, c->string, c);
    }
    cJSON_Delete(info);
    return 0;
}

static int cmd_add_branch(req *r)
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

static int cmd_remove_branch(req *r)
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

static int cmd_scene_delete(req *r) { return call_with_str(r, "name", STR_NAME, pt_session_scene_delete); }

static int cmd_get_scene(req *r)
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

/* A free-text field: a string of at most max bytes, printable (notes may
 * have line breaks and tabs). Returns 1 present, 0 absent, -1 bad. */
static int get_text(req *r, const char *key, size_t max, bool lines, const char **out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(r->msg, key);
    *out = NULL;
    if (!v) return 0;
    if (!cJSON_IsString(v) || !v->valuestring)
        return fail(r, "%s: '%s' must be a string, not %s", r->cmd, key, json_kind(v));
    if (strnlen(v->valuestring, max + 1) > max)
        return fail(r, "%s: '%s' is too long (at most %zu bytes)", r->cmd, key, max);
    for (const unsigned char *p = (const unsigned char *)v->valuestring; *p; p++)
        if ((*p < 0x20 && !(lines && (*p == '\n' || *p == '\t'))) || *p == 0x7f)
            return fail(r, "%s: '%s' contains control characters", r->cmd, key);
    *out = v->valuestring;
    return 1;
}

static int cmd_set_rig_info(req *r)
{
    const char *name, *author, *notes;
    if (get_text(r, "name", 256, false, &name) < 0 || get_text(r, "author", 256, false, &author) < 0 ||
        get_text(r, "notes", 16384, true, &notes) < 0)
        return -1;
    if (name && !name[0]) return fail(r, "set_rig_info: 'name' is empty (a rig needs one)");
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(r->msg, "tags");
    enum { MAX_TAGS = 32 };
    const char *tag[MAX_TAGS];
    int n_tags = -1;
    if (tags) {
        if (!cJSON_IsArray(tags)) return fail(r, "set_rig_info: 'tags' must be an array of strings");
        n_tags = 0;
        const cJSON *t;
        cJSON_ArrayForEach(t, tags) {
            if (n_tags == MAX_TAGS) return fail(r, "set_rig_info: at most %d tags", MAX_TAGS);
            if (!cJSON_IsString(t) || !t->valuestring || !t->valuestring[0] ||
                strnlen(t->valuestring, PT_ID_MAX) >= PT_ID_MAX || !printable(t->valuestring))
                return fail(r, "set_rig_info: each tag must be a printable string of 1 to %d bytes",
                            PT_ID_MAX - 1);
            tag[n_tags++] = t->valuestring;
        }
    }
    if (!name && !author && !notes && n_tags < 0)
        return fail(r, "set_rig_info: give at least one of name, author, notes, tags");
    pt_error err = {0};
    if (pt_session_set_rig_info(r->s, name, author, notes, tag, n_tags, &err)) return fail_err(r, &err);
    return 0;
}

typedef struct cmd_def {
    const char *name;
    int (*run)(req *r);
    bool changes; /* a success changes the session: push a state event */
    const char *fields[8];
} cmd_def;

/* The LAN pairing addresses and, for the first address on the network, its QR
 * code as rows of '1' (dark) and '0', for the page to draw beside the URL. */
static int cmd_pairing(req *r)
{
    char *urls = malloc(2048);
    if (!urls) return fail(r, "pairing: out of memory");
    pt_session_pairing(r->s, urls, 2048);
    cJSON_AddBoolToObject(r->reply, "lan", urls[0] != 0);
    cJSON *arr = cJSON_AddArrayToObject(r->reply, "urls");
    const char *lan = NULL;
    for (char *line = urls; *line;) {
        size_t n = strcspn(line, "\n");
        char *next = line + n + (line[n] ? 1 : 0);
        line[n] = 0;
        cJSON_AddItemToArray(arr, cJSON_CreateString(line));
        if (!lan && strncmp(line, "http://127.", 11) != 0) lan = line;
        line = next;
    }
    pt_qr *qr = lan ? malloc(sizeof *qr) : NULL;
    if (qr && pt_qr_encode(lan, strlen(lan), -1, qr) == 0) {
        cJSON_AddStringToObject(r->reply, "qr_url", lan);
        cJSON *rows = cJSON_AddArrayToObject(r->reply, "qr");
        char row[PT_QR_MAX_SIZE + 1];
        for (int y = 0; y < qr->size; y++) {
            for (int x = 0; x < qr->size; x++) row[x] = qr->dark[y][x] ? '1' : '0';
            row[qr->size] = 0;
            cJSON_AddItemToArray(rows, cJSON_CreateString(row));
        }
    }
    free(qr);
    free(urls);
    return 0;
}

/* the Capture page's commands: protocol_capture.c */
static int cmd_capture(req *r) { return pt_protocol_capture(r->s, r->cmd, r->msg, r->reply, r->err, sizeof r->err); }

static const cmd_def commands[] = {
    {"hello", cmd_hello, false, {NULL}},
    {"get_state", cmd_get_state, false, {NULL}},
    {"get_rig", cmd_get_rig, false, {NULL}},
    {"get_meters", cmd_get_meters, false, {NULL}},
    {"list_rigs", cmd_list_rigs, false, {NULL}},
    {"list_types", cmd_list_types, false, {NULL}},
    {"list_plugins", cmd_list_plugins, false, {NULL}},
    {"pairing", cmd_pairing, false, {NULL}},
    {"load_rig", cmd_load_rig, true, {"path", NULL}},
    {"save_rig", cmd_save_rig, true, {"path", NULL}},
    {"set_param", cmd_set_param, true, {"node", "param", "value", NULL}},
    {"get_param", cmd_get_param, false, {"node", "param", NULL}},
    {"set_bypass", cmd_set_bypass, true, {"node", "bypass", NULL}},
    {"set_limiter", cmd_set_limiter, true, {"on", NULL}},
    {"set_branch", cmd_set_branch, true, {"split", "branch", "level_db", "pan", NULL}},
    {"add_node", cmd_add_node, true, {"type", "node", "position", "assets", "uri", NULL}},
    {"set_asset", cmd_set_asset, true, {"node", "asset", "path", NULL}},
    {"add_split", cmd_add_split, true, {"split", "branches", "position", NULL}},
    {"remove", cmd_remove, true, {"node", NULL}},
    {"move", cmd_move, true, {"node", "position", NULL}},
    {"scene_select", cmd_scene_select, true, {"name", NULL}},
    {"scene_store", cmd_scene_store, true, {"name", NULL}},
    {"scene_rename", cmd_scene_rename, true, {"from", "to", NULL}},
    {"set_tempo", cmd_set_tempo, true, {"bpm", NULL}},
    {"select_slot", cmd_select_slot, true, {"slot", NULL}},
    {"calibrate_input", cmd_calibrate_input, true, {"seconds", NULL}},
    {"subscribe", cmd_subscribe, false, {"meters", "state", "meters_hz", NULL}},
    {"eq_response", cmd_eq_response, false, {"node", "points", NULL}},
    {"list_assets", cmd_list_assets, false, {"kind", NULL}},
    {"list_files", cmd_list_files, false, {"kind", NULL}},
    {"get_midi", cmd_get_midi, false, {NULL}},
    {"midi_learn", cmd_midi_learn, true, {"kind", "target", NULL}},
    {"midi_learn_cancel", cmd_midi_learn_cancel, false, {NULL}},
    {"midi_unmap", cmd_midi_unmap, true, {"channel", "cc", NULL}},
    {"rename_rig", cmd_rename_rig, true, {"from", "to", NULL}},
    {"copy_rig", cmd_copy_rig, true, {"from", "to", NULL}},
    {"delete_rig", cmd_delete_rig, true, {"path", NULL}},
    {"list_trash", cmd_list_trash, false, {NULL}},
    {"restore_rig", cmd_restore_rig, true, {"path", NULL}},
    {"asset_info", cmd_asset_info, false, {"path", NULL}},
    {"add_branch", cmd_add_branch, true, {"split", "branch", "level_db", "pan", NULL}},
    {"remove_branch", cmd_remove_branch, true, {"split", "branch", NULL}},
    {"scene_delete", cmd_scene_delete, true, {"name", NULL}},
    {"get_scene", cmd_get_scene, false, {"name", NULL}},
    {"set_rig_info", cmd_set_rig_info, true, {"name", "author", "notes", "tags", NULL}},
    {"capture_status", cmd_capture, false, {NULL}},
    {"capture_ports", cmd_capture, false, {NULL}},
    {"capture_check", cmd_capture, true, {"source", "device", "input", "output", "gain_db", "full", NULL}},
    {"capture_record", cmd_capture, true, {"source", "device", "input", "output", "gain_db", "full", NULL}},
    {"capture_train", cmd_capture, true, {"arch", "epochs", "threads", "seed", "max_batches", "name", "gear", NULL}},
    {"capture_cancel", cmd_capture, true, {NULL}},
    {"capture_save", cmd_capture, true, {"path", NULL}},
    {"capture_audio", cmd_capture, false, {"which", "seconds", NULL}},
};

static int cmd_hello(req *r)
{
    cJSON_AddNumberToObject(r->reply, "protocol", PT_PROTOCOL_VERSION);
    cJSON_AddStringToObject(r->reply, "version", PT_VERSION);
    cJSON *list = cJSON_AddArrayToObject(r->reply, "commands");
    for (size_t i = 0; list && i < sizeof commands / sizeof commands[0]; i++)
        cJSON_AddItemToArray(list, cJSON_CreateString(commands[i].name));
    return 0;
}

/* ------------------------------------------------------------ dispatch */

/* Before parsing: valid UTF-8 (RFC 8259; replies quote parts of the
 * message, so they stay valid too), no NUL bytes, no \u0000 escapes (they would cut a C
 * string short, so "a.yaml\u0000../x" must not pass as "a.yaml"), and no
 * nesting deeper than PT_PROTOCOL_MAX_DEPTH (so the parser's recursion
 * stays shallow whatever arrives). */
static int scan(req *r, const char *json, size_t len)
{
    int depth = 0;
    bool in_str = false;
    for (size_t i = 0; i < len;) {
        size_t k = utf8_seq((const unsigned char *)json + i, len - i);
        if (!k) return fail(r, "the message is not valid UTF-8 (byte %zu)", i);
        i += k;
    }
    for (size_t i = 0; i < len; i++) {
        char c = json[i];
        if (c == 0) return fail(r, "the message contains a NUL byte");
        if (in_str) {
            if (c == '\\') {
                if (i + 5 < len && json[i + 1] == 'u' && json[i + 2] == '0' &&
                    json[i + 3] == '0' && json[i + 4] == '0' && json[i + 5] == '0')
                    return fail(r, "the message contains a \\u0000 escape");
                i++;
            } else if (c == '"') {
                in_str = false;
            }
        } else if (c == '"') {
            in_str = true;
        } else if (c == '{' || c == '[') {
            if (++depth > PT_PROTOCOL_MAX_DEPTH)
                return fail(r, "the message is nested deeper than %d levels", PT_PROTOCOL_MAX_DEPTH);
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return 0;
}

static int dispatch(req *r, const char *json, size_t len, cJSON **root_out)
{
    r->cmd = "message";
    if (len > PT_PROTOCOL_MAX_MESSAGE)
        return fail(r, "the message is too large (%zu bytes; at most %d)", len,
                    PT_PROTOCOL_MAX_MESSAGE);
    if (scan(r, json, len)) return -1;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    *root_out = root;
    if (!root) {
        size_t at = end && end >= json && end <= json + len ? (size_t)(end - json) : 0;
        return fail(r, "bad JSON near byte %zu", at);
    }
    for (const char *p = end; p && p < json + len; p++)
        if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
            return fail(r, "bad JSON: something follows the message at byte %zu",
                        (size_t)(p - json));
    if (!cJSON_IsObject(root))
        return fail(r, "a message must be a JSON object like {\"cmd\": \"get_state\"}, not %s",
                    json_kind(root));
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "id");
    if (id) {
        bool good = (cJSON_IsNumber(id) && isfinite(id->valuedouble) &&
                     fabs(id->valuedouble) <= 9007199254740992.0) ||
                    (cJSON_IsString(id) && strnlen(id->valuestring, 65) <= 64 &&
                     printable(id->valuestring)) ||
                    cJSON_IsNull(id);
        if (!good) return fail(r, "'id' must be a number or a short string");
        cJSON_ReplaceItemInObjectCaseSensitive(r->reply, "id", cJSON_Duplicate(id, 0));
    }
    const cJSON *cmd = cJSON_GetObjectItemCaseSensitive(root, "cmd");
    if (!cmd) return fail(r, "the message has no 'cmd'");
    if (!cJSON_IsString(cmd)) return fail(r, "'cmd' must be a string, not %s", json_kind(cmd));
    const cmd_def *def = NULL;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(commands[i].name, cmd->valuestring)) def = &commands[i];
    if (!def)
        return fail(r, "unknown command '%.64s' (see docs/control-protocol.md)", cmd->valuestring);
    r->cmd = def->name;
    r->msg = root;
    const char *allowed[12] = {"id", "cmd"};
    for (int i = 0; def->fields[i]; i++) allowed[i + 2] = def->fields[i];
    if (check_keys(r, root, def->name, allowed)) return -1;
    if (def->run(r)) return -1;
    if (def->changes && r->cl) r->cl->changed = true;
    return 0;
}

int pt_protocol_handle(pt_session *s, pt_protocol_client *client, const char *json, size_t len,
                       char **reply)
{
    req r = {.s = s, .cl = client};
    if (client) client->changed = false;
    r.reply = cJSON_CreateObject();
    *reply = NULL;
    if (!r.reply) return -1;
    cJSON_AddNullToObject(r.reply, "id");
    cJSON_AddBoolToObject(r.reply, "ok", true);
    cJSON *root = NULL;
    int rc = json ? dispatch(&r, json, len, &root) : fail(&r, "no message");
    cJSON_Delete(root);
    if (rc) {
        /* an error reply carries only id, ok and error */
        cJSON *id = cJSON_DetachItemFromObjectCaseSensitive(r.reply, "id");
        cJSON_Delete(r.reply);
        r.reply = cJSON_CreateObject();
        if (!r.reply) {
            cJSON_Delete(id);
            return -1;
        }
        cJSON_AddItemToObject(r.reply, "id", id ? id : cJSON_CreateNull());
        cJSON_AddBoolToObject(r.reply, "ok", false);
        cJSON_AddStringToObject(r.reply, "error", r.err);
    }
    *reply = cJSON_PrintUnformatted(r.reply);
    cJSON_Delete(r.reply);
    return rc ? -1 : 0;
}

/* ------------------------------------------------------------ events */

char *pt_protocol_state_event(pt_session *s)
{
    cJSON *ev = cJSON_CreateObject();
    if (!ev) return NULL;
    cJSON_AddStringToObject(ev, "event", "state");
    cJSON_AddItemToObject(ev, "state", wrap(pt_session_state(s)));
    cJSON_AddItemToObject(ev, "rig", wrap(pt_session_rig_json(s)));
    char *out = cJSON_PrintUnformatted(ev);
    cJSON_Delete(ev);
    return out;
}

char *pt_protocol_meters_event(pt_session *s)
{
    cJSON *ev = cJSON_CreateObject();
    if (!ev) return NULL;
    cJSON_AddStringToObject(ev, "event", "meters");
    cJSON_AddItemToObject(ev, "meters", wrap(pt_session_meters(s)));
    char *out = cJSON_PrintUnformatted(ev);
    cJSON_Delete(ev);
    return out;
}
