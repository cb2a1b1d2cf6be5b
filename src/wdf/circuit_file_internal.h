/* circuit_file_internal.h — what the circuit file reader's two files share:
 * circuit_file.c reads the document (trees, netlists, stages),
 * circuit_parts.c reads one part (its type, values, tube preset, control). */
#ifndef PT_CIRCUIT_FILE_INTERNAL_H
#define PT_CIRCUIT_FILE_INTERNAL_H

#include <yaml.h>

#include "../rig/yaml_doc.h"
#include "wdf.h"

typedef struct loader {
    pt_ydoc y;
    yaml_document_t doc;
    pt_wdf_desc *d;
    int *uses; /* per part: bit 0 whole, bit 1 segment a, bit 2 segment b */
    yaml_node_t **nodes_at; /* per part: its `nodes:` list (netlist form), or NULL */
} loader;

/* circuit_parts.c */
int pt_cf_parse_value(const char *s, double *out);
int pt_cf_get_value(loader *L, const yaml_node_t *map, const char *key, const char *what,
                     int required, double def, double *out, int positive);
int pt_cf_find_part(const pt_wdf_desc *d, const char *name);
const char *pt_cf_nearest_part(const pt_wdf_desc *d, const char *name);
int pt_cf_parse_part(loader *L, yaml_node_t *key, yaml_node_t *val, pt_wdf_part *p);

#endif
