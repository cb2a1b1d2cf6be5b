/* save_loop.c — save a rig again and again, changing a value each time,
 * until killed. For the test that SIGKILLs it mid-save and checks that the
 * file on disk always loads. Usage: save_loop RIG OUT */
#include <stdio.h>

#include "rig/rig.h"

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: save_loop RIG OUT\n");
        return 2;
    }
    pt_diags d;
    pt_diags_init(&d);
    pt_rig *rig = pt_rig_load(argv[1], &d);
    if (!rig) {
        pt_diags_print(&d, stderr);
        return 1;
    }
    pt_rig_node *n = rig->chain.n && !rig->chain.items[0].is_split ? &rig->chain.items[0].node : NULL;
    for (unsigned long i = 0;; i++) {
        if (n && n->type->n_params) {
            const pt_param_def *p = &n->type->params[0];
            pt_rig_node_set(n, 0, p->min + (p->max - p->min) * (float)(i % 100) / 100.0f);
        }
        pt_error err = {0};
        if (pt_rig_save(rig, argv[2], &err) != 0) {
            pt_error_print(&err, stderr);
            return 1;
        }
        if (i == 0) {
            fputs("saving\n", stdout);
            fflush(stdout);
        }
    }
}
