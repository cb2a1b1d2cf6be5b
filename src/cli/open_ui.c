/* open_ui.c — `pytone ui`: open the engine's web UI (served by `pytone run`
 * on 127.0.0.1:PORT) in the default browser (platform.h: xdg-open, open,
 * ShellExecute).
 * `pytone app`: the same UI in a native window (pytone-window: app_webkit.c
 * with WebKitGTK on Linux, app_wkwebview.m with WKWebView on macOS). It
 * attaches to an engine already answering on --port, or starts one as
 * `pytone run` would and stops it when the window closes; built without a
 * window (Linux without WebKitGTK's package) it
 * opens the UI in the default browser instead. */
#include "open_ui.h"
#include "platform/platform.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <time.h>
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
    int listening = engine_listening(port);
    const char *later = listening ? "" : "; no engine is listening there yet: start one with `pytone run` "
                                         "(the page connects when it is up)";
    char why[160];
    if (!pt_open_url(url, why, sizeof why)) {
        fprintf(stderr, "pytone ui: no browser could be started (%s); open %s in one yourself%s\n", why,
                url, later);
        return 1;
    }
    printf("pytone ui: opened %s%s\n", url, later);
    return 0;
}

static const char *app_help =
    "usage: pytone app [RIG] [pytone run's options] [--port N]\n"
    "       pytone app --attach [--port N]\n"
    "\n"
    "The web UI in a window of its own (WebKitGTK on Linux, WKWebView on macOS)\ninstead of a browser tab.\n"
    "When an engine already answers on 127.0.0.1:N (default 8750), or with\n"
    "--attach, the window opens onto it and closing the window leaves it running.\n"
    "Otherwise pytone app starts the engine as `pytone run RIG ...` would, with the\n"
    "same options (its server is always on), opens the window on it, and stops the\n"
    "engine cleanly when the window is closed (exit code 0, the stats line printed);\n"
    "Ctrl-C or SIGTERM closes both. On Linux it needs a display (X11 or Wayland).\n"
    "Window keys: Ctrl+Q or Ctrl+W closes, F11 full screen, Ctrl+plus/minus/0 zoom\n"
    "(macOS: Cmd+Q or Cmd+W, Ctrl+Cmd+F, Cmd+plus/minus/0).\n";

/* --port, --attach and how many of the other arguments there are (the
 * engine's); 0, or the exit code (2) after a message. */
static int app_args(int argc, char **argv, int *port, int *attach, int *engine_args)
{
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--attach")) {
            *attach = 1;
        } else if (!strcmp(a, "--port") || !strncmp(a, "--port=", 7)) {
            const char *v = a[6] == '=' ? a + 7 : (i + 1 < argc ? argv[++i] : "");
            char *end;
            long p = strtol(v, &end, 10);
            if (!v[0] || *end || p < 1 || p > 65535) {
                fprintf(stderr, "pytone app: --port takes 1 to 65535, not '%s'\n", v);
                return 2;
            }
            *port = (int)p;
        } else {
            (*engine_args)++;
        }
    }
    if (*attach && *engine_args) {
        fputs("pytone app: --attach takes only --port (the running engine keeps its rig and options)\n", stderr);
        return 2;
    }
    return 0;
}

/* `pytone app` onto an engine that is (or, with --attach, should be) there:
 * the exit code when it cannot be (none answers; engine options given where
 * one already answers), -1 when the UI (`what`) may open onto it. */
static int attach_refused(int port, int listening, int engine_args, const char *what)
{
    if (!listening) {
        fprintf(stderr, "pytone app: no engine answers on port %d; start one with `pytone run "
                        "--port %d`, or run `pytone app` without --attach to start one\n", port, port);
        return 1;
    }
    if (engine_args) {
        fprintf(stderr, "pytone app: something already answers on port %d, so no engine can be started "
                        "there.\n`pytone app --port %d` alone opens %s onto it; or choose "
                        "another --port.\n", port, port, what);
        return 2;
    }
    return -1;
}

/* The UI of the engine on port in the default browser: where this build has
 * no window, or its window program could not be started. */
int app_open_browser(int port)
{
    char url[64], why[160];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/", port);
    if (!pt_open_url(url, why, sizeof why)) {
        fprintf(stderr, "pytone app: no browser could be started (%s); open %s in one yourself\n", why, url);
        return 0;
    }
    fprintf(stderr, "pytone app: opened %s in the default browser\n", url);
    return 1;
}

#ifndef PT_HAVE_WEBKIT

