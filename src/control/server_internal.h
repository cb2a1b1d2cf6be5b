/* server_internal.h — what server.c (the event loop, WebSockets, the
 * pusher) and server_http.c (requests, the guard, static files, imports)
 * share. Not for other modules. */
#ifndef PT_SERVER_INTERNAL_H
#define PT_SERVER_INTERNAL_H

#include <libwebsockets.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "assets.h"
#include "protocol.h"
#include "server.h"

#define PT_SERVER_MAX_HOSTS 16

/* A token bucket: `rate` messages a second, bursts up to `burst`. */
typedef struct pt_bucket {
    double tokens, last_s;
} pt_bucket;

double pt_server_now_s(void);
bool pt_bucket_take(pt_bucket *b);

/* A message waiting to go out on a WebSocket: LWS_PRE bytes of headroom
 * before data, as lws_write wants. */
typedef struct pt_out_msg {
    struct pt_out_msg *next;
    size_t len;
    unsigned char buf[]; /* LWS_PRE + len */
} pt_out_msg;

typedef struct ws_client {
    struct lws *wsi;
    pt_protocol_client pc;  /* subscriptions: written on the loop, read by the pusher under mu */
    pt_bucket rate;
    char msg[PT_PROTOCOL_MAX_MESSAGE + 1]; /* the message being assembled: never more */
    size_t msg_len;
    bool too_big, binary;
    /* under srv->mu: replies in order, then the latest state and meters */
    pt_out_msg *replies, **replies_tail;
    size_t queued_bytes;
    pt_out_msg *state, *meters;
    double next_meters_s;
    struct ws_client *next;
} ws_client;

/* One connection's data (lws's per-session user space): an HTTP request
 * being read or answered, or (ws) the WebSocket client. */
typedef struct pt_conn {
    ws_client *ws;
    /* the request */
    int route;            /* ROUTE_* in server_http.c */
    int refuse_status;    /* answer this once the body is read (0: none) */
    char *refuse_msg;
    long long body_len, body_got;
    double deadline_s;    /* the body must be in by then */
    char *body;           /* /api/command: at most PT_PROTOCOL_MAX_MESSAGE */
    int spool_fd;         /* /api/import: the body so far, when spooling */
    bool spooling;
    char import_kind[16], import_name[PT_IMPORT_MAX_NAME + 8], import_over[8];
    bool import_too_big;
    bool set_cookie;      /* LAN mode: the token came in the URL */
    /* the answer */
    unsigned char *out;   /* LWS_PRE + out_len */
    size_t out_len, out_sent;
    bool head_only;
} pt_conn;

struct pt_server {
    struct lws_context *ctx;
    pt_session *s;
    int port;
    pt_server_listen listen;
    char token[PT_SERVER_TOKEN_CHARS + 1]; /* LAN mode only */
    char ui_dir[PATH_MAX]; /* "" : the placeholder page */
    char allowed_host[PT_SERVER_MAX_HOSTS][80];
    int n_hosts;
    char lan_addr[PT_SERVER_MAX_HOSTS][48]; /* LAN mode: the addresses shown in URLs */
    int n_lan;
    pthread_mutex_t mu;    /* clients, their queues, http_rate */
    pthread_cond_t wake;
    ws_client *clients;
    int n_clients;
    pt_bucket http_rate;
    atomic_int state_dirty;
    atomic_bool stop;
    pthread_t loop, pusher;
    bool loop_started, pusher_started;
};

/* server_http.c */
int pt_http_callback(pt_server *srv, struct lws *wsi, enum lws_callback_reasons reason,
                     pt_conn *c, void *in, size_t len);
/* The guard for a WebSocket upgrade: 0 to let it through, else it has
 * answered (403, 404) and the caller refuses. */
int pt_http_guard_upgrade(pt_server *srv, struct lws *wsi);
void pt_http_conn_free(pt_conn *c);
void pt_server_mark_dirty(pt_server *srv);
void pt_server_find_ui_dir(char *out, size_t size);
int pt_server_add_hosts(pt_server *srv);

#endif
