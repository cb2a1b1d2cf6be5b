/* assets.c — asset_info and imports into the library (see assets.h). */
#include "assets.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "../conv/ir.h"
#include "../neural/nam_file.h"
#include "../rig/rig.h"
#include "../wdf/wdf.h"
#include "libpath.h"

static bool ends_ci(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && !strcasecmp(s + n - m, suf);
}

static bool is_ir_name(const char *name)
{
    return ends_ci(name, ".wav") || ends_ci(name, ".flac") || ends_ci(name, ".aif") ||
           ends_ci(name, ".aiff");
}

static bool is_yaml_name(const char *name)
{
    return ends_ci(name, ".yaml") || ends_ci(name, ".yml");
}

const char *pt_asset_kind(const char *path, const char *name)
{
    if (ends_ci(name, ".nam")) return "nam";
    if (is_ir_name(name)) return "ir";
    if (is_yaml_name(name)) return path && pt_circuit_file_sniff(path) == 1 ? "circuit" : "rig";
    return NULL;
}

/* Errors from a loader name the file it was given; show the user's name
 * instead (a temporary file's name means nothing to them). */
static void rename_in_error(pt_error *err, const char *path, const char *shown)
{
    if (!err || !path || !shown || !strcmp(path, shown)) return;
    if (!strcmp(err->file, path)) snprintf(err->file, sizeof err->file, "%s", shown);
    char out[sizeof err->msg];
    size_t o = 0, plen = strlen(path);
    for (const char *p = err->msg; *p && o + 1 < sizeof out;) {
        if (!strncmp(p, path, plen)) {
            o += (size_t)snprintf(out + o, sizeof out - o, "%s", shown);
            if (o >= sizeof out) o = sizeof out - 1;
            p += plen;
        } else {
            out[o++] = *p++;
        }
    }
    out[o] = 0;
    snprintf(err->msg, sizeof err->msg, "%s", out);
}

/* ------------------------------------------------------------ validation */

/* confine: where the rig's files may be (an import from the network: the
 * library and the factory folders), NULL: anywhere. */
static int validate_rig(const char *path, const pt_rig_confine *confine, pt_error *err)
{
    pt_diags d;
    pt_diags_init(&d);
    int rc = 0;
    if (pt_is_setlist(path) == 1) {
        pt_setlist *sl = pt_setlist_load_confined(path, confine, &d);
        if (!sl) rc = PT_ERR_INVALID;
        pt_setlist_free(sl);
    } else {
        pt_rig *rig = pt_rig_load_confined(path, confine, &d);
        if (!rig) rc = PT_ERR_INVALID;
        pt_rig_free(rig);
    }
    if (rc) {
        if (d.n) {
            *err = d.items[0];
            if (d.n > 1) {
                char more[64];
                snprintf(more, sizeof more, " (and %d more problem%s)", d.n - 1, d.n > 2 ? "s" : "");
                strncat(err->msg, more, sizeof err->msg - strlen(err->msg) - 1);
            }
        } else {
            pt_error_set(err, PT_ERR_INVALID, path, 0, 0, "not a rig the loader accepts");
        }
    }
    pt_diags_free(&d);
    return rc;
}

static int validate(const char *path, const char *kind, const char *shown,
                    const pt_rig_confine *confine, pt_error *err)
{
    int rc = 0;
    if (!strcmp(kind, "ir")) {
        pt_ir *ir = NULL;
        rc = pt_ir_load(path, &ir, err);
        pt_ir_free(ir);
    } else if (!strcmp(kind, "nam")) {
        pt_nam_file f;
        memset(&f, 0, sizeof f);
        rc = pt_nam_file_load(&f, path, err);
        pt_nam_file_free(&f);
    } else if (!strcmp(kind, "circuit")) {
        pt_wdf_desc *d = NULL;
        rc = pt_circuit_load(path, &d, err);
        if (rc == 0) { /* what the circuit node does with it next */
            pt_wdf_circuit *c = pt_wdf_compile(d, 48000.0, err);
            if (!c) rc = err && err->code ? err->code : PT_ERR_INVALID;
            pt_wdf_free(c);
        }
        pt_wdf_desc_free(d);
    } else if (!strcmp(kind, "rig")) {
        rc = validate_rig(path, confine, err);
    } else {
        rc = pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "unknown kind '%s'", kind);
    }
    if (rc && err && !err->msg[0]) pt_error_set(err, rc, path, 0, 0, "the file was refused");
    rename_in_error(err, path, shown);
    return rc;
}

