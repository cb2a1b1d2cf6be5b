/* train_cmd.h — `pytone capture-signal` and `pytone train` (train_cmd.c). */
#ifndef PT_CLI_TRAIN_CMD_H
#define PT_CLI_TRAIN_CMD_H

/* argv after the command name; return the exit code (0, 1 failed, 2 bad input) */
int cli_capture_signal(int argc, char **argv);
int cli_train(int argc, char **argv);
/* hidden, for tests: the loss gradient of a .nam WaveNet on a batch */
int cli_train_grad(int argc, char **argv);

#endif
