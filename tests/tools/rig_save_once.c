/* rig_save_once.c — load RIG, set one value, save it over OUT; prints the
 * error and exits 1 if the save fails. For fault-injection tests. */
#include <stdio.h>

#include "rig/rig.h"

int main(int argc, char **argv)
{
    if (argc != 3) return 2;
    pt_diags d;
    pt_diags_init(&d);
    pt_rig *rig = pt_rig_load(argv[1], &d);
    if (!rig) return pt_diags_print(&d, stderr), 1;
    pt_rig_node *n = &rig->chain.items[0].node;
    pt_rig_node_set(n, 0, n->type->params[0].min);
    pt_error err = {0};
    if (pt_rig_save(rig, argv[2], &err) != 0) {
        pt_error_print(&err, stderr);
        return 1;
    }
    return 0;
}
