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

/* Levenshtein distance, for "did you mean". */
static int distance(const char *a, const char *b)
{
    int la = (int)strlen(a), lb = (int)strlen(b);
    if (la > 63 || lb > 63) return 1 << 20;
    int row[64];
    for (int j = 0; j <= lb; j++) row[j] = j;
    for (int i = 1; i <= la; i++) {
        int prev = row[0];
        row[0] = i;
        for (int j = 1; j <= lb; j++) {
            int cur = row[j];
            int sub = prev + (a[i - 1] != b[j - 1]);
            int best = row[j] + 1 < row[j - 1] + 1 ? row[j] + 1 : row[j - 1] + 1;
            row[j] = sub < best ? sub : best;
            prev = cur;
        }
    }
    return row[lb];
}

const char *pt_node_type_nearest(const char *name)
{
    const char *best = NULL;
    int best_d = 1 << 20;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        int d = distance(name, types[i]->name);
        if (d < best_d) best_d = d, best = types[i]->name;
    }
    return best;
}
