/* test_rig_session.c — rigs survive load -> save -> load; version 0 rigs
 * migrate with their values; session edits change what plays and what is
 * saved, and a failed edit changes nothing; scene and rig switches while a
 * sine plays have no click and no gap. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control/session.h"
#include "rig/rig.h"
#include "testutil.h"

static pt_rig *load(const char *rel)
{
    pt_diags d;
    pt_diags_init(&d);
    pt_rig *r = pt_rig_load(tu_src(rel), &d);
    if (!r) {
        pt_diags_print(&d, stderr);
        fail_msg("cannot load %s", rel);
    }
    pt_diags_free(&d);
    return r;
}

/* Same graph, same values: compares what the two YAML texts say, and every
 * node's every parameter. */
static void same_chain(const pt_rig_chain *a, const pt_rig_chain *b)
{
    assert_int_equal(a->n, b->n);
    for (int i = 0; i < a->n; i++) {
        const pt_rig_item *x = &a->items[i], *y = &b->items[i];
        assert_int_equal(x->is_split, y->is_split);
        if (x->is_split) {
            assert_string_equal(x->split_id, y->split_id);
            assert_int_equal(x->n_branches, y->n_branches);
            for (int k = 0; k < x->n_branches; k++) {
                assert_float_equal(x->branches[k].level_db, y->branches[k].level_db, 0);
                assert_float_equal(x->branches[k].pan, y->branches[k].pan, 0);
                same_chain(x->branches[k].chain, y->branches[k].chain);
            }
        } else {
            assert_string_equal(x->node.id, y->node.id);
            assert_ptr_equal(x->node.type, y->node.type);
            assert_int_equal(x->node.bypass, y->node.bypass);
            for (int p = 0; p < x->node.type->n_params; p++)
                assert_float_equal(pt_rig_node_get(&x->node, p), pt_rig_node_get(&y->node, p), 0);
        }
    }
}

static void factory_rigs_round_trip(void **state)
{
    (void)state;
    DIR *d = opendir(tu_src("rigs"));
    assert_non_null(d);
    struct dirent *de;
    int n = 0;
    while ((de = readdir(d))) {
        if (!strstr(de->d_name, ".yaml")) continue;
        char rel[512];
        snprintf(rel, sizeof rel, "rigs/%s", de->d_name);
        if (pt_is_setlist(tu_src(rel))) continue;
        pt_rig *a = load(rel);
        size_t len;
        char *text = pt_rig_to_yaml(a, &len);
        pt_diags dg;
        pt_diags_init(&dg);
        pt_rig *b = pt_rig_load_string(text, len, a->path, a->dir, &dg);
        if (!b) pt_diags_print(&dg, stderr);
        assert_non_null(b);
        same_chain(&a->chain, &b->chain);
        assert_int_equal(a->n_scenes, b->n_scenes);
        assert_string_equal(a->name, b->name);
        assert_float_equal(a->tempo_bpm, b->tempo_bpm, 0);
        char *text2 = pt_rig_to_yaml(b, NULL);
        assert_string_equal(text, text2); /* saving is stable */
        free(text), free(text2);
        pt_rig_free(a), pt_rig_free(b);
        pt_diags_free(&dg);
        n++;
    }
    closedir(d);
    assert_true(n >= 1);
}

static void version_0_migrates_with_its_values(void **state)
{
    (void)state;
    pt_rig *r = load("tests/data/rigs/v0_legacy.yaml");
    assert_int_equal(r->version, 0);
    pt_rig_node *drive = pt_rig_find_node(r, "drive"), *tone = pt_rig_find_node(r, "tone");
    assert_non_null(drive);
    assert_non_null(tone);
    assert_float_equal(pt_rig_node_get(drive, pt_param_index(drive->type, "drive_db")), 15.5, 0);
    assert_float_equal(pt_rig_node_get(drive, pt_param_index(drive->type, "oversample")), 1, 0);
    assert_true(tone->bypass);
    assert_float_equal(pt_rig_node_get(tone, pt_param_index(tone->type, "shape")), 6, 0); /* highshelf */
    assert_float_equal(pt_rig_node_get(tone, pt_param_index(tone->type, "gain_db")), -4, 0);
    /* and saving writes the current version */
    char *text = pt_rig_to_yaml(r, NULL);
    assert_non_null(strstr(text, "version: 1\n"));
    free(text);
    pt_rig_free(r);
}

static pt_engine *engine(void)
{
    pt_engine_config c = {.rate = 48000, .max_frames = 64};
    return pt_engine_create(&c, NULL);
}

static void run_blocks(pt_engine *e, int blocks)
{
    float x[64] = {0}, l[64], r[64];
    for (int b = 0; b < blocks; b++) pt_engine_process(e, x, l, r, 64);
}

