/* cmocka.h — the part of cmocka's API the unit tests use, for toolchains
 * with no cmocka to link (MinGW-w64 here: `make test-windows`). Written for
 * this project: each test runs in a setjmp frame; a failed assertion prints
 * file:line and what differed, and jumps back; the group's return value is
 * the number of failed tests, as cmocka's is. Native and arm64 builds link
 * the real cmocka. */
#ifndef PT_CMOCKA_SHIM_H
#define PT_CMOCKA_SHIM_H

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef void (*CMUnitTestFunction)(void **state);
typedef int (*CMFixtureFunction)(void **state);
struct CMUnitTest {
    const char *name;
    CMUnitTestFunction test_func;
    CMFixtureFunction setup_func;
    CMFixtureFunction teardown_func;
    void *initial_state;
};

#define cmocka_unit_test(f) {#f, f, NULL, NULL, NULL}
#define cmocka_unit_test_setup_teardown(f, s, t) {#f, f, s, t, NULL}

extern jmp_buf pt_shim_jump;
void pt_shim_fail(const char *file, int line, const char *fmt, ...);
int pt_shim_run(const char *group, const struct CMUnitTest *tests, size_t n, CMFixtureFunction setup,
                CMFixtureFunction teardown);
void print_message(const char *fmt, ...);
void print_error(const char *fmt, ...);

#define cmocka_run_group_tests_name(name, t, s, td) pt_shim_run(name, t, sizeof(t) / sizeof((t)[0]), s, td)
#define cmocka_run_group_tests(t, s, td) pt_shim_run(#t, t, sizeof(t) / sizeof((t)[0]), s, td)

#define fail() pt_shim_fail(__FILE__, __LINE__, "fail()")
#define fail_msg(...) pt_shim_fail(__FILE__, __LINE__, __VA_ARGS__)
#define skip() pt_shim_fail(__FILE__, __LINE__, "skipped")
#define assert_true(c) \
    do { if (!(c)) pt_shim_fail(__FILE__, __LINE__, "%s is false", #c); } while (0)
#define assert_false(c) \
    do { if (c) pt_shim_fail(__FILE__, __LINE__, "%s is true", #c); } while (0)
#define assert_non_null(p) \
    do { if ((p) == NULL) pt_shim_fail(__FILE__, __LINE__, "%s is NULL", #p); } while (0)
#define assert_null(p) \
    do { if ((p) != NULL) pt_shim_fail(__FILE__, __LINE__, "%s is not NULL", #p); } while (0)
#define assert_int_equal(a, b)                                                                       \
    do {                                                                                             \
        intmax_t a_ = (intmax_t)(a), b_ = (intmax_t)(b);                                             \
        if (a_ != b_) pt_shim_fail(__FILE__, __LINE__, "%jd != %jd (%s, %s)", a_, b_, #a, #b);       \
    } while (0)
#define assert_int_not_equal(a, b)                                                                   \
    do {                                                                                             \
        intmax_t a_ = (intmax_t)(a), b_ = (intmax_t)(b);                                             \
        if (a_ == b_) pt_shim_fail(__FILE__, __LINE__, "%jd == %jd (%s, %s)", a_, b_, #a, #b);       \
    } while (0)
#define assert_ptr_equal(a, b)                                                                       \
    do { if ((const void *)(a) != (const void *)(b))                                                 \
            pt_shim_fail(__FILE__, __LINE__, "%s != %s", #a, #b); } while (0)
#define assert_float_equal(a, b, eps)                                                                \
    do {                                                                                             \
        double a_ = (double)(a), b_ = (double)(b);                                                   \
        if (!(fabs(a_ - b_) <= (double)(eps)))                                                       \
            pt_shim_fail(__FILE__, __LINE__, "%.9g != %.9g within %g (%s, %s)", a_, b_, (double)(eps), #a, #b); \
    } while (0)
#define assert_string_equal(a, b)                                                                    \
    do {                                                                                             \
        const char *a_ = (a), *b_ = (b);                                                             \
        if (!a_ || !b_ || strcmp(a_, b_))                                                            \
            pt_shim_fail(__FILE__, __LINE__, "\"%s\" != \"%s\"", a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
    } while (0)
#define assert_memory_equal(a, b, n)                                                                 \
    do { if (memcmp((a), (b), (n))) pt_shim_fail(__FILE__, __LINE__, "%s and %s differ", #a, #b); } while (0)

#endif
