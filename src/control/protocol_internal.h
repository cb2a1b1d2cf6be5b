/* protocol_internal.h — what the files of the control protocol share:
 * protocol.c (the command table, dispatch, events), protocol_fields.c (a
 * request's field checks and error text), and the commands by concern:
 * protocol_library.c (rig and asset files), protocol_graph.c (graph edits,
 * parameters, scenes), protocol_system.c (state, MIDI, limiter, tempo,
 * calibration, subscriptions, pairing). Calls go one way: the command files
 * call protocol_fields.c; protocol.c calls both. Nothing outside
 * src/control/protocol*.c includes this.
 */
#ifndef PT_PROTOCOL_INTERNAL_H
#define PT_PROTOCOL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "protocol.h"

/* ------------------------------------------------------------ a request */

typedef struct req {
    pt_session *s;
    pt_protocol_client *cl;
    const char *cmd;
    const cJSON *msg;
    cJSON *reply;
    char err[1024];
} req;

/* A session result for the reply: JSON null when it could not be made. */
static inline cJSON *wrap(cJSON *obj)
{
    return obj ? obj : cJSON_CreateNull();
}

/* ------------------------------------------------------------ field checks
 * (protocol_fields.c). Each fills r->err and returns -1 (or NULL) when the
 * field is wrong, so a command returns at its first bad field. */

enum str_kind {
    STR_ID,   /* node ids, parameter and type names: letters, digits, _ and - */
    STR_NAME, /* scene names: any printable text */
    STR_PATH  /* rig paths: printable, confined later */
};

int fail(req *r, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
int fail_err(req *r, const pt_error *e);
const char *json_kind(const cJSON *v);
size_t utf8_seq(const unsigned char *p, size_t n);
bool printable(const char *s);
const char *get_str(req *r, const cJSON *obj, const char *key, enum str_kind kind, bool required,
                    bool *bad);
int get_num(req *r, const cJSON *obj, const char *key, double lo, double hi, bool integer,
            bool required, double *out);
int get_bool(req *r, const cJSON *obj, const char *key, bool required, bool *out);
int check_keys(req *r, const cJSON *obj, const char *what, const char *const *allowed);
int get_position(req *r, pt_position *pos);
int get_text(req *r, const char *key, size_t max, bool lines, const char **out);

/* ------------------------------------------------------------ commands
 * Each takes the request, adds its results to r->reply and returns 0, or
 * returns -1 with r->err saying why. The table in protocol.c names them. */

/* protocol_library.c: rig and asset files in the library */
int asset_path(req *r, const char *cmd, const char *rel, char *use);
int cmd_list_rigs(req *r);
int cmd_load_rig(req *r);
int cmd_save_rig(req *r);
int cmd_rename_rig(req *r);
int cmd_copy_rig(req *r);
int cmd_delete_rig(req *r);
int cmd_list_trash(req *r);
int cmd_restore_rig(req *r);
int cmd_list_assets(req *r);
int cmd_list_files(req *r);
int cmd_asset_info(req *r);
int cmd_set_rig_info(req *r);

/* protocol_graph.c: the graph, its parameters and scenes */
int cmd_set_param(req *r);
int cmd_get_param(req *r);
int cmd_eq_response(req *r);
int cmd_set_bypass(req *r);
int cmd_set_branch(req *r);
int cmd_add_node(req *r);
int cmd_set_asset(req *r);
int cmd_add_split(req *r);
int cmd_remove(req *r);
int cmd_move(req *r);
int cmd_add_branch(req *r);
int cmd_remove_branch(req *r);
int cmd_scene_select(req *r);
int cmd_scene_store(req *r);
int cmd_scene_rename(req *r);
int cmd_scene_delete(req *r);
int cmd_get_scene(req *r);

/* protocol_system.c: the running system */
int cmd_get_state(req *r);
int cmd_get_rig(req *r);
int cmd_get_meters(req *r);
int cmd_list_types(req *r);
int cmd_list_plugins(req *r);
int cmd_pairing(req *r);
int cmd_get_midi(req *r);
int cmd_midi_learn(req *r);
int cmd_midi_learn_cancel(req *r);
int cmd_midi_unmap(req *r);
int cmd_set_limiter(req *r);
int cmd_set_tempo(req *r);
int cmd_calibrate_input(req *r);
int cmd_select_slot(req *r);
int cmd_subscribe(req *r);

#endif