int pt_asset_validate(const char *path, const char *kind, const char *shown, pt_error *err)
{
    return validate(path, kind, shown, NULL, err);
}

/* ------------------------------------------------------------ asset_info */

static void add_waveform(cJSON *j, const pt_ir *ir)
{
    int cols = ir->frames < PT_ASSET_WAVEFORM_COLUMNS ? ir->frames : PT_ASSET_WAVEFORM_COLUMNS;
    double *v = malloc(2 * (size_t)(cols > 0 ? cols : 1) * sizeof *v);
    if (!v) return;
    for (int i = 0; i < cols; i++) {
        long a = (long)((int64_t)i * ir->frames / cols), b = (long)((int64_t)(i + 1) * ir->frames / cols);
        float lo = ir->data[0][a], hi = lo;
        for (int c = 0; c < ir->channels; c++)
            for (long n = a; n < b; n++) {
                float x = ir->data[c][n];
                if (x < lo) lo = x;
                if (x > hi) hi = x;
            }
        v[2 * i] = lo < -1 ? -1 : lo > 1 ? 1 : lo;
        v[2 * i + 1] = hi < -1 ? -1 : hi > 1 ? 1 : hi;
    }
    cJSON_AddItemToObject(j, "waveform", cJSON_CreateDoubleArray(v, 2 * cols));
    free(v);
}

/* |sum x[n] e^{-j w[k] n}|^2 for GB frequencies at once by Goertzel's
 * recurrence (in double): the GB recurrences are independent, so the loop
 * runs at the machine's throughput rather than one recurrence's latency. */
enum { GB = 8 };

static void goertzel_power(const float *x, int n, const double *w, double *power)
{
    double c[GB], s1[GB] = {0}, s2[GB] = {0};
    for (int k = 0; k < GB; k++) c[k] = 2.0 * cos(w[k]);
    for (int i = 0; i < n; i++) {
        double xi = (double)x[i];
        for (int k = 0; k < GB; k++) {
            double s = xi + c[k] * s1[k] - s2[k];
            s2[k] = s1[k];
            s1[k] = s;
        }
    }
    for (int k = 0; k < GB; k++) {
        double p = s1[k] * s1[k] + s2[k] * s2[k] - c[k] * s1[k] * s2[k];
        power[k] += p > 0 ? p : 0;
    }
}

static void add_spectrum(cJSON *j, const pt_ir *ir)
{
    enum { N = PT_ASSET_SPECTRUM_POINTS, NB = (N + GB - 1) / GB * GB };
    double *f = malloc(3 * NB * sizeof *f); /* heap: the server's threads have small stacks */
    if (!f) return;
    double *w = f + NB, *p = f + 2 * NB;
    int k = 0;
    for (int i = 0; i < N; i++) {
        double hz = 20.0 * pow(1000.0, (double)i / (N - 1));
        if (hz >= 0.5 * ir->rate) break;
        f[k++] = hz;
    }
    for (int i = 0; i < NB; i++) {
        w[i] = i < k ? 2.0 * M_PI * f[i] / ir->rate : 0.0;
        p[i] = 0;
    }
    for (int b = 0; b < k; b += GB)
        for (int c = 0; c < ir->channels; c++) goertzel_power(ir->data[c], ir->frames, w + b, p + b);
    for (int i = 0; i < k; i++) {
        double m = p[i] / ir->channels;
        p[i] = 10.0 * log10(m > 1e-24 ? m : 1e-24);
    }
    cJSON *sp = cJSON_AddObjectToObject(j, "spectrum");
    cJSON_AddItemToObject(sp, "freq_hz", cJSON_CreateDoubleArray(f, k));
    cJSON_AddItemToObject(sp, "gain_db", cJSON_CreateDoubleArray(p, k));
    free(f);
}

static int info_ir(cJSON *j, const char *path, const char *shown, pt_error *err)
{
    pt_ir *ir = NULL;
    if (pt_ir_load(path, &ir, err)) {
        rename_in_error(err, path, shown);
        return -1;
    }
    cJSON_AddNumberToObject(j, "rate", ir->rate);
    cJSON_AddNumberToObject(j, "channels", ir->channels);
    cJSON_AddNumberToObject(j, "frames", ir->frames);
    add_waveform(j, ir);
    add_spectrum(j, ir);
    float peak = 0;
    for (int c = 0; c < ir->channels; c++)
        for (int n = 0; n < ir->frames; n++)
            if (fabsf(ir->data[c][n]) > peak) peak = fabsf(ir->data[c][n]);
    cJSON *meta = cJSON_AddObjectToObject(j, "meta");
    cJSON_AddNumberToObject(meta, "length_ms", 1000.0 * ir->frames / ir->rate);
    cJSON_AddNumberToObject(meta, "peak_db", 20.0 * log10(peak > 1e-12f ? peak : 1e-12f));
    pt_ir_free(ir);
    return 0;
}

