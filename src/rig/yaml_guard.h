/* yaml_guard.h — a bounded first look at YAML text before it is loaded.
 *
 * libyaml's document loader follows aliases by reference (an alias bomb
 * becomes an exponentially large tree for whoever walks it) and recurses
 * per nesting level. This pass reads the event stream iteratively and
 * refuses aliases, nesting deeper than PT_YAML_MAX_DEPTH, more than
 * PT_YAML_MAX_NODES nodes and more than one document — in time and memory
 * linear in the input — with a file:line:col message. */
#ifndef PT_YAML_GUARD_H
#define PT_YAML_GUARD_H

#include <stddef.h>

#include "rig.h"

#define PT_YAML_MAX_DEPTH 64
#define PT_YAML_MAX_NODES 200000

/* 0 when the text may be loaded; otherwise diags has the reason. */
int pt_yaml_precheck(const char *text, size_t len, const char *file, pt_diags *diags);

#endif