static void session_edits_play_and_save(void **state)
{
    (void)state;
    pt_engine *e = engine();
    pt_session *s = pt_session_create(e, &(pt_session_config){.library_dir = "rigs"}, NULL);
    pt_diags d;
    pt_diags_init(&d);
    assert_int_equal(pt_session_load(s, tu_src("rigs/default.yaml"), &d), 0);
    run_blocks(e, 2);
    pt_error err = {0};
    assert_int_equal(pt_session_set_param(s, "drive", "drive_db", 20.0f, &err), 0);
    assert_int_not_equal(pt_session_set_param(s, "drive", "drive_db", 99.0f, &err), 0);
    assert_non_null(strstr(err.msg, "out of range 0 .. 24 dB"));
    assert_int_equal(pt_session_add_node(s, "compressor", "comp", &(pt_position){.after = "gate"}, &err), 0);
    assert_int_equal(pt_session_add_split(s, "amps", 2, &(pt_position){.after = "drive"}, &err), 0);
    assert_int_equal(pt_session_move(s, "presence", &(pt_position){.split = "amps", .branch = 1, .index = -1}, &err), 0);
    assert_int_equal(pt_session_set_branch(s, "amps", 1, -3.0f, 0.5f, &err), 0);
    assert_int_equal(pt_session_set_bypass(s, "gate", true, &err), 0);
    assert_int_equal(pt_session_scene_store(s, "wide", &err), 0);
    assert_int_equal(pt_session_set_param(s, "drive", "drive_db", 3.0f, &err), 0);
    assert_int_equal(pt_session_scene_select(s, "wide", &err), 0);
    float v;
    assert_int_equal(pt_session_get_param(s, "drive", "drive_db", &v, &err), 0);
    assert_float_equal(v, 20.0f, 0);
    run_blocks(e, 10);
    /* the engine plays the edited graph: the compressor is there */
    assert_true(pt_program_find_node(pt_engine_program(e), "comp") >= 0);

    char path[256];
    snprintf(path, sizeof path, "/tmp/pytone-test-%d.yaml", (int)getpid());
    assert_int_equal(pt_session_save(s, path, &err), 0);
    pt_diags_free(&d);
    pt_diags_init(&d);
    pt_rig *back = pt_rig_load(path, &d);
    assert_non_null(back);
    pt_rig_node *drive = pt_rig_find_node(back, "drive");
    assert_float_equal(pt_rig_node_get(drive, pt_param_index(drive->type, "drive_db")), 20.0f, 0);
    assert_true(pt_rig_find_node(back, "gate")->bypass);
    assert_int_equal(back->chain.n, 6); /* gate comp drive amps amp cab */
    assert_true(back->chain.items[3].is_split);
    assert_int_equal(back->chain.items[3].branches[1].chain->n, 1);
    assert_float_equal(back->chain.items[3].branches[1].pan, 0.5f, 0);
    assert_true(pt_rig_find_scene(back, "wide") >= 0);
    pt_rig_free(back);
    unlink(path);

    /* edits that cannot be done change nothing */
    pt_program *before = pt_engine_program(e);
    cJSON *j1 = pt_session_rig_json(s);
    char *t1 = cJSON_PrintUnformatted(j1);
    assert_int_not_equal(pt_session_add_node(s, "flux-capacitor", "x", NULL, &err), 0);
    assert_int_not_equal(pt_session_add_node(s, "eq", "drive", NULL, &err), 0); /* duplicate id */
    assert_int_not_equal(pt_session_move(s, "amps", &(pt_position){.split = "amps", .branch = 0}, &err), 0);
    assert_int_not_equal(pt_session_move(s, "ghost", NULL, &err), 0);
    assert_int_not_equal(pt_session_remove(s, "ghost", &err), 0);
    assert_int_not_equal(pt_session_set_param(s, "drive", "drive_db", NAN, &err), 0);
    assert_int_not_equal(pt_session_scene_select(s, "nope", &err), 0);
    cJSON *j2 = pt_session_rig_json(s);
    char *t2 = cJSON_PrintUnformatted(j2);
    assert_string_equal(t1, t2);
    assert_ptr_equal(before, pt_engine_program(e));
    free(t1), free(t2);
    cJSON_Delete(j1), cJSON_Delete(j2);
    /* a split moved into itself would be a cycle */
    assert_int_not_equal(pt_session_move(s, "amps", &(pt_position){.split = "amps", .branch = 1}, &err), 0);
    assert_non_null(strstr(err.msg, "cycle"));
    assert_int_equal(pt_session_remove(s, "amps", &err), 0);
    assert_int_equal(pt_program_find_node(pt_engine_program(e), "presence"), -1);
    pt_session_destroy(s);
    pt_engine_destroy(e);
    pt_diags_free(&d);
}

/* Click detector. Reference: a sine of amplitude A and frequency f through
 * rigs of linear gains and filters changes by at most A * 2 pi f / fs * G
 * per sample (G the largest gain the rigs apply); a switch that ramps
 * (parameters) or crossfades (bypass, rigs) adds at most a small fraction of
 * that. A step beyond 1.25x the bound is a click; a run of exact zeros is a
 * gap. */
