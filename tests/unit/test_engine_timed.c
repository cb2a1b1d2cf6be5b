/* test_engine_timed.c — timed parameter commands (pt_engine_set_param_at):
 * the engine splits the block at the command's frame, so everything before
 * that frame is untouched and the change starts exactly there. Reference:
 * the frame asked for, and the untouched samples compared bit for bit with
 * a run that got no command. */
#include <math.h>
#include <string.h>

#include "testutil.h"

static pt_engine *engine_with_level(void)
{
    pt_engine_config cfg = {.rate = 48000, .max_frames = 64};
    pt_engine *e = pt_engine_create(&cfg, NULL);
    pt_chain *c = pt_chain_new();
    pt_chain_add_node(c, tu_node("level", "vol", "gain_db", 0.0, NULL));
    assert_int_equal(pt_engine_swap(e, tu_build(c, 48000, 64), NULL), 0);
    return e;
}

static void change_starts_at_its_frame(void **state)
{
    (void)state;
    const int frames[] = {1, 13, 37, 63};
    for (int k = 0; k < 4; k++) {
        int at = frames[k];
        pt_engine *e = engine_with_level();
        float in[64], l[64], r[64];
        for (int i = 0; i < 64; i++) in[i] = 0.5f;
        pt_engine_process(e, in, l, r, 64); /* the program is in */
        pt_error err = {0};
        assert_int_equal(pt_engine_set_param_at(e, "vol", "gain_db", -12.0f, at, &err), 0);
        pt_engine_process(e, in, l, r, 64);
        for (int i = 0; i < at; i++) assert_true(l[i] == 0.5f);  /* before: bit for bit */
        for (int i = at; i < 64; i++) assert_true(l[i] < 0.5f);  /* from the frame on: ramping down */
        pt_engine_destroy(e);
    }
}

static void untimed_and_out_of_block_apply_at_the_start(void **state)
{
    (void)state;
    int frames[] = {0, -5, 64, 1000};
    for (int k = 0; k < 4; k++) {
        pt_engine *e = engine_with_level();
        float in[64], l[64], r[64];
        for (int i = 0; i < 64; i++) in[i] = 0.5f;
        pt_engine_process(e, in, l, r, 64);
        assert_int_equal(pt_engine_set_param_at(e, "vol", "gain_db", -12.0f, frames[k], NULL), 0);
        pt_engine_process(e, in, l, r, 64);
        assert_true(l[0] < 0.5f);
        pt_engine_destroy(e);
    }
}

/* Commands queued behind a timed one keep their order and all apply. */
static void later_commands_wait_their_turn(void **state)
{
    (void)state;
    pt_engine *e = engine_with_level();
    float in[64], l[64], r[64];
    for (int i = 0; i < 64; i++) in[i] = 0.5f;
    pt_engine_process(e, in, l, r, 64);
    assert_int_equal(pt_engine_set_param_at(e, "vol", "gain_db", -12.0f, 20, NULL), 0);
    assert_int_equal(pt_engine_set_param_at(e, "vol", "gain_db", 0.0f, 40, NULL), 0);
    pt_engine_process(e, in, l, r, 64);
    for (int i = 0; i < 20; i++) assert_true(l[i] == 0.5f);
    assert_true(l[39] < l[20]);   /* going down from 20 */
    assert_true(l[63] > l[40]);   /* back up from 40 */
    assert_int_equal(pt_engine_sync(e, 100), 0);
    pt_engine_destroy(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(change_starts_at_its_frame),
        cmocka_unit_test(untimed_and_out_of_block_apply_at_the_start),
        cmocka_unit_test(later_commands_wait_their_turn),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
