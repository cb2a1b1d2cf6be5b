/* spice_export.h — write a circuit file as an ngspice netlist that re-checks
 * the WDF model: the same parts, the same device equations, the same control
 * positions, the same input, and a .control block that writes the DC
 * operating point and the output the way `pytone render` does.
 *
 * The mapping of each part kind to SPICE elements is in docs/circuits.md
 * ("Checking a model in ngspice"); one emitter function per part kind in
 * spice_export.c. */
#ifndef PT_SPICE_EXPORT_H
#define PT_SPICE_EXPORT_H

#include <stdio.h>

#include "wdf.h"

typedef struct pt_spice_opts {
    double ctl[PT_WDF_N_CONTROLS]; /* control positions, 0..1 (the `circuit` node's defaults: 0.5) */
    double rate;                   /* base sample rate, Hz */
    int oversample;                /* 1, 2, 4 or 8: one transient step is 1 / (rate * oversample) */
    int linear_phase;              /* the input upsampled by the linear-phase filters (else minimum) */
    /* The input: a file of "time value" lines (the oversampled input before
     * the circuit's input_scale, which the netlist applies), read by XSPICE's
     * filesource; NULL drives the circuit with 0 V (and AC 1 for `ac`). */
    const char *input_file;
    double seconds;                /* transient length (with an input file) */
    double output_gain;            /* after output_scale (the node's output_gain_db) */
    const char *output_file;       /* wrdata: time and the output, on the step grid */
    int substeps;                  /* the output written this many times a step (0 or 1: once);
                                      the largest step stays one oversampled sample */
    int trtol;                     /* ngspice's truncation-error factor for the transient (0:
                                      XSPICE's, 1, which the input's filesource imposes) */
    const char *op_file;           /* `name value` for every node at the DC operating point */
} pt_spice_opts;

/* Write the netlist to f. Fails (file:line:col of the part) for a part kind
 * that has no SPICE form, and for a description pt_wdf_compile would refuse
 * (callers compile it first for the full diagnosis). */
int pt_spice_export(FILE *f, const pt_wdf_desc *d, const pt_spice_opts *o, pt_error *err);

#endif
