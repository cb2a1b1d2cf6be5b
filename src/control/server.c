/* server.c — the control server on civetweb (see server.h).
 *
 * Threads: civetweb's workers run the HTTP handlers and one WebSocket
 * connection each (its messages in order, replies on the same thread); one
 * "pusher" thread of ours sends state events after changes and meters to
 * subscribers. The list of WebSocket clients is guarded by srv->mu; a client
 * is freed only by its close handler, under that mutex, so the pusher never
 * writes to a closed connection.
 */
#include "server.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#ifdef PT_HAVE_CIVETWEB

#include <arpa/inet.h>
#include <civetweb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "assets.h"
#include "core/datadir.h"
#include "protocol.h"

/* A token bucket: `rate` messages a second, bursts up to `burst`. */
typedef struct bucket {
    double tokens, last_s;
} bucket;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static bool bucket_take(bucket *b)
{
    double t = now_s();
    if (b->last_s == 0) b->tokens = PT_SERVER_RATE_BURST;
    else b->tokens += (t - b->last_s) * PT_SERVER_RATE_PER_S;
    if (b->tokens > PT_SERVER_RATE_BURST) b->tokens = PT_SERVER_RATE_BURST;
    b->last_s = t;
    if (b->tokens < 1.0) return false;
    b->tokens -= 1.0;
    return true;
}

typedef struct ws_client {
    struct mg_connection *conn;
    pt_protocol_client pc;  /* subscriptions: written by the connection's thread, read by the pusher under mu */
    bucket rate;
    char *frag;             /* a fragmented message being assembled */
    size_t frag_len;
    bool in_frag, frag_too_big, frag_binary;
    double next_meters_s;
    struct ws_client *next;
} ws_client;

struct pt_server {
    struct mg_context *ctx;
    pt_session *s;
    int port;
    char ui_dir[PATH_MAX]; /* "" : the placeholder page */
    char allowed_host[3][64];
    pthread_mutex_t mu;    /* clients, http_rate */
    pthread_cond_t wake;
    ws_client *clients;
    int n_clients;
    bucket http_rate;
    atomic_int state_dirty;
    atomic_bool handlers_ready; /* set once our handlers are registered */
    bool stop;
    pthread_t pusher;
    bool pusher_started;
};

/* ------------------------------------------------------------ replies */

static void send_body(struct mg_connection *conn, int status, const char *reason, const char *type,
                      const char *body, size_t len)
{
    mg_printf(conn,
              "HTTP/1.1 %d %s\r\n"
              "Content-Type: %s\r\n"
              "Content-Length: %zu\r\n"
              "Cache-Control: no-store\r\n"
              "X-Content-Type-Options: nosniff\r\n"
              "Connection: close\r\n\r\n",
              status, reason, type, len);
    if (len && strcmp(mg_get_request_info(conn)->request_method, "HEAD")) mg_write(conn, body, len);
}

static void send_json(struct mg_connection *conn, int status, const char *reason, const char *json)
{
    send_body(conn, status, reason, "application/json", json, strlen(json));
}

/* {"ok": false, "error": msg} with an HTTP status. */
static int send_error(struct mg_connection *conn, int status, const char *reason, const char *msg)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddBoolToObject(j, "ok", false);
    cJSON_AddStringToObject(j, "error", msg);
    char *s = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    send_json(conn, status, reason, s ? s : "{\"ok\":false}");
    cJSON_free(s);
    return status;
}

/* ------------------------------------------------------------ the guard */

static bool host_ok(const pt_server *srv, const char *host)
{
    if (!host) return false;
    for (int i = 0; i < 3; i++)
        if (!strcasecmp(host, srv->allowed_host[i])) return true;
    return false;
}

static bool origin_ok(const pt_server *srv, const char *origin)
{
    if (!origin) return true; /* not a browser: no cross-site risk */
    if (strncasecmp(origin, "http://", 7)) return false;
    return host_ok(srv, origin + 7);
}

/* Every request passes here first, WebSocket upgrades included: the Host
 * must name this server on loopback (a DNS-rebinding page has its own name
 * there), and requests that can change something must not come from
 * another site's page. */
