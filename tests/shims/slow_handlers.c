/* slow_handlers.c — LD_PRELOAD shim: civetweb's mg_set_request_handler
 * waits 400 ms before doing its work, which widens the moment between the
 * server starting to listen and its handlers being registered. A request in
 * that moment must still reach our handlers (test_control.py). */
#include <dlfcn.h>
#include <time.h>

struct mg_context;
typedef int (*mg_request_handler)(void *conn, void *cbdata);

void mg_set_request_handler(struct mg_context *ctx, const char *uri, mg_request_handler handler,
                            void *cbdata)
{
    static void (*real)(struct mg_context *, const char *, mg_request_handler, void *);
    if (!real) *(void **)&real = dlsym(RTLD_NEXT, "mg_set_request_handler");
    struct timespec ts = {0, 400 * 1000000L};
    nanosleep(&ts, NULL);
    real(ctx, uri, handler, cbdata);
}
