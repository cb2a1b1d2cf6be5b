/* target.h — what the CLI plays: a rig file, or a single model, IR or
 * circuit file wrapped in a one-node rig. */
#ifndef PT_CLI_TARGET_H
#define PT_CLI_TARGET_H

#include "rig/rig.h"

/* Load what `path` names. Problems go to diags (rig files) or err. For a
 * setlist, loads its first rig. Returns NULL on failure. */
pt_rig *cli_load_target(const char *path, pt_diags *diags);
/* Apply --set assignments ("node.param=value", or "param=value" for a
 * one-node rig) to the rig's values. Returns non-zero and fills err if one
 * does not apply. */
int cli_apply_sets(pt_rig *rig, char **sets, int n_sets, pt_error *err);

#endif
