/* fuzz_nam.c — .nam JSON (formats 0.5, 0.6, 0.7): a validated model or a
 * named error, never a crash, and never a weight count that does not match
 * the config; a small model that loads is also built and run on a few
 * blocks (the 0.6/0.7 shapes: groups, FiLM, heads, conditioning models). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "neural/nam_model.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text) return 0;
    memcpy(text, data, size);
    text[size] = 0;
    pt_nam_file f;
    pt_error err = {0};
    if (pt_nam_file_parse(&f, text, "fuzz.nam", &err) == 0) {
        const pt_nam_file *p = pt_nam_file_pick(&f, -1);
        if (p->n_weights < 20000 && pt_nam_receptive_field(p) < 5000) {
            float x[100];
            for (int i = 0; i < 100; i++) x[i] = (float)((i * 37) % 17) / 17.0f - 0.5f;
            pt_nam_model *m = pt_nam_model_create(&f, 37, &err);
            if (m) {
                pt_nam_model_process(m, x, x, 100);
                pt_nam_model_reset(m);
                pt_nam_model_free(m);
            }
            /* and slimmed (0.7 slimmable WaveNets) */
            pt_nam_file slim;
            if (pt_nam_file_slim(p, 0.3, &slim, &err) == 1) {
                m = pt_nam_model_create(&slim, 37, &err);
                if (m) {
                    pt_nam_model_process(m, x, x, 100);
                    pt_nam_model_free(m);
                }
                pt_nam_file_free(&slim);
            }
        }
        pt_nam_file_free(&f);
    }
    free(text);
    return 0;
}
