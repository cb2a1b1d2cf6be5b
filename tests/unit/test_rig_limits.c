/* test_rig_limits.c — the limits of rig.h (issue #16, finding 8): a rig file
 * one node, split, branch or scene over them, and a setlist one entry over,
 * is refused at the line and column of the first thing too many (counted
 * here from the text this test writes); exactly at the limit it loads; a
 * session refuses add_node, add_split and scene_store past them with a
 * message and leaves the rig as it was. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "control/session.h"
#include "rig/rig.h"
#include "testutil.h"

typedef struct text {
    char *s;
    size_t n, cap;
    int line; /* lines written so far */
} text;

static void put(text *t, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (t->n + (size_t)k + 1 > t->cap) {
        t->cap = (t->cap + (size_t)k + 1) * 2;
        t->s = realloc(t->s, t->cap);
        assert_non_null(t->s);
    }
    memcpy(t->s + t->n, buf, (size_t)k + 1);
    t->n += (size_t)k;
    for (int i = 0; i < k; i++) t->line += buf[i] == '\n';
}

/* A rig of `nodes` level nodes in the chain, `splits` one-branch splits
 * (each holding no node), one split of `branches` dry branches when
 * branches > 0, and `scenes` scenes. *bad_line: the line of the first node
 * past PT_RIG_MAX_NODES, or split past PT_RIG_MAX_SPLITS, or of 'scenes:'
 * or of the big split's 'branches:' — whichever is over. */
static char *rig_text(int nodes, int splits, int branches, int scenes, int *bad_line)
{
    text t = {0};
    *bad_line = 0;
    put(&t, "version: 1\nname: Big\nchain:\n");
    for (int i = 0; i < nodes; i++) {
        if (i == PT_RIG_MAX_NODES) *bad_line = t.line + 1;
        put(&t, "  - {id: n%d, type: level}\n", i);
    }
    for (int i = 0; i < splits; i++) {
        if (i == PT_RIG_MAX_SPLITS) *bad_line = t.line + 1;
        put(&t, "  - split: {id: s%d, branches: [{chain: []}]}\n", i);
    }
    if (branches > 0) {
        put(&t, "  - split:\n      id: wide\n");
        if (branches > PT_RIG_MAX_BRANCHES) *bad_line = t.line + 1;
        put(&t, "      branches:\n");
        for (int i = 0; i < branches; i++) put(&t, "        - {chain: []}\n");
    }
    if (scenes > 0) {
        put(&t, "scenes:\n");
        if (scenes > PT_RIG_MAX_SCENES) *bad_line = t.line + 1;
        for (int i = 0; i < scenes; i++) put(&t, "  - {name: sc%d, params: {}}\n", i);
    }
    return t.s;
}

static void expect(int nodes, int splits, int branches, int scenes, const char *needle)
{
    int bad_line;
    char *s = rig_text(nodes, splits, branches, scenes, &bad_line);
    pt_diags d;
    pt_diags_init(&d);
    pt_rig *r = pt_rig_load_string(s, strlen(s), "big.yaml", ".", &d);
    if (!needle) {
        if (!r) pt_diags_print(&d, stderr);
        assert_non_null(r);
    } else {
        assert_null(r);
        assert_true(d.n >= 1);
        if (!strstr(d.items[0].msg, needle) || d.items[0].line != bad_line) {
            pt_diags_print(&d, stderr);
            fail_msg("expected '%s' at line %d", needle, bad_line);
        }
        assert_string_equal(d.items[0].file, "big.yaml");
        assert_true(d.items[0].col >= 1);
    }
    pt_rig_free(r);
    pt_diags_free(&d);
    free(s);
}

static void rigs_over_the_limits_are_refused_where_they_go_over(void **state)
{
    (void)state;
    expect(PT_RIG_MAX_NODES, PT_RIG_MAX_SPLITS - 1, PT_RIG_MAX_BRANCHES, PT_RIG_MAX_SCENES, NULL);
    expect(PT_RIG_MAX_NODES + 1, 0, 0, 0, "more than 64 nodes");
    expect(1000, 0, 0, 0, "more than 64 nodes"); /* the 1,000-node rig */
    expect(1, PT_RIG_MAX_SPLITS + 1, 0, 0, "more than 16 splits");
    expect(1, 0, PT_RIG_MAX_BRANCHES + 1, 0, "17 branches; at most 16");
    expect(1, 0, 0, PT_RIG_MAX_SCENES + 1, "65 scenes; at most 64");
    expect(1, 0, 0, 500, "500 scenes; at most 64");
}

