/* nam_file.c — the .nam loader: parse with cJSON, check every key and count,
 * refuse what is not understood. See nam_file.h for the format. */
#include "nam_file.h"

#include "../core/regfile.h"

#include <cjson/cJSON.h>
#include "nam_json.h"
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const act_names[PT_ACT_COUNT] = {
    [PT_ACT_TANH] = "Tanh",       [PT_ACT_HARDTANH] = "Hardtanh",
    [PT_ACT_FASTTANH] = "Fasttanh", [PT_ACT_RELU] = "ReLU",
    [PT_ACT_LEAKYRELU] = "LeakyReLU", [PT_ACT_SIGMOID] = "Sigmoid",
    [PT_ACT_SILU] = "SiLU",         [PT_ACT_PRELU] = "PReLU",
    [PT_ACT_HARDSWISH] = "Hardswish", [PT_ACT_LEAKYHARDTANH] = "LeakyHardtanh",
    [PT_ACT_SOFTSIGN] = "Softsign",
};

const char *pt_nam_act_name(pt_nam_act a)
{
    return (unsigned)a < PT_ACT_COUNT ? act_names[a] : "?";
}

/* Refuse keys we do not know: a key added by a later format could change what
 * the weights mean, and playing such a model wrongly is worse than refusing. */
int pt_namj_check_keys(ctx *c, const cJSON *obj, const char *where, const char *const *known)
{
    for (const cJSON *it = obj->child; it; it = it->next) {
        int ok = 0;
        for (int i = 0; known[i]; i++)
            if (strcmp(it->string, known[i]) == 0) ok = 1;
        if (!ok)
            return FAIL(c, PT_ERR_UNSUPPORTED,
                        "%s has option '%s', which this player does not support (format %s)", where,
                        it->string, c->version && c->version[0] ? c->version : "0.5");
    }
    return 0;
}

int pt_namj_get_int(ctx *c, const cJSON *obj, const char *key, const char *where, int lo, int hi,
                   int *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v) return FAIL(c, PT_ERR_INVALID, "%s is missing '%s'", where, key);
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble))
        return FAIL(c, PT_ERR_INVALID, "%s: '%s' must be a whole number", where, key);
    if (v->valuedouble < lo || v->valuedouble > hi)
        return FAIL(c, PT_ERR_UNSUPPORTED, "%s: '%s' = %g is outside what this player supports (%d..%d)",
                    where, key, v->valuedouble, lo, hi);
    *out = (int)v->valuedouble;
    return 0;
}

/* An optional integer option that this player supports only at its default. */
static int get_default_only(ctx *c, const cJSON *obj, const char *key, const char *where, int def)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v) return 0;
    if (!cJSON_IsNumber(v) || v->valuedouble != def)
        return FAIL(c, PT_ERR_UNSUPPORTED, "%s: '%s' other than %d is not supported", where, key,
                    def);
    return 0;
}

int pt_namj_get_bool(ctx *c, const cJSON *obj, const char *key, const char *where, bool *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!v) return FAIL(c, PT_ERR_INVALID, "%s is missing '%s'", where, key);
    if (!cJSON_IsBool(v)) return FAIL(c, PT_ERR_INVALID, "%s: '%s' must be true or false", where, key);
    *out = cJSON_IsTrue(v);
    return 0;
}

static int get_act(ctx *c, const cJSON *obj, const char *where, pt_nam_act *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, "activation");
    if (!v) return FAIL(c, PT_ERR_INVALID, "%s is missing 'activation'", where);
    if (!cJSON_IsString(v))
        return FAIL(c, PT_ERR_UNSUPPORTED,
                    "%s: 'activation' must be a name such as \"Tanh\" (configured activations are "
                    "not supported)", where);
    for (int i = 0; i < PT_ACT_COUNT_05; i++)
        if (strcmp(v->valuestring, act_names[i]) == 0) {
            *out = (pt_nam_act)i;
            return 0;
        }
    return FAIL(c, PT_ERR_UNSUPPORTED,
                "%s: unknown activation '%s' (supported: Tanh, Hardtanh, Fasttanh, ReLU, "
                "LeakyReLU, Sigmoid)", where, v->valuestring);
}

