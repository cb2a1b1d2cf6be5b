/* library.h — the library as the web UI browses it: the user's files in the
 * rig library and the factory's captures, IRs and circuits beside it.
 *
 * The factory rigs name their files as "../irs/…", "../models/…" and
 * "../circuits/…" (folders next to the rig library), so those files are
 * listed, and accepted by set_asset, add_node and asset_info, under exactly
 * those paths: a rig saved in the library then refers to them the same way.
 * Nothing else outside the library is reachable. Control threads only.
 */
#ifndef PT_LIBRARY_H
#define PT_LIBRARY_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>

#include "../core/error.h"

#define PT_LIBRARY_MAX_FILES 2000 /* listed at most, user and factory together */

/* True when `rel` names a factory file ("../irs/…", "../models/…",
 * "../circuits/…"); such a path is checked with pt_library_factory_path. */
bool pt_library_is_factory(const char *rel);

/* The absolute path of the factory file `rel` beside `library`: the folder
 * must be one of irs, models, circuits; every later component a plain name
 * (no "", ".", "..", hidden names, backslashes or control characters); the
 * name must end in a capture, IR or circuit ending; the file must exist,
 * be a regular file and (links resolved) stay inside that factory folder.
 * 0, or an error naming `rel` and the problem. */
int pt_library_factory_path(const char *library, const char *rel, char *out, size_t out_size,
                            pt_error *err);

/* Factory rigs beside a user library (installed: the user's folder holds
 * rigs/, the library, and factory/, a link to the installed data): the page
 * names them "../factory/rigs/NAME.yaml" and may load or copy them, never
 * write them. */
#define PT_LIBRARY_FACTORY_RIGS "../factory/rigs/"
bool pt_library_is_factory_rig(const char *rel);

/* The folder of factory rigs beside `library`, resolved; false when there is
 * none or it is the library itself (playing from the source tree). */
bool pt_library_factory_rigs_dir(const char *library, char *out, size_t out_size);

/* The absolute path of factory rig `rel` ("../factory/rigs/NAME.yaml": one
 * plain name, a rig ending, a regular file of rig size inside that folder).
 * 0, or an error naming `rel` and the problem. */
int pt_library_factory_rig(const char *library, const char *rel, char *out, size_t out_size,
                           pt_error *err);

/* Append to `out` (a JSON array) the library's files of kind `want` ("rig",
 * "nam", "ir", "circuit"; NULL: all four) as {path, kind, bytes, factory}:
 * the user's (paths relative to the library, four folders deep at most;
 * hidden files, the trash and symbolic links left out) then the factory's
 * (paths "../irs/…" and so on), each group sorted by path. */
void pt_library_list(const char *library, const char *want, cJSON *out);

#endif
