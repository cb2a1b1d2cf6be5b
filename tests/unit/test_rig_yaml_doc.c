/* test_rig_yaml_doc.c — the YAML reading/writing module every loader uses
 * (src/rig/yaml_doc.c). References: Levenshtein's edit distance on the
 * textbook pair kitten/sitting (3); positions counted by hand in the texts
 * below; IEEE 754 single precision, whose every value 9 significant digits
 * give back exactly; libyaml reading back what the writer wrote. The loaders'
 * own messages are pinned by test_midi_mapping, test_rig_session,
 * test_node_circuit and the e2e rig/circuit tests. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rig/yaml_doc.h"
#include "testutil.h"

static yaml_document_t doc;

static yaml_node_t *load(pt_ydoc *y, const char *text)
{
    assert_int_equal(pt_yd_load(y, &doc, text, strlen(text), 0), 0);
    return yaml_document_get_root_node(&doc);
}

static void test_distance(void **state)
{
    (void)state;
    assert_int_equal(pt_edit_distance("kitten", "sitting"), 3);
    assert_int_equal(pt_edit_distance("Type", "tyPE"), 0); /* case does not count */
    char longer[80];
    memset(longer, 'a', 79), longer[79] = 0;
    assert_int_equal(pt_edit_distance(longer, "a"), 99);
    static const char *const names[] = {"type", "R", "taper", NULL};
    assert_string_equal(pt_yd_nearest("tpye", names, 3), "type"); /* 2 edits */
    assert_null(pt_yd_nearest("colour", names, 3));
}

/* Every unknown key into diags, worded with the known ones; with a pt_error
 * only the first, with the nearest name. */
static void test_keys_two_ways(void **state)
{
    (void)state;
    static const char *const allowed[] = {"a", "b", NULL};
    pt_diags d;
    pt_diags_init(&d);
    pt_ydoc y = {.file = "k.yaml", .diags = &d};
    yaml_node_t *root = load(&y, "a: 1\nbb: 2\n[x]: 3\n");
    assert_int_equal(pt_yd_check_keys(&y, root, "a test", allowed), PT_ERR_INVALID);
    assert_int_equal(d.n, 2);
    assert_string_equal(d.items[0].msg, "unknown key 'bb' in a test (known: a, b)");
    assert_int_equal(d.items[0].line, 2);
    assert_int_equal(d.items[0].col, 1);
    assert_string_equal(d.items[1].msg, "unknown key '?' in a test (known: a, b)");
    assert_int_equal(d.items[1].line, 3);
    yaml_document_delete(&doc);
    pt_diags_free(&d);

    pt_error err = {0};
    pt_ydoc e = {.file = "k.yaml", .err = &err, .keys = PT_YD_KEYS_NEAREST};
    root = load(&e, "a: 1\nbb: 2\nzzzz: 3\n");
    assert_int_equal(pt_yd_check_keys(&e, root, "a test", allowed), PT_ERR_INVALID);
    assert_string_equal(err.msg, "unknown key 'bb' in a test (did you mean 'b'?)");
    assert_string_equal(err.file, "k.yaml");
    assert_int_equal(err.line, 2);
    yaml_document_delete(&doc);
    root = load(&e, "a: 1\nzzzz: 3\n");
    pt_yd_check_keys(&e, root, "a test", allowed);
    assert_string_equal(err.msg, "unknown key 'zzzz' in a test; it takes: a, b");
    yaml_document_delete(&doc);
}