static void scene_and_rig_switches_do_not_click(void **state)
{
    (void)state;
    const char *rig_a = "/tmp/pytone-click-a.yaml", *rig_b = "/tmp/pytone-click-b.yaml";
    FILE *f = fopen(rig_a, "w");
    fputs("version: 1\nname: A\nchain:\n"
          "  - {id: vol, type: level, params: {gain_db: 0}}\n"
          "  - {id: tone, type: eq, params: {shape: peak, freq_hz: 800, gain_db: 6, q: 0.7}}\n"
          "scenes:\n"
          "  - {name: quiet, params: {vol.gain_db: -12, tone.gain_db: -6}}\n"
          "  - {name: loud, params: {vol.gain_db: 0, tone.gain_db: 6}}\n"
          "  - {name: notone, bypass: {tone: true}}\n"
          "  - {name: tone, bypass: {tone: false}}\n", f);
    fclose(f);
    f = fopen(rig_b, "w");
    fputs("version: 1\nname: B\nchain:\n"
          "  - {id: vol, type: level, params: {gain_db: -6}}\n"
          "  - {id: tone, type: eq, params: {shape: lowpass, freq_hz: 2000}}\n", f);
    fclose(f);
    pt_engine *e = engine();
    pt_session *s = pt_session_create(e, &(pt_session_config){.library_dir = "/tmp"}, NULL);
    pt_diags d;
    pt_diags_init(&d);
    assert_int_equal(pt_session_load(s, rig_a, &d), 0);
    const double A = 0.25, fr = 220, fs = 48000;
    const char *scenes[] = {"quiet", "loud", "notone", "tone"};
    int blocks = 48000 * 6 / 64, zeros = 0, worst_zeros = 0;
    double bound = A * 2 * M_PI * fr / fs * pow(10, 6.0 / 20) * 1.25, worst = 0, prev = 0;
    float x[64], l[64], r[64];
    pt_error err = {0};
    for (int b = 0; b < blocks; b++) {
        if (b % 40 == 20) pt_session_scene_select(s, scenes[(b / 40) % 4], &err);
        if (b % 300 == 150) pt_session_load(s, (b / 300) % 2 ? rig_a : rig_b, &d);
        for (int i = 0; i < 64; i++) x[i] = (float)(A * sin(2 * M_PI * fr * (b * 64 + i) / fs));
        pt_engine_process(e, x, l, r, 64);
        pt_engine_collect(e);
        for (int i = 0; i < 64; i++) {
            if (b > 10) {
                worst = fmax(worst, fabs(l[i] - prev));
                zeros = l[i] == 0.0f ? zeros + 1 : 0;
                worst_zeros = zeros > worst_zeros ? zeros : worst_zeros;
            }
            prev = l[i];
        }
    }
    print_message("largest step %.5f (bound %.5f), longest zero run %d\n", worst, bound, worst_zeros);
    assert_true(worst <= bound);
    assert_true(worst_zeros <= 2);
    pt_session_destroy(s);
    pt_engine_destroy(e);
    pt_diags_free(&d);
    unlink(rig_a);
    unlink(rig_b);
}

static void setlist_slots_switch(void **state)
{
    (void)state;
    pt_engine *e = engine();
    pt_session *s = pt_session_create(e, &(pt_session_config){.library_dir = "rigs"}, NULL);
    pt_diags d;
    pt_diags_init(&d);
    FILE *f = fopen("/tmp/pytone-setlist.yaml", "w");
    fprintf(f, "version: 1\nname: Gig\nrigs:\n  - %s\n  - %s\n", tu_src("rigs/default.yaml"),
            tu_src("tests/data/rigs/zero_latency.yaml"));
    fclose(f);
    assert_int_equal(pt_session_load(s, "/tmp/pytone-setlist.yaml", &d), 0);
    assert_int_equal(pt_session_slot_count(s), 2);
    pt_session_poll(s); /* builds the neighbour */
    pt_error err = {0};
    assert_int_equal(pt_session_select_slot(s, 1, &err), 0);
    run_blocks(e, 2);
    cJSON *st = pt_session_state(s);
    assert_string_equal(cJSON_GetObjectItem(st, "rig")->valuestring, "Zero latency");
    assert_int_equal(cJSON_GetObjectItem(st, "slot")->valueint, 1);
    cJSON_Delete(st);
    assert_int_not_equal(pt_session_select_slot(s, 2, &err), 0);
    pt_session_destroy(s);
    pt_engine_destroy(e);
    pt_diags_free(&d);
    unlink("/tmp/pytone-setlist.yaml");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(factory_rigs_round_trip),
        cmocka_unit_test(version_0_migrates_with_its_values),
        cmocka_unit_test(session_edits_play_and_save),
        cmocka_unit_test(scene_and_rig_switches_do_not_click),
        cmocka_unit_test(setlist_slots_switch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
