/* server.c — the control server on libwebsockets (see server.h): the event
 * loop, WebSocket clients, the pusher, start and stop. The HTTP side is in
 * server_http.c.
 *
 * Threads: one "loop" thread runs libwebsockets' event loop; every read and
 * write on a connection happens there (HTTP handlers, WebSocket messages and
 * their replies). One "pusher" thread of ours builds state events after
 * changes and meters for subscribers, puts the latest of each on the
 * clients' queues under srv->mu and wakes the loop (lws_cancel_service),
 * which writes them. A client is freed only on the loop, under srv->mu.
 *
 * Why libwebsockets: civetweb 1.15 reserves whatever length a WebSocket
 * frame header claims (0x7FFF0000 -> 2 GiB) before any callback of ours
 * runs, and gives each connection a worker thread, so idle or slow clients
 * held all of them (issue #16, findings 1 and 7). libwebsockets hands us a
 * frame in pieces of at most the protocol's rx buffer, and waits for every
 * connection on one poll.
 */
#include "server.h"

#ifdef PT_HAVE_LWS

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "server_internal.h"

double pt_server_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

bool pt_bucket_take(pt_bucket *b)
{
    double t = pt_server_now_s();
    if (b->last_s == 0) b->tokens = PT_SERVER_RATE_BURST;
    else b->tokens += (t - b->last_s) * PT_SERVER_RATE_PER_S;
    if (b->tokens > PT_SERVER_RATE_BURST) b->tokens = PT_SERVER_RATE_BURST;
    b->last_s = t;
    if (b->tokens < 1.0) return false;
    b->tokens -= 1.0;
    return true;
}

void pt_server_mark_dirty(pt_server *srv)
{
    atomic_store(&srv->state_dirty, 1);
    pthread_mutex_lock(&srv->mu);
    pthread_cond_signal(&srv->wake);
    pthread_mutex_unlock(&srv->mu);
}

/* ------------------------------------------------------------ WebSocket */

/* A client that reads nothing while we queue replies for it is closed
 * rather than let its queue grow. */
#define WS_MAX_QUEUED (4u << 20)

static pt_out_msg *out_msg(const char *text, size_t len)
{
    pt_out_msg *m = malloc(sizeof *m + LWS_PRE + len);
    if (!m) return NULL;
    m->next = NULL;
    m->len = len;
    memcpy(m->buf + LWS_PRE, text, len);
    return m;
}

/* Queue a reply (loop thread). False: the client is to be closed. */
static bool ws_queue_reply(pt_server *srv, ws_client *c, const char *text)
{
    size_t len = strlen(text);
    pt_out_msg *m = out_msg(text, len);
    if (!m) return false;
    pthread_mutex_lock(&srv->mu);
    bool ok = c->queued_bytes + len <= WS_MAX_QUEUED;
    if (ok) {
        *c->replies_tail = m;
        c->replies_tail = &m->next;
        c->queued_bytes += len;
    }
    pthread_mutex_unlock(&srv->mu);
    if (!ok) {
        free(m);
        return false;
    }
    lws_callback_on_writable(c->wsi);
    return true;
}

static bool ws_reply_error(pt_server *srv, ws_client *c, const char *msg)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNullToObject(j, "id");
    cJSON_AddBoolToObject(j, "ok", false);
    cJSON_AddStringToObject(j, "error", msg);
    char *s = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    bool ok = s && ws_queue_reply(srv, c, s);
    cJSON_free(s);
    return ok;
}

/* One whole text message from a client (loop thread). */
static bool ws_message(pt_server *srv, ws_client *c, const char *data, size_t len)
{
    if (!pt_bucket_take(&c->rate)) return ws_reply_error(srv, c, "rate limit: too many messages, slow down");
    pthread_mutex_lock(&srv->mu); /* the pusher reads c->pc */
    pt_protocol_client pc = c->pc;
    pthread_mutex_unlock(&srv->mu);
    char *reply = NULL;
    pt_protocol_handle(srv->s, &pc, data, len, &reply);
    pthread_mutex_lock(&srv->mu);
    c->pc = pc;
    pthread_mutex_unlock(&srv->mu);
    bool ok = !reply || ws_queue_reply(srv, c, reply);
    pt_protocol_free(reply);
    if (pc.changed) pt_server_mark_dirty(srv);
    return ok;
}

