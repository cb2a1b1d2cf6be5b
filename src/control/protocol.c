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
#include "protocol_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include "protocol_capture.h"

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

/* ------------------------------------------------------------ the command table */

/* What a command takes and what runs it (protocol_library.c,
 * protocol_graph.c, protocol_system.c). */
typedef struct cmd_def {
    const char *name;
    int (*run)(req *r);
    bool changes; /* a success changes the session: push a state event */
    const char *fields[8];
} cmd_def;

static int cmd_hello(req *r);

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
