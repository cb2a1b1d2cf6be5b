/* test_control_assets.c — asset_info's pictures, imports into the library,
 * and the lane edits (src/control/assets.c, session.c), run under ASan and
 * UBSan by `make test` too.
 *
 * References: closed forms. A two-tap IR [a, b] has |H(w)|^2 = a^2 + b^2 +
 * 2ab cos w; a decaying exponential h[n] = r^n (r^N negligible) has
 * |H(w)|^2 = 1 / (1 - 2r cos w + r^2); a stereo pair of impulses of heights
 * 1 and 0.5 has the flat power mean (1 + 0.25) / 2. Waveform columns of a
 * decreasing positive IR are, exactly, its first and last sample in each
 * column. Imports: the file system itself (what is in the folder after).
 */
#include "testutil.h"

#include <dirent.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "control/assets.h"
#include "control/protocol.h"
#include "control/session.h"

static char lib[] = "/tmp/pt-test-assets-XXXXXX";

static int remove_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(p);
}

static void write_wav(const char *path, int channels, int frames, const float *interleaved)
{
    SF_INFO info = {.samplerate = 48000, .channels = channels, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT};
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    assert_non_null(sf);
    assert_int_equal(sf_writef_float(sf, interleaved, frames), frames);
    sf_close(sf);
}

static char *path_in(const char *rel)
{
    static char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/%s", lib, rel);
    return p;
}

static int setup(void **state)
{
    (void)state;
    assert_non_null(mkdtemp(lib));
    mkdir(path_in("irs"), 0755);
    float two[2] = {0.8f, -0.3f};
    write_wav(path_in("irs/two.wav"), 1, 2, two);
    enum { N = 1000 };
    float *dec = malloc(N * sizeof *dec);
    for (int n = 0; n < N; n++) dec[n] = powf(0.9f, (float)n);
    write_wav(path_in("irs/decay.wav"), 1, N, dec);
    free(dec);
    float st[2 * 64] = {1.0f, 0.5f}; /* L impulse 1, R impulse 0.5 */
    write_wav(path_in("irs/stereo.wav"), 2, 64, st);
    FILE *f = fopen(path_in("tiny.yaml"), "w");
    fputs("version: 1\nname: Tiny\nchain:\n  - {id: gate, type: gate}\n"
          "  - split:\n      id: amps\n      branches:\n        - chain: [{id: eq1, type: eq}]\n"
          "scenes:\n  - name: s1\n    params: {eq1.gain_db: 3, gate.threshold_db: -50}\n",
          f);
    fclose(f);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    nftw(lib, remove_one, 16, FTW_DEPTH | FTW_PHYS);
    return 0;
}

static const cJSON *get(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (!v) fail_msg("no '%s'", k);
    return v;
}

/* ---- asset_info ---- */

static void spectrum_against(const char *rel, double (*power)(double w))
{
    pt_error err = {0};
    cJSON *j = pt_asset_info(path_in(rel), rel, &err);
    if (!j) fail_msg("%s: %s", rel, err.msg);
    const cJSON *sp = get(j, "spectrum");
    const cJSON *f = get(sp, "freq_hz"), *g = get(sp, "gain_db");
    assert_int_equal(cJSON_GetArraySize(f), 200);
    assert_int_equal(cJSON_GetArraySize(g), 200);
    double worst = 0;
    for (int i = 0; i < 200; i++) {
        double hz = cJSON_GetArrayItem(f, i)->valuedouble;
        assert_true(fabs(hz - 20.0 * pow(1000.0, i / 199.0)) < 1e-9 * hz);
        double want = 10.0 * log10(power(2.0 * M_PI * hz / 48000.0));
        double d = fabs(cJSON_GetArrayItem(g, i)->valuedouble - want);
        if (d > worst) worst = d;
    }
    if (worst > 1e-4) fail_msg("%s: spectrum off the closed form by %g dB", rel, worst);
    cJSON_Delete(j);
}

