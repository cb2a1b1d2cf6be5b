/* regfile.c — see regfile.h. */
#include "regfile.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

FILE *pt_fopen_regular(const char *path, long long max_bytes)
{
    /* O_NONBLOCK: opening a FIFO for reading would wait for a writer */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return NULL;
    struct stat st;
    int why = 0;
    if (fstat(fd, &st) != 0) why = errno;
    else if (!S_ISREG(st.st_mode)) why = EINVAL;
    else if (max_bytes > 0 && (long long)st.st_size > max_bytes) why = EFBIG;
    FILE *f = NULL;
    if (!why) {
        fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
        f = fdopen(fd, "rb");
        if (!f) why = errno;
    }
    if (!f) {
        close(fd);
        errno = why;
    }
    return f;
}