static char *read_text(const char *path, long max)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    char *t = NULL;
    long n = fseek(fp, 0, SEEK_END) == 0 ? ftell(fp) : -1;
    if (n >= 0 && n <= max && fseek(fp, 0, SEEK_SET) == 0 && (t = malloc((size_t)n + 1))) {
        if (fread(t, 1, (size_t)n, fp) != (size_t)n) {
            free(t);
            t = NULL;
        } else {
            t[n] = 0;
        }
    }
    fclose(fp);
    return t;
}

/* A scalar of the file's JSON as it is (strings, numbers, booleans). */
static cJSON *scalar_copy(const cJSON *v)
{
    if (cJSON_IsString(v)) return cJSON_CreateString(v->valuestring);
    if (cJSON_IsNumber(v)) return cJSON_CreateNumber(v->valuedouble);
    if (cJSON_IsBool(v)) return cJSON_CreateBool(cJSON_IsTrue(v));
    return NULL;
}

static int info_nam(cJSON *j, const char *path, const char *shown, pt_error *err)
{
    pt_nam_file f;
    memset(&f, 0, sizeof f);
    if (pt_nam_file_load(&f, path, err)) {
        pt_nam_file_free(&f);
        rename_in_error(err, path, shown);
        return -1;
    }
    cJSON_AddNumberToObject(j, "rate", f.sample_rate_hz);
    cJSON_AddNumberToObject(j, "channels", 1);
    cJSON *meta = cJSON_AddObjectToObject(j, "meta");
    static const char *const arch[] = {"WaveNet", "LSTM", "ConvNet", "Linear", "WaveNet",
                                       "SlimmableContainer"};
    cJSON_AddStringToObject(meta, "architecture",
                            (unsigned)f.arch < sizeof arch / sizeof arch[0] ? arch[f.arch] : "?");
    cJSON_AddStringToObject(meta, "version", f.version);
    /* a container (format 0.7): its sub-models, and the largest one's weights */
    if (f.arch == PT_NAM_CONTAINER) cJSON_AddNumberToObject(meta, "submodels", f.container.n_sub);
    cJSON_AddNumberToObject(meta, "weights", pt_nam_file_pick(&f, -1)->n_weights);
    if (f.meta.notes[0]) cJSON_AddStringToObject(meta, "notes", f.meta.notes);
    cJSON_AddNumberToObject(meta, "receptive_field", (double)pt_nam_receptive_field(&f));
    if (f.has_sample_rate) cJSON_AddNumberToObject(meta, "sample_rate", f.sample_rate_hz);
    pt_nam_file_free(&f);
    /* the file's own "metadata" as it is: name, modeled_by, gear_type,
     * gear_make, gear_model, tone_type, loudness, input_level_dbu, ...;
     * one level of nesting is flattened ("date.year", "training.xyz") */
    char *text = read_text(path, 512l << 20);
    cJSON *root = text ? cJSON_Parse(text) : NULL;
    free(text);
    const cJSON *md = cJSON_GetObjectItemCaseSensitive(root, "metadata");
    if (!cJSON_IsObject(md)) {
        /* a container without its own: the largest sub-model's */
        const cJSON *subs = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(root, "config"),
                                                             "submodels");
        int n = cJSON_IsArray(subs) ? cJSON_GetArraySize(subs) : 0;
        const cJSON *last = n ? cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(subs, n - 1), "model") : NULL;
        md = last ? cJSON_GetObjectItemCaseSensitive(last, "metadata") : NULL;
        if (!cJSON_IsObject(md)) md = NULL;
    }
    const cJSON *v;
    cJSON_ArrayForEach(v, md)
    {
        if (!v->string || cJSON_GetObjectItemCaseSensitive(meta, v->string)) continue;
        cJSON *c = scalar_copy(v);
        if (c) {
            cJSON_AddItemToObject(meta, v->string, c);
            continue;
        }
        const cJSON *w;
        const cJSON *sub = cJSON_IsObject(v) ? v : NULL;
        cJSON_ArrayForEach(w, sub)
        {
            char key[128];
            cJSON *cw = w->string ? scalar_copy(w) : NULL;
            if (!cw) continue;
            snprintf(key, sizeof key, "%s.%s", v->string, w->string);
            cJSON_AddItemToObject(meta, key, cw);
        }
    }
    cJSON_Delete(root);
    return 0;
}