static double two_tap(double w) { return 0.64 + 0.09 + 2 * 0.8 * -0.3 * cos(w); }
static double decay(double w) { return 1.0 / (1.0 - 2 * 0.9 * cos(w) + 0.81); }
static double stereo(double w) { return (void)w, (1.0 + 0.25) / 2; }

static void ir_spectra_are_the_closed_forms(void **state)
{
    (void)state;
    /* float32 samples: 0.8f, -0.3f, 0.9f^n are what the closed forms use
     * within 1e-7, far below the 1e-4 dB asked */
    spectrum_against("irs/two.wav", two_tap);
    spectrum_against("irs/decay.wav", decay);
    spectrum_against("irs/stereo.wav", stereo);
}

static void waveform_columns_are_min_and_max(void **state)
{
    (void)state;
    pt_error err = {0};
    cJSON *j = pt_asset_info(path_in("irs/decay.wav"), "irs/decay.wav", &err);
    assert_non_null(j);
    assert_string_equal(get(j, "kind")->valuestring, "ir");
    assert_int_equal(get(j, "frames")->valueint, 1000);
    assert_int_equal(get(j, "channels")->valueint, 1);
    assert_int_equal(get(j, "rate")->valueint, 48000);
    const cJSON *w = get(j, "waveform");
    assert_int_equal(cJSON_GetArraySize(w), 1200);
    for (int i = 0; i < 600; i++) {
        int a = i * 1000 / 600, b = (i + 1) * 1000 / 600 - 1;
        double lo = cJSON_GetArrayItem(w, 2 * i)->valuedouble, hi = cJSON_GetArrayItem(w, 2 * i + 1)->valuedouble;
        if (lo != (double)powf(0.9f, (float)b) || hi != (double)powf(0.9f, (float)a))
            fail_msg("column %d: [%g, %g], not samples %d and %d", i, lo, hi, b, a);
    }
    assert_true(fabs(get(get(j, "meta"), "length_ms")->valuedouble - 1000.0 * 1000 / 48000) < 1e-9);
    cJSON_Delete(j);
    /* fewer samples than columns: one column a sample */
    j = pt_asset_info(path_in("irs/two.wav"), "irs/two.wav", &err);
    w = get(j, "waveform");
    assert_int_equal(cJSON_GetArraySize(w), 4);
    assert_true(cJSON_GetArrayItem(w, 0)->valuedouble == 0.8f && cJSON_GetArrayItem(w, 3)->valuedouble == -0.3f);
    cJSON_Delete(j);
    /* not audio: the IR loader's error, naming the file as shown */
    FILE *f = fopen(path_in("irs/text.wav"), "w");
    fputs("not audio at all\n", f);
    fclose(f);
    assert_null(pt_asset_info(path_in("irs/text.wav"), "irs/text.wav", &err));
    assert_string_equal(err.file, "irs/text.wav");
    assert_non_null(strstr(err.msg, "not an audio file"));
    unlink(path_in("irs/text.wav"));
    assert_null(pt_asset_info(path_in("tiny.yaml"), "tiny.yaml", &err));
    assert_non_null(strstr(err.msg, "not a capture"));
}

/* ---- import ---- */

typedef struct mem {
    const unsigned char *p;
    size_t n, at, stop; /* stop: pretend the body ends here */
} mem;

static long mem_read(void *user, void *buf, size_t n)
{
    mem *m = user;
    size_t end = m->stop ? m->stop : m->n;
    if (m->at >= end) return 0;
    if (n > end - m->at) n = end - m->at;
    memcpy(buf, m->p + m->at, n);
    m->at += n;
    return (long)n;
}

static unsigned char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *b = malloc(*n);
    assert_int_equal(fread(b, 1, *n, f), *n);
    fclose(f);
    return b;
}

