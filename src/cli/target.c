/* target.c — see target.h. */
#include "target.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *ext(const char *path)
{
    const char *dot = strrchr(path, '.');
    const char *slash = strrchr(path, '/');
    return dot && (!slash || dot > slash) ? dot + 1 : "";
}

/* Which top-level keys a YAML file has: enough to tell a circuit or a
 * setlist from a rig without parsing it twice. */
static int has_top_key(const char *path, const char *key)
{
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char line[1024];
    size_t klen = strlen(key);
    int found = 0;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, key, klen) && line[klen] == ':') {
            found = 1;
            break;
        }
    fclose(f);
    return found;
}

static pt_rig *single(const char *type, const char *asset, const char *path, pt_diags *diags)
{
    pt_error err = {0};
    FILE *f = fopen(path, "rb");
    if (!f) {
        pt_diags_add(diags, path, 0, 0, "cannot open: no such file or not readable");
        return NULL;
    }
    fclose(f);
    pt_rig *rig = pt_rig_single(type, asset, path, &err);
    if (!rig) {
        pt_diags_add(diags, path, 0, 0, "%s", err.msg);
        return NULL;
    }
    /* quick use is the raw model/IR/circuit: no level calibration */
    pt_rig_node *n = &rig->chain.items[0].node;
    int norm = pt_param_index(n->type, "normalize");
    if (norm >= 0) pt_rig_node_set(n, norm, 0.0f);
    return rig;
}

/* A .json given as a rig: most likely a neural model of another player
 * (AIDA-X, GuitarML/RTNeural keep 'model_data' and 'state_dict'); say so
 * instead of reporting a rig without 'version'. */
static pt_rig *json_target(const char *path, pt_diags *diags)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        pt_diags_add(diags, path, 0, 0, "cannot open: no such file or not readable");
        return NULL;
    }
    char head[65536];
    size_t n = fread(head, 1, sizeof head - 1, f);
    fclose(f);
    head[n] = 0;
    if (strstr(head, "\"model_data\"") || strstr(head, "\"state_dict\""))
        pt_diags_add(diags, path, 0, 0,
                     "an AIDA-X/RTNeural model (.json), a model format pytone does not play; use a "
                     "Neural Amp Modeler capture (.nam) or a rig (.yaml)");
    else
        pt_diags_add(diags, path, 0, 0,
                     "a .json file is not something pytone plays: give a rig (.yaml), a capture "
                     "(.nam), an IR (.wav/.aif/.flac) or a circuit (.yaml)");
    return NULL;
}

pt_rig *cli_load_target(const char *path, pt_diags *diags)
{
    const char *e = ext(path);
    if (!strcasecmp(e, "json") || !strcasecmp(e, "aidax")) return json_target(path, diags);
    if (!strcasecmp(e, "nam")) return single("nam", "model", path, diags);
    if (!strcasecmp(e, "wav") || !strcasecmp(e, "aif") || !strcasecmp(e, "aiff") ||
        !strcasecmp(e, "flac"))
        return single("cab", "ir", path, diags);
    if (has_top_key(path, "circuit")) return single("circuit", "circuit", path, diags);
    if (has_top_key(path, "rigs")) {
        /* a setlist: its first rig */
        pt_setlist *sl = pt_setlist_load(path, diags);
        pt_rig *rig = sl ? pt_rig_load(sl->rigs[0], diags) : NULL;
        pt_setlist_free(sl);
        return rig;
    }
    return pt_rig_load(path, diags);
}

int cli_apply_sets(pt_rig *rig, char **sets, int n_sets, pt_error *err)
{
    for (int i = 0; i < n_sets; i++) {
        char buf[256];
        snprintf(buf, sizeof buf, "%s", sets[i]);
        char *eq = strchr(buf, '=');
        if (!eq) return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                                     "--set %s: write NODE.PARAM=VALUE (or PARAM=VALUE)", sets[i]);
        *eq = 0;
        const char *value = eq + 1;
        char *dot = strchr(buf, '.');
        pt_rig_node *n;
        const char *pname;
        if (dot) {
            *dot = 0;
            n = pt_rig_find_node(rig, buf);
            pname = dot + 1;
            if (!n) return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "--set: no node '%s'", buf);
        } else {
            if (rig->chain.n != 1 || rig->chain.items[0].is_split)
                return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                                    "--set %s: name the node, as NODE.PARAM=VALUE", sets[i]);
            n = &rig->chain.items[0].node;
            pname = buf;
        }
        int pi = pt_param_index(n->type, pname);
        if (pi < 0)
            return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "--set: %s (%s) has no parameter '%s'",
                                n->id, n->type->name, pname);
        const pt_param_def *d = &n->type->params[pi];
        char *end;
        double v = strtod(value, &end);
        if (*end || end == value) {
            int ci = pt_param_choice_index(d, value);
            if (ci < 0 && d->taper == PT_TAPER_ENUM) {
                /* "oversample=4" means the choice named "4x" */
                char alt[64];
                snprintf(alt, sizeof alt, "%sx", value);
                ci = pt_param_choice_index(d, alt);
            }
            if (ci < 0)
                return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "--set: '%s' is not a value for %s.%s",
                                    value, n->id, pname);
            v = ci;
        } else if (d->taper == PT_TAPER_ENUM && d->choices) {
            char alt[64];
            snprintf(alt, sizeof alt, "%sx", value);
            int ci = pt_param_choice_index(d, alt);
            if (ci >= 0) v = ci;
        }
        if (v < d->min || v > d->max)
            return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                                "--set: %s.%s = %g is out of range %g .. %g %s", n->id, pname, v,
                                (double)d->min, (double)d->max, d->unit);
        pt_rig_node_set(n, pi, pt_param_sanitize(d, (float)v));
    }
    return 0;
}
