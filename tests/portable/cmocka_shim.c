/* cmocka_shim.c — see cmocka.h in this folder. */
#include "cmocka.h"

#include <stdlib.h>

jmp_buf pt_shim_jump;
static int failed_here;

void pt_shim_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s:%d: ", file, line);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    failed_here = 1;
    longjmp(pt_shim_jump, 1);
}

void print_message(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    fflush(stdout);
}

void print_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

int pt_shim_run(const char *group, const struct CMUnitTest *tests, size_t n, CMFixtureFunction setup,
                CMFixtureFunction teardown)
{
    void *group_state = NULL;
    if (setup && setup(&group_state) != 0) {
        printf("[  ERROR   ] %s: group setup failed\n", group);
        return (int)n;
    }
    int failed = 0;
    printf("[==========] %s: running %zu test(s).\n", group, n);
    for (size_t i = 0; i < n; i++) {
        void *state = tests[i].initial_state ? tests[i].initial_state : group_state;
        printf("[ RUN      ] %s\n", tests[i].name);
        fflush(stdout);
        failed_here = 0;
        if (tests[i].setup_func && tests[i].setup_func(&state) != 0) failed_here = 1;
        else if (setjmp(pt_shim_jump) == 0) tests[i].test_func(&state);
        if (tests[i].teardown_func) tests[i].teardown_func(&state);
        printf(failed_here ? "[  FAILED  ] %s\n" : "[       OK ] %s\n", tests[i].name);
        failed += failed_here;
    }
    if (teardown) teardown(&group_state);
    printf("[==========] %s: %zu test(s) run, %d failed.\n", group, n, failed);
    fflush(stdout);
    return failed;
}
