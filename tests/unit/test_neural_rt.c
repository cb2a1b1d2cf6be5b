/* test_neural_rt.c — the nam node's audio-thread functions (process, reset,
 * set_param) allocate nothing: malloc/calloc/realloc/free are counted while
 * they run, natively at 48 kHz and resampled at 44.1 kHz, for a WaveNet, an
 * LSTM, the 0.7 A2 container and the 0.6 every-feature WaveNet. (Skipped in sanitizer builds, which replace the allocator.) */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#if defined(__SANITIZE_ADDRESS__)
#define PT_COUNT_ALLOCS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PT_COUNT_ALLOCS 0
#endif
#endif
#ifndef PT_COUNT_ALLOCS
#define PT_COUNT_ALLOCS 1
#endif

#if PT_COUNT_ALLOCS
/* glibc's own entry points, so the wrappers below can count and forward */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);

static int armed, calls;

void *malloc(size_t n)
{
    if (armed) calls++;
    return __libc_malloc(n);
}
void *calloc(size_t n, size_t m)
{
    if (armed) calls++;
    return __libc_calloc(n, m);
}
void *realloc(void *p, size_t n)
{
    if (armed) calls++;
    return __libc_realloc(p, n);
}
void free(void *p)
{
    if (armed && p) calls++;
    __libc_free(p);
}
#endif

static void no_allocation_on_the_audio_thread(void **st)
{
    (void)st;
#if !PT_COUNT_ALLOCS
    skip();
#else
    /* the counter itself works */
    calls = 0;
    armed = 1;
    void *volatile probe = malloc(16);
    free(probe);
    armed = 0;
    assert_int_equal(calls, 2);

    const char *models[] = {"tests/data/nam/wavenet_a1_standard.nam", "tests/data/nam/lstm.nam",
                            "tests/data/nam/v07/a2.nam", "tests/data/nam/v07/wavenet_a2_max.nam"};
    const double rates[] = {48000.0, 44100.0};
    const pt_node_type *t = pt_node_type_find("nam");
    float in[256], out[256];
    for (int i = 0; i < 256; i++) in[i] = 0.3f * (float)((i * 37) % 101) / 101.0f - 0.15f;
    for (int m = 0; m < 4; m++)
        for (int r = 0; r < 2; r++) {
            const char *asset[1] = {tu_src(models[m])};
            pt_node_config cfg = {.id = "amp", .asset = asset};
            pt_error err = {0};
            pt_node *n = pt_node_create(t, &cfg, &err);
            assert_non_null(n);
            assert_int_equal(pt_node_prepare(n, rates[r], 256, 1, &err), 0);
            const float *ip[1] = {in};
            float *op[1] = {out};
            calls = 0;
            armed = 1;
            for (int b = 0; b < 50; b++) {
                t->process(n, ip, op, 1 + (b * 37) % 256);
                if (b == 20) t->reset(n);
                if (b == 30) pt_node_set_param(n, pt_param_index(t, "input_db"), 6.0f);
                if (b == 35) pt_node_set_param(n, pt_param_index(t, "normalize"), 1.0f);
            }
            armed = 0;
            print_message("%s at %g Hz: %d allocator calls in process/reset/set_param\n", models[m],
                          rates[r], calls);
            assert_int_equal(calls, 0);
            pt_node_destroy(n);
        }
#endif
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(no_allocation_on_the_audio_thread),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
