/* platform_posix.c — what Linux and macOS do alike (platform.h). */
#if !defined(_WIN32)

#include "platform_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
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

#else
typedef int pt_platform_posix_unused; /* ISO C wants something in a file */
#endif
