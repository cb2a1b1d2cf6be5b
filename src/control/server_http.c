/* server_http.c — the control server's HTTP side (see server.h): the guard
 * (Host, Origin, the LAN pairing token), /api/state, /api/command,
 * /api/import and the web UI's static files. Runs on the loop thread
 * (server.c); a request's body arrives in pieces and is kept only up to
 * what the route allows (a command: PT_PROTOCOL_MAX_MESSAGE bytes in
 * memory; an import: a nameless temporary file, PT_IMPORT_MAX_BYTES).
 */
#ifdef PT_HAVE_LWS

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/datadir.h"
#include "platform/platform.h"
#include "server_internal.h"

enum { ROUTE_NONE, ROUTE_COMMAND, ROUTE_IMPORT };

void pt_http_conn_free(pt_conn *c)
{
    if (!c) return;
    free(c->refuse_msg);
    c->refuse_msg = NULL;
    free(c->body);
    c->body = NULL;
    if (c->spooling) close(c->spool_fd);
    c->spooling = false;
    free(c->out);
    c->out = NULL;
}

/* ------------------------------------------------------------ replies */

/* Headers now, the body from the writable callback (in pieces); the
 * connection closes after it. */
static int respond(pt_server *srv, struct lws *wsi, pt_conn *c, int status, const char *type,
                   const char *body, size_t len)
{
    unsigned char head[LWS_PRE + 1024], *start = head + LWS_PRE, *p = start, *end = head + sizeof head - 1;
    free(c->out);
    c->out = malloc(LWS_PRE + len + 1);
    if (!c->out) return -1;
    memcpy(c->out + LWS_PRE, body, len);
    c->out_len = c->head_only ? 0 : len;
    c->out_sent = 0;
    if (lws_add_http_common_headers(wsi, (unsigned)status, type, len, &p, end) ||
        lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:",
                                    (const unsigned char *)"no-store", 8, &p, end) ||
        lws_add_http_header_by_name(wsi, (const unsigned char *)"x-content-type-options:",
                                    (const unsigned char *)"nosniff", 7, &p, end) ||
        lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION, (const unsigned char *)"close", 5, &p, end))
        return -1;
    if (c->set_cookie) {
        char cookie[160];
        int n = snprintf(cookie, sizeof cookie, "pt_token=%s; Path=/; HttpOnly; SameSite=Strict", srv->token);
        if (lws_add_http_header_by_name(wsi, (const unsigned char *)"set-cookie:", (unsigned char *)cookie, n,
                                        &p, end))
            return -1;
    }
    if (lws_finalize_write_http_header(wsi, start, &p, end)) return -1;
    /* A command that kept the loop busy (list_plugins' first scan on a loaded
     * machine takes seconds) must not find its connection's body timeout
     * spent before the reply goes out: the reply gets a window of its own,
     * renewed by every piece the client takes. */
    lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, PT_SERVER_BODY_S);
    lws_callback_on_writable(wsi);
    return 0;
}

static int respond_json(pt_server *srv, struct lws *wsi, pt_conn *c, int status, const char *json)
{
    return respond(srv, wsi, c, status, "application/json", json, strlen(json));
}

/* {"ok": false, "error": msg} with an HTTP status. */
static int respond_error(pt_server *srv, struct lws *wsi, pt_conn *c, int status, const char *msg)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddBoolToObject(j, "ok", false);
    cJSON_AddStringToObject(j, "error", msg);
    char *s = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    int rc = respond_json(srv, wsi, c, status, s ? s : "{\"ok\":false}");
    cJSON_free(s);
    return rc;
}

/* Answer once the body is in (a client that sends its whole body before
 * reading gets the answer rather than a reset connection). */
static int refuse_after_body(pt_conn *c, int status, const char *msg)
{
    c->refuse_status = status;
    free(c->refuse_msg);
    c->refuse_msg = strdup(msg);
    return 0;
}

