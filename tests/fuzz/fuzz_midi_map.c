/* fuzz_midi_map.c — the `midi:` mapping parser (setlist and global files)
 * on arbitrary text: never crashes; a map it accepts is written back and
 * read again to the same number of mappings. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "midi/mapping.h"

static int write_cb(void *data, unsigned char *buf, size_t size)
{
    char **s = data;
    size_t have = *s ? strlen(*s) : 0;
    char *n = realloc(*s, have + size + 1);
    if (!n) return 0;
    memcpy(n + have, buf, size);
    n[have + size] = 0;
    *s = n;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pt_diags d;
    pt_diags_init(&d);
    pt_midi_map *m = pt_midi_map_load_string((const char *)data, size, "fuzz.yaml", &d);
    if (m) {
        yaml_emitter_t em;
        char *text = NULL;
        yaml_emitter_initialize(&em);
        yaml_emitter_set_output(&em, write_cb, &text);
        yaml_event_t e;
        yaml_stream_start_event_initialize(&e, YAML_UTF8_ENCODING);
        yaml_emitter_emit(&em, &e);
        yaml_document_start_event_initialize(&e, NULL, NULL, NULL, 1);
        yaml_emitter_emit(&em, &e);
        yaml_mapping_start_event_initialize(&e, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
        yaml_emitter_emit(&em, &e);
        yaml_scalar_event_initialize(&e, NULL, NULL, (yaml_char_t *)"midi", 4, 1, 1, YAML_ANY_SCALAR_STYLE);
        yaml_emitter_emit(&em, &e);
        int ok = pt_midi_map_emit(m, &em) == 0;
        yaml_mapping_end_event_initialize(&e);
        ok = ok && yaml_emitter_emit(&em, &e);
        yaml_document_end_event_initialize(&e, 1);
        ok = ok && yaml_emitter_emit(&em, &e);
        yaml_stream_end_event_initialize(&e);
        ok = ok && yaml_emitter_emit(&em, &e);
        yaml_emitter_delete(&em);
        if (ok && text) {
            pt_diags d2;
            pt_diags_init(&d2);
            pt_midi_map *back = pt_midi_map_load_string(text, strlen(text), "again.yaml", &d2);
            if (!back || back->n != m->n) abort();
            pt_midi_map_free(back);
            pt_diags_free(&d2);
        }
        free(text);
        pt_midi_map_free(m);
    }
    pt_diags_free(&d);
    return 0;
}
