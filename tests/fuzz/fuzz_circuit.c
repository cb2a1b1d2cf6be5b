/* fuzz_circuit.c — circuit files: a description or a file:line:col error,
 * never a crash; a description that loads is also compiled, as the circuit
 * node would. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wdf/wdf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;
    pt_wdf_desc *d = NULL;
    pt_error err = {0};
    if (pt_circuit_parse(text, "fuzz.yaml", &d, &err) == 0) pt_wdf_desc_free(d);
    free(text);
    return 0;
}