/* A piece of a message (at most the rx buffer): kept while the message
 * fits in c->msg, dropped once it does not; judged when the last piece of
 * its last frame is in. */
static int ws_receive(pt_server *srv, struct lws *wsi, ws_client *c, const char *in, size_t len)
{
    (void)wsi;
    if (lws_is_first_fragment(wsi)) {
        c->msg_len = 0;
        c->too_big = false;
        c->binary = lws_frame_is_binary(wsi);
    }
    if (!c->too_big) {
        if (len > PT_PROTOCOL_MAX_MESSAGE - c->msg_len) c->too_big = true;
        else {
            memcpy(c->msg + c->msg_len, in, len);
            c->msg_len += len;
        }
    }
    if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi)) return 0;
    bool ok;
    if (c->too_big) {
        char msg[128];
        snprintf(msg, sizeof msg, "the message is too large (at most %d bytes)", PT_PROTOCOL_MAX_MESSAGE);
        ok = ws_reply_error(srv, c, msg);
    } else if (c->binary) {
        ok = ws_reply_error(srv, c, "send text frames (JSON), not binary");
    } else {
        c->msg[c->msg_len] = 0;
        ok = ws_message(srv, c, c->msg, c->msg_len);
    }
    c->msg_len = 0;
    c->too_big = false;
    return ok ? 0 : -1;
}

/* Write the next queued message: replies first, then state, then meters. */
static int ws_writable(pt_server *srv, ws_client *c)
{
    pthread_mutex_lock(&srv->mu);
    pt_out_msg *m = c->replies;
    if (m) {
        c->replies = m->next;
        if (!c->replies) c->replies_tail = &c->replies;
        c->queued_bytes -= m->len;
    } else if ((m = c->state)) {
        c->state = NULL;
    } else if ((m = c->meters)) {
        c->meters = NULL;
    }
    bool more = c->replies || c->state || c->meters;
    pthread_mutex_unlock(&srv->mu);
    if (!m) return 0;
    int n = lws_write(c->wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT);
    free(m);
    if (n < 0) return -1;
    if (more) lws_callback_on_writable(c->wsi);
    return 0;
}

static void ws_free_queues(ws_client *c)
{
    for (pt_out_msg *m = c->replies, *next; m; m = next) {
        next = m->next;
        free(m);
    }
    free(c->state);
    free(c->meters);
}

static void ws_remove(pt_server *srv, pt_conn *conn)
{
    ws_client *c = conn->ws;
    if (!c) return;
    conn->ws = NULL;
    pthread_mutex_lock(&srv->mu);
    for (ws_client **p = &srv->clients; *p; p = &(*p)->next)
        if (*p == c) {
            *p = c->next;
            srv->n_clients--;
            break;
        }
    ws_free_queues(c);
    pthread_mutex_unlock(&srv->mu);
    free(c);
}

