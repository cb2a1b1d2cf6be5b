/* test_control_qr.c — the QR encoder (src/control/qr.c) against codes made
 * by python-qrcode, an independent encoder (tests/unit/qr_reference.h, from
 * qr_reference.py): the same version and every module the same, for every
 * mask at version 1 and 4 and two masks at version 6 (two RS blocks). */
#include <stdio.h>
#include <string.h>

#include "control/qr.h"
#include "qr_reference.h"
#include "testutil.h"

static void modules_match_python_qrcode(void **state)
{
    (void)state;
    int compared = 0;
    for (size_t i = 0; i < sizeof qr_refs / sizeof qr_refs[0]; i++) {
        const qr_ref *r = &qr_refs[i];
        pt_qr q;
        assert_int_equal(pt_qr_encode(r->text, strlen(r->text), r->mask, &q), 0);
        assert_int_equal(q.version, r->version);
        assert_int_equal(q.mask, r->mask);
        assert_int_equal(q.size, 17 + 4 * r->version);
        for (int y = 0; y < q.size; y++)
            for (int x = 0; x < q.size; x++) {
                if (q.dark[y][x] != (r->rows[y][x] == '1'))
                    fail_msg("'%s' mask %d: module (row %d, column %d) differs", r->text, r->mask, y, x);
                compared++;
            }
    }
    printf("%d modules of %zu codes equal python-qrcode's\n", compared, sizeof qr_refs / sizeof qr_refs[0]);
}

/* The chosen mask gives the same code as asking for that mask; the
 * smallest version is used; what does not fit is refused. */
static void versions_masks_and_limits(void **state)
{
    (void)state;
    char text[200];
    memset(text, 'a', sizeof text);
    pt_qr a, b;
    static const int last[7] = {0, 17, 32, 53, 78, 106, 134}; /* bytes at level L */
    for (int v = 1; v <= 6; v++) {
        assert_int_equal(pt_qr_encode(text, (size_t)last[v], -1, &a), 0);
        assert_int_equal(a.version, v);
        assert_int_equal(pt_qr_encode(text, (size_t)last[v], a.mask, &b), 0);
        assert_memory_equal(a.dark, b.dark, sizeof a.dark);
    }
    assert_int_equal(pt_qr_encode(text, 135, -1, &a), -1);
    assert_int_equal(pt_qr_encode(text, 10, 8, &a), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(modules_match_python_qrcode),
        cmocka_unit_test(versions_masks_and_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
