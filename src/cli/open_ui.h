/* open_ui.h — `pytone ui` (open the web UI in the default browser) and
 * `pytone app` (the native window, not built). */
#ifndef PT_CLI_OPEN_UI_H
#define PT_CLI_OPEN_UI_H

int cmd_ui(int argc, char **argv);
int cmd_app(int argc, char **argv);

#endif
