/* protocol_fields.c — a request's fields: the checks every command's
 * fields go through (type, size, range, unknown or duplicate keys) and the
 * error text a refusal carries (see protocol.c for the order of checks).
 */
#include "protocol_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 if invalid
 * (overlong forms, surrogates and values past U+10FFFF included). */
size_t utf8_seq(const unsigned char *p, size_t n)
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

int fail(req *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
    utf8_sanitize(r->err);
    return -1;
}

int fail_err(req *r, const pt_error *e)
{
    char buf[2048];
    pt_error_format(e, buf, sizeof buf);
    return fail(r, "%s", buf[0] ? buf : "failed (no reason given)");
}

const char *json_kind(const cJSON *v)
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

bool printable(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f) return false;
    return true;
}

/* A string field. Returns its value, or NULL (with r->err set when it was
 * required or present but wrong; *bad says which). */
const char *get_str(req *r, const cJSON *obj, const char *key, enum str_kind kind,
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
int get_num(req *r, const cJSON *obj, const char *key, double lo, double hi, bool integer,
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

int get_bool(req *r, const cJSON *obj, const char *key, bool required, bool *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v) return required ? fail(r, "%s: '%s' is missing", r->cmd, key) : 0;
    if (!cJSON_IsBool(v))
        return fail(r, "%s: '%s' must be true or false, not %s", r->cmd, key, json_kind(v));
    *out = cJSON_IsTrue(v);
    return 1;
}

/* Only the allowed keys, each once. */
int check_keys(req *r, const cJSON *obj, const char *what, const char *const *allowed)
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
int get_position(req *r, pt_position *pos)
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

/* A free-text field: a string of at most max bytes, printable (notes may
 * have line breaks and tabs). Returns 1 present, 0 absent, -1 bad. */
int get_text(req *r, const char *key, size_t max, bool lines, const char **out)
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