int pt_namj_get_dilations(ctx *c, const cJSON *obj, const char *where, int *n, int *d)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, "dilations");
    if (!v) return FAIL(c, PT_ERR_INVALID, "%s is missing 'dilations'", where);
    if (!cJSON_IsArray(v)) return FAIL(c, PT_ERR_INVALID, "%s: 'dilations' must be a list", where);
    int k = cJSON_GetArraySize(v);
    if (k < 1 || k > PT_NAM_MAX_LAYERS)
        return FAIL(c, PT_ERR_UNSUPPORTED, "%s: %d dilations (this player supports 1..%d)", where,
                    k, PT_NAM_MAX_LAYERS);
    int i = 0;
    for (const cJSON *e = v->child; e; e = e->next, i++) {
        if (!cJSON_IsNumber(e) || e->valuedouble != floor(e->valuedouble) || e->valuedouble < 1 ||
            e->valuedouble > 65536)
            return FAIL(c, PT_ERR_INVALID, "%s: dilation %d must be a whole number in 1..65536",
                        where, i + 1);
        d[i] = (int)e->valuedouble;
    }
    *n = k;
    return 0;
}

static int parse_wavenet(ctx *c, const cJSON *cfg, pt_nam_wavenet_config *w)
{
    static const char *const keys[] = {"layers", "head", "head_scale", NULL};
    static const char *const layer_keys[] = {"input_size", "condition_size", "head_size",
                                             "channels",   "kernel_size",    "dilations",
                                             "activation", "gated",          "head_bias",
                                             NULL};
    if (check_keys(c, cfg, "WaveNet config", keys)) return c->err ? c->err->code : 1;
    const cJSON *head = cJSON_GetObjectItemCaseSensitive(cfg, "head");
    if (head && !cJSON_IsNull(head))
        return FAIL(c, PT_ERR_UNSUPPORTED, "WaveNet config: a 'head' other than null is not supported");
    const cJSON *hs = cJSON_GetObjectItemCaseSensitive(cfg, "head_scale");
    if (!hs || !cJSON_IsNumber(hs))
        return FAIL(c, PT_ERR_INVALID, "WaveNet config is missing 'head_scale'");
    w->head_scale_config = (float)hs->valuedouble;
    const cJSON *layers = cJSON_GetObjectItemCaseSensitive(cfg, "layers");
    if (!layers || !cJSON_IsArray(layers))
        return FAIL(c, PT_ERR_INVALID, "WaveNet config is missing the 'layers' list");
    int n = cJSON_GetArraySize(layers);
    if (n < 1 || n > PT_NAM_MAX_ARRAYS)
        return FAIL(c, PT_ERR_UNSUPPORTED, "WaveNet config: %d layer arrays (this player supports 1..%d)",
                    n, PT_NAM_MAX_ARRAYS);
    w->n_arrays = n;
    int i = 0;
    for (const cJSON *l = layers->child; l; l = l->next, i++) {
        char where[64];
        snprintf(where, sizeof where, "WaveNet layer array %d", i + 1);
        pt_nam_layer_array *a = &w->arrays[i];
        if (!cJSON_IsObject(l)) return FAIL(c, PT_ERR_INVALID, "%s must be an object", where);
        if (check_keys(c, l, where, layer_keys) || get_int(c, l, "input_size", where, 1, 1024, &a->input_size) ||
            get_int(c, l, "condition_size", where, 1, 1, &a->condition_size) ||
            get_int(c, l, "head_size", where, 1, 1024, &a->head_size) ||
            get_int(c, l, "channels", where, 1, 1024, &a->channels) ||
            get_int(c, l, "kernel_size", where, 1, 64, &a->kernel_size) ||
            get_dilations(c, l, where, &a->n_dilations, a->dilations) ||
            get_act(c, l, where, &a->activation) || get_bool(c, l, "gated", where, &a->gated) ||
            get_bool(c, l, "head_bias", where, &a->head_bias))
            return c->err ? c->err->code : 1;
        /* How the arrays chain: the first reads the model input; each later
         * one reads the previous array's last layer output, and its head sum
         * starts from the previous array's head output. */
        int want_in = i == 0 ? 1 : w->arrays[i - 1].channels;
        if (a->input_size != want_in)
            return FAIL(c, PT_ERR_INVALID, "%s: input_size is %d but must be %d (%s)", where,
                        a->input_size, want_in,
                        i == 0 ? "the model input is mono" : "the previous array's channels");
        if (i > 0 && a->channels != w->arrays[i - 1].head_size)
            return FAIL(c, PT_ERR_INVALID,
                        "%s: channels (%d) must equal the previous array's head_size (%d)", where,
                        a->channels, w->arrays[i - 1].head_size);
    }
    if (w->arrays[n - 1].head_size != 1)
        return FAIL(c, PT_ERR_UNSUPPORTED,
                    "WaveNet config: the last layer array's head_size is %d; only a mono output (1) "
                    "is supported", w->arrays[n - 1].head_size);
    return 0;
}