static int begin_request(struct mg_connection *conn)
{
    pt_server *srv = mg_get_user_data(mg_get_context(conn));
    /* civetweb listens from mg_start2 on, before our handlers are set: a
     * request in that window (a page reconnecting as the engine starts) would
     * get civetweb's own 404. Wait for them (microseconds; bounded). */
    for (int i = 0; i < 2000 && !atomic_load(&srv->handlers_ready); i++) {
        struct timespec ts = {0, 1000000L};
        nanosleep(&ts, NULL);
    }
    const struct mg_request_info *ri = mg_get_request_info(conn);
    const char *host = mg_get_header(conn, "Host");
    if (!host_ok(srv, host)) {
        char msg[256];
        snprintf(msg, sizeof msg, "refused: Host '%.64s' is not this server (use %s)",
                 host ? host : "", srv->allowed_host[0]);
        return send_error(conn, 403, "Forbidden", msg);
    }
    const char *upgrade = mg_get_header(conn, "Upgrade");
    bool changes = strcmp(ri->request_method, "GET") && strcmp(ri->request_method, "HEAD");
    if ((changes || upgrade) && !origin_ok(srv, mg_get_header(conn, "Origin"))) {
        char msg[256];
        snprintf(msg, sizeof msg, "refused: requests from the page at '%.64s' are not allowed",
                 mg_get_header(conn, "Origin"));
        return send_error(conn, 403, "Forbidden", msg);
    }
    return 0;
}

static int log_message(const struct mg_connection *conn, const char *message)
{
    (void)conn, (void)message;
    return 1; /* library code does not print; errors reach the caller as values */
}

/* ------------------------------------------------------------ HTTP API */

static void handle_state(struct mg_connection *conn, pt_server *srv)
{
    cJSON *st = pt_session_state(srv->s);
    char *s = st ? cJSON_PrintUnformatted(st) : NULL;
    cJSON_Delete(st);
    if (s) send_json(conn, 200, "OK", s);
    else send_error(conn, 500, "Internal Server Error", "out of memory");
    cJSON_free(s);
}

/* A POST passes the rate limit and says how long its body is; otherwise
 * it is answered (429, 411) and false returned. */
static bool admit_post(struct mg_connection *conn, pt_server *srv, const char *what)
{
    pthread_mutex_lock(&srv->mu);
    bool allowed = bucket_take(&srv->http_rate);
    pthread_mutex_unlock(&srv->mu);
    if (!allowed) {
        send_error(conn, 429, "Too Many Requests", "rate limit: too many messages, slow down");
        return false;
    }
    if (mg_get_request_info(conn)->content_length < 0) {
        char msg[96];
        snprintf(msg, sizeof msg, "POST %s needs a Content-Length", what);
        send_error(conn, 411, "Length Required", msg);
        return false;
    }
    return true;
}

static void handle_command(struct mg_connection *conn, pt_server *srv)
{
    const struct mg_request_info *ri = mg_get_request_info(conn);
    if (!admit_post(conn, srv, "/api/command")) return;
    if (ri->content_length > PT_PROTOCOL_MAX_MESSAGE) {
        /* read what was sent (up to a point) so the client gets the reply
         * rather than a reset connection */
        char sink[4096];
        long long left = ri->content_length < 4 * 1024 * 1024 ? ri->content_length : 0;
        while (left > 0) {
            int n = mg_read(conn, sink, left < (long long)sizeof sink ? (size_t)left : sizeof sink);
            if (n <= 0) break;
            left -= n;
        }
        char msg[128];
        snprintf(msg, sizeof msg, "the message is too large (%lld bytes; at most %d)",
                 ri->content_length, PT_PROTOCOL_MAX_MESSAGE);
        send_error(conn, 413, "Payload Too Large", msg);
        return;
    }
    size_t len = (size_t)ri->content_length, got = 0;
    char *body = malloc(len + 1);
    if (!body) {
        send_error(conn, 500, "Internal Server Error", "out of memory");
        return;
    }
    while (got < len) {
        int n = mg_read(conn, body + got, len - got);
        if (n <= 0) break;
        got += (size_t)n;
    }
    pt_protocol_client pc;
    pt_protocol_client_init(&pc, false);
    char *reply = NULL;
    int rc = got == len ? pt_protocol_handle(srv->s, &pc, body, len, &reply) : -1;
    free(body);
    if (!reply) {
        send_error(conn, got == len ? 500 : 400, got == len ? "Internal Server Error" : "Bad Request",
                   got == len ? "out of memory" : "the body ended early");
        return;
    }
    send_json(conn, rc ? 400 : 200, rc ? "Bad Request" : "OK", reply);
    pt_protocol_free(reply);
    if (pc.changed) {
        atomic_store(&srv->state_dirty, 1);
        pthread_cond_signal(&srv->wake);
    }
}

