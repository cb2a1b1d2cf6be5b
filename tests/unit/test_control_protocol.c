/* test_control_protocol.c — the JSON dispatcher against a real session, and
 * the confinement of network paths to the library folder.
 *
 * References: docs/control-protocol.md (which messages are accepted, which
 * are refused and with what), RFC 8259 (JSON text is UTF-8; cJSON re-parses
 * every reply), and the file system itself (realpath, symlinks) for paths.
 * Each refused message must leave the state and the rig byte-identical.
 * Built and run under ASan+UBSan by `make test` too.
 */
#include "testutil.h"

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control/protocol.h"
#include "control/session.h"

static char lib[] = "/tmp/pt-test-protocol-XXXXXX";
static char outside[] = "/tmp/pt-test-protocol-out-XXXXXX";

static const char tiny[] = "version: 1\n"
                           "name: Tiny\n"
                           "tempo_bpm: 100\n"
                           "chain:\n"
                           "  - {id: gate, type: gate}\n"
                           "  - {id: drv, type: drive, params: {drive_db: 6, oversample: 2x}}\n"
                           "  - {id: tone, type: eq, params: {shape: peak, gain_db: 3}}\n"
                           "scenes:\n"
                           "  - name: quiet\n"
                           "    params: {drv.drive_db: 1}\n";

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int remove_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(p);
}

static int setup(void **state)
{
    assert_non_null(mkdtemp(lib));
    assert_non_null(mkdtemp(outside));
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/tiny.yaml", lib);
    write_file(p, tiny);
    snprintf(p, sizeof p, "%s/sub", lib);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/secret.yaml", outside);
    write_file(p, tiny);
    char link[PATH_MAX + 64];
    snprintf(link, sizeof link, "%s/link.yaml", lib);
    assert_int_equal(symlink(p, link), 0);
    snprintf(link, sizeof link, "%s/linkdir", lib);
    assert_int_equal(symlink(outside, link), 0);
    return 0;
}