static int parse_lstm(ctx *c, const cJSON *cfg, pt_nam_lstm_config *l)
{
    static const char *const keys[] = {"input_size", "hidden_size", "num_layers", NULL};
    if (check_keys(c, cfg, "LSTM config", keys) ||
        get_int(c, cfg, "input_size", "LSTM config", 1, 1, &l->input_size) ||
        get_int(c, cfg, "hidden_size", "LSTM config", 1, 512, &l->hidden_size) ||
        get_int(c, cfg, "num_layers", "LSTM config", 1, 16, &l->num_layers))
        return c->err ? c->err->code : 1;
    return 0;
}

static int parse_convnet(ctx *c, const cJSON *cfg, pt_nam_convnet_config *cn)
{
    static const char *const keys[] = {"channels", "dilations", "batchnorm", "activation",
                                       "groups", "in_channels", "out_channels", NULL};
    if (check_keys(c, cfg, "ConvNet config", keys) ||
        get_int(c, cfg, "channels", "ConvNet config", 1, 1024, &cn->channels) ||
        get_dilations(c, cfg, "ConvNet config", &cn->n_dilations, cn->dilations) ||
        get_bool(c, cfg, "batchnorm", "ConvNet config", &cn->batchnorm) ||
        get_act(c, cfg, "ConvNet config", &cn->activation) ||
        get_default_only(c, cfg, "groups", "ConvNet config", 1) ||
        get_default_only(c, cfg, "in_channels", "ConvNet config", 1) ||
        get_default_only(c, cfg, "out_channels", "ConvNet config", 1))
        return c->err ? c->err->code : 1;
    return 0;
}

static int parse_linear(ctx *c, const cJSON *cfg, pt_nam_linear_config *li)
{
    /* "implementation" chooses direct or FFT convolution: same result. */
    static const char *const keys[] = {"receptive_field", "bias", "in_channels", "out_channels",
                                       "implementation", NULL};
    if (check_keys(c, cfg, "Linear config", keys) ||
        get_int(c, cfg, "receptive_field", "Linear config", 1, 1 << 20, &li->receptive_field) ||
        get_bool(c, cfg, "bias", "Linear config", &li->bias) ||
        get_default_only(c, cfg, "in_channels", "Linear config", 1) ||
        get_default_only(c, cfg, "out_channels", "Linear config", 1))
        return c->err ? c->err->code : 1;
    return 0;
}

long pt_nam_expected_weights(const pt_nam_file *f)
{
    long n = 0;
    switch (f->arch) {
    case PT_NAM_WAVENET:
        for (int a = 0; a < f->cfg.wavenet.n_arrays; a++) {
            const pt_nam_layer_array *la = &f->cfg.wavenet.arrays[a];
            long C = la->channels, Cz = la->gated ? 2 * C : C;
            n += C * la->input_size; /* rechannel, no bias */
            n += la->n_dilations * (Cz * C * la->kernel_size + Cz /* conv + bias */
                                    + Cz * la->condition_size /* input mixin, no bias */
                                    + C * C + C /* 1x1 + bias */);
            n += la->head_size * C + (la->head_bias ? la->head_size : 0);
        }
        return n + 1; /* head_scale */
    case PT_NAM_LSTM: {
        long H = f->cfg.lstm.hidden_size, in = f->cfg.lstm.input_size;
        for (int l = 0; l < f->cfg.lstm.num_layers; l++) {
            long x = l == 0 ? in : H;
            n += 4 * H * (x + H) + 4 * H + 2 * H; /* weights, bias, initial h and c */
        }
        return n + H + 1; /* head */
    }
    case PT_NAM_CONVNET: {
        long C = f->cfg.convnet.channels;
        for (int b = 0; b < f->cfg.convnet.n_dilations; b++) {
            long cin = b == 0 ? 1 : C;
            n += C * cin * 2 + (f->cfg.convnet.batchnorm ? 4 * C + 1 : C);
        }
        return n + C + 1;
    }
    case PT_NAM_LINEAR:
        return f->cfg.linear.receptive_field + (f->cfg.linear.bias ? 1 : 0);
    case PT_NAM_XWAVENET: return pt_nam_xwavenet_weights(f->xwavenet);
    case PT_NAM_CONTAINER: return 0;
    }
    return -1;
}