/* POST /api/import?kind=nam|ir|circuit|rig|auto&name=FILE[&overwrite=1], the
 * file as the body: validated by the loaders, then placed in the library
 * (src/control/assets.h). */
typedef struct body_reader {
    struct mg_connection *conn;
    long long left;
} body_reader;

static long read_body(void *user, void *buf, size_t n)
{
    body_reader *b = user;
    if (b->left <= 0) return 0;
    if ((long long)n > b->left) n = (size_t)b->left;
    int got = mg_read(b->conn, buf, n);
    if (got > 0) b->left -= got;
    return got;
}

static const char *reason_of(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    default: return "Internal Server Error";
    }
}

static void handle_import(struct mg_connection *conn, pt_server *srv)
{
    const struct mg_request_info *ri = mg_get_request_info(conn);
    if (!admit_post(conn, srv, "/api/import")) return;
    /* a client that asked to wait (curl does, for bodies over 1 MiB) is told
     * to send the body, or refused before it does */
    const char *expect = mg_get_header(conn, "Expect");
    if (expect && !strcasecmp(expect, "100-continue")) {
        if (ri->content_length > PT_IMPORT_MAX_BYTES) {
            char msg[160];
            snprintf(msg, sizeof msg, "import: the file is too large (%lld bytes; at most %lld MiB)",
                     ri->content_length, PT_IMPORT_MAX_BYTES >> 20);
            send_error(conn, 413, "Payload Too Large", msg);
            return;
        }
        mg_printf(conn, "HTTP/1.1 100 Continue\r\n\r\n");
    }
    const char *q = ri->query_string ? ri->query_string : "";
    char kind[16] = "auto", name[PT_IMPORT_MAX_NAME + 8] = "", over[8] = "";
    int kn = mg_get_var(q, strlen(q), "kind", kind, sizeof kind);
    int nn = mg_get_var(q, strlen(q), "name", name, sizeof name);
    mg_get_var(q, strlen(q), "overwrite", over, sizeof over);
    if (kn == -1) snprintf(kind, sizeof kind, "auto");
    body_reader br = {.conn = conn, .left = ri->content_length};
    char rel[PT_PROTOCOL_MAX_PATH + 1] = "";
    pt_error err = {0};
    int status;
    if (kn == -2) {
        status = 400;
        pt_error_set(&err, PT_ERR_INVALID, NULL, 0, 0,
                     "import: kind must be nam, ir, circuit, rig or auto");
    } else if (nn < 0) {
        status = 400;
        pt_error_set(&err, PT_ERR_INVALID, NULL, 0, 0,
                     nn == -2 ? "import: the file name is too long (at most %d bytes)"
                              : "import: the query needs name=FILE (at most %d bytes)",
                     PT_IMPORT_MAX_NAME);
    } else {
        status = pt_asset_import(pt_session_library(srv->s), kind, name, !strcmp(over, "1"),
                                 ri->content_length, read_body, &br, rel, sizeof rel, &err);
    }
    /* read what is left of the body (up to a point) so the client gets the
     * reply rather than a reset connection */
    char *sink = br.left > 0 ? malloc(64 * 1024) : NULL;
    for (long long budget = 2 * PT_IMPORT_MAX_BYTES; sink && br.left > 0 && budget > 0;) {
        long n = read_body(&br, sink, 64 * 1024);
        if (n <= 0) break;
        budget -= n;
    }
    free(sink);
    if (status == 200) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddBoolToObject(j, "ok", true);
        cJSON_AddStringToObject(j, "path", rel);
        char *text = cJSON_PrintUnformatted(j);
        cJSON_Delete(j);
        if (text) send_json(conn, 200, "OK", text);
        else send_error(conn, 500, "Internal Server Error", "out of memory");
        cJSON_free(text);
        atomic_store(&srv->state_dirty, 1); /* file pickers and rig lists may change */
        pthread_cond_signal(&srv->wake);
        return;
    }
    char msg[2048];
    pt_error_format(&err, msg, sizeof msg);
    send_error(conn, status, reason_of(status), msg[0] ? msg : "import failed");
}

