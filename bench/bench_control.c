/* bench_control.c — what one control message costs in the dispatcher
 * (parse, validate, session call, reply), against a session playing
 * rigs/default.yaml with no audio thread. Prints microseconds per message;
 * asserts nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/protocol.h"
#include "control/session.h"
#include "core/engine.h"
#include "core/rt.h"

static double per_message_us(pt_session *s, pt_engine *e, const char *msg, int n)
{
    pt_protocol_client pc;
    pt_protocol_client_init(&pc, true);
    float in[64] = {0}, l[64], r[64];
    uint64_t total = 0;
    for (int i = 0; i < n; i++) {
        char *reply = NULL;
        uint64_t t0 = pt_rt_now_ns();
        pt_protocol_handle(s, &pc, msg, strlen(msg), &reply);
        total += pt_rt_now_ns() - t0;
        pt_protocol_free(reply);
        if (i % 16 == 0) { /* let the engine drain its command queue */
            pt_engine_process(e, in, l, r, 64);
            pt_session_poll(s);
        }
    }
    return (double)total / n / 1000.0;
}

int main(void)
{
    const char *root = getenv("PT_SOURCE_DIR");
    char rig[1100], lib[1024];
    snprintf(lib, sizeof lib, "%s/rigs", root ? root : ".");
    snprintf(rig, sizeof rig, "%s/default.yaml", lib);
    pt_error err = {0};
    pt_engine_config ec = {.rate = 48000, .max_frames = 64};
    pt_engine *e = pt_engine_create(&ec, &err);
    pt_session_config sc = {.library_dir = lib};
    pt_session *s = e ? pt_session_create(e, &sc, &err) : NULL;
    pt_diags d;
    pt_diags_init(&d);
    if (!s || pt_session_load(s, rig, &d) != 0) {
        fprintf(stderr, "bench_control: cannot load %s\n", rig);
        return 1;
    }
    pt_diags_free(&d);
    static const struct {
        const char *name, *msg;
        int n;
    } cases[] = {
        {"set_param", "{\"id\":1,\"cmd\":\"set_param\",\"node\":\"drive\",\"param\":\"drive_db\",\"value\":12}", 20000},
        {"get_param", "{\"id\":1,\"cmd\":\"get_param\",\"node\":\"drive\",\"param\":\"drive_db\"}", 20000},
        {"get_state", "{\"id\":1,\"cmd\":\"get_state\"}", 20000},
        {"get_rig", "{\"id\":1,\"cmd\":\"get_rig\"}", 5000},
        {"get_meters", "{\"id\":1,\"cmd\":\"get_meters\"}", 20000},
        {"bad_json", "{\"id\":1,\"cmd\":\"set_param\",\"node\":", 20000},
        {"bad_value", "{\"id\":1,\"cmd\":\"set_param\",\"node\":\"drive\",\"param\":\"drive_db\",\"value\":99}", 20000},
        {"scene_select", "{\"id\":1,\"cmd\":\"scene_select\",\"name\":\"clean\"}", 5000},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        printf("bench_control: %-12s %8.2f us/message\n", cases[i].name,
               per_message_us(s, e, cases[i].msg, cases[i].n));
    pt_session_destroy(s);
    pt_engine_destroy(e);
    return 0;
}