/* How many entries a folder has, hidden ones too. */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *de;
    while (d && (de = readdir(d)))
        if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) n++;
    if (d) closedir(d);
    return n;
}

static int import(const char *kind, const char *name, bool over, const void *data, size_t n,
                  size_t stop, char *rel, pt_error *err)
{
    mem m = {.p = data, .n = n, .stop = stop};
    memset(err, 0, sizeof *err);
    return pt_asset_import(lib, kind, name, over, (long long)n, mem_read, &m, rel, 256, err);
}

static void imports_are_checked_then_placed(void **state)
{
    (void)state;
    size_t n;
    unsigned char *wav = slurp(path_in("irs/decay.wav"), &n);
    char rel[256];
    pt_error err;
    int before = count_entries(path_in("irs"));
    assert_int_equal(import("ir", "room.wav", false, wav, n, 0, rel, &err), 200);
    assert_string_equal(rel, "irs/room.wav");
    size_t m;
    unsigned char *back = slurp(path_in("irs/room.wav"), &m);
    assert_true(m == n && !memcmp(back, wav, n));
    free(back);
    assert_int_equal(count_entries(path_in("irs")), before + 1); /* no temporary file left */
    assert_int_equal(import("auto", "room.wav", false, wav, n, 0, rel, &err), 409);
    assert_non_null(strstr(err.msg, "overwrite=1"));
    assert_int_equal(import("auto", "room.wav", true, wav, n, 0, rel, &err), 200);
    /* refusals: the file named, nothing left behind */
    static const struct {
        const char *kind, *name, *needle;
        int status;
    } bad[] = {
        {"ir", "../x.wav", "'..'", 400},        {"ir", "a/b.wav", "'/'", 400},
        {"ir", ".h.wav", "hidden", 400},        {"ir", "x.nam", "must end in", 400},
        {"auto", "x.txt", "x.txt", 400},        {"bogus", "x.wav", "kind", 400},
        {"ir", "", "no name", 400},             {"ir", "a\x01.wav", "control", 400},
        {"nam", "x.nam", "captures/x.nam", 400}, /* not JSON */
        {"ir", "text.wav", "irs/text.wav", 400}, /* not audio */
        {"rig", "bad.yaml", "bad.yaml", 400},
    };
    const char *junk = "this is not any kind of file the loaders read\n";
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int st = import(bad[i].kind, bad[i].name, false, junk, strlen(junk), 0, rel, &err);
        char msg[2048];
        pt_error_format(&err, msg, sizeof msg);
        if (st != bad[i].status || !strstr(msg, bad[i].needle))
            fail_msg("%s %s: %d '%s' (wanted %d, '%s')", bad[i].kind, bad[i].name, st, msg,
                     bad[i].status, bad[i].needle);
    }
    /* a body that ends early, and one over the limit */
    assert_int_equal(import("ir", "short.wav", false, wav, n, n / 2, rel, &err), 400);
    assert_non_null(strstr(err.msg, "ended early"));
    mem m0 = {.p = wav, .n = n};
    assert_int_equal(pt_asset_import(lib, "ir", "big.wav", false, PT_IMPORT_MAX_BYTES + 1, mem_read,
                                     &m0, rel, sizeof rel, &err),
                     413);
    assert_int_equal(count_entries(path_in("irs")), before + 1);
    assert_int_equal(count_entries(path_in("captures")), 0);
    /* a rig goes to the library itself, checked by the rig loader */
    const char *rig = "version: 1\nname: Imp\nchain:\n  - {id: cab, type: cab, ir: irs/room.wav}\n";
    assert_int_equal(import("auto", "imp.yaml", false, rig, strlen(rig), 0, rel, &err), 200);
    assert_string_equal(rel, "imp.yaml");
    const char *bad_rig = "version: 1\nname: Imp\nchain:\n  - {id: cab, type: cab, ir: irs/none.wav}\n";
    assert_int_equal(import("auto", "imp2.yaml", false, bad_rig, strlen(bad_rig), 0, rel, &err), 400);
    assert_non_null(strstr(err.file, "imp2.yaml"));
    assert_non_null(strstr(err.msg, "is not a file in the rig library"));
    assert_int_equal(access(path_in("imp2.yaml"), F_OK), -1);
    /* issue #16, finding 4: an imported rig may not name files outside the
     * library; the refusal reads the same for a file that exists outside
     * (this test's own source, /etc/passwd through '..') and one that does
     * not, so it tells nothing about the outside */
    char outside[PATH_MAX + 64], msg_missing[1100], msg_there[1100], msg_abs[1100];
    snprintf(msg_missing, sizeof msg_missing, "%s", strstr(err.msg, "' is not a file"));
    snprintf(outside, sizeof outside,
             "version: 1\nname: Imp\nchain:\n  - {id: cab, type: cab, ir: %s/../outside.wav}\n", lib);
    char wavpath[PATH_MAX + 16];
    snprintf(wavpath, sizeof wavpath, "%s/../outside.wav", lib);
    FILE *wf = fopen(wavpath, "wb");
    assert_non_null(wf);
    fwrite(wav, 1, n, wf);
    fclose(wf);
    assert_int_equal(import("auto", "imp3.yaml", false, outside, strlen(outside), 0, rel, &err), 400);
    snprintf(msg_there, sizeof msg_there, "%s", strstr(err.msg, "' is not a file") ? strstr(err.msg, "' is not a file") : err.msg);
    assert_string_equal(msg_there, msg_missing);
    const char *abs_rig = "version: 1\nname: Imp\nchain:\n  - {id: cab, type: cab, ir: /etc/passwd}\n";
    assert_int_equal(import("auto", "imp4.yaml", false, abs_rig, strlen(abs_rig), 0, rel, &err), 400);
    snprintf(msg_abs, sizeof msg_abs, "%s", strstr(err.msg, "' is not a file") ? strstr(err.msg, "' is not a file") : err.msg);
    assert_string_equal(msg_abs, msg_missing);
    assert_null(strstr(err.msg, "root")); /* nothing of the file's content */
    const char *fifo_rig = "version: 1\nname: Imp\nchain:\n  - {id: cab, type: cab, ir: irs/pipe.wav}\n";
    assert_int_equal(mkfifo(path_in("irs/pipe.wav"), 0600), 0);
    assert_int_equal(import("auto", "imp5.yaml", false, fifo_rig, strlen(fifo_rig), 0, rel, &err), 400);
    unlink(path_in("irs/pipe.wav"));
    unlink(wavpath);
    for (int i = 3; i <= 5; i++) {
        char nm[32];
        snprintf(nm, sizeof nm, "imp%d.yaml", i);
        assert_int_equal(access(path_in(nm), F_OK), -1);
    }
    free(wav);
}

