/* testutil_core.c — the one helper of tests/unit/testutil.c that needs no
 * node registry (and so none of the file libraries): for the core-only
 * builds (`make test-windows`). */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>

const char *tu_src(const char *rel)
{
    static char buf[4][1024];
    static int k;
    const char *root = getenv("PT_SOURCE_DIR");
    char *b = buf[k++ % 4];
    snprintf(b, sizeof buf[0], "%s/%s", root && root[0] ? root : ".", rel);
    return b;
}