/* The circuit file's own top-level text fields (its name is `circuit:`). */
static void circuit_text_fields(const char *path, cJSON *meta)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return;
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        fclose(fp);
        return;
    }
    yaml_parser_set_input_file(&p, fp);
    int depth = 0;
    bool want_key = true;
    char key[32] = "";
    for (int guard = 0; guard < 1000000; guard++) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) break;
        yaml_event_type_t t = ev.type;
        if (t == YAML_MAPPING_START_EVENT || t == YAML_SEQUENCE_START_EVENT) {
            if (depth == 1) want_key = true; /* a value that is not text: skipped */
            depth++;
        } else if (t == YAML_MAPPING_END_EVENT || t == YAML_SEQUENCE_END_EVENT) {
            depth--;
        } else if (t == YAML_SCALAR_EVENT && depth == 1) {
            const char *text = (const char *)ev.data.scalar.value;
            if (want_key) {
                snprintf(key, sizeof key, "%s", text);
            } else if (!strcmp(key, "circuit") || !strcmp(key, "source") || !strcmp(key, "notes") ||
                       !strcmp(key, "author")) {
                cJSON_AddStringToObject(meta, !strcmp(key, "circuit") ? "name" : key, text);
            }
            want_key = !want_key;
        }
        yaml_event_delete(&ev);
        if (t == YAML_STREAM_END_EVENT) break;
    }
    yaml_parser_delete(&p);
    fclose(fp);
}

static int info_circuit(cJSON *j, const char *path, const char *shown, pt_error *err)
{
    if (pt_asset_validate(path, "circuit", shown, err)) return -1;
    pt_wdf_desc *d = NULL;
    if (pt_circuit_load(path, &d, err)) {
        rename_in_error(err, path, shown);
        return -1;
    }
    cJSON *meta = cJSON_AddObjectToObject(j, "meta");
    circuit_text_fields(path, meta);
    if (!cJSON_GetObjectItemCaseSensitive(meta, "name")) cJSON_AddStringToObject(meta, "name", d->name);
    cJSON_AddNumberToObject(meta, "parts", d->n_part);
    cJSON_AddNumberToObject(meta, "stages", d->n_stage);
    cJSON_AddNumberToObject(meta, "oversample", d->oversample);
    pt_wdf_desc_free(d);
    return 0;
}

