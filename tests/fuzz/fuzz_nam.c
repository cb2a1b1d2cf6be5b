/* fuzz_nam.c — .nam JSON: a validated model or a named error, never a
 * crash, and never a weight count that does not match the config. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "neural/nam_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;
    pt_nam_file f;
    pt_error err = {0};
    if (pt_nam_file_parse(&f, text, "fuzz.nam", &err) == 0) pt_nam_file_free(&f);
    free(text);
    return 0;
}
