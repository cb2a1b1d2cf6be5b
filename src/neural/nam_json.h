/* nam_json.h — what the .nam loader's files share (nam_file.c reads the
 * file and the 0.5 configs, nam_file_x.c the 0.6/0.7 WaveNet). Internal. */
#ifndef PT_NAM_JSON_H
#define PT_NAM_JSON_H

#include <cjson/cJSON.h>

#include "nam_file.h"

/* Everything the validators need to name the problem. */
typedef struct ctx {
    const char *path;
    pt_error *err;
    const char *version; /* the format version being read, for messages */
    int minor;           /* its minor number: 5, 6 or 7 */
} ctx;

#define FAIL(c, code, ...) pt_error_set((c)->err, code, (c)->path, 0, 0, __VA_ARGS__)

int pt_namj_check_keys(ctx *c, const cJSON *obj, const char *where, const char *const *known);
int pt_namj_get_int(ctx *c, const cJSON *obj, const char *key, const char *where, int lo, int hi,
                    int *out);
int pt_namj_get_bool(ctx *c, const cJSON *obj, const char *key, const char *where, bool *out);
int pt_namj_get_dilations(ctx *c, const cJSON *obj, const char *where, int *n, int *d);
#define check_keys pt_namj_check_keys
#define get_int pt_namj_get_int
#define get_bool pt_namj_get_bool
#define get_dilations pt_namj_get_dilations

/* A model from its JSON object (nested models: condition_dsp, sub-models). */
int pt_nam_parse_model(pt_nam_file *f, const cJSON *root, const char *path, pt_error *err);

/* nam_file_x.c */
int pt_nam_parse_xwavenet(ctx *c, const cJSON *cfg, pt_nam_xwavenet_config *w, double rate_hz);
long pt_nam_xwavenet_weights(const pt_nam_xwavenet_config *w);
long pt_nam_xwavenet_receptive_field(const pt_nam_xwavenet_config *w);

#endif
