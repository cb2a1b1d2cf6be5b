/* enospc.c — an LD_PRELOAD shim for fault tests: write() to any file whose
 * name ends in ".tmp" fails with ENOSPC, as on a full disk. Other writes go
 * through. */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

ssize_t write(int fd, const void *buf, size_t n)
{
    static ssize_t (*real)(int, const void *, size_t);
    if (!real) real = (ssize_t(*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
    char link[64], target[4096];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t len = readlink(link, target, sizeof target - 1);
    if (len > 4) {
        target[len] = 0;
        if (!strcmp(target + len - 4, ".tmp")) {
            errno = ENOSPC;
            return -1;
        }
    }
    return real(fd, buf, n);
}
