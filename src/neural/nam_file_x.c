/* nam_file_x.c — the WaveNet config of .nam formats 0.6 and 0.7 (see
 * nam_file.h), read into pt_nam_xwavenet_config; the weight count and the
 * receptive field it implies. What the options mean is in nam_wavenet_x.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nam_json.h"

#define ERRC(c) ((c)->err ? (c)->err->code : 1)

static const char *const x_act_names[] = {
    [PT_ACT_TANH] = "Tanh",           [PT_ACT_HARDTANH] = "Hardtanh",
    [PT_ACT_FASTTANH] = "Fasttanh",   [PT_ACT_RELU] = "ReLU",
    [PT_ACT_LEAKYRELU] = "LeakyReLU", [PT_ACT_SIGMOID] = "Sigmoid",
    [PT_ACT_SILU] = "SiLU",           [PT_ACT_PRELU] = "PReLU",
    [PT_ACT_HARDSWISH] = "Hardswish", [PT_ACT_LEAKYHARDTANH] = "LeakyHardtanh",
    [PT_ACT_SOFTSIGN] = "Softsign",
};

static int act_by_name(const char *name, pt_nam_act *out)
{
    for (int i = 0; i < PT_ACT_COUNT; i++)
        if (strcmp(name, x_act_names[i]) == 0) {
            *out = (pt_nam_act)i;
            return 0;
        }
    if (strcmp(name, "LeakyHardTanh") == 0) { /* both spellings are written */
        *out = PT_ACT_LEAKYHARDTANH;
        return 0;
    }
    return -1;
}

static int opt_float(ctx *c, const cJSON *o, const char *key, const char *where, float def,
                     float *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    *out = def;
    if (!v) return 0;
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
        return FAIL(c, PT_ERR_INVALID, "%s: '%s' must be a number", where, key);
    *out = (float)v->valuedouble;
    return 0;
}

/* An activation: a name ("Tanh") or {"type": name, parameters...}. */
static int parse_act(ctx *c, const cJSON *v, const char *where, pt_nam_actcfg *a)
{
    memset(a, 0, sizeof *a);
    a->slope = 0.01f;
    a->min_val = -1.0f, a->max_val = 1.0f, a->min_slope = 0.01f, a->max_slope = 0.01f;
    const char *name = NULL;
    if (v && cJSON_IsString(v)) name = v->valuestring;
    else if (v && cJSON_IsObject(v)) {
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(v, "type");
        if (!t || !cJSON_IsString(t))
            return FAIL(c, PT_ERR_INVALID, "%s: an activation object needs a 'type' name", where);
        name = t->valuestring;
    } else
        return FAIL(c, PT_ERR_INVALID, "%s: an activation must be a name or an object", where);
    if (act_by_name(name, &a->type))
        return FAIL(c, PT_ERR_UNSUPPORTED,
                    "%s: unknown activation '%s' in format %s (supported: Tanh, Hardtanh, "
                    "Fasttanh, ReLU, LeakyReLU, PReLU, Sigmoid, SiLU, Hardswish, LeakyHardtanh, "
                    "Softsign)", where, name, c->version);
    if (!cJSON_IsObject(v)) return 0;
    static const char *const plain[] = {"type", NULL};
    static const char *const leaky[] = {"type", "negative_slope", NULL};
    static const char *const prelu[] = {"type", "negative_slope", "negative_slopes", NULL};
    static const char *const lht[] = {"type", "min_val", "max_val", "min_slope", "max_slope", NULL};
    char w2[160];
    snprintf(w2, sizeof w2, "%s: activation %s", where, name);
    switch (a->type) {
    case PT_ACT_LEAKYRELU:
        if (check_keys(c, v, w2, leaky)) return ERRC(c);
        return opt_float(c, v, "negative_slope", w2, 0.01f, &a->slope);
    case PT_ACT_PRELU: {
        if (check_keys(c, v, w2, prelu) || opt_float(c, v, "negative_slope", w2, 0.01f, &a->slope))
            return ERRC(c);
        const cJSON *s = cJSON_GetObjectItemCaseSensitive(v, "negative_slopes");
        if (!s) return 0;
        int n = cJSON_IsArray(s) ? cJSON_GetArraySize(s) : -1;
        if (n < 1 || n > PT_NAM_MAX_SLOPES)
            return FAIL(c, PT_ERR_UNSUPPORTED, "%s: 'negative_slopes' must list 1..%d numbers", w2,
                        PT_NAM_MAX_SLOPES);
        int i = 0;
        for (const cJSON *e = s->child; e; e = e->next, i++) {
            if (!cJSON_IsNumber(e) || !isfinite(e->valuedouble))
                return FAIL(c, PT_ERR_INVALID, "%s: negative slope %d is not a number", w2, i + 1);
            a->slopes[i] = (float)e->valuedouble;
        }
        a->n_slopes = n;
        return 0;
    }
    case PT_ACT_LEAKYHARDTANH:
        if (check_keys(c, v, w2, lht) || opt_float(c, v, "min_val", w2, -1.0f, &a->min_val) ||
            opt_float(c, v, "max_val", w2, 1.0f, &a->max_val) ||
            opt_float(c, v, "min_slope", w2, 0.01f, &a->min_slope) ||
            opt_float(c, v, "max_slope", w2, 0.01f, &a->max_slope))
            return ERRC(c);
        return 0;
    default: return check_keys(c, v, w2, plain) ? ERRC(c) : 0;
    }
}

