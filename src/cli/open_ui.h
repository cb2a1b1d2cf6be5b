/* open_ui.h — `pytone ui` (open the web UI in the default browser) and
 * `pytone app` (the web UI in a native window: WebKitGTK on Linux, WKWebView on macOS). */
#ifndef PT_CLI_OPEN_UI_H
#define PT_CLI_OPEN_UI_H

#include <sys/types.h>

int cmd_ui(int argc, char **argv);
int cmd_app(int argc, char **argv);

/* main.c: `pytone run`; with app set, `pytone app`'s engine, which starts
 * the window once it plays and stops when the window closes. */
int cli_run(const char *cmd, int argc, char **argv, int app);

/* Open the UI of the engine on port in the default browser (builds without
 * a window, or when the window program cannot start); 1 when a browser was
 * started. */
int app_open_browser(int port);

/* The window process (pytone-window); only with PT_HAVE_WEBKIT. */
pid_t app_window_spawn(int port);                 /* -1 when it cannot start */
int app_window_exited(pid_t pid, int *exit_code); /* 1 once it has ended */
void app_window_close(pid_t pid);                 /* SIGTERM, then SIGKILL after 5 s */

#endif