long pt_nam_receptive_field(const pt_nam_file *f)
{
    long rf = 1;
    switch (f->arch) {
    case PT_NAM_WAVENET:
        for (int a = 0; a < f->cfg.wavenet.n_arrays; a++) {
            const pt_nam_layer_array *la = &f->cfg.wavenet.arrays[a];
            for (int l = 0; l < la->n_dilations; l++)
                rf += (long)(la->kernel_size - 1) * la->dilations[l];
        }
        break;
    case PT_NAM_CONVNET:
        for (int b = 0; b < f->cfg.convnet.n_dilations; b++) rf += f->cfg.convnet.dilations[b];
        break;
    case PT_NAM_LINEAR: rf = f->cfg.linear.receptive_field; break;
    case PT_NAM_LSTM: break;
    case PT_NAM_XWAVENET: rf = pt_nam_xwavenet_receptive_field(f->xwavenet); break;
    case PT_NAM_CONTAINER: rf = pt_nam_receptive_field(pt_nam_file_pick(f, -1)); break;
    }
    return rf;
}

static void copy_string(const cJSON *meta, const char *key, char *dst, size_t size)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(meta, key);
    if (v && cJSON_IsString(v)) snprintf(dst, size, "%s", v->valuestring);
}

static void get_optional(const cJSON *meta, const char *key, bool *has, double *val)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(meta, key);
    if (v && cJSON_IsNumber(v) && isfinite(v->valuedouble)) {
        *has = true;
        *val = v->valuedouble;
    }
}

/* Line and column of byte `pos` in text. */
static void line_col(const char *text, const char *pos, int *line, int *col)
{
    *line = 1, *col = 1;
    for (const char *p = text; p < pos && *p; p++) {
        if (*p == '\n') (*line)++, *col = 1;
        else (*col)++;
    }
}

/* The top-level "notes" (0.6+): a string or a list of strings, joined. */
static void get_notes(const cJSON *root, char *dst, size_t size)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "notes");
    if (!v) return;
    if (cJSON_IsString(v)) {
        snprintf(dst, size, "%s", v->valuestring);
        return;
    }
    if (!cJSON_IsArray(v)) return;
    size_t used = 0;
    for (const cJSON *e = v->child; e && used + 1 < size; e = e->next) {
        if (!cJSON_IsString(e)) continue;
        int n = snprintf(dst + used, size - used, "%s%s", used ? " " : "", e->valuestring);
        if (n < 0) break;
        used += (size_t)n < size - used ? (size_t)n : size - used - 1;
    }
}

/* The 0.7 SlimmableContainer: {"submodels": [{"max_value", "model"}...]},
 * ascending max_value, the last at least 1. */
