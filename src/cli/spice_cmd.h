/* spice_cmd.h — `pytone spice` (spice_cmd.c). */
#ifndef PT_CLI_SPICE_CMD_H
#define PT_CLI_SPICE_CMD_H

/* argv after the command name; returns the exit code (0, 1 failed, 2 bad input) */
int cli_spice(int argc, char **argv);

#endif
