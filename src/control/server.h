/* server.h — the control server: HTTP and a WebSocket on 127.0.0.1.
 *
 *   GET  /api/state    the session's state as JSON
 *   POST /api/command  one protocol message (see protocol.h), the reply back
 *   GET  /ws           WebSocket: protocol messages both ways, plus pushed
 *                      {"event": "state"} after changes and {"event":
 *                      "meters"} to subscribers
 *   GET  /...          static files from the web UI folder (ui/dist)
 *
 * Only loopback is served, and only requests whose Host names it (DNS
 * rebinding) and, for WebSocket upgrades and POSTs, whose Origin (if any)
 * is this server. Messages are limited in size (PT_PROTOCOL_MAX_MESSAGE)
 * and rate. The server's threads call the session (it serialises them) and
 * read meters; they never wait on the audio thread.
 */
#ifndef PT_SERVER_H
#define PT_SERVER_H

#include "session.h"

typedef struct pt_server pt_server;

#define PT_SERVER_DEFAULT_PORT 8750
#define PT_SERVER_MAX_WS_CLIENTS 8
#define PT_SERVER_RATE_PER_S 200   /* messages a second, per WebSocket and for all HTTP */
#define PT_SERVER_RATE_BURST 400

/* Start serving the session on 127.0.0.1:port. The web UI comes from
 * $PT_UI_DIR, else ./ui/dist, else ui/dist beside the executable's folder, else the
 * data folder's (core/datadir.h: where pytone is installed);
 * without one a placeholder page is served. Returns NULL with err filled
 * (a port in use says so, in one line). */
pt_server *pt_server_start(pt_session *s, int port, pt_error *err);
/* Stop serving and close every connection; NULL is fine. */
void pt_server_stop(pt_server *srv);
int pt_server_port(const pt_server *srv);

#endif
