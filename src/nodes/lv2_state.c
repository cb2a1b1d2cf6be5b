/* lv2_state.c — an LV2 plugin's state (the state extension) as text for the
 * rig's `state:` key, and back.
 *
 * The text is a JSON object, one member per property the plugin stored:
 *   {"KEY URI": {"type": "TYPE URI", "value": V}, ...}
 * V is a string for atom:String, atom:Path and atom:URI (and atom:URID, as
 * the URI it stands for, mapped again on restore: URIDs differ between
 * processes), a number for atom:Int, Long, Float, Double and Bool, and
 * base64 of the bytes for anything else (chunks, objects). Saving may run
 * beside run() (the extension allows it); restoring runs in prepare, before
 * the plugin plays. */
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "lv2_host.h"

#ifdef PT_HAVE_LILV
#include <lv2/atom/atom.h>
#include <lv2/core/lv2.h>
#include <lv2/state/state.h>
#include <lv2/urid/urid.h>

/* ------------------------------------------------------------- base64 */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *to_base64(const unsigned char *p, size_t n)
{
    char *out = malloc(4 * ((n + 2) / 3) + 1), *o = out;
    if (!out) return NULL;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) |
                     (i + 2 < n ? p[i + 2] : 0);
        *o++ = b64[v >> 18 & 63];
        *o++ = b64[v >> 12 & 63];
        *o++ = i + 1 < n ? b64[v >> 6 & 63] : '=';
        *o++ = i + 2 < n ? b64[v & 63] : '=';
    }
    *o = 0;
    return out;
}

static unsigned char *from_base64(const char *s, size_t *n)
{
    size_t len = strlen(s);
    unsigned char *out = malloc(len / 4 * 3 + 3);
    if (!out) return NULL;
    size_t k = 0;
    unsigned v = 0;
    int bits = 0;
    for (const char *c = s; *c && *c != '='; c++) {
        const char *at = strchr(b64, *c);
        if (!at) continue;
        v = v << 6 | (unsigned)(at - b64);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[k++] = (unsigned char)(v >> bits & 255);
        }
    }
    *n = k;
    return out;
}

/* ------------------------------------------------------------- paths */

/* Paths stay as they are (absolute): a rig names files where they are. */
static char *same_path(LV2_State_Map_Path_Handle h, const char *path)
{
    (void)h;
    return strdup(path);
}

static void free_path(LV2_State_Free_Path_Handle h, char *path)
{
    (void)h;
    free(path);
}

static LV2_State_Map_Path map_path = {NULL, same_path, same_path};
static LV2_State_Free_Path free_path_data = {NULL, free_path};
static const LV2_Feature f_map_path = {LV2_STATE__mapPath, &map_path};
static const LV2_Feature f_free_path = {LV2_STATE__freePath, &free_path_data};

/* The instance's features plus the two path features save/restore use. */
static const LV2_Feature **with_paths(const void *const *features, const LV2_Feature **out, int cap)
{
    int n = 0;
    for (int i = 0; features && features[i] && n < cap - 3; i++) out[n++] = features[i];
    out[n++] = &f_map_path;
    out[n++] = &f_free_path;
    out[n] = NULL;
    return out;
}

/* --------------------------------------------------------------- save */

static LV2_State_Status store(LV2_State_Handle h, uint32_t key, const void *value, size_t size,
                              uint32_t type, uint32_t flags)
{
    (void)flags;
    cJSON *obj = h;
    const char *k = pt_lv2_uri(key), *t = pt_lv2_uri(type);
    if (!k || !t) return LV2_STATE_ERR_BAD_TYPE;
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "type", t);
    if (!strcmp(t, LV2_ATOM__String) || !strcmp(t, LV2_ATOM__Path) || !strcmp(t, LV2_ATOM__URI)) {
        char *str = strndup(value, size);
        cJSON_AddStringToObject(e, "value", str ? str : "");
        free(str);
    } else if (!strcmp(t, LV2_ATOM__URID) && size == sizeof(uint32_t)) {
        const char *u = pt_lv2_uri(*(const uint32_t *)value);
        cJSON_AddStringToObject(e, "value", u ? u : "");
    } else if ((!strcmp(t, LV2_ATOM__Int) || !strcmp(t, LV2_ATOM__Bool)) && size == 4) {
        cJSON_AddNumberToObject(e, "value", *(const int32_t *)value);
    } else if (!strcmp(t, LV2_ATOM__Long) && size == 8) {
        cJSON_AddNumberToObject(e, "value", (double)*(const int64_t *)value);
    } else if (!strcmp(t, LV2_ATOM__Float) && size == 4) {
        cJSON_AddNumberToObject(e, "value", *(const float *)value);
    } else if (!strcmp(t, LV2_ATOM__Double) && size == 8) {
        cJSON_AddNumberToObject(e, "value", *(const double *)value);
    } else {
        char *enc = to_base64(value, size);
        cJSON_AddStringToObject(e, "base64", enc ? enc : "");
        free(enc);
    }
    cJSON_AddItemToObject(obj, k, e);
    return LV2_STATE_SUCCESS;
}