cJSON *pt_asset_info(const char *path, const char *shown, pt_error *err)
{
    const char *kind = pt_asset_kind(path, path);
    if (!kind || !strcmp(kind, "rig")) {
        pt_error_set(err, PT_ERR_INVALID, shown, 0, 0,
                     "not a capture (.nam), an impulse response (.wav, .flac, .aif, .aiff) or a "
                     "circuit (.yaml with a top-level 'circuit:')");
        return NULL;
    }
    cJSON *j = cJSON_CreateObject();
    if (!j) {
        pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
        return NULL;
    }
    cJSON_AddStringToObject(j, "kind", kind);
    int rc = !strcmp(kind, "ir")    ? info_ir(j, path, shown, err)
             : !strcmp(kind, "nam") ? info_nam(j, path, shown, err)
                                    : info_circuit(j, path, shown, err);
    if (rc) {
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

/* ------------------------------------------------------------ import */

static bool utf8_printable(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        if (*p < 0x20 || *p == 0x7f) return false;
        if (*p < 0x80) {
            p++;
            continue;
        }
        int len = *p >= 0xc2 && *p <= 0xdf ? 2 : *p >= 0xe0 && *p <= 0xef ? 3 : *p >= 0xf0 && *p <= 0xf4 ? 4 : 0;
        if (!len) return false;
        for (int i = 1; i < len; i++)
            if ((p[i] & 0xc0) != 0x80) return false;
        if (len == 3 && ((p[0] == 0xe0 && p[1] < 0xa0) || (p[0] == 0xed && p[1] >= 0xa0))) return false;
        if (len == 4 && ((p[0] == 0xf0 && p[1] < 0x90) || (p[0] == 0xf4 && p[1] >= 0x90))) return false;
        p += len;
    }
    return true;
}

static const char *folder_of(const char *kind)
{
    if (!strcmp(kind, "nam")) return "captures";
    if (!strcmp(kind, "ir")) return "irs";
    if (!strcmp(kind, "circuit")) return "circuits";
    return "";
}

static bool inside_or_root(const char *root, const char *path)
{
    size_t n = strlen(root);
    return !strncmp(path, root, n) && (path[n] == '/' || path[n] == 0);
}

typedef struct import_bufs {
    char root[PATH_MAX], dir[PATH_MAX + 32], real_dir[PATH_MAX], target[PATH_MAX * 2 + 2],
        tmp[PATH_MAX * 2 + 32], rel[PATH_MAX], chunk[64 * 1024];
} import_bufs;

/* The target folder for kind (made if missing) and the file's place there:
 * b->real_dir, b->target, b->rel. Returns an HTTP status. */
static int place_for(import_bufs *b, const char *kind, const char *name, bool overwrite,
                     pt_error *err)
{
    const char *sub = folder_of(kind);
    snprintf(b->dir, sizeof b->dir, "%s%s%s", b->root, sub[0] ? "/" : "", sub);
    if (sub[0] && mkdir(b->dir, 0755) != 0 && errno != EEXIST) {
        pt_error_set(err, PT_ERR_IO, NULL, 0, 0, "cannot make the library's folder '%s': %s", sub,
                     strerror(errno));
        return 500;
    }
    if (!realpath(b->dir, b->real_dir) || !inside_or_root(b->root, b->real_dir)) {
        pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                     "the library's folder '%s' leads outside the library (a symlink?)", sub);
        return 400;
    }
    snprintf(b->target, sizeof b->target, "%s/%s", b->real_dir, name);
    snprintf(b->rel, sizeof b->rel, "%s%s%s", sub, sub[0] ? "/" : "", name);
    struct stat st;
    if (lstat(b->target, &st) == 0) {
        if (!S_ISREG(st.st_mode)) {
            pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                         "'%s' exists in the library and is not a plain file; it is left alone", b->rel);
            return 409;
        }
        if (!overwrite) {
            pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                         "'%s' exists in the library already (send overwrite=1 to replace it)", b->rel);
            return 409;
        }
    }
    return 200;
}

static int check_name(const char *kind, const char *name, const char **kind_out, pt_error *err)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0) return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "import: the file has no name");
    if (n > PT_IMPORT_MAX_NAME)
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                            "import: the file name is too long (%zu bytes; at most %d)", n,
                            PT_IMPORT_MAX_NAME);
    if (!utf8_printable(name))
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                            "import: the file name has control characters or is not UTF-8");
    if (strchr(name, '/') || strchr(name, '\\') || strstr(name, ".."))
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                            "import: '%s': a file name only (no '/', '\\' or '..')", name);
    if (name[0] == '.')
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                            "import: '%s': hidden names (a leading '.') are not allowed", name);
    const char *by_name = ends_ci(name, ".nam") ? "nam" : is_ir_name(name) ? "ir"
                          : is_yaml_name(name)  ? "yaml"
                                                : NULL;
    if (!strcmp(kind, "auto")) {
        if (!by_name)
            return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                                "import: '%s' is not a capture (.nam), an IR (.wav, .flac, .aif, "
                                ".aiff), a circuit or a rig (.yaml, .yml)",
                                name);
        *kind_out = by_name; /* "yaml": circuit or rig, decided by its content */
        return 0;
    }
    static const char *const need[][2] = {{"nam", ".nam"},
                                          {"ir", ".wav, .flac, .aif or .aiff"},
                                          {"circuit", ".yaml or .yml"},
                                          {"rig", ".yaml or .yml"}};
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++) {
        if (strcmp(kind, need[i][0])) continue;
        bool fits = by_name && (!strcmp(by_name, kind) ||
                                (!strcmp(by_name, "yaml") && (!strcmp(kind, "circuit") || !strcmp(kind, "rig"))));
        if (!fits)
            return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                                "import: '%s': a file of kind '%s' must end in %s", name, kind,
                                need[i][1]);
        *kind_out = kind;
        return 0;
    }
    return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                        "import: kind must be nam, ir, circuit, rig or auto, not '%.32s'", kind);
}