/* `key` as one value for every layer, or a list of one per layer. */
static const cJSON *per_layer(const cJSON *v, int l)
{
    return cJSON_IsArray(v) ? cJSON_GetArrayItem(v, l) : v;
}

static int check_list(ctx *c, const cJSON *v, const char *key, const char *where, int n)
{
    if (v && cJSON_IsArray(v) && cJSON_GetArraySize(v) != n)
        return FAIL(c, PT_ERR_INVALID, "%s: '%s' lists %d entries but there are %d layers", where,
                    key, cJSON_GetArraySize(v), n);
    return 0;
}

static int parse_film(ctx *c, const cJSON *l, const char *key, const char *where, pt_nam_film *f)
{
    static const char *const keys[] = {"active", "shift", "groups", NULL};
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(l, key);
    f->active = false, f->shift = false, f->groups = 1;
    if (!v || cJSON_IsFalse(v) || cJSON_IsNull(v)) return 0;
    char w2[128];
    snprintf(w2, sizeof w2, "%s: '%s'", where, key);
    if (!cJSON_IsObject(v)) return FAIL(c, PT_ERR_INVALID, "%s must be an object or false", w2);
    if (check_keys(c, v, w2, keys)) return ERRC(c);
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(v, "active");
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(v, "shift");
    f->active = !a || cJSON_IsTrue(a);
    f->shift = !s || cJSON_IsTrue(s);
    if (cJSON_GetObjectItemCaseSensitive(v, "groups") &&
        get_int(c, v, "groups", w2, 1, 1024, &f->groups))
        return ERRC(c);
    return 0;
}

static int divides(ctx *c, const char *where, const char *what, int groups, int a, int b)
{
    if (a % groups || b % groups)
        return FAIL(c, PT_ERR_INVALID, "%s: %s groups (%d) must divide its %d inputs and %d outputs",
                    where, what, groups, a, b);
    return 0;
}

