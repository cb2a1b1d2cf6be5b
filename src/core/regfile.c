/* regfile.c — see regfile.h. */
#include "regfile.h"

#include <errno.h>
#include <unistd.h>

#include "platform/platform.h"

FILE *pt_fopen_regular(const char *path, long long max_bytes)
{
    /* the platform layer opens it without waiting on a FIFO's writer and
     * checks that it is a regular file of the size allowed */
    int fd = pt_open_regular(path, max_bytes);
    if (fd < 0) return NULL;
    FILE *f = fdopen(fd, "rb");
    if (!f) {
        int why = errno;
        close(fd);
        errno = why;
    }
    return f;
}