static int parse_container(ctx *c, const cJSON *cfg, pt_nam_file *f)
{
    static const char *const keys[] = {"submodels", NULL};
    static const char *const entry_keys[] = {"max_value", "model", NULL};
    if (check_keys(c, cfg, "SlimmableContainer config", keys)) return c->err ? c->err->code : 1;
    const cJSON *subs = cJSON_GetObjectItemCaseSensitive(cfg, "submodels");
    if (!subs || !cJSON_IsArray(subs) || cJSON_GetArraySize(subs) < 1 || cJSON_GetArraySize(subs) > 16)
        return FAIL(c, PT_ERR_INVALID, "SlimmableContainer: 'submodels' must be a list of 1..16");
    int n = cJSON_GetArraySize(subs);
    f->container.sub = calloc((size_t)n, sizeof *f->container.sub);
    f->container.max_value = calloc((size_t)n, sizeof *f->container.max_value);
    if (!f->container.sub || !f->container.max_value)
        return FAIL(c, PT_ERR_NOMEM, "out of memory");
    int i = 0;
    for (const cJSON *e = subs->child; e; e = e->next, i++) {
        char where[64];
        snprintf(where, sizeof where, "SlimmableContainer sub-model %d", i + 1);
        if (!cJSON_IsObject(e)) return FAIL(c, PT_ERR_INVALID, "%s must be an object", where);
        if (check_keys(c, e, where, entry_keys)) return c->err ? c->err->code : 1;
        const cJSON *mv = cJSON_GetObjectItemCaseSensitive(e, "max_value");
        if (!mv || !cJSON_IsNumber(mv) || !isfinite(mv->valuedouble))
            return FAIL(c, PT_ERR_INVALID, "%s: 'max_value' must be a number", where);
        if (i > 0 && mv->valuedouble <= f->container.max_value[i - 1])
            return FAIL(c, PT_ERR_INVALID, "%s: max_value values must ascend", where);
        f->container.max_value[i] = mv->valuedouble;
        const cJSON *model = cJSON_GetObjectItemCaseSensitive(e, "model");
        if (!model || !cJSON_IsObject(model))
            return FAIL(c, PT_ERR_INVALID, "%s: 'model' must be a model object", where);
        pt_error sub_err = {0};
        int rc = pt_nam_parse_model(&f->container.sub[i], model, c->path, &sub_err);
        f->container.n_sub = i + 1;
        if (rc)
            return FAIL(c, sub_err.code ? sub_err.code : PT_ERR_INVALID, "%s: %s", where,
                        sub_err.msg);
        if (f->container.sub[i].arch == PT_NAM_CONTAINER)
            return FAIL(c, PT_ERR_UNSUPPORTED, "%s: a container inside a container", where);
        if (i > 0 && f->container.sub[i].sample_rate_hz != f->container.sub[0].sample_rate_hz)
            return FAIL(c, PT_ERR_INVALID, "%s: its sample rate differs from sub-model 1's", where);
    }
    if (f->container.max_value[n - 1] < 1.0)
        return FAIL(c, PT_ERR_INVALID, "SlimmableContainer: the last max_value must be at least 1");
    return 0;
}

const pt_nam_file *pt_nam_file_pick(const pt_nam_file *f, double size)
{
    if (f->arch != PT_NAM_CONTAINER || f->container.n_sub < 1) return f;
    int n = f->container.n_sub;
    if (size < 0) return &f->container.sub[n - 1];
    for (int i = 0; i < n; i++)
        if (size < f->container.max_value[i]) return &f->container.sub[i];
    return &f->container.sub[n - 1];
}

/* Read one model from its JSON object: the whole file, or a model nested
 * in one (a condition_dsp, a container's sub-model). */
