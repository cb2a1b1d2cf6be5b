/* yaml_guard.c — see yaml_guard.h. */
#include "yaml_guard.h"

#include <yaml.h>

int pt_yaml_precheck(const char *text, size_t len, const char *file, pt_diags *diags)
{
    yaml_parser_t p;
    yaml_event_t ev;
    yaml_parser_initialize(&p);
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    int depth = 0, docs = 0, rc = 0;
    long nodes = 0;
    for (;;) {
        if (!yaml_parser_parse(&p, &ev)) {
            pt_diags_add(diags, file, (int)p.problem_mark.line + 1, (int)p.problem_mark.column + 1,
                         "YAML: %s%s%s", p.problem ? p.problem : "syntax error",
                         p.context ? " " : "", p.context ? p.context : "");
            rc = -1;
            break;
        }
        int line = (int)ev.start_mark.line + 1, col = (int)ev.start_mark.column + 1;
        yaml_event_type_t t = ev.type;
        if (t == YAML_ALIAS_EVENT) {
            pt_diags_add(diags, file, line, col, "YAML aliases (*name) are not allowed here");
            rc = -1;
        } else if (t == YAML_DOCUMENT_START_EVENT && ++docs > 1) {
            pt_diags_add(diags, file, line, col, "only one YAML document is allowed (found a second '---')");
            rc = -1;
        } else if (t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT) {
            if (++depth > PT_YAML_MAX_DEPTH) {
                pt_diags_add(diags, file, line, col, "nested more than %d levels deep", PT_YAML_MAX_DEPTH);
                rc = -1;
            }
        } else if (t == YAML_SEQUENCE_END_EVENT || t == YAML_MAPPING_END_EVENT) {
            depth--;
        }
        if (t == YAML_SCALAR_EVENT || t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT) {
            if (++nodes > PT_YAML_MAX_NODES) {
                pt_diags_add(diags, file, line, col, "more than %d values: too large", PT_YAML_MAX_NODES);
                rc = -1;
            }
        }
        yaml_event_delete(&ev);
        if (rc || t == YAML_STREAM_END_EVENT) break;
    }
    yaml_parser_delete(&p);
    return rc;
}