static void test_numbers(void **state)
{
    (void)state;
    pt_diags d;
    pt_diags_init(&d);
    pt_ydoc y = {.file = "n.yaml", .diags = &d};
    yaml_node_t *root = load(&y, "gain_db: 30\nfrac: 1.5\nlist: [1]\nok: -6.5\n");
    double v = 0;
    assert_int_equal(pt_yd_get_number(&y, root, "gain_db", -60, 24, "dB", 0, &v), -1);
    assert_int_equal(pt_yd_get_number(&y, root, "frac", 0, 10, "", 1, &v), -1);
    assert_int_equal(pt_yd_get_number(&y, root, "list", 0, 10, "", 0, &v), -1);
    assert_int_equal(pt_yd_get_number(&y, root, "absent", 0, 10, "", 0, &v), 0);
    assert_int_equal(pt_yd_get_number(&y, root, "ok", -60, 24, "dB", 0, &v), 1);
    assert_true(v == -6.5);
    y.nonscalar = "a list or mapping";
    pt_yd_get_number(&y, root, "list", 0, 10, "", 0, &v);
    assert_int_equal(d.n, 4);
    assert_string_equal(d.items[0].msg, "'gain_db' = 30 is out of range -60 .. 24 dB");
    assert_int_equal(d.items[0].col, 10);
    assert_string_equal(d.items[1].msg, "'frac' must be a whole number, not 1.5");
    assert_string_equal(d.items[2].msg, "'list' must be a number, not a list");
    assert_string_equal(d.items[3].msg, "'list' must be a number, not a list or mapping");
    yaml_document_delete(&doc);
    pt_diags_free(&d);
}

/* Refused before a tree is built, at the place of the offending event. */
static void test_precheck(void **state)
{
    (void)state;
    pt_error err = {0};
    pt_ydoc y = {.file = "p.yaml", .err = &err};
    const char *alias = "a: &x [1]\nb: *x\n";
    assert_int_equal(pt_yd_load(&y, &doc, alias, strlen(alias), 0), PT_ERR_INVALID);
    assert_string_equal(err.msg, "YAML aliases (*name) are not allowed here");
    assert_int_equal(err.line, 2);
    assert_int_equal(err.col, 4);
    const char *two = "a: 1\n---\nb: 2\n";
    assert_int_equal(pt_yd_load(&y, &doc, two, strlen(two), 0), PT_ERR_INVALID);
    assert_string_equal(err.msg, "only one YAML document is allowed (found a second '---')");
    assert_int_equal(err.line, 2);
}

static int collect(void *data, unsigned char *buf, size_t size)
{
    char *s = data;
    strncat(s, (const char *)buf, size);
    return 1;
}

/* What the writer writes, libyaml reads back: an empty name stays an empty
 * string, and a float comes back bit for bit. */
static void test_write_read(void **state)
{
    (void)state;
    static char text[1024];
    text[0] = 0;
    yaml_emitter_t em;
    yaml_emitter_initialize(&em);
    yaml_emitter_set_output(&em, collect, text);
    pt_yemit o = {.em = &em};
    yaml_event_t e;
    yaml_stream_start_event_initialize(&e, YAML_UTF8_ENCODING);
    pt_ye_event(&o, &e);
    yaml_document_start_event_initialize(&e, NULL, NULL, NULL, 1);
    pt_ye_event(&o, &e);
    pt_ye_map_start(&o, NULL, 0);
    pt_ye_pair(&o, "name", "");
    pt_ye_pair_number(&o, "gain_db", 0.1f);
    pt_ye_seq_start(&o, "tags", 1);
    pt_ye_scalar(&o, "a");
    pt_ye_seq_end(&o);
    pt_ye_map_end(&o);
    yaml_document_end_event_initialize(&e, 1);
    pt_ye_event(&o, &e);
    yaml_stream_end_event_initialize(&e);
    pt_ye_event(&o, &e);
    yaml_emitter_delete(&em);
    assert_int_equal(o.failed, 0);

    pt_diags d;
    pt_diags_init(&d);
    pt_ydoc y = {.file = "w.yaml", .diags = &d};
    yaml_node_t *root = load(&y, text);
    char *name = pt_yd_get_string(&y, root, "name");
    assert_non_null(name);
    assert_string_equal(name, "");
    free(name);
    float gain = 0;
    assert_int_equal(pt_yd_get_float(&y, root, "gain_db", -60, 24, "dB", &gain), 1);
    assert_true(gain == 0.1f);
    yaml_node_t *tags = pt_yd_get(&y, root, "tags");
    assert_int_equal(pt_yd_len(tags), 1);
    assert_string_equal(pt_yd_scalar(pt_yd_item(&y, tags, 0)), "a");
    assert_int_equal(d.n, 0);
    yaml_document_delete(&doc);
    pt_diags_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_distance),  cmocka_unit_test(test_keys_two_ways),
        cmocka_unit_test(test_numbers),   cmocka_unit_test(test_precheck),
        cmocka_unit_test(test_write_read),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
