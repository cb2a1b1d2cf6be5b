/* protocol.h — the control protocol: JSON messages in, JSON replies out.
 *
 * One dispatcher, shared by the WebSocket, `POST /api/command`, the tests and
 * any future CLI, so all of them accept and refuse exactly the same things.
 * A request is one JSON object {"id": ..., "cmd": "...", ...fields}; the reply
 * is {"id": ..., "ok": true, ...} or {"id": ..., "ok": false, "error": "..."}.
 * Every field is checked (type, size, range, unknown or duplicate keys)
 * before the session is called, so a malformed or hostile message changes
 * nothing. The command set is documented in docs/control-protocol.md.
 *
 * Control threads only; calls may come from several threads at once (the
 * session serialises them).
 */
#ifndef PT_PROTOCOL_H
#define PT_PROTOCOL_H

#include <stdbool.h>
#include <stddef.h>

#include "session.h"

#define PT_PROTOCOL_VERSION 1
#define PT_PROTOCOL_MAX_MESSAGE (64 * 1024) /* bytes */
#define PT_PROTOCOL_MAX_DEPTH 8             /* nesting of arrays and objects */
#define PT_PROTOCOL_MAX_PATH 512            /* a rig path, relative to the library */

/* What one connection has asked for, and what the last message did. */
typedef struct pt_protocol_client {
    bool can_subscribe; /* in: false for one-shot HTTP requests */
    bool meters;        /* subscribed to {"event": "meters"} */
    bool state;         /* receives {"event": "state"} (WebSocket default: true) */
    int meters_hz;      /* meter push rate, 1..60 */
    bool changed;       /* out: the message changed the session */
} pt_protocol_client;

void pt_protocol_client_init(pt_protocol_client *c, bool can_subscribe);

/* Handle one message of `len` bytes (need not be NUL-terminated). *reply
 * gets a NUL-terminated JSON reply to free with pt_protocol_free (NULL only
 * when out of memory). client may be NULL (treated as a one-shot request).
 * Returns 0 when the command succeeded, non-zero when the reply is an error. */
int pt_protocol_handle(pt_session *s, pt_protocol_client *client, const char *json, size_t len,
                       char **reply);
void pt_protocol_free(char *json);

/* Events the server pushes; NULL when out of memory. Free with
 * pt_protocol_free. */
char *pt_protocol_state_event(pt_session *s);  /* {"event":"state","state":{},"rig":{}} */
char *pt_protocol_meters_event(pt_session *s); /* {"event":"meters","meters":{}} */

/* Confine a path that came from the network to the library folder:
 * relative, no '.' or '..' components or hidden names, one of the allowed
 * endings (exts, NULL-terminated; NULL: .yaml/.yml, rigs and setlists), and
 * after resolving symlinks still inside the library. must_exist: the file
 * must be there (load); otherwise its folder must be (save), and an existing
 * file there must resolve inside the library too. Writes the absolute path. */
int pt_protocol_confine_path(const char *library, const char *rel, const char *const *exts,
                             bool must_exist, char *out, size_t out_size, pt_error *err);

#endif
