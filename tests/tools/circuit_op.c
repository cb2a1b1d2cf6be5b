/* circuit_op — print a circuit's DC operating point as found by
 * pt_wdf_operating_point, one "node volts" line per node of its root R-type
 * adaptor, for the end-to-end tests (compared with ngspice's `.op`).
 *
 *   circuit_op CIRCUIT.yaml [RATE] [CONTROL=VALUE ...]
 *
 * Ends with "iterations N" (Newton iterations the solve took). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wdf/wdf.h"

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: circuit_op CIRCUIT.yaml [RATE] [CONTROL=VALUE ...]\n");
        return 2;
    }
    pt_error err = {0};
    pt_wdf_desc *d = NULL;
    if (pt_circuit_load(argv[1], &d, &err) != 0) {
        pt_error_print(&err, stderr);
        return 1;
    }
    double rate = argc > 2 && !strchr(argv[2], '=') ? atof(argv[2]) : 48000.0 * d->oversample;
    pt_wdf_circuit *c = pt_wdf_compile(d, rate, &err);
    if (!c) {
        pt_error_print(&err, stderr);
        return 1;
    }
    for (int i = 2; i < argc; i++) {
        const char *eq = strchr(argv[i], '=');
        if (!eq) continue;
        for (int k = 0; k < PT_WDF_N_CONTROLS; k++)
            if (strlen(pt_wdf_control_names[k]) == (size_t)(eq - argv[i]) &&
                !strncmp(argv[i], pt_wdf_control_names[k], (size_t)(eq - argv[i])))
                pt_wdf_set_control(c, k, atof(eq + 1));
    }
    pt_wdf_update(c);
    int iters = 0;
    if (pt_wdf_operating_point(c, &iters, &err) != 0) {
        pt_error_print(&err, stderr);
        return 1;
    }
    for (int k = 1; k <= pt_wdf_node_count(c); k++)
        printf("%s %.9g\n", pt_wdf_node_name(c, k), pt_wdf_node_voltage(c, pt_wdf_node_name(c, k)));
    printf("iterations %d\n", iters);
    pt_wdf_free(c);
    pt_wdf_desc_free(d);
    return 0;
}