/* ------------------------------------------------------------ static files */

static const char placeholder[] =
    "<!doctype html><html><head><meta charset=\"utf-8\"><title>PyTone FX</title></head>"
    "<body style=\"font-family:sans-serif;max-width:40em;margin:3em auto\">"
    "<h1>PyTone FX</h1><p>The engine is running. The web UI is not built "
    "(<code>ui/dist</code> is missing).</p><p>Control it over the WebSocket at "
    "<code>/ws</code> or with <code>POST /api/command</code>; "
    "<a href=\"/api/state\">/api/state</a> shows the state. See "
    "docs/control-protocol.md.</p></body></html>\n";

static const char *mime_of(const char *path)
{
    static const char *const map[][2] = {
        {".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
        {".json", "application/json"}, {".svg", "image/svg+xml"}, {".png", "image/png"},
        {".ico", "image/x-icon"}, {".woff2", "font/woff2"}, {".wasm", "application/wasm"},
        {".txt", "text/plain; charset=utf-8"}, {".map", "application/json"},
    };
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof map / sizeof map[0]; i++)
        if (!strcasecmp(dot, map[i][0])) return map[i][1];
    return "application/octet-stream";
}

/* A URL path is served only if every component is a plain name (no "..",
 * ".", hidden files, empty parts or backslashes) and the file, symlinks
 * resolved, is inside the UI folder. */
static void handle_static(struct mg_connection *conn, pt_server *srv, const char *uri)
{
    if (strcmp(mg_get_request_info(conn)->request_method, "GET") &&
        strcmp(mg_get_request_info(conn)->request_method, "HEAD")) {
        send_error(conn, 405, "Method Not Allowed", "only GET here");
        return;
    }
    if (!strcmp(uri, "/")) uri = "/index.html";
    if (!srv->ui_dir[0]) {
        if (!strcmp(uri, "/index.html"))
            send_body(conn, 200, "OK", "text/html; charset=utf-8", placeholder,
                      sizeof placeholder - 1);
        else
            send_error(conn, 404, "Not Found", "no such file");
        return;
    }
    for (const char *c = uri + 1; *c;) {
        const char *e = strchr(c, '/');
        size_t n = e ? (size_t)(e - c) : strlen(c);
        if (n == 0 || c[0] == '.' || memchr(c, '\\', n)) {
            send_error(conn, 404, "Not Found", "no such file");
            return;
        }
        c += n;
        if (*c == '/') c++;
    }
    char path[PATH_MAX * 2], real[PATH_MAX];
    snprintf(path, sizeof path, "%s%s", srv->ui_dir, uri);
    size_t root = strlen(srv->ui_dir);
    struct stat st;
    if (!realpath(path, real) || strncmp(real, srv->ui_dir, root) || real[root] != '/' ||
        stat(real, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > 64L * 1024 * 1024) {
        send_error(conn, 404, "Not Found", "no such file");
        return;
    }
    FILE *f = fopen(real, "rb");
    char *data = f ? malloc((size_t)st.st_size + 1) : NULL;
    size_t n = data ? fread(data, 1, (size_t)st.st_size, f) : 0;
    if (f) fclose(f);
    if (!data || n != (size_t)st.st_size) {
        free(data);
        send_error(conn, 500, "Internal Server Error", "cannot read the file");
        return;
    }
    send_body(conn, 200, "OK", mime_of(real), data, n);
    free(data);
}

static int handle_http(struct mg_connection *conn, void *cbdata)
{
    pt_server *srv = cbdata;
    const struct mg_request_info *ri = mg_get_request_info(conn);
    const char *uri = ri->local_uri_raw ? ri->local_uri_raw : ri->local_uri;
    if (!uri || uri[0] != '/' || strstr(uri, "..")) {
        send_error(conn, 404, "Not Found", "no such file");
        return 404;
    }
    if (!strcmp(uri, "/api/state")) {
        if (strcmp(ri->request_method, "GET") && strcmp(ri->request_method, "HEAD"))
            send_error(conn, 405, "Method Not Allowed", "GET it");
        else handle_state(conn, srv);
    } else if (!strcmp(uri, "/api/command")) {
        if (strcmp(ri->request_method, "POST")) send_error(conn, 405, "Method Not Allowed", "POST it");
        else handle_command(conn, srv);
    } else if (!strcmp(uri, "/api/import")) {
        if (strcmp(ri->request_method, "POST")) send_error(conn, 405, "Method Not Allowed", "POST it");
        else handle_import(conn, srv);
    } else if (!strncmp(uri, "/api/", 5) || !strcmp(uri, "/api")) {
        send_error(conn, 404, "Not Found",
                   "unknown API path (GET /api/state, POST /api/command, POST /api/import)");
    } else if (!strcmp(uri, "/ws")) {
        send_error(conn, 426, "Upgrade Required", "/ws is a WebSocket");
    } else {
        handle_static(conn, srv, uri);
    }
    return 200;
}

/* ------------------------------------------------------------ WebSocket */

static int ws_connect(const struct mg_connection *conn, void *cbdata)
{
    pt_server *srv = cbdata;
    pthread_mutex_lock(&srv->mu);
    int full = srv->n_clients >= PT_SERVER_MAX_WS_CLIENTS;
    pthread_mutex_unlock(&srv->mu);
    return full; /* non-zero: refused */
}

static void ws_ready(struct mg_connection *conn, void *cbdata)
{
    pt_server *srv = cbdata;
    ws_client *c = calloc(1, sizeof *c);
    if (!c) return;
    c->conn = conn;
    pt_protocol_client_init(&c->pc, true);
    pthread_mutex_lock(&srv->mu);
    c->next = srv->clients;
    srv->clients = c;
    srv->n_clients++;
    pthread_mutex_unlock(&srv->mu);
    mg_set_user_connection_data(conn, c);
}

static void ws_reply_error(struct mg_connection *conn, const char *msg)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNullToObject(j, "id");
    cJSON_AddBoolToObject(j, "ok", false);
    cJSON_AddStringToObject(j, "error", msg);
    char *s = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    if (s) mg_websocket_write(conn, MG_WEBSOCKET_OPCODE_TEXT, s, strlen(s));
    cJSON_free(s);
}

