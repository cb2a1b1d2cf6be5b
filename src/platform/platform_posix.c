/* platform_posix.c — what Linux and macOS do alike (platform.h). */
#if !defined(_WIN32)

#include "platform_internal.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

bool pt_posix_run_quiet(const char *program, const char *arg, char *why, size_t why_size)
{
    fflush(NULL);
    /* posix_spawn, not fork: a running engine's (possibly locked) memory is
     * not copied. The opener's own complaints (xdg-open lists every method it
     * tried) would bury the one line that matters: they go to /dev/null. */
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    char *args[] = {(char *)program, (char *)arg, NULL};
    pid_t pid = -1;
    int e = posix_spawnp(&pid, program, &fa, NULL, args, environ);
    posix_spawn_file_actions_destroy(&fa);
    int status = 0;
    if (e != 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        if (why)
            snprintf(why, why_size, "%s %s", program,
                     e == ENOENT || (e == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 127)
                         ? "is not installed"
                         : "found none");
        return false;
    }
    return true;
}

bool pt_posix_home_folder(const char *var, const char *fallback, const char *sub, char *out,
                          size_t size)
{
    const char *v = var ? getenv(var) : NULL, *home = getenv("HOME");
    int n;
    if (v && v[0] == '/') n = snprintf(out, size, "%s/%s", v, sub);
    else if (home && home[0]) n = snprintf(out, size, "%s/%s/%s", home, fallback, sub);
    else return false;
    return n > 0 && (size_t)n < size;
}

void *pt_aligned_alloc(size_t align, size_t bytes)
{
    /* C11 wants a size that is a multiple of the alignment */
    return aligned_alloc(align, (bytes + align - 1) / align * align);
}

void pt_aligned_free(void *p) { free(p); }

int pt_mkdir(const char *path) { return mkdir(path, 0755); }

int pt_open_regular(const char *path, long long max_bytes)
{
    /* O_NONBLOCK: opening a FIFO for reading would wait for a writer */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) return -1;
    struct stat st;
    int why = 0;
    if (fstat(fd, &st) != 0) why = errno;
    else if (!S_ISREG(st.st_mode)) why = EINVAL;
    else if (max_bytes > 0 && (long long)st.st_size > max_bytes) why = EFBIG;
    else if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) != 0) why = errno;
    if (why) {
        close(fd);
        errno = why;
        return -1;
    }
    return fd;
}

void *pt_lib_open(const char *name, char *why, size_t why_size)
{
    void *h = dlopen(name, RTLD_NOW | RTLD_LOCAL);
    if (!h && why) snprintf(why, why_size, "%s", dlerror());
    return h;
}

void *pt_lib_symbol(void *lib, const char *symbol, char *why, size_t why_size)
{
    dlerror(); /* a symbol may be NULL by right; dlerror tells */
    void *p = dlsym(lib, symbol);
    const char *e = p ? NULL : dlerror();
    if (!p && why) snprintf(why, why_size, "%s: %s", symbol, e ? e : "is NULL");
    return p;
}

void pt_lib_close(void *lib)
{
    if (lib) dlclose(lib);
}

#else
typedef int pt_platform_posix_unused; /* ISO C wants something in a file */
#endif