static int writable(struct lws *wsi, pt_conn *c)
{
    if (!c->out) return 0;
    if (c->out_sent >= c->out_len) {
        /* all written: close once what lws still holds has gone out */
        if (lws_partial_buffered(wsi)) {
            lws_callback_on_writable(wsi);
            return 0;
        }
        return -1;
    }
    size_t n = c->out_len - c->out_sent;
    if (n > 32768) n = 32768;
    bool last = c->out_sent + n == c->out_len;
    /* lws_write wants LWS_PRE bytes before the data: the bytes already
     * sent serve, or the headroom of c->out for the first piece */
    unsigned char *at = c->out + LWS_PRE + c->out_sent;
    if (lws_write(wsi, at, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) < 0) return -1;
    c->out_sent += n;
    lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, PT_SERVER_BODY_S);
    lws_callback_on_writable(wsi);
    return 0;
}

/* ------------------------------------------------------------ the guard */

/* Header `t` into buf: its length, -1 when absent, -2 when too long. */
static int header(struct lws *wsi, enum lws_token_indexes t, char *buf, int size)
{
    buf[0] = 0;
    int n = lws_hdr_total_length(wsi, t);
    if (n <= 0) return -1;
    if (n >= size) return -2;
    return lws_hdr_copy(wsi, buf, size, t) < 0 ? -2 : n;
}

/* URL argument `name` (lws has decoded it): its length, -1 absent, -2 too long. */
static int url_arg(struct lws *wsi, const char *name, char *out, int size)
{
    size_t nl = strlen(name);
    char frag[512];
    for (int i = 0;; i++) {
        int n = lws_hdr_copy_fragment(wsi, frag, sizeof frag, WSI_TOKEN_HTTP_URI_ARGS, i);
        if (n < 0) {
            if (lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, i) <= 0) break;
            /* a fragment too long for frag: it may be ours */
            if (!strncmp(name, "name", nl) || !strncmp(name, "kind", nl)) return -2;
            continue;
        }
        if (!strncmp(frag, name, nl) && frag[nl] == '=') {
            size_t vl = strlen(frag + nl + 1);
            if (vl >= (size_t)size) return -2;
            memcpy(out, frag + nl + 1, vl + 1);
            return (int)vl;
        }
    }
    return -1;
}

static bool host_ok(const pt_server *srv, const char *host)
{
    if (!host || !host[0]) return false;
    for (int i = 0; i < srv->n_hosts; i++)
        if (!strcasecmp(host, srv->allowed_host[i])) return true;
    return false;
}

static bool origin_ok(const pt_server *srv, const char *origin, bool present)
{
    if (!present) return true; /* not a browser: no cross-site risk */
    if (strncasecmp(origin, "http://", 7)) return false;
    return host_ok(srv, origin + 7);
}

/* Equal to the token, in time that does not depend on where they differ. */
static bool token_equal(const pt_server *srv, const char *candidate)
{
    size_t n = strlen(candidate);
    unsigned diff = n != PT_SERVER_TOKEN_CHARS;
    for (size_t i = 0; i < PT_SERVER_TOKEN_CHARS; i++)
        diff |= (unsigned char)srv->token[i] ^ (unsigned char)(i < n ? candidate[i] : 0);
    return diff == 0;
}

/* LAN mode: the token from the URL (then a cookie is set) or the cookie. */
static bool token_ok(pt_server *srv, struct lws *wsi, pt_conn *c)
{
    char got[PT_SERVER_TOKEN_CHARS + 2];
    if (url_arg(wsi, "token", got, sizeof got) > 0 && token_equal(srv, got)) {
        if (c) c->set_cookie = true;
        return true;
    }
    char cookies[1024];
    if (header(wsi, WSI_TOKEN_HTTP_COOKIE, cookies, sizeof cookies) <= 0) return false;
    for (char *save = NULL, *kv = strtok_r(cookies, ";", &save); kv; kv = strtok_r(NULL, ";", &save)) {
        while (*kv == ' ') kv++;
        if (!strncmp(kv, "pt_token=", 9) && token_equal(srv, kv + 9)) return true;
    }
    return false;
}

/* Every request passes here first, WebSocket upgrades included: the Host
 * must name this server (a DNS-rebinding page has its own name there),
 * requests that can change something must not come from another site's
 * page, and in LAN mode the pairing token must come with it. 0: go on;
 * otherwise the status to refuse with, msg filled. */