/* One whole text message from a client. */
static void ws_message(pt_server *srv, ws_client *c, const char *data, size_t len)
{
    if (!bucket_take(&c->rate)) {
        ws_reply_error(c->conn, "rate limit: too many messages, slow down");
        return;
    }
    pthread_mutex_lock(&srv->mu); /* the pusher reads c->pc */
    pt_protocol_client pc = c->pc;
    pthread_mutex_unlock(&srv->mu);
    char *reply = NULL;
    pt_protocol_handle(srv->s, &pc, data, len, &reply);
    pthread_mutex_lock(&srv->mu);
    c->pc = pc;
    pthread_mutex_unlock(&srv->mu);
    if (reply) mg_websocket_write(c->conn, MG_WEBSOCKET_OPCODE_TEXT, reply, strlen(reply));
    pt_protocol_free(reply);
    if (pc.changed) {
        atomic_store(&srv->state_dirty, 1);
        pthread_cond_signal(&srv->wake);
    }
}

static int ws_data(struct mg_connection *conn, int bits, char *data, size_t len, void *cbdata)
{
    pt_server *srv = cbdata;
    ws_client *c = mg_get_user_connection_data(conn);
    int op = bits & 0xf;
    bool fin = (bits & 0x80) != 0;
    if (!c) return 0;
    switch (op) {
    case MG_WEBSOCKET_OPCODE_CONNECTION_CLOSE:
        mg_websocket_write(conn, MG_WEBSOCKET_OPCODE_CONNECTION_CLOSE, data, len > 2 ? 2 : len);
        return 0;
    case MG_WEBSOCKET_OPCODE_PING: /* pings count against the rate too */
        if (bucket_take(&c->rate))
            mg_websocket_write(conn, MG_WEBSOCKET_OPCODE_PONG, data, len > 125 ? 125 : len);
        return 1;
    case MG_WEBSOCKET_OPCODE_PONG:
        return 1;
    case MG_WEBSOCKET_OPCODE_TEXT:
    case MG_WEBSOCKET_OPCODE_BINARY:
        if (c->in_frag) { /* a new message inside a fragmented one: protocol error */
            ws_reply_error(conn, "a new message began before the last one ended");
            return 0;
        }
        c->frag_binary = op == MG_WEBSOCKET_OPCODE_BINARY;
        c->frag_too_big = false;
        c->frag_len = 0;
        if (fin) {
            if (c->frag_binary) ws_reply_error(conn, "send text frames (JSON), not binary");
            else if (len > PT_PROTOCOL_MAX_MESSAGE) {
                char msg[128];
                snprintf(msg, sizeof msg, "the message is too large (%zu bytes; at most %d)", len,
                         PT_PROTOCOL_MAX_MESSAGE);
                ws_reply_error(conn, msg);
            } else
                ws_message(srv, c, data, len);
            return 1;
        }
        c->in_frag = true;
        /* keep the first fragment, below */
        __attribute__((fallthrough));
    case MG_WEBSOCKET_OPCODE_CONTINUATION:
        if (!c->in_frag) {
            ws_reply_error(conn, "a continuation frame without a message");
            return 0;
        }
        if (!c->frag_too_big) {
            if (c->frag_len + len > PT_PROTOCOL_MAX_MESSAGE) {
                c->frag_too_big = true;
                free(c->frag);
                c->frag = NULL;
            } else {
                char *b = realloc(c->frag, c->frag_len + len + 1);
                if (!b) return 0;
                c->frag = b;
                memcpy(c->frag + c->frag_len, data, len);
                c->frag_len += len;
            }
        }
        if (fin) {
            c->in_frag = false;
            if (c->frag_too_big)
                ws_reply_error(conn, "the message is too large (at most 65536 bytes)");
            else if (c->frag_binary)
                ws_reply_error(conn, "send text frames (JSON), not binary");
            else
                ws_message(srv, c, c->frag, c->frag_len);
            free(c->frag);
            c->frag = NULL;
            c->frag_len = 0;
        }
        return 1;
    default:
        ws_reply_error(conn, "unknown WebSocket frame");
        return 0;
    }
}