/* ------------------------------------------------------------ the loop */

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    pt_server *srv = lws_context_user(lws_get_context(wsi));
    pt_conn *conn = user;
    switch (reason) {
    case LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED:
        /* nothing sent within PT_SERVER_IDLE_S: closed (the first byte of
         * a request replaces this with the header timeout) */
        lws_set_timeout(wsi, PENDING_TIMEOUT_AWAITING_CLIENT_HS_SEND, PT_SERVER_IDLE_S);
        return 0;
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: {
        if (strcmp(in ? (const char *)in : "", "websocket")) return -1;
        if (pt_http_guard_upgrade(srv, wsi)) return 1;
        return 0;
    }
    case LWS_CALLBACK_ESTABLISHED: {
        pt_http_conn_free(conn);
        memset(conn, 0, sizeof *conn);
        ws_client *c = calloc(1, sizeof *c);
        if (!c) return -1;
        c->wsi = wsi;
        c->replies_tail = &c->replies;
        pt_protocol_client_init(&c->pc, true);
        pthread_mutex_lock(&srv->mu);
        bool full = srv->n_clients >= PT_SERVER_MAX_WS_CLIENTS;
        if (!full) {
            c->next = srv->clients;
            srv->clients = c;
            srv->n_clients++;
        }
        pthread_mutex_unlock(&srv->mu);
        if (full) {
            free(c);
            lws_close_reason(wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION, (unsigned char *)"too many clients", 16);
            return -1;
        }
        conn->ws = c;
        pt_server_mark_dirty(srv); /* a new client gets the state at once */
        return 0;
    }
    case LWS_CALLBACK_RECEIVE:
        if (!conn || !conn->ws) return -1;
        return ws_receive(srv, wsi, conn->ws, in, len);
    case LWS_CALLBACK_SERVER_WRITEABLE:
        if (!conn || !conn->ws) return 0;
        if (atomic_load(&srv->stop)) {
            lws_close_reason(wsi, LWS_CLOSE_STATUS_GOINGAWAY, NULL, 0);
            return -1;
        }
        return ws_writable(srv, conn->ws);
    case LWS_CALLBACK_CLOSED:
        if (conn) ws_remove(srv, conn);
        return 0;
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        /* the pusher queued something, or we are stopping */
        if (!srv) return 0;
        pthread_mutex_lock(&srv->mu);
        for (ws_client *c = srv->clients; c; c = c->next)
            if (c->replies || c->state || c->meters || atomic_load(&srv->stop)) lws_callback_on_writable(c->wsi);
        pthread_mutex_unlock(&srv->mu);
        return 0;
    default:
        return pt_http_callback(srv, wsi, reason, conn, in, len);
    }
}

static const struct lws_protocols protocols[] = {
    /* rx_buffer_size: a WebSocket frame reaches us in pieces of at most
     * this many bytes, whatever its header says */
    {"pytone", callback, sizeof(pt_conn), 4096, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void *loop(void *arg)
{
    pt_server *srv = arg;
    while (!atomic_load(&srv->stop))
        if (lws_service(srv->ctx, 0) < 0) break;
    return NULL;
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

/* Replace a client's pending event with a newer one (under mu). */
static void put_latest(pt_out_msg **slot, const char *text)
{
    pt_out_msg *m = out_msg(text, strlen(text));
    if (!m) return;
    free(*slot);
    *slot = m;
}

static void *pusher(void *arg)
{
    pt_server *srv = arg;
    char *last_sig = state_signature(srv->s);
    double next_check_s = 0, next_state_s = 0;
    pthread_mutex_lock(&srv->mu);
    while (!atomic_load(&srv->stop)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 1000000000L / 120;
        if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&srv->wake, &srv->mu, &ts);
        if (atomic_load(&srv->stop) || !srv->clients) continue;
        double t = pt_server_now_s();
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
        bool queued = false;
        for (ws_client *c = srv->clients; c; c = c->next) {
            if (state && c->pc.state) {
                put_latest(&c->state, state);
                queued = true;
            }
            if (meters && c->pc.meters && t >= c->next_meters_s) {
                put_latest(&c->meters, meters);
                queued = true;
                double period = 1.0 / (c->pc.meters_hz > 0 ? c->pc.meters_hz : 30);
                c->next_meters_s = c->next_meters_s + period > t ? c->next_meters_s + period
                                                                  : t + period;
            }
        }
        if (queued) lws_cancel_service(srv->ctx);
        pt_protocol_free(state);
        pt_protocol_free(meters);
    }
    pthread_mutex_unlock(&srv->mu);
    free(last_sig);
    return NULL;
}

/* ------------------------------------------------------------ start, stop */

/* Say plainly when the port is taken, before the library tries. */
static int port_free(int port, pt_server_listen listen, pt_error *err)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return 0; /* let the library report it */
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(listen == PT_LISTEN_LAN ? INADDR_ANY : INADDR_LOOPBACK);
    int rc = bind(fd, (struct sockaddr *)&a, sizeof a);
    int e = errno;
    close(fd);
    const char *where = listen == PT_LISTEN_LAN ? "0.0.0.0" : "127.0.0.1";
    if (rc == 0) return 0;
    if (e == EADDRINUSE)
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                            "port %d on %s is already in use (another pytone?); choose "
                            "another with --port N or turn the server off with --no-server",
                            port, where);
    return pt_error_set(err, PT_ERR_IO, NULL, 0, 0, "cannot listen on %s:%d: %s", where, port,
                        strerror(e));
}