static int parse_array(ctx *c, const cJSON *l, const char *where, pt_nam_xlayer_array *a)
{
    static const char *const keys[] = {
        "input_size", "condition_size", "head_size", "head_bias", "head", "channels",
        "bottleneck", "kernel_size", "kernel_sizes", "dilations", "activation", "gated",
        "gating_mode", "secondary_activation", "groups_input", "groups_input_mixin", "head1x1",
        "layer1x1", "conv_pre_film", "conv_post_film", "input_mixin_pre_film",
        "input_mixin_post_film", "activation_pre_film", "activation_post_film",
        "layer1x1_post_film", "head1x1_post_film", "slimmable", NULL};
    static const char *const film_keys[PT_FILM_COUNT] = {
        "conv_pre_film",       "conv_post_film",       "input_mixin_pre_film",
        "input_mixin_post_film", "activation_pre_film", "activation_post_film",
        "layer1x1_post_film",  "head1x1_post_film"};
    if (!cJSON_IsObject(l)) return FAIL(c, PT_ERR_INVALID, "%s must be an object", where);
    if (check_keys(c, l, where, keys) || get_int(c, l, "input_size", where, 1, 1024, &a->input_size) ||
        get_int(c, l, "condition_size", where, 1, 1024, &a->condition_size) ||
        get_int(c, l, "channels", where, 1, 1024, &a->channels) ||
        get_dilations(c, l, where, &a->n_layers, a->dilations))
        return ERRC(c);
    const int n = a->n_layers;
    a->bottleneck = a->channels;
    if (cJSON_GetObjectItemCaseSensitive(l, "bottleneck") &&
        get_int(c, l, "bottleneck", where, 1, 1024, &a->bottleneck))
        return ERRC(c);

    /* the head rechannel: a "head" object, or the older head_size/head_bias */
    const cJSON *head = cJSON_GetObjectItemCaseSensitive(l, "head");
    a->head_kernel = 1, a->head_dilation = 1;
    if (head && !cJSON_IsNull(head)) {
        static const char *const hk[] = {"out_channels", "kernel_size", "bias", "head_dilation", NULL};
        char w2[96];
        snprintf(w2, sizeof w2, "%s: 'head'", where);
        if (!cJSON_IsObject(head)) return FAIL(c, PT_ERR_INVALID, "%s must be an object", w2);
        if (check_keys(c, head, w2, hk) || get_int(c, head, "out_channels", w2, 1, 1024, &a->head_size) ||
            get_int(c, head, "kernel_size", w2, 1, 256, &a->head_kernel) ||
            get_bool(c, head, "bias", w2, &a->head_bias))
            return ERRC(c);
        if (cJSON_GetObjectItemCaseSensitive(head, "head_dilation") &&
            get_int(c, head, "head_dilation", w2, 1, 65536, &a->head_dilation))
            return ERRC(c);
    } else if (get_int(c, l, "head_size", where, 1, 1024, &a->head_size) ||
               get_bool(c, l, "head_bias", where, &a->head_bias))
        return ERRC(c);

    /* kernel sizes: one for all, or one per layer */
    const cJSON *ks = cJSON_GetObjectItemCaseSensitive(l, "kernel_sizes");
    const cJSON *k1 = cJSON_GetObjectItemCaseSensitive(l, "kernel_size");
    if (ks && k1) return FAIL(c, PT_ERR_INVALID, "%s: both 'kernel_size' and 'kernel_sizes'", where);
    if (k1) {
        int k;
        if (get_int(c, l, "kernel_size", where, 1, 64, &k)) return ERRC(c);
        for (int i = 0; i < n; i++) a->kernel[i] = k;
    } else if (ks) {
        if (!cJSON_IsArray(ks) || check_list(c, ks, "kernel_sizes", where, n)) {
            if (!cJSON_IsArray(ks))
                return FAIL(c, PT_ERR_INVALID, "%s: 'kernel_sizes' must be a list", where);
            return ERRC(c);
        }
        for (int i = 0; i < n; i++) {
            const cJSON *e = cJSON_GetArrayItem(ks, i);
            if (!cJSON_IsNumber(e) || e->valuedouble != floor(e->valuedouble) || e->valuedouble < 1 ||
                e->valuedouble > 64)
                return FAIL(c, PT_ERR_UNSUPPORTED, "%s: kernel size %d must be a whole number in 1..64",
                            where, i + 1);
            a->kernel[i] = (int)e->valuedouble;
        }
    } else
        return FAIL(c, PT_ERR_INVALID, "%s is missing 'kernel_size'", where);

    /* activations, gating and the secondary activations */
    const cJSON *act = cJSON_GetObjectItemCaseSensitive(l, "activation");
    const cJSON *gm = cJSON_GetObjectItemCaseSensitive(l, "gating_mode");
    const cJSON *gated = cJSON_GetObjectItemCaseSensitive(l, "gated");
    const cJSON *act2 = cJSON_GetObjectItemCaseSensitive(l, "secondary_activation");
    if (!act) return FAIL(c, PT_ERR_INVALID, "%s is missing 'activation'", where);
    if (check_list(c, act, "activation", where, n) || check_list(c, gm, "gating_mode", where, n) ||
        check_list(c, act2, "secondary_activation", where, n))
        return ERRC(c);
    if (gated && !cJSON_IsBool(gated))
        return FAIL(c, PT_ERR_INVALID, "%s: 'gated' must be true or false", where);
    for (int i = 0; i < n; i++) {
        char w2[96];
        snprintf(w2, sizeof w2, "%s layer %d", where, i + 1);
        if (parse_act(c, per_layer(act, i), w2, &a->act[i])) return ERRC(c);
        a->gating[i] = gated && cJSON_IsTrue(gated) ? PT_GATE_GATED : PT_GATE_NONE;
        if (gm) {
            const cJSON *g = per_layer(gm, i);
            if (!cJSON_IsString(g)) return FAIL(c, PT_ERR_INVALID, "%s: 'gating_mode' must be a name", w2);
            if (strcmp(g->valuestring, "none") == 0) a->gating[i] = PT_GATE_NONE;
            else if (strcmp(g->valuestring, "gated") == 0) a->gating[i] = PT_GATE_GATED;
            else if (strcmp(g->valuestring, "blended") == 0) a->gating[i] = PT_GATE_BLENDED;
            else
                return FAIL(c, PT_ERR_UNSUPPORTED, "%s: unknown gating_mode '%s' in format %s", w2,
                            g->valuestring, c->version);
        }
        const cJSON *s = act2 ? per_layer(act2, i) : NULL;
        if (a->gating[i] == PT_GATE_NONE || !s || cJSON_IsNull(s)) {
            memset(&a->act2[i], 0, sizeof a->act2[i]);
            a->act2[i].type = PT_ACT_SIGMOID; /* the default gate */
        } else if (parse_act(c, s, w2, &a->act2[i]))
            return ERRC(c);
        const pt_nam_actcfg *as[2] = {&a->act[i], &a->act2[i]};
        for (int j = 0; j < 2; j++)
            if (as[j]->type == PT_ACT_PRELU && as[j]->n_slopes && as[j]->n_slopes != a->bottleneck)
                return FAIL(c, PT_ERR_INVALID, "%s: PReLU has %d slopes for %d channels", w2,
                            as[j]->n_slopes, a->bottleneck);
    }

    a->groups_input = a->groups_mixin = 1;
    if ((cJSON_GetObjectItemCaseSensitive(l, "groups_input") &&
         get_int(c, l, "groups_input", where, 1, 1024, &a->groups_input)) ||
        (cJSON_GetObjectItemCaseSensitive(l, "groups_input_mixin") &&
         get_int(c, l, "groups_input_mixin", where, 1, 1024, &a->groups_mixin)))
        return ERRC(c);

    static const char *const l1keys[] = {"active", "groups", NULL};
    static const char *const h1keys[] = {"active", "out_channels", "groups", NULL};
    const cJSON *l1 = cJSON_GetObjectItemCaseSensitive(l, "layer1x1");
    a->layer1x1 = true, a->layer1x1_groups = 1;
    if (l1) {
        char w2[96];
        snprintf(w2, sizeof w2, "%s: 'layer1x1'", where);
        if (!cJSON_IsObject(l1) || check_keys(c, l1, w2, l1keys) || get_bool(c, l1, "active", w2, &a->layer1x1) ||
            get_int(c, l1, "groups", w2, 1, 1024, &a->layer1x1_groups)) {
            if (!cJSON_IsObject(l1)) return FAIL(c, PT_ERR_INVALID, "%s must be an object", w2);
            return ERRC(c);
        }
    }
    const cJSON *h1 = cJSON_GetObjectItemCaseSensitive(l, "head1x1");
    a->head1x1 = false, a->head1x1_out = a->channels, a->head1x1_groups = 1;
    if (h1) {
        char w2[96];
        snprintf(w2, sizeof w2, "%s: 'head1x1'", where);
        if (!cJSON_IsObject(h1) || check_keys(c, h1, w2, h1keys) || get_bool(c, h1, "active", w2, &a->head1x1) ||
            get_int(c, h1, "out_channels", w2, 1, 1024, &a->head1x1_out) ||
            get_int(c, h1, "groups", w2, 1, 1024, &a->head1x1_groups)) {
            if (!cJSON_IsObject(h1)) return FAIL(c, PT_ERR_INVALID, "%s must be an object", w2);
            return ERRC(c);
        }
    }
    for (int i = 0; i < PT_FILM_COUNT; i++)
        if (parse_film(c, l, film_keys[i], where, &a->film[i])) return ERRC(c);

    /* slimmable: {"method": "slice_channels_uniform", "kwargs": {"allowed_channels": [...]}};
     * played at its full size, so only checked */
    const cJSON *sl = cJSON_GetObjectItemCaseSensitive(l, "slimmable");
    if (sl && !cJSON_IsNull(sl)) {
        static const char *const skeys[] = {"method", "kwargs", NULL};
        static const char *const kkeys[] = {"allowed_channels", NULL};
        char w2[96];
        snprintf(w2, sizeof w2, "%s: 'slimmable'", where);
        const cJSON *m = cJSON_GetObjectItemCaseSensitive(sl, "method");
        const cJSON *kw = cJSON_GetObjectItemCaseSensitive(sl, "kwargs");
        if (!cJSON_IsObject(sl) || check_keys(c, sl, w2, skeys)) {
            if (!cJSON_IsObject(sl)) return FAIL(c, PT_ERR_INVALID, "%s must be an object", w2);
            return ERRC(c);
        }
        if (!m || !cJSON_IsString(m) || strcmp(m->valuestring, "slice_channels_uniform") != 0)
            return FAIL(c, PT_ERR_UNSUPPORTED, "%s: method '%s' is not supported in format %s "
                        "(supported: slice_channels_uniform)", w2,
                        m && cJSON_IsString(m) ? m->valuestring : "?", c->version);
        const cJSON *al = kw && cJSON_IsObject(kw) ? cJSON_GetObjectItemCaseSensitive(kw, "allowed_channels") : NULL;
        if (kw && cJSON_IsObject(kw) && check_keys(c, kw, w2, kkeys)) return ERRC(c);
        if (!al || !cJSON_IsArray(al) || cJSON_GetArraySize(al) < 1)
            return FAIL(c, PT_ERR_INVALID, "%s needs kwargs.allowed_channels", w2);
        int prev = 0, last = 0, k = 0;
        if (cJSON_GetArraySize(al) > PT_NAM_MAX_ALLOWED)
            return FAIL(c, PT_ERR_UNSUPPORTED, "%s: more than %d allowed channel counts", w2, PT_NAM_MAX_ALLOWED);
        for (const cJSON *e = al->child; e; e = e->next) {
            if (!cJSON_IsNumber(e) || e->valuedouble <= prev || e->valuedouble != floor(e->valuedouble))
                return FAIL(c, PT_ERR_INVALID, "%s: allowed_channels must be whole numbers that ascend", w2);
            prev = last = a->allowed[k++] = (int)e->valuedouble;
        }
        if (last != a->channels)
            return FAIL(c, PT_ERR_INVALID, "%s: the last allowed channel count must be channels (%d)",
                        w2, a->channels);
        a->n_allowed = cJSON_GetArraySize(al);
    }

    /* the shapes must fit together */
    const int B = a->bottleneck, C = a->channels, cs = a->condition_size;
    for (int i = 0; i < n; i++) {
        int Bz = a->gating[i] == PT_GATE_NONE ? B : 2 * B;
        if (divides(c, where, "groups_input", a->groups_input, C, Bz) ||
            divides(c, where, "groups_input_mixin", a->groups_mixin, cs, Bz))
            return ERRC(c);
    }
    if (a->layer1x1 && divides(c, where, "layer1x1", a->layer1x1_groups, B, C)) return ERRC(c);
    if (!a->layer1x1 && B != C)
        return FAIL(c, PT_ERR_INVALID, "%s: without layer1x1, bottleneck (%d) must equal channels (%d)",
                    where, B, C);
    if (a->head1x1 && divides(c, where, "head1x1", a->head1x1_groups, B, a->head1x1_out)) return ERRC(c);
    if (a->film[PT_FILM_LAYER1X1_POST].active && !a->layer1x1)
        return FAIL(c, PT_ERR_INVALID, "%s: layer1x1_post_film needs layer1x1", where);
    if (a->film[PT_FILM_HEAD1X1_POST].active && !a->head1x1)
        return FAIL(c, PT_ERR_INVALID, "%s: head1x1_post_film needs head1x1", where);
    for (int i = 0; i < PT_FILM_COUNT; i++) {
        const pt_nam_film *f = &a->film[i];
        if (!f->active) continue;
        int dim = i == PT_FILM_CONV_PRE || i == PT_FILM_LAYER1X1_POST ? C
                  : i == PT_FILM_MIXIN_PRE                            ? cs
                  : i == PT_FILM_ACT_POST                             ? B
                  : i == PT_FILM_HEAD1X1_POST                         ? a->head1x1_out
                                                                      : 2 * B; /* checked for 2B */
        if (divides(c, where, film_keys[i], f->groups, cs, (f->shift ? 2 : 1) * dim)) return ERRC(c);
    }
    return 0;
}