static void ws_close(const struct mg_connection *conn, void *cbdata)
{
    pt_server *srv = cbdata;
    ws_client *c = mg_get_user_connection_data(conn);
    if (!c) return;
    pthread_mutex_lock(&srv->mu);
    for (ws_client **p = &srv->clients; *p; p = &(*p)->next)
        if (*p == c) {
            *p = c->next;
            srv->n_clients--;
            break;
        }
    pthread_mutex_unlock(&srv->mu);
    mg_set_user_connection_data(conn, NULL);
    free(c->frag);
    free(c);
}

/* ------------------------------------------------------------ the pusher */

/* The state without what changes all the time (DSP load, callback count),
 * to notice changes made outside the protocol (file watch, MIDI). */
static char *state_signature(pt_session *s)
{
    cJSON *st = pt_session_state(s), *rig = pt_session_rig_json(s);
    cJSON_DeleteItemFromObjectCaseSensitive(st, "dsp_load_p50");
    cJSON_DeleteItemFromObjectCaseSensitive(st, "dsp_load_p99");
    cJSON_DeleteItemFromObjectCaseSensitive(st, "overruns");
    cJSON_DeleteItemFromObjectCaseSensitive(st, "callbacks");
    cJSON *both = cJSON_CreateArray();
    cJSON_AddItemToArray(both, st ? st : cJSON_CreateNull());
    cJSON_AddItemToArray(both, rig ? rig : cJSON_CreateNull());
    char *sig = cJSON_PrintUnformatted(both);
    cJSON_Delete(both);
    return sig;
}

