/* test_param_labels.c — every parameter has words for people.
 *
 * Over every registered node type's table:
 * - a label that is not empty, is not the internal name (snake_case with the
 *   unit in it, "drive_db" is for files; "Drive" is for people), has no '_'
 *   and starts with a capital letter;
 * - a display precision that can show the parameter's range: 10^-precision is
 *   at most a fiftieth of a linear range, and at most the smallest value of a
 *   logarithmic one (so the bottom of a 0.05 Hz rate does not read "0");
 * - the parameter-table JSON the protocol sends (list_types) carries both, as
 *   "label" and "precision", and writes numbers as people would (-0.7, not the
 *   float's exact -0.699999988079071).
 * Reference: the rules above; the JSON is parsed back with cJSON. */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "control/session.h"
#include "core/node.h"
#include "testutil.h"

/* Report every problem, then fail: one run lists them all. */
#define BAD(...) (print_error(__VA_ARGS__), print_error("\n"), bad++)

static void test_every_parameter_has_a_label(void **state)
{
    (void)state;
    int count, checked = 0, bad = 0;
    const pt_node_type *const *types = pt_node_types(&count);
    assert_true(count >= 16);
    for (int i = 0; i < count; i++) {
        const pt_node_type *t = types[i];
        for (int p = 0; p < t->n_params; p++) {
            const pt_param_def *d = &t->params[p];
            const char *l = d->label;
            if (!l || !l[0]) {
                BAD("%s.%s has no label", t->name, d->name);
                continue;
            }
            if (!strcmp(l, d->name)) BAD("%s.%s: label equals the internal name", t->name, d->name);
            if (strchr(l, '_')) BAD("%s.%s: label '%s' has an underscore", t->name, d->name, l);
            if (!isupper((unsigned char)l[0]))
                BAD("%s.%s: label '%s' does not start with a capital", t->name, d->name, l);
            if (d->precision < 0 || d->precision > 4)
                BAD("%s.%s: precision %d is not 0..4", t->name, d->name, d->precision);
            if (d->taper == PT_TAPER_LINEAR || d->taper == PT_TAPER_LOG) {
                double step = pow(10.0, -d->precision);
                double room = d->taper == PT_TAPER_LOG ? d->min : (d->max - d->min) / 50.0;
                if (step > room + 1e-9)
                    BAD("%s.%s: %d digits cannot show %g .. %g", t->name, d->name, d->precision,
                             (double)d->min, (double)d->max);
            } else if (d->precision != 0) {
                BAD("%s.%s: a choice or switch shows no digits", t->name, d->name);
            }
            checked++;
        }
    }
    assert_int_equal(bad, 0);
    assert_true(checked >= 80);
}

static void test_protocol_table_carries_label_and_precision(void **state)
{
    (void)state;
    cJSON *types = pt_node_types_json();
    char *text = cJSON_PrintUnformatted(types);
    cJSON_Delete(types);
    cJSON *back = cJSON_Parse(text); /* what a client reads */
    free(text);
    int found = 0;
    cJSON *t;
    cJSON_ArrayForEach(t, back)
    {
        const pt_node_type *nt = pt_node_type_find(cJSON_GetObjectItem(t, "name")->valuestring);
        assert_non_null(nt);
        cJSON *p;
        int i = 0;
        cJSON_ArrayForEach(p, cJSON_GetObjectItem(t, "params"))
        {
            cJSON *label = cJSON_GetObjectItem(p, "label"), *prec = cJSON_GetObjectItem(p, "precision");
            assert_true(cJSON_IsString(label) && cJSON_IsNumber(prec));
            assert_string_equal(label->valuestring, nt->params[i].label);
            assert_int_equal(prec->valueint, nt->params[i].precision);
            i++;
        }
        assert_int_equal(i, nt->n_params);
        if (!strcmp(nt->name, "drive")) {
            cJSON *d0 = cJSON_GetArrayItem(cJSON_GetObjectItem(t, "params"), 0);
            assert_string_equal(cJSON_GetObjectItem(d0, "name")->valuestring, "drive_db");
            assert_string_equal(cJSON_GetObjectItem(d0, "label")->valuestring, "Drive");
            found++;
        }
    }
    cJSON_Delete(back);
    assert_int_equal(found, 1);
    /* numbers as written: -0.7f is sent as -0.7 */
    static const pt_param_def pan = {"pan", "", -0.7f, 0.98f, 0.1f, PT_TAPER_LINEAR, 20.0f, NULL,
                                     "", .label = "Pan", .precision = 2};
    cJSON *j = pt_param_def_json(&pan);
    text = cJSON_PrintUnformatted(j);
    cJSON_Delete(j);
    assert_non_null(strstr(text, "\"min\":-0.7,"));
    assert_non_null(strstr(text, "\"max\":0.98,"));
    assert_non_null(strstr(text, "\"default\":0.1,"));
    assert_null(strstr(text, "99999"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_parameter_has_a_label),
        cmocka_unit_test(test_protocol_table_carries_label_and_precision),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