/* Rows of a layer's input convolution output: 2B when gated or blended. */
static int z_rows(const pt_nam_xlayer_array *a, int l)
{
    return a->gating[l] == PT_GATE_NONE ? a->bottleneck : 2 * a->bottleneck;
}

static long film_weights(const pt_nam_film *f, int cs, int dim)
{
    if (!f->active) return 0;
    long out = (f->shift ? 2 : 1) * (long)dim;
    return out * cs / f->groups + out;
}

long pt_nam_xwavenet_weights(const pt_nam_xwavenet_config *w)
{
    long n = 0;
    for (int i = 0; i < w->n_arrays; i++) {
        const pt_nam_xlayer_array *a = &w->arrays[i];
        const long C = a->channels, B = a->bottleneck, cs = a->condition_size;
        n += C * a->input_size;
        for (int l = 0; l < a->n_layers; l++) {
            long Bz = z_rows(a, l);
            n += Bz * C * a->kernel[l] / a->groups_input + Bz;
            n += Bz * cs / a->groups_mixin;
            if (a->layer1x1) n += C * B / a->layer1x1_groups + C;
            if (a->head1x1) n += (long)a->head1x1_out * B / a->head1x1_groups + a->head1x1_out;
            const pt_nam_film *f = a->film;
            n += film_weights(&f[PT_FILM_CONV_PRE], cs, C) + film_weights(&f[PT_FILM_CONV_POST], cs, Bz) +
                 film_weights(&f[PT_FILM_MIXIN_PRE], cs, cs) + film_weights(&f[PT_FILM_MIXIN_POST], cs, Bz) +
                 film_weights(&f[PT_FILM_ACT_PRE], cs, Bz) + film_weights(&f[PT_FILM_ACT_POST], cs, B) +
                 film_weights(&f[PT_FILM_LAYER1X1_POST], cs, C) +
                 film_weights(&f[PT_FILM_HEAD1X1_POST], cs, a->head1x1_out);
        }
        long hin = a->head1x1 ? a->head1x1_out : B;
        n += (long)a->head_size * hin * a->head_kernel + (a->head_bias ? a->head_size : 0);
    }
    if (w->has_head) {
        long cin = w->arrays[w->n_arrays - 1].head_size;
        for (int i = 0; i < w->n_head_convs; i++) {
            long cout = i + 1 == w->n_head_convs ? w->head_out : w->head_channels;
            n += cout * cin * w->head_kernels[i] + cout;
            cin = cout;
        }
    }
    return n + 1; /* head_scale */
}