static void *pusher(void *arg)
{
    pt_server *srv = arg;
    char *last_sig = state_signature(srv->s);
    double next_check_s = 0, next_state_s = 0;
    pthread_mutex_lock(&srv->mu);
    while (!srv->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 1000000000L / 120;
        if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&srv->wake, &srv->mu, &ts);
        if (srv->stop || !srv->clients) continue;
        double t = now_s();
        bool want_meters = false, want_state = false;
        for (ws_client *c = srv->clients; c; c = c->next) {
            want_meters |= c->pc.meters && t >= c->next_meters_s;
            want_state |= c->pc.state;
        }
        /* at most 30 state events a second: a knob turned fast is sent as
         * its latest value, not as every step */
        bool dirty = t >= next_state_s && atomic_exchange(&srv->state_dirty, 0) != 0;
        bool check = want_state && t >= next_check_s;
        pthread_mutex_unlock(&srv->mu);

        /* build outside the lock: the session may be busy for a while */
        char *state = NULL, *meters = NULL;
        if (want_state && (dirty || check)) {
            char *sig = state_signature(srv->s);
            if (dirty || !last_sig || !sig || strcmp(sig, last_sig)) state = pt_protocol_state_event(srv->s);
            free(last_sig);
            last_sig = sig;
            next_check_s = t + 0.25;
            if (state) next_state_s = t + 1.0 / 30;
        }
        if (want_meters) meters = pt_protocol_meters_event(srv->s);

        pthread_mutex_lock(&srv->mu);
        for (ws_client *c = srv->clients; c; c = c->next) {
            if (state && c->pc.state)
                mg_websocket_write(c->conn, MG_WEBSOCKET_OPCODE_TEXT, state, strlen(state));
            if (meters && c->pc.meters && t >= c->next_meters_s) {
                mg_websocket_write(c->conn, MG_WEBSOCKET_OPCODE_TEXT, meters, strlen(meters));
                double period = 1.0 / (c->pc.meters_hz > 0 ? c->pc.meters_hz : 30);
                c->next_meters_s = c->next_meters_s + period > t ? c->next_meters_s + period
                                                                  : t + period;
            }
        }
        pt_protocol_free(state);
        pt_protocol_free(meters);
    }
    pthread_mutex_unlock(&srv->mu);
    free(last_sig);
    return NULL;
}

/* ------------------------------------------------------------ start, stop */

/* Say plainly when the port is taken, before civetweb tries. */
static int port_free(int port, pt_error *err)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return 0; /* let civetweb report it */
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int rc = bind(fd, (struct sockaddr *)&a, sizeof a);
    int e = errno;
    close(fd);
    if (rc == 0) return 0;
    if (e == EADDRINUSE)
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                            "port %d on 127.0.0.1 is already in use (another pytone?); choose "
                            "another with --port N or turn the server off with --no-server",
                            port);
    return pt_error_set(err, PT_ERR_IO, NULL, 0, 0, "cannot listen on 127.0.0.1:%d: %s", port,
                        strerror(e));
}

static void find_ui_dir(char *out, size_t size)
{
    out[0] = 0;
    char cand[PATH_MAX + 16], real[PATH_MAX];
    const char *env = getenv("PT_UI_DIR");
    char data_ui[PATH_MAX + 16];
    snprintf(data_ui, sizeof data_ui, "%s/ui/dist", pt_data_dir()); /* installed, or the source tree */
    const char *tries[4] = {env, "ui/dist", NULL, data_ui};
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            snprintf(cand, sizeof cand, "%s/../ui/dist", exe);
            tries[2] = cand;
        }
    }
    for (int i = 0; i < 4; i++) {
        struct stat st;
        if (tries[i] && tries[i][0] && realpath(tries[i], real) && stat(real, &st) == 0 &&
            S_ISDIR(st.st_mode) && strlen(real) < size) {
            snprintf(out, size, "%s", real);
            return;
        }
    }
}

