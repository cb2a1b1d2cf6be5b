/* fuzz_setlist.c — setlist YAML, through the file path the loader reads. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "rig/rig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0]) snprintf(path, sizeof path, "/tmp/pt-fuzz-setlist-%d.yaml", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    pt_diags d;
    pt_diags_init(&d);
    pt_setlist *s = pt_setlist_load(path, &d);
    pt_setlist_free(s);
    pt_diags_free(&d);
    return 0;
}
