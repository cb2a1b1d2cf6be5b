/* fuzz_protocol.c — libFuzzer target for the control protocol's dispatcher.
 *
 * Every input is one message to pt_protocol_handle, against a session
 * playing a tiny rig (gate, drive, eq, one scene) whose library is a fresh
 * temporary folder. Checks, beyond the sanitizers' (ASan, UBSan): every
 * input gets a reply, the reply is valid JSON with "ok" true or false, a
 * refused message carries an "error" string, and the engine keeps running
 * (one block processed after each message, its output finite).
 *
 * Build and run: scripts/fuzz.sh SECONDS fuzz_protocol (seeds in
 * tests/data/fuzz-seeds/protocol/, dictionary tests/fuzz/fuzz_protocol.dict).
 */
#include <ftw.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control/protocol.h"
#include "control/session.h"
#include "core/engine.h"

static const char tiny_rig[] =
    "version: 1\n"
    "name: Tiny\n"
    "tempo_bpm: 100\n"
    "chain:\n"
    "  - {id: gate, type: gate}\n"
    "  - {id: drv, type: drive, params: {drive_db: 6, oversample: 1x}}\n"
    "  - {id: tone, type: eq, params: {shape: peak, freq_hz: 1000, gain_db: 3}}\n"
    "scenes:\n"
    "  - name: quiet\n"
    "    params: {drv.drive_db: 1}\n";

static pt_engine *engine;
static pt_session *session;
static char rig_path[256];
static long runs;

static void die(const char *what, const char *msg)
{
    fprintf(stderr, "fuzz_protocol: %s: %s\n", what, msg);
    abort();
}

static char dir[] = "/tmp/pt-fuzz-protocol-XXXXXX";

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

/* the rigs save_rig wrote go with the library folder */
static void cleanup(void) { nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS); }

static void setup(void)
{
    if (!mkdtemp(dir)) die("mkdtemp", "failed");
    atexit(cleanup);
    snprintf(rig_path, sizeof rig_path, "%s/tiny.yaml", dir);
    FILE *f = fopen(rig_path, "w");
    if (!f) die(rig_path, "cannot write");
    fputs(tiny_rig, f);
    fclose(f);
    pt_error err = {0};
    pt_engine_config ec = {.rate = 48000, .max_frames = 64, .clip_output = true};
    engine = pt_engine_create(&ec, &err);
    if (!engine) die("engine", err.msg);
    pt_session_config sc = {.library_dir = dir};
    session = pt_session_create(engine, &sc, &err);
    if (!session) die("session", err.msg);
}

static void reload(void)
{
    pt_diags d;
    pt_diags_init(&d);
    if (pt_session_load(session, rig_path, &d) != 0) die("load", d.n ? d.items[0].msg : "?");
    pt_diags_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!session) {
        setup();
        reload();
    }
    /* Start from the tiny rig again now and then, so edits (added nodes)
     * do not pile up and slow every later run. */
    if (++runs % 500 == 0) reload();

    pt_protocol_client pc;
    pt_protocol_client_init(&pc, true);
    char *reply = NULL;
    int rc = pt_protocol_handle(session, &pc, (const char *)data, size, &reply);
    if (!reply) die("reply", "none");
    cJSON *j = cJSON_Parse(reply);
    if (!j) die("reply is not JSON", reply);
    const cJSON *ok = cJSON_GetObjectItemCaseSensitive(j, "ok");
    if (!cJSON_IsBool(ok)) die("reply has no ok", reply);
    if ((rc == 0) != cJSON_IsTrue(ok)) die("return code and ok disagree", reply);
    if (!cJSON_IsTrue(ok) && !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(j, "error")))
        die("refusal without an error", reply);
    cJSON_Delete(j);
    pt_protocol_free(reply);

    /* the audio side takes the queued commands and keeps producing sound */
    float in[64], l[64], r[64];
    for (int i = 0; i < 64; i++) in[i] = 0.1f * sinf(0.05f * (float)i);
    pt_engine_process(engine, in, l, r, 64);
    for (int i = 0; i < 64; i++)
        if (!isfinite(l[i]) || !isfinite(r[i])) die("output", "not finite");
    pt_session_poll(session);
    return 0;
}
