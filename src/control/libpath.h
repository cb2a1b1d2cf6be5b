/* libpath.h — where the rig library's files are, and how they are opened,
 * moved and listed, for every path that did not come from the local user's
 * own command line: the network (control protocol, imports), rigs loaded
 * through it, and the setlists among them.
 *
 * The rule (docs/control-protocol.md, "Paths"):
 *   - a path is decided by where it *resolves* (every link followed), never
 *     by its spelling: it must land inside the library folder;
 *   - assets named by a rig loaded over the network (or imported) must
 *     resolve inside the library or one of the factory folders the engine
 *     ships (irs/, models/, circuits/, assets/ beside the program); a refusal
 *     reads the same whether the outside file exists or not;
 *   - only regular files and folders are used: FIFOs, devices and sockets
 *     are refused before they are opened (a read of /dev/zero or a FIFO
 *     would never end);
 *   - names are created and moved relative to the library's folder
 *     descriptor (openat, renameat2 with RENAME_NOREPLACE, O_NOFOLLOW,
 *     O_EXCL), so a link planted at a name is replaced or refused, never
 *     followed; a link in the library is moved or removed as a link, its
 *     target untouched; the trash must be a real folder.
 * A rig given on the command line by the local user may name any file: that
 * is the user's own choice (its hot reloads and setlist slots likewise).
 *
 * Control threads only. */
#ifndef PT_LIBPATH_H
#define PT_LIBPATH_H

#include <stdbool.h>
#include <stddef.h>

#include "../core/error.h"

#define PT_LIB_TRASH ".trash"

typedef enum pt_lib_use {
    PT_LIB_READ,   /* an existing file, resolved: out is its real path */
    PT_LIB_CREATE, /* a name to write: its folder resolved, the name not followed;
                      what is there may be a regular file or a link inside */
    PT_LIB_ENTRY,  /* an existing name to move or remove as it is: its folder
                      resolved, the name itself not followed (a link stays a link,
                      and must lead inside) */
} pt_lib_use;

/* Confine a relative path from the network to the library: relative, no
 * '.', '..', empty or hidden components, no control characters, one of
 * exts (NULL-terminated; NULL: .yaml/.yml), and resolved inside the
 * library. Writes the absolute path to out. */
int pt_lib_confine(const char *library, const char *rel, const char *const *exts, pt_lib_use use,
                   char *out, size_t out_size, pt_error *err);

/* Where a rig loaded on the network's behalf may take its assets from: the
 * library and the factory folders. */
typedef struct pt_lib_roots pt_lib_roots;
pt_lib_roots *pt_lib_roots_create(const char *library);
void pt_lib_roots_free(pt_lib_roots *r);
/* true when path resolves to a regular file inside one of the roots (the
 * signature of pt_rig_confine.allows). */
bool pt_lib_roots_allow(const void *roots, const char *path);

/* The library's rig files, moved without following links. Each fills err
 * with a message that names the file. */
int pt_lib_rename(const char *library, const char *from_rel, const char *to_rel, char *from_out,
                  char *to_out, size_t size, pt_error *err);
/* Move `rel` into .trash (a number added when the name is taken there);
 * a link goes as a link. */
int pt_lib_trash(const char *library, const char *rel, pt_error *err);
/* Move .trash/name back into the library (a leading "N-" dropped); writes
 * the restored name to out. */
int pt_lib_restore(const char *library, const char *name, char *out, size_t size, pt_error *err);
/* Calls fn for every regular file in .trash (none when .trash is missing or
 * is not a real folder). */
int pt_lib_list_trash(const char *library, void (*fn)(void *user, const char *name, long mtime),
                      void *user);

/* A file in the library's own folder that list_rigs may read: a regular
 * file, or a link that resolves to one inside the library; of at most
 * max_bytes. Writes the path to read (resolved) to out. */
bool pt_lib_listable(const char *library, const char *name, long long max_bytes, char *out,
                     size_t size);

#endif
