/* registry.c — every node type the engine knows. Adding a type: write its
 * file in this folder and add one line to list.h. */
#include <string.h>

#include "../core/node.h"

#define PT_NODE(name) extern const pt_node_type pt_node_##name;
#include "list.h"
#undef PT_NODE

static const pt_node_type *const types[] = {
#define PT_NODE(name) &pt_node_##name,
#include "list.h"
#undef PT_NODE
};

const pt_node_type *const *pt_node_types(int *count)
{
    *count = (int)(sizeof types / sizeof types[0]);
    return types;
}

const pt_node_type *pt_node_type_find(const char *name)
{
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(types[i]->name, name) == 0) return types[i];
    return NULL;
}

const char *pt_node_type_nearest(const char *name)
{
    const char *best = NULL;
    int best_d = 1 << 20;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        int d = pt_edit_distance(name, types[i]->name); /* "Drive" finds "drive" */
        if (d < best_d) best_d = d, best = types[i]->name;
    }
    return best;
}