static bool hex_token(const char *t)
{
    if (!t || strlen(t) != PT_SERVER_TOKEN_CHARS) return false;
    for (const char *p = t; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f'))) return false;
    return true;
}

static int draw_token(pt_server *srv, pt_error *err)
{
    const char *env = getenv("PT_SERVER_TOKEN");
    if (env && *env) {
        if (!hex_token(env))
            return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                                "PT_SERVER_TOKEN must be %d lowercase hex digits", PT_SERVER_TOKEN_CHARS);
        snprintf(srv->token, sizeof srv->token, "%s", env);
        return 0;
    }
    unsigned char raw[PT_SERVER_TOKEN_CHARS / 2];
    size_t got = 0;
    while (got < sizeof raw) {
        ssize_t n = getrandom(raw + got, sizeof raw - got, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0)
            return pt_error_set(err, PT_ERR_IO, NULL, 0, 0, "cannot draw a pairing token: %s", strerror(errno));
        got += (size_t)n;
    }
    for (size_t i = 0; i < sizeof raw; i++) snprintf(srv->token + 2 * i, 3, "%02x", raw[i]);
    return 0;
}

/* The Host values a request may carry: the loopback names, and in LAN mode
 * this machine's IPv4 addresses (a rebinding page has its own name there). */
int pt_server_add_hosts(pt_server *srv)
{
    int p = srv->port;
    srv->n_hosts = 0;
    snprintf(srv->allowed_host[srv->n_hosts++], sizeof srv->allowed_host[0], "127.0.0.1:%d", p);
    snprintf(srv->allowed_host[srv->n_hosts++], sizeof srv->allowed_host[0], "localhost:%d", p);
    snprintf(srv->allowed_host[srv->n_hosts++], sizeof srv->allowed_host[0], "[::1]:%d", p);
    if (srv->listen != PT_LISTEN_LAN) return 0;
    struct ifaddrs *ifs = NULL;
    if (getifaddrs(&ifs) != 0) return -1;
    for (struct ifaddrs *i = ifs; i && srv->n_hosts < PT_SERVER_MAX_HOSTS; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET) continue;
        char ip[INET_ADDRSTRLEN];
        const struct sockaddr_in *a = (const struct sockaddr_in *)i->ifa_addr;
        if (!inet_ntop(AF_INET, &a->sin_addr, ip, sizeof ip)) continue;
        if (ntohl(a->sin_addr.s_addr) >> 24 == 127) continue;
        snprintf(srv->allowed_host[srv->n_hosts++], sizeof srv->allowed_host[0], "%s:%d", ip, p);
        if (srv->n_lan < PT_SERVER_MAX_HOSTS) snprintf(srv->lan_addr[srv->n_lan++], sizeof srv->lan_addr[0], "%s", ip);
    }
    freeifaddrs(ifs);
    return 0;
}

/* Room for PT_SERVER_MAX_CONNECTIONS sockets, within the hard limit. */
static void raise_fd_limit(void)
{
    struct rlimit r;
    if (getrlimit(RLIMIT_NOFILE, &r) != 0) return;
    rlim_t want = PT_SERVER_MAX_CONNECTIONS + 256;
    if (r.rlim_cur >= want) return;
    r.rlim_cur = r.rlim_max == RLIM_INFINITY || r.rlim_max > want ? want : r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
}

static void lws_quiet(int level, const char *line)
{
    (void)level, (void)line; /* library code does not print; errors reach the caller as values */
}

static void server_free(pt_server *srv)
{
    pthread_cond_destroy(&srv->wake);
    pthread_mutex_destroy(&srv->mu);
    free(srv);
}