static int teardown(void **state)
{
    nftw(lib, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    nftw(outside, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

/* ---- paths ---- */

static void confine(const char *rel, bool must_exist, int want_ok, const char *needle)
{
    char out[PATH_MAX];
    pt_error err = {0};
    int rc = pt_protocol_confine_path(lib, rel, NULL, must_exist, out, sizeof out, &err);
    if (want_ok) {
        if (rc) fail_msg("'%s' refused: %s", rel, err.msg);
        char root[PATH_MAX];
        assert_non_null(realpath(lib, root));
        assert_true(!strncmp(out, root, strlen(root)) && out[strlen(root)] == '/');
    } else {
        if (!rc) fail_msg("'%s' accepted as %s", rel, out);
        if (needle && !strstr(err.msg, needle)) fail_msg("'%s': '%s' lacks '%s'", rel, err.msg, needle);
    }
}

static void network_paths_stay_in_the_library(void **state)
{
    confine("tiny.yaml", true, 1, NULL);
    confine("sub/new.yaml", false, 1, NULL); /* save: a new file in a folder that exists */
    confine("new.yml", false, 1, NULL);
    confine("../tiny.yaml", true, 0, "'..'");
    confine("sub/../tiny.yaml", true, 0, "'..'");
    confine("./tiny.yaml", true, 0, "'..'");
    confine("/etc/passwd", true, 0, "absolute");
    confine("~/x.yaml", true, 0, "absolute");
    confine(".hidden.yaml", false, 0, "hidden");
    confine("sub//x.yaml", false, 0, "empty");
    confine("sub\\x.yaml", false, 0, "backslash");
    confine("tiny.txt", false, 0, ".yaml");
    confine("", true, 0, "empty");
    confine("missing.yaml", true, 0, "not in the rig library");
    confine("nodir/x.yaml", false, 0, "folder");
    confine("link.yaml", true, 0, "outside");        /* a file symlink out */
    confine("link.yaml", false, 0, "outside");       /* saving through it */
    confine("linkdir/secret.yaml", true, 0, "outside"); /* a folder symlink out */
    confine("linkdir/new.yaml", false, 0, "outside");
    char long_path[700];
    memset(long_path, 'a', sizeof long_path - 6);
    strcpy(long_path + sizeof long_path - 6, ".yaml");
    confine(long_path, false, 0, "too long");
    char out[PATH_MAX];
    pt_error err = {0};
    assert_int_not_equal(pt_protocol_confine_path("", "tiny.yaml", NULL, true, out, sizeof out, &err), 0);
    assert_non_null(strstr(err.msg, "no rig library"));
}

/* ---- the dispatcher ---- */

typedef struct fixture {
    pt_engine *e;
    pt_session *s;
} fixture;

static void open_session(fixture *f)
{
    pt_engine_config ec = {.rate = 48000, .max_frames = 64};
    f->e = pt_engine_create(&ec, NULL);
    assert_non_null(f->e);
    pt_session_config sc = {.library_dir = lib};
    f->s = pt_session_create(f->e, &sc, NULL);
    assert_non_null(f->s);
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/tiny.yaml", lib);
    pt_diags d;
    pt_diags_init(&d);
    assert_int_equal(pt_session_load(f->s, p, &d), 0);
    pt_diags_free(&d);
}

static void close_session(fixture *f)
{
    pt_session_destroy(f->s);
    pt_engine_destroy(f->e);
}

/* The state and the rig without what moves by itself (DSP load). */
static char *snapshot(pt_session *s)
{
    cJSON *st = pt_session_state(s), *rig = pt_session_rig_json(s);
    const char *volatile_keys[] = {"dsp_load_p50", "dsp_load_p99", "overruns", "callbacks"};
    for (size_t i = 0; i < sizeof volatile_keys / sizeof *volatile_keys; i++)
        cJSON_DeleteItemFromObject(st, volatile_keys[i]);
    cJSON *both = cJSON_CreateArray();
    cJSON_AddItemToArray(both, st);
    cJSON_AddItemToArray(both, rig);
    char *out = cJSON_PrintUnformatted(both);
    cJSON_Delete(both);
    return out;
}

/* Send one message; the reply must be JSON with "ok" matching the return
 * code, and a refusal must name `needle` and change nothing. */
static cJSON *send_msg(fixture *f, pt_protocol_client *pc, const char *msg, size_t len, bool want_ok,
                       const char *needle)
{
    char *before = snapshot(f->s);
    char *reply = NULL;
    int rc = pt_protocol_handle(f->s, pc, msg, len, &reply);
    assert_non_null(reply);
    cJSON *j = cJSON_Parse(reply);
    if (!j) fail_msg("reply is not JSON: %s", reply);
    const cJSON *ok = cJSON_GetObjectItem(j, "ok");
    assert_true(cJSON_IsBool(ok));
    assert_int_equal(rc == 0, cJSON_IsTrue(ok));
    if (want_ok != (rc == 0)) fail_msg("%.200s -> %s", msg, reply);
    if (!want_ok) {
        const cJSON *e = cJSON_GetObjectItem(j, "error");
        assert_true(cJSON_IsString(e));
        if (needle && !strstr(e->valuestring, needle))
            fail_msg("%.200s -> '%s' lacks '%s'", msg, e->valuestring, needle);
        char *after = snapshot(f->s);
        if (strcmp(before, after)) fail_msg("%.200s changed the session", msg);
        free(after);
    }
    free(before);
    pt_protocol_free(reply);
    return j;
}

static cJSON *send_str(fixture *f, const char *msg, bool want_ok, const char *needle)
{
    pt_protocol_client pc;
    pt_protocol_client_init(&pc, true);
    return send_msg(f, &pc, msg, strlen(msg), want_ok, needle);
}

static void expect(fixture *f, const char *msg, bool want_ok, const char *needle)
{
    cJSON_Delete(send_str(f, msg, want_ok, needle));
}

static double get_value(fixture *f, const char *node, const char *param)
{
    char msg[256];
    snprintf(msg, sizeof msg, "{\"cmd\":\"get_param\",\"node\":\"%s\",\"param\":\"%s\"}", node, param);
    cJSON *j = send_str(f, msg, true, NULL);
    double v = cJSON_GetObjectItem(j, "value")->valuedouble;
    cJSON_Delete(j);
    return v;
}

static void commands_do_what_the_document_says(void **state)
{
    fixture f;
    open_session(&f);
    cJSON *j = send_str(&f, "{\"id\": 42, \"cmd\": \"hello\"}", true, NULL);
    assert_int_equal(cJSON_GetObjectItem(j, "id")->valueint, 42);
    assert_int_equal(cJSON_GetObjectItem(j, "protocol")->valueint, PT_PROTOCOL_VERSION);
    cJSON_Delete(j);
    j = send_str(&f, "{\"id\": \"a-string\", \"cmd\": \"get_state\"}", true, NULL);
    assert_string_equal(cJSON_GetObjectItem(j, "id")->valuestring, "a-string");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "state"), "rig")->valuestring, "Tiny");
    cJSON_Delete(j);

    expect(&f, "{\"cmd\":\"set_param\",\"node\":\"drv\",\"param\":\"drive_db\",\"value\":17.5}", true, NULL);
    assert_float_equal(get_value(&f, "drv", "drive_db"), 17.5, 1e-6);
    /* an enum by name and by index (drive's oversample: 1x 2x 4x 8x) */
    expect(&f, "{\"cmd\":\"set_param\",\"node\":\"drv\",\"param\":\"oversample\",\"value\":\"8x\"}", true, NULL);
    assert_float_equal(get_value(&f, "drv", "oversample"), 3, 0);
    expect(&f, "{\"cmd\":\"set_param\",\"node\":\"drv\",\"param\":\"oversample\",\"value\":1}", true, NULL);
    assert_float_equal(get_value(&f, "drv", "oversample"), 1, 0);
    expect(&f, "{\"cmd\":\"set_bypass\",\"node\":\"tone\",\"bypass\":true}", true, NULL);
    expect(&f, "{\"cmd\":\"add_node\",\"type\":\"level\",\"node\":\"lv\",\"position\":{\"before\":\"gate\"}}", true, NULL);
    expect(&f, "{\"cmd\":\"add_split\",\"split\":\"sp\",\"branches\":2,\"position\":{\"after\":\"drv\"}}", true, NULL);
    expect(&f, "{\"cmd\":\"add_node\",\"type\":\"eq\",\"node\":\"b1\",\"position\":{\"split\":\"sp\",\"branch\":1}}", true, NULL);
    expect(&f, "{\"cmd\":\"set_branch\",\"split\":\"sp\",\"branch\":1,\"level_db\":-6,\"pan\":0.25}", true, NULL);
    expect(&f, "{\"cmd\":\"move\",\"node\":\"lv\",\"position\":{\"after\":\"tone\"}}", true, NULL);
    expect(&f, "{\"cmd\":\"remove\",\"node\":\"sp\"}", true, NULL);
    expect(&f, "{\"cmd\":\"scene_select\",\"name\":\"quiet\"}", true, NULL);
    assert_float_equal(get_value(&f, "drv", "drive_db"), 1, 1e-6); /* the scene's value */
    expect(&f, "{\"cmd\":\"scene_store\",\"name\":\"loud\"}", true, NULL);
    expect(&f, "{\"cmd\":\"scene_rename\",\"from\":\"loud\",\"to\":\"louder\"}", true, NULL);
    expect(&f, "{\"cmd\":\"set_tempo\",\"bpm\":133}", true, NULL);
    j = send_str(&f, "{\"cmd\":\"get_state\"}", true, NULL);
    cJSON *st = cJSON_GetObjectItem(j, "state");
    assert_float_equal(cJSON_GetObjectItem(st, "tempo")->valuedouble, 133, 1e-6);
    assert_string_equal(cJSON_GetObjectItem(st, "scene")->valuestring, "louder");
    cJSON_Delete(j);
    expect(&f, "{\"cmd\":\"save_rig\",\"path\":\"sub/saved.yaml\"}", true, NULL);
    expect(&f, "{\"cmd\":\"load_rig\",\"path\":\"sub/saved.yaml\"}", true, NULL);
    assert_float_equal(get_value(&f, "drv", "drive_db"), 1, 1e-6);
    expect(&f, "{\"cmd\":\"list_rigs\"}", true, NULL);
    expect(&f, "{\"cmd\":\"list_types\"}", true, NULL);
    expect(&f, "{\"cmd\":\"get_meters\"}", true, NULL);

    /* subscribe: a WebSocket client may, a one-shot request may not */
    pt_protocol_client pc;
    pt_protocol_client_init(&pc, true);
    const char *sub = "{\"cmd\":\"subscribe\",\"meters\":true,\"meters_hz\":10,\"state\":false}";
    cJSON_Delete(send_msg(&f, &pc, sub, strlen(sub), true, NULL));
    assert_true(pc.meters && !pc.state && pc.meters_hz == 10);
    pt_protocol_client http;
    pt_protocol_client_init(&http, false);
    cJSON_Delete(send_msg(&f, &http, sub, strlen(sub), false, "WebSocket"));
    /* changes are flagged, reads are not */
    const char *tempo = "{\"cmd\":\"set_tempo\",\"bpm\":90}", *read = "{\"cmd\":\"get_rig\"}";
    cJSON_Delete(send_msg(&f, &pc, tempo, strlen(tempo), true, NULL));
    assert_true(pc.changed);
    cJSON_Delete(send_msg(&f, &pc, read, strlen(read), true, NULL));
    assert_false(pc.changed);
    close_session(&f);
}

