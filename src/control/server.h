/* server.h — the control server: HTTP and a WebSocket, on libwebsockets.
 *
 *   GET  /api/state    the session's state as JSON
 *   POST /api/command  one protocol message (see protocol.h), the reply back
 *   POST /api/import   a file for the library (see assets.h)
 *   GET  /ws           WebSocket: protocol messages both ways, plus pushed
 *                      {"event": "state"} after changes and {"event":
 *                      "meters"} to subscribers
 *   GET  /...          static files from the web UI folder (ui/dist)
 *
 * By default only loopback is served, and only requests whose Host names it
 * (DNS rebinding) and, for WebSocket upgrades and POSTs, whose Origin (if
 * any) is this server. In LAN mode (`pytone run --listen lan`) every address
 * of the machine is served, and every request must also carry the pairing
 * token: `?token=T` once (the page's URL, shown in the terminal), which sets
 * a cookie for the requests after it.
 *
 * Bounds, whatever a client claims: one event loop serves every connection
 * (an idle or slow one holds no thread); a WebSocket message is assembled in
 * a fixed buffer of PT_PROTOCOL_MAX_MESSAGE bytes (a frame header's length is
 * never allocated); a connection that sends nothing is closed after
 * PT_SERVER_IDLE_S, headers must be complete within PT_SERVER_HEADER_S, a
 * request body within PT_SERVER_BODY_S (imports PT_SERVER_IMPORT_S); at most
 * PT_SERVER_MAX_CONNECTIONS connections and PT_SERVER_MAX_WS_CLIENTS
 * WebSockets; messages are limited in rate. The server's threads call the
 * session (it serialises them) and read meters; they never wait on the
 * audio thread.
 */
#ifndef PT_SERVER_H
#define PT_SERVER_H

#include <stddef.h>

#include "session.h"

typedef struct pt_server pt_server;

#define PT_SERVER_DEFAULT_PORT 8750
#define PT_SERVER_MAX_WS_CLIENTS 8
#define PT_SERVER_RATE_PER_S 200   /* messages a second, per WebSocket and for all HTTP */
#define PT_SERVER_RATE_BURST 400
#define PT_SERVER_MAX_CONNECTIONS 2048
#define PT_SERVER_IDLE_S 5         /* a connection that has sent nothing */
#define PT_SERVER_HEADER_S 5       /* a request's headers, from its first byte */
#define PT_SERVER_BODY_S 10        /* a POST /api/command body, in all */
#define PT_SERVER_IMPORT_S 120     /* a POST /api/import body (64 MiB over Wi-Fi), in all */
#define PT_SERVER_TOKEN_CHARS 32   /* the LAN pairing token: 128 random bits in hex */

typedef enum pt_server_listen {
    PT_LISTEN_LOOPBACK, /* 127.0.0.1 only (the default) */
    PT_LISTEN_LAN,      /* every IPv4 address of the machine, with a pairing token */
} pt_server_listen;

/* Start serving the session on 127.0.0.1:port. The web UI comes from
 * $PT_UI_DIR, else ./ui/dist, else ui/dist beside the executable's folder, else the
 * data folder's (core/datadir.h: where pytone is installed);
 * without one a placeholder page is served. Returns NULL with err filled
 * (a port in use says so, in one line). */
pt_server *pt_server_start(pt_session *s, int port, pt_error *err);
/* The same, on loopback or the LAN. In LAN mode a fresh pairing token is
 * drawn from the kernel's random source; $PT_SERVER_TOKEN (32 hex digits)
 * sets it instead, for tests. */
pt_server *pt_server_start_on(pt_session *s, int port, pt_server_listen listen, pt_error *err);
/* Stop serving and close every connection; NULL is fine. */
void pt_server_stop(pt_server *srv);
int pt_server_port(const pt_server *srv);
/* The URLs to open the UI with (LAN mode: one per address, token included),
 * one a line, into out; returns how many. */
int pt_server_urls(const pt_server *srv, char *out, size_t size);

#endif