/* Built without the native window (Linux without WebKitGTK's package, or
 * PT_WEBKIT=OFF): the same engine, the UI in the default browser. */
int cmd_app(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(app_help, stdout);
            fputs("\nThis build has no window (WebKitGTK not found; on Linux: apt install "
                  "libwebkit2gtk-4.1-dev):\npytone app opens the UI in the default browser instead, "
                  "and Ctrl-C stops the engine.\n", stdout);
            return 0;
        }
    int port = UI_DEFAULT_PORT, attach = 0, engine_args = 0;
    int rc = app_args(argc, argv, &port, &attach, &engine_args);
    if (rc) return rc;
    int listening = engine_listening(port);
    if (attach || listening) {
        if ((rc = attach_refused(port, listening, engine_args, "the UI")) >= 0) return rc;
        return app_open_browser(port) ? 0 : 1;
    }
    fputs("pytone app: this build has no window of its own; the UI opens in the default browser\n", stderr);
    return cli_run("app", argc, argv, 1);
}

#else

extern char **environ;

/* pytone-window next to this program (build/ or the install's bin/), else
 * on PATH. */
static void window_program(char *out, size_t size)
{
    char exe[4096];
    if (pt_exe_path(exe, sizeof exe)) {
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            snprintf(out, size, "%s/pytone-window", exe);
            if (access(out, X_OK) == 0) return;
        }
    }
    snprintf(out, size, "pytone-window");
}

pid_t app_window_spawn(int port)
{
    char prog[4200], port_text[16], pid_text[24];
    window_program(prog, sizeof prog);
    snprintf(port_text, sizeof port_text, "%d", port);
    snprintf(pid_text, sizeof pid_text, "%ld", (long)getpid());
    char *args[] = {prog, "--port", port_text, "--engine-pid", pid_text, NULL};
    pid_t pid;
    fflush(NULL);
    /* posix_spawn: no copy of the engine's (possibly locked) memory, and the
     * child is a fresh program, not a fork of a process with threads */
    int e = posix_spawnp(&pid, prog, NULL, NULL, args, environ);
    if (e != 0) {
        fprintf(stderr, "pytone app: cannot start %s: %s\n", prog, strerror(e));
        return -1;
    }
    return pid;
}

int app_window_exited(pid_t pid, int *exit_code)
{
    int status;
    if (waitpid(pid, &status, WNOHANG) != pid) return 0;
    *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 1;
    return 1;
}

/* Ask the window to close (it treats SIGTERM as its close button); after 5 s
 * it is killed. */
void app_window_close(pid_t pid)
{
    int code;
    kill(pid, SIGTERM);
    for (int i = 0; i < 250; i++) {
        if (app_window_exited(pid, &code)) return;
        struct timespec ts = {0, 20 * 1000000L};
        nanosleep(&ts, NULL);
    }
    fprintf(stderr, "pytone app: the window did not close within 5 s; killing it\n");
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

int cmd_app(int argc, char **argv)
{
    int port = UI_DEFAULT_PORT, attach = 0, engine_args = 0;
    for (int i = 0; i < argc; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            fputs(app_help, stdout);
            fputs("\nThis build has the window (pytone-window, " PT_WINDOW_KIND ").\n", stdout);
            return 0;
        }
    int rc = app_args(argc, argv, &port, &attach, &engine_args);
    if (rc) return rc;
    char why[160];
    if (!pt_desktop_present(why, sizeof why)) {
        fprintf(stderr, "pytone app: %s, so no window can open.\nWithout one, run the engine with "
                        "`pytone run` and open http://127.0.0.1:%d/ from a browser elsewhere "
                        "(`pytone ui`).\n", why, port);
        return 1;
    }
    int listening = engine_listening(port);
    if (attach || listening) {
        if ((rc = attach_refused(port, listening, engine_args, "a window")) >= 0) return rc;
        fprintf(stderr, "pytone app: opening the engine on http://127.0.0.1:%d/ (closing the window "
                        "leaves it running)\n", port);
        /* this process becomes the window: SIGTERM and Ctrl-C reach it */
        char prog[4200], port_text[16];
        window_program(prog, sizeof prog);
        snprintf(port_text, sizeof port_text, "%d", port);
        char *args[] = {prog, "--port", port_text, NULL};
        fflush(NULL);
        execvp(prog, args);
        fprintf(stderr, "pytone app: cannot start %s: %s\n", prog, strerror(errno));
        return 1;
    }
    return cli_run("app", argc, argv, 1);
}

#endif