static void refusals_name_the_problem_and_change_nothing(void **state)
{
    fixture f;
    open_session(&f);
    static const struct {
        const char *msg, *needle;
    } bad[] = {
        {"", "bad JSON"},
        {"{", "bad JSON"},
        {"{\"cmd\":\"get_state\"} x", "follows"},
        {"[]", "JSON object"},
        {"42", "JSON object"},
        {"{}", "no 'cmd'"},
        {"{\"cmd\":7}", "'cmd' must be a string"},
        {"{\"cmd\":\"format_disk\"}", "unknown command 'format_disk'"},
        {"{\"cmd\":\"get_state\",\"x\":1}", "unknown field 'x'"},
        {"{\"cmd\":\"set_tempo\",\"bpm\":100,\"bpm\":110}", "given twice"},
        {"{\"cmd\":\"set_tempo\"}", "'bpm' is missing"},
        {"{\"cmd\":\"set_tempo\",\"bpm\":\"fast\"}", "must be a number, not a string"},
        {"{\"cmd\":\"set_tempo\",\"bpm\":1e999}", "finite"},
        {"{\"cmd\":\"set_tempo\",\"bpm\":NaN}", "bad JSON"},
        {"{\"cmd\":\"set_tempo\",\"bpm\":4000}", "out of range 20 .. 400"},
        {"{\"cmd\":\"set_param\",\"node\":\"drv\",\"param\":\"drive_db\",\"value\":1e30}", "out of range"},
        {"{\"cmd\":\"set_param\",\"node\":\"drv\",\"param\":\"drive_db\",\"value\":99}", "drv.drive_db = 99 is out of range 0 .. 24 dB"},
        {"{\"cmd\":\"set_param\",\"node\":\"drv\",\"param\":\"drive_db\",\"value\":[1]}", "must be a number"},
        {"{\"cmd\":\"set_param\",\"node\":\"drv\",\"param\":\"drive_db\",\"value\":true}", "not a switch"},
        {"{\"cmd\":\"set_param\",\"node\":\"drv\",\"param\":\"oversample\",\"value\":\"16x\"}", "not one of 1x, 2x, 4x, 8x"},
        {"{\"cmd\":\"set_param\",\"node\":\"drv\",\"param\":\"oversample\",\"value\":1.5}", "whole number"},
        {"{\"cmd\":\"set_param\",\"node\":\"drv\",\"param\":\"gain\",\"value\":1}", "has no parameter 'gain'"},
        {"{\"cmd\":\"set_param\",\"node\":\"nope\",\"param\":\"gain_db\",\"value\":1}", "nope"},
        {"{\"cmd\":\"set_param\",\"node\":\"d r v\",\"param\":\"drive_db\",\"value\":1}", "letters, digits"},
        {"{\"cmd\":\"set_bypass\",\"node\":\"drv\",\"bypass\":1}", "true or false"},
        {"{\"cmd\":\"add_node\",\"type\":\"fuzzbox\",\"node\":\"x\"}", "unknown node type 'fuzzbox'"},
        {"{\"cmd\":\"add_node\",\"type\":\"eq\",\"node\":\"drv\"}", "drv"},
        {"{\"cmd\":\"add_node\",\"type\":\"eq\",\"node\":\"x\",\"position\":{\"after\":\"drv\",\"before\":\"gate\"}}", "exactly one"},
        {"{\"cmd\":\"add_node\",\"type\":\"eq\",\"node\":\"x\",\"position\":{\"after\":\"drv\",\"branch\":1}}", "goes with 'split'"},
        {"{\"cmd\":\"add_node\",\"type\":\"eq\",\"node\":\"x\",\"position\":{\"split\":\"sp\"}}", "'branch' is missing"},
        {"{\"cmd\":\"add_node\",\"type\":\"eq\",\"node\":\"x\",\"position\":\"end\"}", "must be an object"},
        {"{\"cmd\":\"add_split\",\"split\":\"s\",\"branches\":0}", "out of range 1 .. 16"},
        {"{\"cmd\":\"remove\",\"node\":\"nope\"}", "nope"},
        {"{\"cmd\":\"move\",\"node\":\"drv\"}", "'position' is missing"},
        {"{\"cmd\":\"scene_select\",\"name\":\"nope\"}", "nope"},
        {"{\"cmd\":\"scene_select\",\"name\":\"a\\u0001b\"}", "control characters"},
        {"{\"cmd\":\"scene_rename\",\"from\":\"nope\",\"to\":\"x\"}", "nope"},
        {"{\"cmd\":\"select_slot\",\"slot\":0}", "does not exist"},
        {"{\"cmd\":\"select_slot\",\"slot\":-1}", "out of range"},
        {"{\"cmd\":\"load_rig\",\"path\":\"../../etc/passwd\"}", "'..'"},
        {"{\"cmd\":\"load_rig\",\"path\":\"/etc/passwd\"}", "absolute"},
        {"{\"cmd\":\"load_rig\",\"path\":\"link.yaml\"}", "outside"},
        {"{\"cmd\":\"load_rig\",\"path\":\"tiny.yaml\\u0000../x\"}", "\\u0000"},
        {"{\"cmd\":\"save_rig\",\"path\":\"linkdir/x.yaml\"}", "outside"},
        {"{\"cmd\":\"save_rig\",\"path\":5}", "must be a string"},
        {"{\"cmd\":\"set_asset\",\"node\":\"drv\",\"asset\":\"ir\",\"path\":\"/etc/passwd\"}", "absolute"},
        {"{\"id\":{},\"cmd\":\"get_state\"}", "'id' must be"},
        {"{\"cmd\":\"get_state\",\"a\":[[[[[[[[[1]]]]]]]]]}", "nested deeper"},
        {"\xff\xfe{}", "not valid UTF-8"},
        {"{\"cmd\":\"\xc3\x28\"}", "not valid UTF-8"},
        {"{\"cmd\":\"\xed\xa0\x80\"}", "not valid UTF-8"}, /* an encoded surrogate */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) expect(&f, bad[i].msg, false, bad[i].needle);

    /* a NUL byte inside the message, and one too large */
    pt_protocol_client pc;
    pt_protocol_client_init(&pc, true);
    const char nul[] = "{\"cmd\":\"get_state\"}\0{}";
    cJSON_Delete(send_msg(&f, &pc, nul, sizeof nul - 1, false, "NUL"));
    size_t big = PT_PROTOCOL_MAX_MESSAGE + 1;
    char *huge = malloc(big);
    assert_non_null(huge);
    memset(huge, ' ', big);
    memcpy(huge, "{\"cmd\":\"get_state\"}", 19);
    cJSON_Delete(send_msg(&f, &pc, huge, big, false, "too large"));
    /* a giant string within the size limit */
    snprintf(huge, 64, "{\"cmd\":\"scene_store\",\"name\":\"");
    size_t at = strlen(huge);
    memset(huge + at, 'n', 60000);
    strcpy(huge + at + 60000, "\"}");
    cJSON_Delete(send_msg(&f, &pc, huge, strlen(huge), false, "too long"));
    /* deep nesting far past the limit: refused before the parser recurses */
    size_t depth = 50000;
    char *deep = malloc(2 * depth + 1);
    assert_non_null(deep);
    memset(deep, '[', depth);
    memset(deep + depth, ']', depth);
    deep[2 * depth] = 0;
    cJSON_Delete(send_msg(&f, &pc, deep, strlen(deep), false, "too large"));
    deep[2000] = 0;
    memset(deep + 1000, ']', 1000);
    cJSON_Delete(send_msg(&f, &pc, deep, strlen(deep), false, "nested deeper"));
    free(deep);
    free(huge);
    /* an unknown command's name is quoted, and the reply stays valid UTF-8
     * even when the quote is cut inside a character */
    char name[200] = "{\"cmd\":\"";
    for (int i = 0; i < 40; i++) strcat(name, "\xc3\xa9"); /* é */
    strcat(name, "\"}");
    cJSON *j = send_str(&f, name, false, "unknown command");
    const char *e = cJSON_GetObjectItem(j, "error")->valuestring;
    for (const unsigned char *p = (const unsigned char *)e; *p; p++)
        if (*p == 0xc3) assert_int_equal(p[1], 0xa9), p++;
        else assert_true(*p < 0x80);
    cJSON_Delete(j);
    close_session(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(network_paths_stay_in_the_library),
        cmocka_unit_test(commands_do_what_the_document_says),
        cmocka_unit_test(refusals_name_the_problem_and_change_nothing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
