/* regfile.h — open a file for reading only when it is a regular file.
 *
 * Every loader of user files (rigs, setlists, circuits, models, impulse
 * responses) goes through this: a FIFO, device or socket under a file's
 * name is refused at once, without waiting for a writer (a FIFO) or reading
 * forever (/dev/zero). Control threads only. */
#ifndef PT_REGFILE_H
#define PT_REGFILE_H

#include <stdio.h>

/* The file opened for reading ("rb"), or NULL with errno set: EINVAL when
 * it is not a regular file, EFBIG when it holds more than max_bytes
 * (max_bytes <= 0: no limit). */
FILE *pt_fopen_regular(const char *path, long long max_bytes);

#endif
