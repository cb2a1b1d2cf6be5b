/* datadir.h — where PyTone FX finds its own files (factory rigs, circuits,
 * IRs, captures, the DI clip, the web UI) and the user's library.
 *
 * The data folder holds rigs/, circuits/, irs/, models/, assets/di/ and
 * ui/dist/ side by side (rigs name their files as ../irs/..., so the layout
 * is the same in the source tree and installed). It is the first of:
 *   $PYTONE_DATA_DIR, then $PT_SOURCE_DIR (the tests' source tree);
 *   <exe>/../share/pytone   an installed pytone (PREFIX/bin/pytone);
 *   <exe>/..                a build folder inside the source tree (build/pytone);
 *   PT_DATA_DIR_DEFAULT     the install prefix's data folder, compiled in;
 *   the current folder;
 * that has assets/di/guitar_di.wav. */
#ifndef PT_DATADIR_H
#define PT_DATADIR_H

#include <stddef.h>

/* The data folder (absolute where found; "." when none is). */
const char *pt_data_dir(void);

/* rel inside the data folder, written to out. Returns 0 if that file or
 * folder exists, -1 if not (out then holds rel as it was given). */
int pt_data_path(const char *rel, char *out, size_t size);

/* 1 if the data folder is an installed copy (not a source tree): its factory
 * rigs are not edited in place. */
int pt_data_installed(void);

/* The user's library, $XDG_DATA_HOME/pytone (default ~/.local/share/pytone),
 * created on first use with rigs/ (the user's, writable) and factory, a link
 * to the data folder (read-only where installed). NULL if there is no home. */
const char *pt_user_dir(void);

#endif
