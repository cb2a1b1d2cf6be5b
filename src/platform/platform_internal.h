/* platform_internal.h — what the POSIX platform files share (platform_posix.c). */
#ifndef PT_PLATFORM_INTERNAL_H
#define PT_PLATFORM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

/* Run `program arg` with its output sent to /dev/null and wait for it.
 * true when it exited 0; otherwise false with why filled. */
bool pt_posix_run_quiet(const char *program, const char *arg, char *why, size_t why_size);

/* $VAR/sub when VAR is set to an absolute path, else $HOME/fallback/sub.
 * false when neither is usable. */
bool pt_posix_home_folder(const char *var, const char *fallback, const char *sub, char *out,
                          size_t size);

#endif