int pt_asset_import(const char *library, const char *kind, const char *name, bool overwrite,
                    long long length, pt_import_read read, void *user, char *out_rel,
                    size_t out_size, pt_error *err)
{
    const char *k = NULL;
    if (!kind) kind = "auto";
    if (check_name(kind, name, &k, err)) return 400;
    if (length > PT_IMPORT_MAX_BYTES) {
        pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                     "import: '%s' is too large (%lld bytes; at most %lld MiB)", name, length,
                     PT_IMPORT_MAX_BYTES >> 20);
        return 413;
    }
    if (length <= 0) {
        pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "import: '%s' is empty", name);
        return 400;
    }
    import_bufs *b = malloc(sizeof *b); /* heap: the server's threads have small stacks */
    if (!b) {
        pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
        return 500;
    }
    int status = 200;
    int fd = -1;
    b->tmp[0] = 0;
    if (!library || !library[0] || !realpath(library, b->root)) {
        pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "import: this session has no rig library");
        status = 400;
        goto done;
    }
    /* a .yaml sent as "auto" is written to the library's own folder first
     * and moves to circuits/ once its content says it is a circuit */
    status = place_for(b, strcmp(k, "yaml") ? k : "rig", name, overwrite, err);
    if (status != 200) goto done;
    const char *ext = strrchr(name, '.');
    snprintf(b->tmp, sizeof b->tmp, "%s/.import-XXXXXX%s", b->real_dir, ext);
    fd = mkstemps(b->tmp, (int)strlen(ext));
    if (fd < 0) {
        b->tmp[0] = 0;
        pt_error_set(err, PT_ERR_IO, NULL, 0, 0, "import: cannot write into the library: %s",
                     strerror(errno));
        status = 500;
        goto done;
    }
    long long got = 0;
    while (got < length) {
        size_t want = length - got < (long long)sizeof b->chunk ? (size_t)(length - got) : sizeof b->chunk;
        long n = read(user, b->chunk, want);
        if (n <= 0) break;
        for (long off = 0; off < n;) {
            ssize_t w = write(fd, b->chunk + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) {
                pt_error_set(err, PT_ERR_IO, NULL, 0, 0, "import: writing '%s': %s", name,
                             strerror(errno));
                status = 500;
                goto done;
            }
            off += w;
        }
        got += n;
    }
    if (got != length) {
        pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                     "import: '%s': the body ended early (%lld of %lld bytes)", name, got, length);
        status = 400;
        goto done;
    }
    if (fsync(fd) != 0 || close(fd) != 0) {
        fd = -1;
        pt_error_set(err, PT_ERR_IO, NULL, 0, 0, "import: writing '%s': %s", name, strerror(errno));
        status = 500;
        goto done;
    }
    fd = -1;
    if (!strcmp(k, "yaml")) {
        k = pt_circuit_file_sniff(b->tmp) == 1 ? "circuit" : "rig";
        if (!strcmp(k, "circuit")) {
            status = place_for(b, k, name, overwrite, err);
            if (status != 200) goto done;
        }
    }
    /* a rig sent over the network may name files in the library and the
     * factory folders only, as when it is loaded later */
    pt_lib_roots *roots = pt_lib_roots_create(library);
    pt_rig_confine conf = {.allows = pt_lib_roots_allow, .user = roots};
    int bad = !roots ? pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory")
                     : validate(b->tmp, k, b->rel, &conf, err);
    pt_lib_roots_free(roots);
    if (bad) {
        status = 400;
        goto done;
    }
    /* into place: a new name never replaces a file that appeared meanwhile */
    if (overwrite) {
        if (rename(b->tmp, b->target) != 0) {
            pt_error_set(err, PT_ERR_IO, NULL, 0, 0, "import: '%s': %s", b->rel, strerror(errno));
            status = 500;
            goto done;
        }
    } else if (link(b->tmp, b->target) != 0) {
        if (errno == EEXIST) {
            pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                         "'%s' exists in the library already (send overwrite=1 to replace it)", b->rel);
            status = 409;
        } else {
            pt_error_set(err, PT_ERR_IO, NULL, 0, 0, "import: '%s': %s", b->rel, strerror(errno));
            status = 500;
        }
        goto done;
    } else {
        unlink(b->tmp);
    }
    b->tmp[0] = 0;
    if (strlen(b->rel) >= out_size) {
        pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "import: the path is too long");
        status = 500;
    } else {
        snprintf(out_rel, out_size, "%s", b->rel);
    }
done:
    if (fd >= 0) close(fd);
    if (b->tmp[0]) unlink(b->tmp);
    free(b);
    return status;
}