static long condition_prewarm(const pt_nam_file *f)
{
    return pt_nam_receptive_field(f) + 1;
}

long pt_nam_xwavenet_receptive_field(const pt_nam_xwavenet_config *w)
{
    /* the reference player's prewarm count, less one: the conditioning
     * model's (or 1), each array's layers and head, and the post-stack head */
    long rf = w->condition ? condition_prewarm(w->condition) : 1;
    for (int i = 0; i < w->n_arrays; i++) {
        const pt_nam_xlayer_array *a = &w->arrays[i];
        for (int l = 0; l < a->n_layers; l++) rf += (long)(a->kernel[l] - 1) * a->dilations[l];
        rf += (long)(a->head_kernel - 1) * a->head_dilation;
    }
    if (w->has_head)
        for (int i = 0; i < w->n_head_convs; i++) rf += w->head_kernels[i] - 1;
    return rf - 1;
}

/* Rows a model outputs: the last head_size, or the post-stack head's. */
static int out_rows(const pt_nam_xwavenet_config *w)
{
    return w->has_head ? w->head_out : w->arrays[w->n_arrays - 1].head_size;
}

int pt_nam_parse_xwavenet(ctx *c, const cJSON *cfg, pt_nam_xwavenet_config *w, double rate_hz)
{
    static const char *const keys[] = {"layers", "head", "head_scale", "condition_dsp", "in_channels", NULL};
    char where0[64];
    snprintf(where0, sizeof where0, "WaveNet config");
    if (check_keys(c, cfg, where0, keys)) return ERRC(c);
    const cJSON *ic = cJSON_GetObjectItemCaseSensitive(cfg, "in_channels");
    if (ic && !(cJSON_IsNumber(ic) && ic->valuedouble == 1))
        return FAIL(c, PT_ERR_UNSUPPORTED, "WaveNet config: 'in_channels' other than 1 is not supported");
    const cJSON *hs = cJSON_GetObjectItemCaseSensitive(cfg, "head_scale");
    if (!hs || !cJSON_IsNumber(hs)) return FAIL(c, PT_ERR_INVALID, "WaveNet config is missing 'head_scale'");
    w->head_scale_config = (float)hs->valuedouble;

    const cJSON *cd = cJSON_GetObjectItemCaseSensitive(cfg, "condition_dsp");
    int cond_rows = 1;
    if (cd && !cJSON_IsNull(cd)) {
        w->condition = calloc(1, sizeof *w->condition);
        if (!w->condition) return FAIL(c, PT_ERR_NOMEM, "out of memory");
        pt_error sub = {0};
        if (pt_nam_parse_model(w->condition, cd, c->path, &sub))
            return FAIL(c, sub.code ? sub.code : PT_ERR_INVALID, "condition_dsp: %s", sub.msg);
        if (w->condition->arch != PT_NAM_XWAVENET)
            return FAIL(c, PT_ERR_UNSUPPORTED,
                        "condition_dsp: only a WaveNet of format 0.6+ is supported as the "
                        "conditioning model");
        if (w->condition->sample_rate_hz != rate_hz)
            return FAIL(c, PT_ERR_INVALID, "condition_dsp: its sample rate (%g Hz) differs from the model's (%g Hz)",
                        w->condition->sample_rate_hz, rate_hz);
        cond_rows = out_rows(w->condition->xwavenet);
    }

    const cJSON *layers = cJSON_GetObjectItemCaseSensitive(cfg, "layers");
    if (!layers || !cJSON_IsArray(layers)) return FAIL(c, PT_ERR_INVALID, "WaveNet config is missing the 'layers' list");
    int n = cJSON_GetArraySize(layers);
    if (n < 1 || n > PT_NAM_MAX_ARRAYS)
        return FAIL(c, PT_ERR_UNSUPPORTED, "WaveNet config: %d layer arrays (this player supports 1..%d)", n,
                    PT_NAM_MAX_ARRAYS);
    w->n_arrays = n;
    int i = 0;
    for (const cJSON *l = layers->child; l; l = l->next, i++) {
        char where[64];
        snprintf(where, sizeof where, "WaveNet layer array %d", i + 1);
        pt_nam_xlayer_array *a = &w->arrays[i];
        if (parse_array(c, l, where, a)) return ERRC(c);
        int want_in = i == 0 ? 1 : w->arrays[i - 1].channels;
        if (a->input_size != want_in)
            return FAIL(c, PT_ERR_INVALID, "%s: input_size is %d but must be %d", where, a->input_size, want_in);
        if (a->condition_size != cond_rows)
            return FAIL(c, PT_ERR_INVALID, "%s: condition_size is %d but the condition has %d channels", where,
                        a->condition_size, cond_rows);
        if (i > 0 && a->channels != w->arrays[i - 1].head_size)
            return FAIL(c, PT_ERR_INVALID, "%s: channels (%d) must equal the previous array's head_size (%d)",
                        where, a->channels, w->arrays[i - 1].head_size);
        int hin = a->head1x1 ? a->head1x1_out : a->bottleneck;
        if (i > 0 && hin != w->arrays[i - 1].head_size)
            return FAIL(c, PT_ERR_INVALID,
                        "%s: its head sum has %d channels but the previous array's head gives %d", where, hin,
                        w->arrays[i - 1].head_size);
    }

    const cJSON *head = cJSON_GetObjectItemCaseSensitive(cfg, "head");
    if (head && !cJSON_IsNull(head)) {
        static const char *const hk[] = {"in_channels", "channels", "out_channels", "kernel_sizes", "activation",
                                         NULL};
        const char *wh = "WaveNet config: 'head'";
        if (!cJSON_IsObject(head)) return FAIL(c, PT_ERR_INVALID, "%s must be an object or null", wh);
        int hin = w->arrays[n - 1].head_size, in_ch = hin;
        if (check_keys(c, head, wh, hk) || get_int(c, head, "channels", wh, 1, 1024, &w->head_channels) ||
            get_int(c, head, "out_channels", wh, 1, 1024, &w->head_out) ||
            parse_act(c, cJSON_GetObjectItemCaseSensitive(head, "activation"), wh, &w->head_act))
            return ERRC(c);
        const cJSON *hic = cJSON_GetObjectItemCaseSensitive(head, "in_channels");
        if (hic && !cJSON_IsNull(hic) && (get_int(c, head, "in_channels", wh, 1, 1024, &in_ch) || in_ch != hin))
            return c->err && c->err->code ? c->err->code
                                          : FAIL(c, PT_ERR_INVALID, "%s: in_channels must be %d", wh, hin);
        const cJSON *ks = cJSON_GetObjectItemCaseSensitive(head, "kernel_sizes");
        int nk = ks && cJSON_IsArray(ks) ? cJSON_GetArraySize(ks) : 0;
        if (nk < 1 || nk > PT_NAM_MAX_HEAD_CONVS)
            return FAIL(c, PT_ERR_UNSUPPORTED, "%s: 'kernel_sizes' must list 1..%d sizes", wh, PT_NAM_MAX_HEAD_CONVS);
        int j = 0;
        for (const cJSON *e = ks->child; e; e = e->next, j++) {
            if (!cJSON_IsNumber(e) || e->valuedouble != floor(e->valuedouble) || e->valuedouble < 1 ||
                e->valuedouble > 256)
                return FAIL(c, PT_ERR_INVALID, "%s: kernel size %d must be a whole number in 1..256", wh, j + 1);
            w->head_kernels[j] = (int)e->valuedouble;
        }
        w->n_head_convs = nk;
        w->has_head = true;
        if (w->head_act.type == PT_ACT_PRELU && w->head_act.n_slopes > 1)
            return FAIL(c, PT_ERR_UNSUPPORTED, "%s: a per-channel PReLU in the head is not supported", wh);
    }
    return 0;
}

