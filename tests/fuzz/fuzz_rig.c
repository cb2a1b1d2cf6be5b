/* fuzz_rig.c — rig YAML: any bytes must give either a rig or diagnostics,
 * in bounded time and memory; a rig that loads must save and load again to
 * the same text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rig/rig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pt_diags d;
    pt_diags_init(&d);
    pt_rig *rig = pt_rig_load_string((const char *)data, size, "fuzz.yaml", "/nonexistent", &d);
    if (rig) {
        size_t len;
        char *text = pt_rig_to_yaml(rig, &len);
        if (!text) abort();
        pt_diags d2;
        pt_diags_init(&d2);
        pt_rig *again = pt_rig_load_string(text, len, "fuzz.yaml", "/nonexistent", &d2);
        if (!again) abort(); /* what we write, we must read */
        char *text2 = pt_rig_to_yaml(again, NULL);
        if (!text2 || strcmp(text, text2) != 0) abort();
        free(text), free(text2);
        pt_rig_free(again);
        pt_diags_free(&d2);
    }
    pt_rig_free(rig);
    pt_diags_free(&d);
    return 0;
}