/* ---- lanes, scenes and rig info through the dispatcher ---- */

static cJSON *call(pt_session *s, const char *msg, bool want_ok, const char *needle)
{
    char *reply = NULL;
    int rc = pt_protocol_handle(s, NULL, msg, strlen(msg), &reply);
    assert_non_null(reply);
    if ((rc == 0) != want_ok || (needle && !strstr(reply, needle))) fail_msg("%s -> %s", msg, reply);
    cJSON *j = cJSON_Parse(reply);
    pt_protocol_free(reply);
    return j;
}

static int branches_of_amps(pt_session *s)
{
    cJSON *rig = pt_session_rig_json(s);
    const cJSON *split = cJSON_GetArrayItem(get(rig, "chain"), 1);
    int n = cJSON_GetArraySize(get(split, "branches"));
    cJSON_Delete(rig);
    return n;
}

static void lanes_scenes_and_rig_info(void **state)
{
    (void)state;
    pt_engine_config ec = {.rate = 48000, .max_frames = 64};
    pt_engine *e = pt_engine_create(&ec, NULL);
    pt_session_config sc = {.library_dir = lib};
    pt_session *s = pt_session_create(e, &sc, NULL);
    pt_diags d;
    pt_diags_init(&d);
    assert_int_equal(pt_session_load(s, path_in("tiny.yaml"), &d), 0);
    pt_diags_free(&d);
    char dir[PATH_MAX];
    assert_int_equal(pt_session_rig_dir(s, dir, sizeof dir), 0);
    assert_string_equal(dir, lib);
    cJSON_Delete(call(s, "{\"cmd\":\"add_branch\",\"split\":\"amps\",\"level_db\":-6,\"pan\":0.5}", true, "\"branch\":1"));
    assert_int_equal(branches_of_amps(s), 2);
    cJSON_Delete(call(s, "{\"cmd\":\"add_branch\",\"split\":\"amps\",\"branch\":0}", true, "\"branch\":0"));
    assert_int_equal(branches_of_amps(s), 3);
    cJSON_Delete(call(s, "{\"cmd\":\"add_branch\",\"split\":\"gate\"}", false, "no split 'gate'"));
    cJSON_Delete(call(s, "{\"cmd\":\"add_branch\",\"split\":\"amps\",\"branch\":9}", false, "0 .. 3"));
    cJSON_Delete(call(s, "{\"cmd\":\"add_branch\",\"split\":\"amps\",\"pan\":2}", false, "out of range"));
    /* the lane with eq1 is now branch 1: removing it drops eq1 from scene s1 */
    cJSON_Delete(call(s, "{\"cmd\":\"remove_branch\",\"split\":\"amps\",\"branch\":1}", true, NULL));
    cJSON *sc1 = call(s, "{\"cmd\":\"get_scene\",\"name\":\"s1\"}", true, "gate.threshold_db");
    assert_null(cJSON_GetObjectItem(get(get(sc1, "scene"), "params"), "eq1.gain_db"));
    cJSON_Delete(sc1);
    cJSON_Delete(call(s, "{\"cmd\":\"remove_branch\",\"split\":\"amps\",\"branch\":0}", true, NULL));
    cJSON_Delete(call(s, "{\"cmd\":\"remove_branch\",\"split\":\"amps\",\"branch\":0}", false, "only one branch"));
    assert_int_equal(branches_of_amps(s), 1);
    cJSON_Delete(call(s, "{\"cmd\":\"scene_delete\",\"name\":\"s1\"}", true, NULL));
    cJSON_Delete(call(s, "{\"cmd\":\"scene_delete\",\"name\":\"s1\"}", false, "no scene 's1'"));
    cJSON_Delete(call(s, "{\"cmd\":\"set_rig_info\",\"name\":\"New\",\"tags\":[\"x\",\"y\"],\"notes\":\"a\\nb\"}", true, NULL));
    cJSON *rig = pt_session_rig_json(s);
    assert_string_equal(get(rig, "name")->valuestring, "New");
    assert_string_equal(get(rig, "notes")->valuestring, "a\nb");
    assert_int_equal(cJSON_GetArraySize(get(rig, "tags")), 2);
    assert_int_equal(cJSON_GetArraySize(get(rig, "scenes")), 0);
    cJSON_Delete(rig);
    cJSON_Delete(call(s, "{\"cmd\":\"set_rig_info\",\"tags\":[]}", true, NULL));
    cJSON_Delete(call(s, "{\"cmd\":\"set_rig_info\",\"author\":\"a\\u0007\"}", false, "control"));
    pt_session_destroy(s);
    pt_engine_destroy(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ir_spectra_are_the_closed_forms),
        cmocka_unit_test(waveform_columns_are_min_and_max),
        cmocka_unit_test(imports_are_checked_then_placed),
        cmocka_unit_test(lanes_scenes_and_rig_info),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