static int guard(pt_server *srv, struct lws *wsi, pt_conn *c, bool changes, char *msg, size_t size)
{
    char host[256], origin[256];
    int hn = header(wsi, WSI_TOKEN_HOST, host, sizeof host);
    if (hn <= 0 || !host_ok(srv, host)) {
        snprintf(msg, size, "refused: Host '%.64s' is not this server (use %s)", hn > 0 ? host : "",
                 srv->allowed_host[0]);
        return 403;
    }
    int on = header(wsi, WSI_TOKEN_ORIGIN, origin, sizeof origin);
    if (changes && !origin_ok(srv, origin, on != -1)) {
        snprintf(msg, size, "refused: requests from the page at '%.64s' are not allowed", origin);
        return 403;
    }
    if (srv->listen == PT_LISTEN_LAN && !token_ok(srv, wsi, c)) {
        snprintf(msg, size, "refused: this server needs its pairing token (open the URL that "
                            "pytone run printed)");
        return 403;
    }
    return 0;
}

int pt_http_guard_upgrade(pt_server *srv, struct lws *wsi)
{
    pt_conn tmp = {0};
    char msg[256], uri[64];
    int status = guard(srv, wsi, NULL, true, msg, sizeof msg);
    if (!status && (header(wsi, WSI_TOKEN_GET_URI, uri, sizeof uri) <= 0 || strcmp(uri, "/ws"))) {
        status = 404;
        snprintf(msg, sizeof msg, "the WebSocket is at /ws");
    }
    if (!status) return 0;
    /* small: lws_write sends it now or holds it until it is sent */
    if (respond_error(srv, wsi, &tmp, status, msg) == 0 && tmp.out)
        lws_write(wsi, tmp.out + LWS_PRE, tmp.out_len, LWS_WRITE_HTTP_FINAL);
    pt_http_conn_free(&tmp);
    return 1;
}

/* ------------------------------------------------------------ the API */

static int handle_state(pt_server *srv, struct lws *wsi, pt_conn *c)
{
    cJSON *st = pt_session_state(srv->s);
    char *s = st ? cJSON_PrintUnformatted(st) : NULL;
    cJSON_Delete(st);
    int rc = s ? respond_json(srv, wsi, c, 200, s) : respond_error(srv, wsi, c, 500, "out of memory");
    cJSON_free(s);
    return rc;
}

static int finish_command(pt_server *srv, struct lws *wsi, pt_conn *c)
{
    pt_protocol_client pc;
    pt_protocol_client_init(&pc, false);
    char *reply = NULL;
    int rc = pt_protocol_handle(srv->s, &pc, c->body ? c->body : "", (size_t)c->body_got, &reply);
    free(c->body);
    c->body = NULL;
    int out = reply ? respond_json(srv, wsi, c, rc ? 400 : 200, reply)
                    : respond_error(srv, wsi, c, 500, "out of memory");
    pt_protocol_free(reply);
    if (pc.changed) pt_server_mark_dirty(srv);
    return out;
}

static long read_spool(void *user, void *buf, size_t n)
{
    int fd = *(int *)user;
    if (fd < 0) return 0;
    for (;;) {
        ssize_t got = read(fd, buf, n);
        if (got < 0 && errno == EINTR) continue;
        return (long)got;
    }
}

/* The body is in the spool (or was refused as too large, unread): the
 * import decides (src/control/assets.h). */
static int finish_import(pt_server *srv, struct lws *wsi, pt_conn *c)
{
    char rel[PT_PROTOCOL_MAX_PATH + 1] = "";
    pt_error err = {0};
    int fd = -1;
    if (c->spooling && lseek(c->spool_fd, 0, SEEK_SET) == 0) fd = c->spool_fd;
    int status = pt_asset_import(pt_session_library(srv->s), c->import_kind, c->import_name,
                                 !strcmp(c->import_over, "1"), c->body_len, read_spool, &fd, rel,
                                 sizeof rel, &err);
    if (c->spooling) close(c->spool_fd);
    c->spooling = false;
    if (status == 200) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddBoolToObject(j, "ok", true);
        cJSON_AddStringToObject(j, "path", rel);
        char *text = cJSON_PrintUnformatted(j);
        cJSON_Delete(j);
        int rc = text ? respond_json(srv, wsi, c, 200, text) : respond_error(srv, wsi, c, 500, "out of memory");
        cJSON_free(text);
        pt_server_mark_dirty(srv); /* file pickers and rig lists may change */
        return rc;
    }
    char msg[2048];
    pt_error_format(&err, msg, sizeof msg);
    return respond_error(srv, wsi, c, status, msg[0] ? msg : "import failed");
}