int pt_nam_parse_model(pt_nam_file *f, const cJSON *root, const char *path, pt_error *err)
{
    memset(f, 0, sizeof *f);
    snprintf(f->path, sizeof f->path, "%s", path ? path : "");
    ctx c = {path, err, "", 5};
    int rc = 0;
    if (!cJSON_IsObject(root)) {
        rc = FAIL(&c, PT_ERR_INVALID, "not a .nam model (the JSON is not an object)");
        goto done;
    }
    /* Unknown top-level keys are ignored: they do not change what the
     * weights mean. Unknown keys inside "config" are refused (see check_keys). */
    const cJSON *ver = cJSON_GetObjectItemCaseSensitive(root, "version");
    if (!ver || !cJSON_IsString(ver)) {
        rc = FAIL(&c, PT_ERR_INVALID, "not a .nam model: no 'version' string");
        goto done;
    }
    snprintf(f->version, sizeof f->version, "%s", ver->valuestring);
    {
        int major, minor, patch, used = 0;
        if (sscanf(ver->valuestring, "%d.%d.%d%n", &major, &minor, &patch, &used) != 3 ||
            ver->valuestring[used] != '\0' || major < 0 || minor < 0 || patch < 0) {
            rc = FAIL(&c, PT_ERR_INVALID, "version '%s' is not of the form MAJOR.MINOR.PATCH",
                      ver->valuestring);
            goto done;
        }
        if (major != 0 || minor < 5 || minor > 7) {
            rc = FAIL(&c, PT_ERR_UNSUPPORTED,
                      ".nam format version %s is not supported (this player reads 0.5.x, 0.6.x "
                      "and 0.7.x)", ver->valuestring);
            goto done;
        }
        c.version = f->version;
        c.minor = minor;
    }

    f->sample_rate_hz = PT_NAM_DEFAULT_RATE_HZ;
    const cJSON *sr = cJSON_GetObjectItemCaseSensitive(root, "sample_rate");
    if (sr && !cJSON_IsNull(sr)) {
        if (!cJSON_IsNumber(sr) || !(sr->valuedouble >= 8000 && sr->valuedouble <= 768000)) {
            rc = FAIL(&c, PT_ERR_INVALID, "'sample_rate' must be a rate in Hz (8000..768000)");
            goto done;
        }
        f->sample_rate_hz = sr->valuedouble;
        f->has_sample_rate = true;
    }

    const cJSON *arch = cJSON_GetObjectItemCaseSensitive(root, "architecture");
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(root, "config");
    if (!arch || !cJSON_IsString(arch)) {
        rc = FAIL(&c, PT_ERR_INVALID, "missing 'architecture'");
        goto done;
    }
    if (!cfg || !cJSON_IsObject(cfg)) {
        rc = FAIL(&c, PT_ERR_INVALID, "missing 'config' object");
        goto done;
    }
    if (strcmp(arch->valuestring, "WaveNet") == 0 && c.minor >= 6) {
        f->arch = PT_NAM_XWAVENET;
        f->xwavenet = calloc(1, sizeof *f->xwavenet);
        rc = f->xwavenet ? pt_nam_parse_xwavenet(&c, cfg, f->xwavenet, f->sample_rate_hz)
                         : FAIL(&c, PT_ERR_NOMEM, "out of memory");
    } else if (strcmp(arch->valuestring, "SlimmableContainer") == 0 && c.minor >= 7) {
        f->arch = PT_NAM_CONTAINER;
        rc = parse_container(&c, cfg, f);
    } else if (strcmp(arch->valuestring, "WaveNet") == 0) {
        f->arch = PT_NAM_WAVENET;
        rc = parse_wavenet(&c, cfg, &f->cfg.wavenet);
    } else if (strcmp(arch->valuestring, "LSTM") == 0) {
        f->arch = PT_NAM_LSTM;
        rc = parse_lstm(&c, cfg, &f->cfg.lstm);
    } else if (strcmp(arch->valuestring, "ConvNet") == 0) {
        f->arch = PT_NAM_CONVNET;
        rc = parse_convnet(&c, cfg, &f->cfg.convnet);
    } else if (strcmp(arch->valuestring, "Linear") == 0) {
        f->arch = PT_NAM_LINEAR;
        rc = parse_linear(&c, cfg, &f->cfg.linear);
    } else {
        rc = FAIL(&c, PT_ERR_UNSUPPORTED,
                  "unknown architecture '%s' in format %s (supported: WaveNet, LSTM, ConvNet, "
                  "Linear%s)", arch->valuestring, f->version,
                  c.minor >= 7 ? ", SlimmableContainer" : "");
    }
    if (rc) goto done;

    const cJSON *w = cJSON_GetObjectItemCaseSensitive(root, "weights");
    if (f->arch == PT_NAM_CONTAINER) {
        if (w && !(cJSON_IsArray(w) && cJSON_GetArraySize(w) == 0)) {
            rc = FAIL(&c, PT_ERR_INVALID, "a SlimmableContainer has no weights of its own");
            goto done;
        }
        w = NULL;
    } else if (!w || !cJSON_IsArray(w)) {
        rc = FAIL(&c, PT_ERR_INVALID, "missing the 'weights' list");
        goto done;
    }
    long want = pt_nam_expected_weights(f);
    int have = w ? cJSON_GetArraySize(w) : 0;
    if (have != want) {
        rc = FAIL(&c, PT_ERR_INVALID,
                  "holds %d weights but its %s config needs %ld; the file does not match its "
                  "config", have, arch->valuestring, want);
        goto done;
    }
    f->weights = malloc((size_t)(have > 0 ? have : 1) * sizeof(float));
    if (!f->weights) {
        rc = FAIL(&c, PT_ERR_NOMEM, "out of memory for %d weights", have);
        goto done;
    }
    int i = 0;
    for (const cJSON *e = w ? w->child : NULL; e; e = e->next, i++) {
        if (!cJSON_IsNumber(e)) {
            rc = FAIL(&c, PT_ERR_INVALID, "weight %d is not a number", i);
            goto done;
        }
        float v = (float)e->valuedouble;
        if (!isfinite(v)) {
            rc = FAIL(&c, PT_ERR_INVALID, "weight %d is NaN or infinite; the model is broken", i);
            goto done;
        }
        f->weights[i] = v;
    }
    f->n_weights = have;

    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(root, "metadata");
    if (meta && cJSON_IsObject(meta)) {
        get_optional(meta, "loudness", &f->meta.has_loudness, &f->meta.loudness_db);
        get_optional(meta, "input_level_dbu", &f->meta.has_input_level, &f->meta.input_level_dbu);
        get_optional(meta, "output_level_dbu", &f->meta.has_output_level,
                     &f->meta.output_level_dbu);
        copy_string(meta, "name", f->meta.name, sizeof f->meta.name);
        copy_string(meta, "modeled_by", f->meta.author, sizeof f->meta.author);
        copy_string(meta, "gear_type", f->meta.gear_type, sizeof f->meta.gear_type);
        copy_string(meta, "tone_type", f->meta.tone_type, sizeof f->meta.tone_type);
    }
    get_notes(root, f->meta.notes, sizeof f->meta.notes);
    if (f->arch == PT_NAM_CONTAINER) {
        /* what the player shows: the largest sub-model's rate and metadata */
        const pt_nam_file *big = pt_nam_file_pick(f, -1);
        f->sample_rate_hz = big->sample_rate_hz;
        f->has_sample_rate = big->has_sample_rate;
        char notes[sizeof f->meta.notes];
        memcpy(notes, f->meta.notes, sizeof notes);
        if (!meta) f->meta = big->meta;
        if (notes[0]) memcpy(f->meta.notes, notes, sizeof notes);
    }
done:
    if (rc) pt_nam_file_free(f);
    return rc;
}