static void setlists_over_the_limit_are_refused(void **state)
{
    (void)state;
    char path[] = "/tmp/pt-test-limits-XXXXXX.yaml";
    int fd = mkstemps(path, 5);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fprintf(f, "version: 1\nname: Long\nrigs:\n");
    for (int i = 0; i <= PT_SETLIST_MAX_RIGS; i++) fprintf(f, "  - %s\n", tu_src("rigs/clean.yaml"));
    fclose(f);
    pt_diags d;
    pt_diags_init(&d);
    pt_setlist *sl = pt_setlist_load(path, &d);
    assert_null(sl);
    assert_true(d.n >= 1);
    assert_non_null(strstr(d.items[0].msg, "129 rigs; at most 128"));
    assert_int_equal(d.items[0].line, 3); /* the 'rigs:' key */
    pt_diags_free(&d);
    unlink(path);
}

static void session_edits_stop_at_the_limits(void **state)
{
    (void)state;
    pt_engine_config c = {.rate = 48000, .max_frames = 64};
    pt_engine *e = pt_engine_create(&c, NULL);
    pt_session *s = pt_session_create(e, &(pt_session_config){.library_dir = "rigs"}, NULL);
    int bad_line;
    char *txt = rig_text(PT_RIG_MAX_NODES - 1, PT_RIG_MAX_SPLITS - 1, 0, PT_RIG_MAX_SCENES - 1, &bad_line);
    pt_diags d;
    pt_diags_init(&d);
    pt_rig *rig = pt_rig_load_string(txt, strlen(txt), "", ".", &d);
    assert_non_null(rig);
    pt_error err = {0};
    assert_int_equal(pt_session_use_rig(s, rig, &err), 0);
    /* one more of each fits, the next does not */
    assert_int_equal(pt_session_add_node(s, "level", "last", &(pt_position){0}, &err), 0);
    assert_int_not_equal(pt_session_add_node(s, "level", "over", &(pt_position){0}, &err), 0);
    assert_non_null(strstr(err.msg, "64 nodes, the most a rig may have"));
    /* a node into a branch counts as well */
    assert_int_not_equal(pt_session_add_node(s, "level", "over", &(pt_position){.split = "s0", .branch = 0, .index = -1}, &err), 0);
    assert_int_equal(pt_session_add_split(s, "lastsplit", 2, &(pt_position){0}, &err), 0);
    assert_int_not_equal(pt_session_add_split(s, "oversplit", 2, &(pt_position){0}, &err), 0);
    assert_non_null(strstr(err.msg, "16 splits, the most a rig may have"));
    assert_int_not_equal(pt_session_add_split(s, "wide", PT_RIG_MAX_BRANCHES + 1, &(pt_position){0}, &err), 0);
    assert_int_equal(pt_session_scene_store(s, "lastscene", &err), 0);
    assert_int_not_equal(pt_session_scene_store(s, "overscene", &err), 0);
    assert_non_null(strstr(err.msg, "64 scenes"));
    assert_int_equal(pt_session_scene_store(s, "sc0", &err), 0); /* storing over one still works */
    /* the rig is what the last successful edit left: still within the limits */
    cJSON *j = pt_session_rig_json(s);
    char *out = cJSON_PrintUnformatted(j);
    assert_null(strstr(out, "\"over\""));
    assert_null(strstr(out, "oversplit"));
    free(out);
    cJSON_Delete(j);
    pt_diags_free(&d);
    free(txt);
    pt_session_destroy(s);
    pt_engine_destroy(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rigs_over_the_limits_are_refused_where_they_go_over),
        cmocka_unit_test(setlists_over_the_limit_are_refused),
        cmocka_unit_test(session_edits_stop_at_the_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
