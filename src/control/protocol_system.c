/* protocol_system.c — the commands about the running system rather than
 * the rig: state, meters, node types and plugins, MIDI learn, the output
 * limiter, tempo and setlist slot, input calibration, event subscriptions,
 * LAN pairing.
 */
#include "protocol_internal.h"

#include <stdlib.h>
#include <string.h>

#include "../midi/midi.h"
#include "../nodes/lv2_host.h"
#include "calibrate.h"
#include "qr.h"

int cmd_get_state(req *r)
{
    cJSON_AddItemToObject(r->reply, "state", wrap(pt_session_state(r->s)));
    return 0;
}

int cmd_get_rig(req *r)
{
    cJSON_AddItemToObject(r->reply, "rig", wrap(pt_session_rig_json(r->s)));
    return 0;
}

int cmd_get_meters(req *r)
{
    cJSON_AddItemToObject(r->reply, "meters", wrap(pt_session_meters(r->s)));
    return 0;
}

int cmd_list_types(req *r)
{
    cJSON_AddItemToObject(r->reply, "types", wrap(pt_node_types_json()));
    return 0;
}

/* The installed LV2 plugins, for the palette: [{name, uri, audio_in, audio_out}]. */
int cmd_list_plugins(req *r)
{
    char why[512] = "";
    cJSON *list = pt_lv2_plugins_json(why, sizeof why);
    if (!list) return fail(r, "list_plugins: %s", why);
    cJSON_AddItemToObject(r->reply, "plugins", list);
    return 0;
}

/* ---- MIDI learn (src/midi), when a MIDI layer runs ---- */

static pt_midi *need_midi(req *r, const char *cmd)
{
    pt_midi *m = pt_session_midi(r->s);
    if (!m) fail(r, "%s: MIDI is not running", cmd);
    return m;
}

int cmd_get_midi(req *r)
{
    pt_midi *m = need_midi(r, "get_midi");
    if (!m) return -1;
    cJSON_AddItemToObject(r->reply, "midi", wrap(pt_midi_state(m)));
    cJSON_AddItemToObject(r->reply, "mappings", wrap(pt_midi_mappings_json(m)));
    return 0;
}

int cmd_midi_learn(req *r)
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

int cmd_midi_learn_cancel(req *r)
{
    pt_midi *m = need_midi(r, "midi_learn_cancel");
    if (!m) return -1;
    pt_midi_learn_cancel(m);
    return 0;
}

int cmd_midi_unmap(req *r)
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
int cmd_set_limiter(req *r)
{
    bool on = true;
    if (get_bool(r, r->msg, "on", true, &on) < 0) return -1;
    pt_session_set_limiter(r->s, on);
    return 0;
}

int cmd_set_tempo(req *r)
{
    double bpm = 0;
    if (get_num(r, r->msg, "bpm", 20, 400, false, true, &bpm) < 0) return -1;
    pt_error err = {0};
    if (pt_session_set_tempo(r->s, (float)bpm, &err)) return fail_err(r, &err);
    return 0;
}

/* The input-level helper: replies at once; the state's "calibration" says
 * when it is done and what trim it set. */
int cmd_calibrate_input(req *r)
{
    double seconds = 5.0;
    if (get_num(r, r->msg, "seconds", PT_CALIBRATE_MIN_S, PT_CALIBRATE_MAX_S, false, false, &seconds) < 0)
        return -1;
    pt_error err = {0};
    if (pt_session_calibrate_input(r->s, seconds, &err)) return fail_err(r, &err);
    cJSON_AddItemToObject(r->reply, "calibration", pt_session_calibration(r->s));
    return 0;
}

int cmd_select_slot(req *r)
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

int cmd_subscribe(req *r)
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

/* The LAN pairing addresses and, for the first address on the network, its QR
 * code as rows of '1' (dark) and '0', for the page to draw beside the URL. */
int cmd_pairing(req *r)
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
