/* capture_cmd.h — `pytone capture` (capture_cmd.c). */
#ifndef PT_CLI_CAPTURE_CMD_H
#define PT_CLI_CAPTURE_CMD_H

/* argv after the command name; returns the exit code (0, 1 failed, 2 refused / bad input) */
int cli_capture(int argc, char **argv);

#endif