/* ---- slimmable WaveNets (0.7) ---- */

/* Copy the first `sout` of `fout` rows and the first `sin` of `fin` inputs
 * of a [out][in][k] weight block (then its bias when `bias`). */
static void slice(const float **src, float **dst, int fin, int fout, int sin, int sout, int K, bool bias)
{
    for (int i = 0; i < fout; i++)
        for (int j = 0; j < fin; j++)
            for (int k = 0; k < K; k++, (*src)++)
                if (i < sout && j < sin) *(*dst)++ = **src;
    if (bias)
        for (int i = 0; i < fout; i++, (*src)++)
            if (i < sout) *(*dst)++ = **src;
}

static void copy_n(const float **src, float **dst, long n)
{
    memcpy(*dst, *src, (size_t)n * sizeof(float));
    *src += n, *dst += n;
}

/* The reference player's slicing (slice_channels_uniform): each array keeps
 * its first `channels` channels (from allowed_channels by the size), its
 * bottleneck in proportion, every weight block its leading rows/columns. */
int pt_nam_file_slim(const pt_nam_file *f, double size, pt_nam_file *out, pt_error *err)
{
    if (f->arch != PT_NAM_XWAVENET || size < 0) return 0;
    const pt_nam_xwavenet_config *w = f->xwavenet;
    int ch[PT_NAM_MAX_ARRAYS], any = 0, smaller = 0;
    for (int i = 0; i < w->n_arrays; i++) {
        const pt_nam_xlayer_array *a = &w->arrays[i];
        ch[i] = a->channels;
        if (!a->n_allowed) continue;
        any = 1;
        int idx = (int)floor(size * a->n_allowed);
        if (idx > a->n_allowed - 1) idx = a->n_allowed - 1;
        if (idx < 0) idx = 0;
        ch[i] = a->allowed[idx];
        if (ch[i] != a->channels) smaller = 1;
    }
    if (!any || !smaller) return 0;
    for (int i = 0; i < w->n_arrays; i++) {
        const pt_nam_xlayer_array *a = &w->arrays[i];
        if (a->head_kernel != 1 || a->groups_input != 1 || a->groups_mixin != 1 ||
            (a->layer1x1 && a->layer1x1_groups != 1) || (a->head1x1 && a->head1x1_groups != 1) ||
            w->has_head || w->condition)
            return pt_error_set(err, PT_ERR_UNSUPPORTED, f->path, 0, 0,
                                "this slimmable WaveNet cannot be played below its full size (it has "
                                "grouped convolutions, a head kernel, a post-stack head or a "
                                "conditioning model)");
    }
    pt_nam_xwavenet_config *nw = malloc(sizeof *nw);
    float *nwts = malloc((size_t)f->n_weights * sizeof(float));
    if (!nw || !nwts) {
        free(nw);
        free(nwts);
        return pt_error_set(err, PT_ERR_NOMEM, f->path, 0, 0, "out of memory");
    }
    *nw = *w;
    const float *src = f->weights;
    float *dst = nwts;
    for (int i = 0; i < w->n_arrays; i++) {
        const pt_nam_xlayer_array *a = &w->arrays[i];
        pt_nam_xlayer_array *b = &nw->arrays[i];
        const int fc = a->channels, sc = ch[i], cs = a->condition_size;
        const int fb = a->bottleneck, sb = a->layer1x1 ? (fb * sc / fc > 1 ? fb * sc / fc : 1) : sc;
        b->channels = sc, b->bottleneck = sb;
        b->input_size = i == 0 ? a->input_size : ch[i - 1];
        b->head_size = i + 1 < w->n_arrays ? ch[i + 1] : a->head_size;
        const int h1 = a->head1x1_out;
        slice(&src, &dst, a->input_size, fc, b->input_size, sc, 1, false);
        for (int l = 0; l < a->n_layers; l++) {
            const int g = a->gating[l] == PT_GATE_NONE ? 1 : 2, fbz = g * fb, sbz = g * sb;
            slice(&src, &dst, fc, fbz, sc, sbz, a->kernel[l], true);
            slice(&src, &dst, cs, fbz, cs, sbz, 1, false);
            if (a->layer1x1) slice(&src, &dst, fb, fc, sb, sc, 1, true);
            if (a->head1x1) slice(&src, &dst, fb, h1, sb, h1, 1, true);
            const int fd[PT_FILM_COUNT] = {fc, fbz, cs, fbz, fbz, fb, fc, h1};
            const int sd[PT_FILM_COUNT] = {sc, sbz, cs, sbz, sbz, sb, sc, h1};
            for (int k = 0; k < PT_FILM_COUNT; k++) {
                const pt_nam_film *fm = &a->film[k];
                if (!fm->active) continue;
                const int m = fm->shift ? 2 : 1;
                if (k == PT_FILM_MIXIN_PRE || k == PT_FILM_HEAD1X1_POST)
                    copy_n(&src, &dst, (long)cs * m * fd[k] + m * fd[k]);
                else
                    slice(&src, &dst, cs, m * fd[k], cs, m * sd[k], 1, true);
            }
        }
        const int fh = a->head1x1 ? h1 : fb, sh = a->head1x1 ? h1 : sb;
        slice(&src, &dst, fh, a->head_size, sh, b->head_size, 1, a->head_bias);
        b->n_allowed = 0;
    }
    *dst++ = *src++; /* head_scale */
    *out = *f;
    memset(&out->container, 0, sizeof out->container);
    out->xwavenet = nw;
    out->weights = nwts;
    out->n_weights = (int)(dst - nwts);
    if (out->n_weights != pt_nam_xwavenet_weights(nw)) {
        free(nw);
        free(nwts);
        return pt_error_set(err, PT_ERR, f->path, 0, 0, "internal: slimmed weights do not match");
    }
    return 1;
}