pt_server *pt_server_start_on(pt_session *s, int port, pt_server_listen listen, pt_error *err)
{
    if (port < 1 || port > 65535) {
        pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "port %d is not 1 to 65535", port);
        return NULL;
    }
    if (port_free(port, listen, err)) return NULL;
    pt_server *srv = calloc(1, sizeof *srv);
    if (!srv) {
        pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
        return NULL;
    }
    srv->s = s;
    srv->port = port;
    srv->listen = listen;
    pthread_mutex_init(&srv->mu, NULL);
    pthread_cond_init(&srv->wake, NULL);
    if (listen == PT_LISTEN_LAN && draw_token(srv, err)) {
        server_free(srv);
        return NULL;
    }
    pt_server_add_hosts(srv);
    pt_server_find_ui_dir(srv->ui_dir, sizeof srv->ui_dir);
    raise_fd_limit();

    lws_set_log_level(LLL_ERR, lws_quiet);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = port;
    info.iface = listen == PT_LISTEN_LAN ? NULL : "127.0.0.1";
    info.protocols = protocols;
    info.user = srv;
    info.gid = (gid_t)-1;
    info.uid = (uid_t)-1;
    info.options = LWS_SERVER_OPTION_DISABLE_IPV6;
    info.timeout_secs = PT_SERVER_IDLE_S;          /* a gap in a body */
    info.timeout_secs_ah_idle = PT_SERVER_HEADER_S; /* headers, from their first byte */
    info.keepalive_timeout = PT_SERVER_IDLE_S;
    info.max_http_header_data = 4096;
    info.fd_limit_per_thread = PT_SERVER_MAX_CONNECTIONS + 16;
    info.count_threads = 1;
    srv->ctx = lws_create_context(&info);
    if (!srv->ctx) {
        pt_error_set(err, PT_ERR_IO, NULL, 0, 0, "cannot start the control server on %s:%d",
                     info.iface ? info.iface : "0.0.0.0", port);
        server_free(srv);
        return NULL;
    }
    if (pthread_create(&srv->loop, NULL, loop, srv) != 0) {
        pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "cannot start the control server's thread");
        lws_context_destroy(srv->ctx);
        server_free(srv);
        return NULL;
    }
    srv->loop_started = true;
    if (pthread_create(&srv->pusher, NULL, pusher, srv) == 0) srv->pusher_started = true;
    return srv;
}

pt_server *pt_server_start(pt_session *s, int port, pt_error *err)
{
    return pt_server_start_on(s, port, PT_LISTEN_LOOPBACK, err);
}

void pt_server_stop(pt_server *srv)
{
    if (!srv) return;
    /* WebSocket clients are told 1001 (going away) on their next write */
    atomic_store(&srv->stop, true);
    pthread_mutex_lock(&srv->mu);
    pthread_cond_signal(&srv->wake);
    pthread_mutex_unlock(&srv->mu);
    if (srv->pusher_started) pthread_join(srv->pusher, NULL);
    lws_cancel_service(srv->ctx);
    if (srv->loop_started) pthread_join(srv->loop, NULL);
    lws_context_destroy(srv->ctx); /* closes connections; their close handlers free the clients */
    server_free(srv);
}

int pt_server_port(const pt_server *srv) { return srv ? srv->port : 0; }

int pt_server_urls(const pt_server *srv, char *out, size_t size)
{
    if (!srv || !size) return 0;
    out[0] = 0;
    size_t used = 0;
    int n = 0;
    if (srv->listen != PT_LISTEN_LAN) {
        snprintf(out, size, "http://127.0.0.1:%d/\n", srv->port);
        return 1;
    }
    for (int i = -1; i < srv->n_lan; i++) {
        int w = snprintf(out + used, size - used, "http://%s:%d/?token=%s\n",
                         i < 0 ? "127.0.0.1" : srv->lan_addr[i], srv->port, srv->token);
        if (w < 0 || (size_t)w >= size - used) break;
        used += (size_t)w;
        n++;
    }
    return n;
}

#else /* no libwebsockets */

struct pt_server {
    int port;
};

pt_server *pt_server_start_on(pt_session *s, int port, pt_server_listen listen, pt_error *err)
{
    (void)s, (void)port, (void)listen;
    pt_error_set(err, PT_ERR_UNSUPPORTED, NULL, 0, 0,
                 "this build has no control server (libwebsockets was not found); run with "
                 "--no-server or install libwebsockets-dev and rebuild");
    return NULL;
}

pt_server *pt_server_start(pt_session *s, int port, pt_error *err)
{
    return pt_server_start_on(s, port, PT_LISTEN_LOOPBACK, err);
}

void pt_server_stop(pt_server *srv) { (void)srv; }
int pt_server_port(const pt_server *srv) { return srv ? srv->port : 0; }
int pt_server_urls(const pt_server *srv, char *out, size_t size)
{
    (void)srv;
    if (size) out[0] = 0;
    return 0;
}

#endif