char *pt_lv2_state_save(const void *iface, void *handle, const void *const *features)
{
    const LV2_State_Interface *st = iface;
    if (!st || !st->save) return NULL;
    cJSON *obj = cJSON_CreateObject();
    if (!obj) return NULL;
    const LV2_Feature *f[24];
    LV2_State_Status rc = st->save(handle, store, obj, LV2_STATE_IS_POD | LV2_STATE_IS_PORTABLE,
                                   with_paths(features, f, 24));
    char *text = rc == LV2_STATE_SUCCESS && cJSON_GetArraySize(obj) > 0 ? cJSON_PrintUnformatted(obj) : NULL;
    cJSON_Delete(obj);
    return text;
}

/* ------------------------------------------------------------ restore */

typedef struct restore_ctx {
    cJSON *obj;
    void *buf[64]; /* what retrieve() handed out: valid until restore returns */
    int n;
} restore_ctx;

static const void *retrieve(LV2_State_Handle h, uint32_t key, size_t *size, uint32_t *type,
                            uint32_t *flags)
{
    restore_ctx *c = h;
    const char *k = pt_lv2_uri(key);
    cJSON *e = k ? cJSON_GetObjectItemCaseSensitive(c->obj, k) : NULL;
    cJSON *jt = e ? cJSON_GetObjectItemCaseSensitive(e, "type") : NULL;
    if (!cJSON_IsString(jt) || c->n == 64) return NULL;
    const char *t = jt->valuestring;
    cJSON *v = cJSON_GetObjectItemCaseSensitive(e, "value"), *b = cJSON_GetObjectItemCaseSensitive(e, "base64");
    void *out = NULL;
    size_t n = 0;
    if (cJSON_IsString(b)) {
        out = from_base64(b->valuestring, &n);
    } else if (cJSON_IsString(v) && !strcmp(t, LV2_ATOM__URID)) {
        uint32_t *u = malloc(sizeof *u);
        if (u) *u = pt_lv2_urid(v->valuestring), out = u, n = sizeof *u;
    } else if (cJSON_IsString(v)) {
        out = strdup(v->valuestring);
        n = strlen(v->valuestring) + 1;
    } else if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        out = calloc(1, 8);
        if (out && (!strcmp(t, LV2_ATOM__Int) || !strcmp(t, LV2_ATOM__Bool))) *(int32_t *)out = (int32_t)d, n = 4;
        else if (out && !strcmp(t, LV2_ATOM__Long)) *(int64_t *)out = (int64_t)d, n = 8;
        else if (out && !strcmp(t, LV2_ATOM__Float)) *(float *)out = (float)d, n = 4;
        else if (out) *(double *)out = d, n = 8;
    }
    if (!out) return NULL;
    c->buf[c->n++] = out;
    *size = n;
    *type = pt_lv2_urid(t);
    *flags = LV2_STATE_IS_POD | LV2_STATE_IS_PORTABLE;
    return out;
}

int pt_lv2_state_restore(const void *iface, void *handle, const char *text, const void *const *features,
                         char *why, size_t why_size)
{
    const LV2_State_Interface *st = iface;
    if (!text || !text[0]) return 0;
    if (!st || !st->restore) {
        snprintf(why, why_size, "the rig has a state for it, but the plugin keeps none");
        return -1;
    }
    restore_ctx c = {.obj = cJSON_Parse(text)};
    if (!cJSON_IsObject(c.obj)) {
        cJSON_Delete(c.obj);
        snprintf(why, why_size, "its saved state is not what pytone writes (a JSON object)");
        return -1;
    }
    const LV2_Feature *f[24];
    LV2_State_Status rc = st->restore(handle, retrieve, &c, LV2_STATE_IS_POD | LV2_STATE_IS_PORTABLE,
                                      with_paths(features, f, 24));
    for (int i = 0; i < c.n; i++) free(c.buf[i]);
    cJSON_Delete(c.obj);
    if (rc != LV2_STATE_SUCCESS) {
        snprintf(why, why_size, "the plugin refused its saved state (status %d)", (int)rc);
        return -1;
    }
    return 0;
}

#endif