int pt_nam_file_parse(pt_nam_file *f, const char *json, const char *path, pt_error *err)
{
    memset(f, 0, sizeof *f);
    snprintf(f->path, sizeof f->path, "%s", path ? path : "");
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithOpts(json, &end, 0);
    if (!root) {
        int line, col;
        const char *at = end ? end : json + strlen(json);
        line_col(json, at, &line, &col);
        if (*at == '\0')
            return pt_error_set(err, PT_ERR_INVALID, path, line, col,
                                "the file ends too early: truncated or not a complete .nam file");
        if (strncmp(at, "NaN", 3) == 0 || strncmp(at, "Infinity", 8) == 0 ||
            strncmp(at, "-Infinity", 9) == 0 || strncmp(at, "-NaN", 4) == 0)
            return pt_error_set(err, PT_ERR_INVALID, path, line, col,
                                "the file holds a NaN or infinite number; the model is broken");
        return pt_error_set(err, PT_ERR_INVALID, path, line, col, "not valid JSON here");
    }
    int rc = pt_nam_parse_model(f, root, path, err);
    cJSON_Delete(root);
    return rc;
}

int pt_nam_file_load(pt_nam_file *f, const char *path, pt_error *err)
{
    memset(f, 0, sizeof *f);
    FILE *fp = pt_fopen_regular(path, 1LL << 30);
    if (!fp)
        return pt_error_set(err, PT_ERR_IO, path, 0, 0, "cannot open the model: %s",
                            errno == EINVAL ? "not a regular file (a folder, FIFO or device)"
                                            : strerror(errno));
    char *text = NULL;
    long size = -1;
    if (fseek(fp, 0, SEEK_END) == 0) size = ftell(fp);
    if (size < 0 || size > (1L << 30) || fseek(fp, 0, SEEK_SET) != 0) {
        fclose(fp);
        return pt_error_set(err, PT_ERR_IO, path, 0, 0, "cannot read the model file");
    }
    text = malloc((size_t)size + 1);
    if (!text) {
        fclose(fp);
        return pt_error_set(err, PT_ERR_NOMEM, path, 0, 0, "out of memory reading the model");
    }
    size_t got = fread(text, 1, (size_t)size, fp);
    fclose(fp);
    text[got] = '\0';
    if (got == 0) {
        free(text);
        return pt_error_set(err, PT_ERR_INVALID, path, 0, 0, "the model file is empty");
    }
    int rc = pt_nam_file_parse(f, text, path, err);
    free(text);
    return rc;
}

void pt_nam_file_free(pt_nam_file *f)
{
    if (!f) return;
    if (f->xwavenet) {
        if (f->xwavenet->condition) {
            pt_nam_file_free(f->xwavenet->condition);
            free(f->xwavenet->condition);
        }
        free(f->xwavenet);
        f->xwavenet = NULL;
    }
    for (int i = 0; i < f->container.n_sub; i++) pt_nam_file_free(&f->container.sub[i]);
    free(f->container.sub);
    free(f->container.max_value);
    memset(&f->container, 0, sizeof f->container);
    free(f->weights);
    f->weights = NULL;
    f->n_weights = 0;
}
