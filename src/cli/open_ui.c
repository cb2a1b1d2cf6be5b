/* open_ui.c — `pytone ui`: open the engine's web UI (served by `pytone run`
 * on 127.0.0.1:PORT) in the default browser with xdg-open (open on macOS).
 * `pytone app`: the native window needs WebKitGTK and is not built; says so. */
#include "open_ui.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define UI_DEFAULT_PORT 8750

static const char *ui_help =
    "usage: pytone ui [--port N] [--print]\n"
    "\n"
    "Open the web UI of a running engine (`pytone run`, which serves it on\n"
    "http://127.0.0.1:8750/ unless given --port N) in the default browser.\n"
    "--print only prints the address.\n";

/* Is anything listening on 127.0.0.1:port? */
static int engine_listening(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return 0;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

int cmd_ui(int argc, char **argv)
{
    int port = UI_DEFAULT_PORT, print_only = 0;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) return fputs(ui_help, stdout), 0;
        if (!strcmp(argv[i], "--print")) {
            print_only = 1;
        } else if (!strcmp(argv[i], "--port") && i + 1 < argc) {
            char *end;
            long p = strtol(argv[++i], &end, 10);
            if (*end || p < 1 || p > 65535) {
                fprintf(stderr, "pytone ui: --port takes 1 to 65535, not '%s'\n", argv[i]);
                return 2;
            }
            port = (int)p;
        } else {
            fprintf(stderr, "pytone ui: unknown option '%s'\n%s", argv[i], ui_help);
            return 2;
        }
    }
    char url[64];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
    if (print_only) return puts(url), 0;
    if (!engine_listening(port))
        fprintf(stderr,
                "pytone ui: no engine is listening on port %d yet; start one with `pytone run` "
                "(the page connects when it is up)\n",
                port);
#ifdef __APPLE__
    const char *opener = "open";
#else
    const char *opener = "xdg-open";
#endif
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        execlp(opener, opener, url, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "pytone ui: could not start a browser with %s; open %s yourself\n", opener, url);
        return 1;
    }
    printf("pytone ui: opened %s\n", url);
    return 0;
}

int cmd_app(int argc, char **argv)
{
    (void)argc, (void)argv;
    fputs("pytone app: the native window needs WebKitGTK and is not built in this version.\n"
          "Use `pytone run` and open the web UI with `pytone ui` (http://127.0.0.1:8750/).\n",
          stderr);
    return 1;
}