/* A nameless file in the library's folder (or $TMPDIR) for an import's
 * body: never in memory, gone when closed. */
static int open_spool(pt_server *srv)
{
    int fd = open(pt_session_library(srv->s), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    if (fd >= 0) return fd;
    FILE *f = tmpfile();
    if (!f) return -1;
    fd = dup(fileno(f));
    fclose(f);
    return fd;
}

/* POST /api/command, /api/import: decide what to do with the body. */
static int begin_post(pt_server *srv, struct lws *wsi, pt_conn *c, int route)
{
    c->route = route;
    pthread_mutex_lock(&srv->mu);
    bool allowed = pt_bucket_take(&srv->http_rate);
    pthread_mutex_unlock(&srv->mu);
    if (!allowed) return refuse_after_body(c, 429, "rate limit: too many messages, slow down");
    char num[32];
    if (header(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH, num, sizeof num) <= 0) {
        char msg[96];
        snprintf(msg, sizeof msg, "POST %s needs a Content-Length",
                 route == ROUTE_COMMAND ? "/api/command" : "/api/import");
        return respond_error(srv, wsi, c, 411, msg);
    }
    char *end = NULL;
    errno = 0;
    c->body_len = strtoll(num, &end, 10);
    if (num[0] < '0' || num[0] > '9' || *end || errno || c->body_len < 0)
        return respond_error(srv, wsi, c, 400, "Content-Length is not a number of bytes");
    double now = pt_server_now_s();
    if (route == ROUTE_COMMAND) {
        c->deadline_s = now + PT_SERVER_BODY_S;
        if (c->body_len > PT_PROTOCOL_MAX_MESSAGE) {
            char msg[128];
            snprintf(msg, sizeof msg, "the message is too large (%lld bytes; at most %d)", c->body_len,
                     PT_PROTOCOL_MAX_MESSAGE);
            if (c->body_len > 4 * 1024 * 1024) return respond_error(srv, wsi, c, 413, msg);
            return refuse_after_body(c, 413, msg);
        }
        c->body = malloc((size_t)c->body_len + 1);
        if (!c->body) return respond_error(srv, wsi, c, 500, "out of memory");
        c->body[c->body_len] = 0;
        return c->body_len == 0 ? finish_command(srv, wsi, c) : 0;
    }
    c->deadline_s = now + PT_SERVER_IMPORT_S;
    if (url_arg(wsi, "kind", c->import_kind, sizeof c->import_kind) == -1)
        snprintf(c->import_kind, sizeof c->import_kind, "auto");
    else if (url_arg(wsi, "kind", c->import_kind, sizeof c->import_kind) < 0)
        return refuse_after_body(c, 400, "import: kind must be nam, ir, circuit, rig or auto");
    int nn = url_arg(wsi, "name", c->import_name, sizeof c->import_name);
    if (nn < 0 || nn > PT_IMPORT_MAX_NAME) {
        char msg[128];
        snprintf(msg, sizeof msg,
                 nn == -1 ? "import: the query needs name=FILE (at most %d bytes)"
                          : "import: the file name is too long (at most %d bytes)",
                 PT_IMPORT_MAX_NAME);
        return refuse_after_body(c, 400, msg);
    }
    url_arg(wsi, "overwrite", c->import_over, sizeof c->import_over);
    /* a client that asked to wait (curl does, for bodies over 1 MiB) is
     * told to send the body, or refused before it does */
    char expect[32] = "";
    bool wants_continue = header(wsi, WSI_TOKEN_HTTP_EXPECT, expect, sizeof expect) > 0 &&
                          !strcasecmp(expect, "100-continue");
    if (c->body_len > PT_IMPORT_MAX_BYTES) {
        c->import_too_big = true;
        if (wants_continue || c->body_len > 2 * PT_IMPORT_MAX_BYTES) {
            char msg[PT_IMPORT_MAX_NAME + 160];
            snprintf(msg, sizeof msg, "import: %s: the file is too large (%lld bytes; at most %lld MiB)",
                     c->import_name, c->body_len, PT_IMPORT_MAX_BYTES >> 20);
            return respond_error(srv, wsi, c, 413, msg);
        }
        return c->body_len == 0 ? finish_import(srv, wsi, c) : 0; /* the import says 413 */
    }
    if (wants_continue) {
        static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
        unsigned char buf[LWS_PRE + sizeof cont];
        memcpy(buf + LWS_PRE, cont, sizeof cont - 1);
        if (lws_write(wsi, buf + LWS_PRE, sizeof cont - 1, LWS_WRITE_HTTP_HEADERS) < 0) return -1;
    }
    c->spool_fd = open_spool(srv);
    c->spooling = c->spool_fd >= 0;
    if (!c->spooling) return refuse_after_body(c, 500, "import: cannot make a temporary file");
    return c->body_len == 0 ? finish_import(srv, wsi, c) : 0;
}

static int body_piece(pt_server *srv, struct lws *wsi, pt_conn *c, const char *in, size_t len)
{
    (void)srv, (void)wsi;
    /* lws restarts its timeout with every piece; a client that trickles
     * (a byte every few seconds) is closed at its deadline all the same */
    if (pt_server_now_s() > c->deadline_s) return -1;
    if ((long long)len > c->body_len - c->body_got) len = (size_t)(c->body_len - c->body_got);
    if (!c->refuse_status) {
        if (c->body) {
            memcpy(c->body + c->body_got, in, len);
        } else if (c->spooling) {
            for (size_t done = 0; done < len;) {
                ssize_t w = write(c->spool_fd, in + done, len - done);
                if (w < 0 && errno == EINTR) continue;
                if (w <= 0) {
                    close(c->spool_fd);
                    c->spooling = false;
                    refuse_after_body(c, 500, "import: cannot write the temporary file (disk full?)");
                    break;
                }
                done += (size_t)w;
            }
        }
    }
    c->body_got += (long long)len;
    return 0;
}

static int body_done(pt_server *srv, struct lws *wsi, pt_conn *c)
{
    if (c->out) return 0; /* answered already (an empty body) */
    if (c->refuse_status) return respond_error(srv, wsi, c, c->refuse_status, c->refuse_msg ? c->refuse_msg : "refused");
    if (c->body_got != c->body_len) return respond_error(srv, wsi, c, 400, "the body ended early");
    if (c->route == ROUTE_COMMAND) return finish_command(srv, wsi, c);
    if (c->route == ROUTE_IMPORT) return finish_import(srv, wsi, c);
    return 0;
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
static int handle_static(pt_server *srv, struct lws *wsi, pt_conn *c, const char *uri)
{
    if (!strcmp(uri, "/")) uri = "/index.html";
    if (!srv->ui_dir[0]) {
        if (!strcmp(uri, "/index.html"))
            return respond(srv, wsi, c, 200, "text/html; charset=utf-8", placeholder, sizeof placeholder - 1);
        return respond_error(srv, wsi, c, 404, "no such file");
    }
    for (const char *p = uri + 1; *p;) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == 0 || p[0] == '.' || memchr(p, '\\', n)) return respond_error(srv, wsi, c, 404, "no such file");
        p += n;
        if (*p == '/') p++;
    }
    char path[PATH_MAX * 2], real[PATH_MAX];
    snprintf(path, sizeof path, "%s%s", srv->ui_dir, uri);
    size_t root = strlen(srv->ui_dir);
    struct stat st;
    if (!realpath(path, real) || strncmp(real, srv->ui_dir, root) || real[root] != '/' ||
        stat(real, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > 64L * 1024 * 1024)
        return respond_error(srv, wsi, c, 404, "no such file");
    FILE *f = fopen(real, "rb");
    char *data = f ? malloc((size_t)st.st_size + 1) : NULL;
    size_t n = data ? fread(data, 1, (size_t)st.st_size, f) : 0;
    if (f) fclose(f);
    int rc;
    if (!data || n != (size_t)st.st_size) rc = respond_error(srv, wsi, c, 500, "cannot read the file");
    else rc = respond(srv, wsi, c, 200, mime_of(real), data, n);
    free(data);
    return rc;
}

void pt_server_find_ui_dir(char *out, size_t size)
{
    out[0] = 0;
    char cand[PATH_MAX + 16], real[PATH_MAX];
    const char *env = getenv("PT_UI_DIR");
    char data_ui[PATH_MAX + 16];
    snprintf(data_ui, sizeof data_ui, "%s/ui/dist", pt_data_dir()); /* installed, or the source tree */
    const char *tries[4] = {env, "ui/dist", NULL, data_ui};
    char exe[PATH_MAX];
    if (pt_exe_path(exe, sizeof exe)) {
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

/* ------------------------------------------------------------ routing */

static int handle_request(pt_server *srv, struct lws *wsi, pt_conn *c, const char *uri)
{
    pt_http_conn_free(c);
    memset(c, 0, sizeof *c);
    c->deadline_s = pt_server_now_s() + PT_SERVER_BODY_S; /* for a body, whatever the route */
    char num[32];
    if (header(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH, num, sizeof num) > 0) c->body_len = strtoll(num, NULL, 10);
    if (c->body_len < 0) c->body_len = 0;
    bool get = lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0;
    bool head = lws_hdr_total_length(wsi, WSI_TOKEN_HEAD_URI) > 0;
    bool post = lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0;
    c->head_only = head;
    char msg[256];
    int status = guard(srv, wsi, c, !(get || head), msg, sizeof msg);
    bool body_coming = post && lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0;
    if (status)
        return body_coming ? refuse_after_body(c, status, msg) : respond_error(srv, wsi, c, status, msg);
    if (!uri || uri[0] != '/' || strstr(uri, "..")) return respond_error(srv, wsi, c, 404, "no such file");
    bool is_command = !strcmp(uri, "/api/command"), is_import = !strcmp(uri, "/api/import");
    if (is_command || is_import) {
        if (!post) return respond_error(srv, wsi, c, 405, "POST it");
        return begin_post(srv, wsi, c, is_command ? ROUTE_COMMAND : ROUTE_IMPORT);
    }
    if (post && body_coming) { /* the answer waits for the body */
        if (!strcmp(uri, "/api/state")) return refuse_after_body(c, 405, "GET it");
        if (!strncmp(uri, "/api/", 5) || !strcmp(uri, "/api"))
            return refuse_after_body(c, 404, "unknown API path (GET /api/state, POST /api/command, POST /api/import)");
        return refuse_after_body(c, 405, "only GET here");
    }
    if (!get && !head) return respond_error(srv, wsi, c, 405, "only GET here");
    if (!strcmp(uri, "/api/state")) return handle_state(srv, wsi, c);
    if (!strncmp(uri, "/api/", 5) || !strcmp(uri, "/api"))
        return respond_error(srv, wsi, c, 404,
                             "unknown API path (GET /api/state, POST /api/command, POST /api/import)");
    if (!strcmp(uri, "/ws")) return respond_error(srv, wsi, c, 426, "/ws is a WebSocket");
    return handle_static(srv, wsi, c, uri);
}

int pt_http_callback(pt_server *srv, struct lws *wsi, enum lws_callback_reasons reason, pt_conn *c,
                     void *in, size_t len)
{
    switch (reason) {
    case LWS_CALLBACK_HTTP:
        return handle_request(srv, wsi, c, in) ? -1 : 0;
    case LWS_CALLBACK_HTTP_BODY:
        return body_piece(srv, wsi, c, in, len);
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        return body_done(srv, wsi, c) ? -1 : 0;
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return writable(wsi, c);
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        if (c && !c->ws) pt_http_conn_free(c);
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, c, in, len);
    }
}

#endif /* PT_HAVE_LWS */