pt_server *pt_server_start(pt_session *s, int port, pt_error *err)
{
    if (port < 1 || port > 65535) {
        pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "port %d is not 1 to 65535", port);
        return NULL;
    }
    if (port_free(port, err)) return NULL;
    pt_server *srv = calloc(1, sizeof *srv);
    if (!srv) {
        pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
        return NULL;
    }
    srv->s = s;
    srv->port = port;
    snprintf(srv->allowed_host[0], sizeof srv->allowed_host[0], "127.0.0.1:%d", port);
    snprintf(srv->allowed_host[1], sizeof srv->allowed_host[1], "localhost:%d", port);
    snprintf(srv->allowed_host[2], sizeof srv->allowed_host[2], "[::1]:%d", port);
    find_ui_dir(srv->ui_dir, sizeof srv->ui_dir);
    pthread_mutex_init(&srv->mu, NULL);
    pthread_cond_init(&srv->wake, NULL);

    mg_init_library(0);
    char listen[32];
    snprintf(listen, sizeof listen, "127.0.0.1:%d", port);
    const char *options[] = {"listening_ports", listen,
                             "num_threads", "16",
                             "request_timeout_ms", "10000",
                             "enable_keep_alive", "no",
                             "tcp_nodelay", "1", /* replies go out at once (no Nagle delay) */
                             "enable_directory_listing", "no",
                             NULL};
    struct mg_callbacks cb = {.begin_request = begin_request, .log_message = log_message};
    struct mg_init_data init = {.callbacks = &cb, .user_data = srv, .configuration_options = options};
    unsigned code = 0;
    char text[256] = "";
    struct mg_error_data ed = {.code = &code, .text = text, .text_buffer_size = sizeof text};
    srv->ctx = mg_start2(&init, &ed);
    if (!srv->ctx) {
        pt_error_set(err, PT_ERR_IO, NULL, 0, 0, "cannot start the control server on %s: %s",
                     listen, text[0] ? text : "unknown error");
        pthread_mutex_destroy(&srv->mu);
        pthread_cond_destroy(&srv->wake);
        free(srv);
        return NULL;
    }
    mg_set_request_handler(srv->ctx, "/", handle_http, srv);
    mg_set_websocket_handler(srv->ctx, "/ws", ws_connect, ws_ready, ws_data, ws_close, srv);
    atomic_store(&srv->handlers_ready, true);
    if (pthread_create(&srv->pusher, NULL, pusher, srv) == 0) srv->pusher_started = true;
    return srv;
}

/* civetweb's threads notice a stop only between waits of up to 2 s on
 * their sockets; knocking on the listening socket wakes the one that
 * accepts, so `pytone run` ends promptly. Bounded: at most 3 s of knocks. */
typedef struct waker {
    int port;
    atomic_int done;
} waker;

static void *knock(void *arg)
{
    waker *w = arg;
    for (int i = 0; i < 150 && !atomic_load(&w->done); i++) {
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)w->port)};
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (fd >= 0) {
            (void)connect(fd, (struct sockaddr *)&a, sizeof a);
            close(fd);
        }
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

void pt_server_stop(pt_server *srv)
{
    if (!srv) return;
    pthread_mutex_lock(&srv->mu);
    srv->stop = true;
    pthread_cond_signal(&srv->wake);
    /* ask WebSocket clients to close (1001: going away); browsers answer at
     * once, which ends their connection's thread */
    for (ws_client *c = srv->clients; c; c = c->next)
        mg_websocket_write(c->conn, MG_WEBSOCKET_OPCODE_CONNECTION_CLOSE, "\x03\xe9", 2);
    pthread_mutex_unlock(&srv->mu);
    if (srv->pusher_started) pthread_join(srv->pusher, NULL);
    waker w = {.port = srv->port};
    pthread_t knocker;
    bool knocking = pthread_create(&knocker, NULL, knock, &w) == 0;
    mg_stop(srv->ctx); /* closes connections; their close handlers free the clients */
    atomic_store(&w.done, 1);
    if (knocking) pthread_join(knocker, NULL);
    pthread_cond_destroy(&srv->wake);
    pthread_mutex_destroy(&srv->mu);
    free(srv);
}

int pt_server_port(const pt_server *srv) { return srv ? srv->port : 0; }

#else /* no civetweb */

struct pt_server {
    int port;
};

pt_server *pt_server_start(pt_session *s, int port, pt_error *err)
{
    (void)s;
    pt_error_set(err, PT_ERR_UNSUPPORTED, NULL, 0, 0,
                 "this build has no control server (civetweb was not found); run with "
                 "--no-server or install libcivetweb-dev and rebuild");
    (void)port;
    return NULL;
}

void pt_server_stop(pt_server *srv) { (void)srv; }
int pt_server_port(const pt_server *srv) { return srv ? srv->port : 0; }

#endif
