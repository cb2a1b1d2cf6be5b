/* rig_save.c — writing rigs back to YAML (always the current version), and
 * saving them so that a crash or power cut at any moment leaves a loadable
 * file: write a temporary file, sync it, keep the old file as PATH.bak (a
 * hard link, so PATH never disappears), rename the new one over PATH, sync
 * the folder.
 *
 * libyaml keeps no comments, so a hand-written file's comments do not survive
 * a save (its key order is the canonical one below). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "rig.h"
#include "../midi/mapping.h"

typedef struct out {
    yaml_emitter_t em;
    int failed;
    int absolute_assets;
} out;

static void ev(out *o, yaml_event_t *e)
{
    if (!o->failed && !yaml_emitter_emit(&o->em, e)) o->failed = 1;
}

static void scalar(out *o, const char *s)
{
    yaml_event_t e;
    int plain = s[0] != 0;
    yaml_scalar_event_initialize(&e, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), plain, 1,
                                 YAML_ANY_SCALAR_STYLE);
    ev(o, &e);
}

static void literal(out *o, const char *s)
{
    yaml_event_t e;
    yaml_scalar_event_initialize(&e, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), 0, 1,
                                 YAML_LITERAL_SCALAR_STYLE);
    ev(o, &e);
}

static void number(out *o, double v)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.9g", v); /* round-trips a float exactly */
    scalar(o, buf);
}

static void map_start(out *o, int flow)
{
    yaml_event_t e;
    yaml_mapping_start_event_initialize(&e, NULL, NULL, 1,
                                        flow ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE);
    ev(o, &e);
}

static void map_end(out *o)
{
    yaml_event_t e;
    yaml_mapping_end_event_initialize(&e);
    ev(o, &e);
}

static void seq_start(out *o, int flow)
{
    yaml_event_t e;
    yaml_sequence_start_event_initialize(&e, NULL, NULL, 1,
                                         flow ? YAML_FLOW_SEQUENCE_STYLE : YAML_BLOCK_SEQUENCE_STYLE);
    ev(o, &e);
}

static void seq_end(out *o)
{
    yaml_event_t e;
    yaml_sequence_end_event_initialize(&e);
    ev(o, &e);
}

static void param(out *o, const pt_param_def *d, float v)
{
    if (d->taper == PT_TAPER_ENUM && d->choices) {
        int i = (int)v;
        for (int k = 0; d->choices[k]; k++)
            if (k == i) return scalar(o, d->choices[k]);
    }
    if (d->taper == PT_TAPER_TOGGLE) return scalar(o, v != 0 ? "true" : "false");
    number(o, v);
}

static void chain(out *o, const pt_rig_chain *c)
{
    seq_start(o, c->n == 0);
    for (int i = 0; i < c->n; i++) {
        const pt_rig_item *it = &c->items[i];
        map_start(o, 0);
        if (it->is_split) {
            scalar(o, "split");
            map_start(o, 0);
            if (it->split_id[0]) {
                scalar(o, "id");
                scalar(o, it->split_id);
            }
            scalar(o, "branches");
            seq_start(o, 0);
            for (int b = 0; b < it->n_branches; b++) {
                map_start(o, 0);
                scalar(o, "level_db");
                number(o, it->branches[b].level_db);
                scalar(o, "pan");
                number(o, it->branches[b].pan);
                scalar(o, "chain");
                static const pt_rig_chain empty = {0};
                chain(o, it->branches[b].chain ? it->branches[b].chain : &empty);
                map_end(o);
            }
            seq_end(o);
            map_end(o);
        } else {
            const pt_rig_node *n = &it->node;
            scalar(o, "id");
            scalar(o, n->id);
            scalar(o, "type");
            scalar(o, n->type->name);
            if (n->bypass) {
                scalar(o, "bypass");
                scalar(o, "true");
            }
            for (int a = 0; n->asset && a < n->type->n_assets; a++)
                if (n->asset[a]) {
                    scalar(o, n->type->assets[a].name);
                    if (o->absolute_assets && n->asset_path && n->asset_path[a]) {
                        char real[PATH_MAX];
                        scalar(o, realpath(n->asset_path[a], real) ? real : n->asset_path[a]);
                    } else {
                        scalar(o, n->asset[a]);
                    }
                }
            if (n->n_values) {
                scalar(o, "params");
                map_start(o, 0);
                for (int v = 0; v < n->n_values; v++) {
                    const pt_param_def *d = &n->type->params[n->values[v].param];
                    scalar(o, d->name);
                    param(o, d, n->values[v].value);
                }
                map_end(o);
            }
        }
        map_end(o);
    }
    seq_end(o);
}

static int emit(const pt_rig *rig, out *o)
{
    yaml_event_t e;
    yaml_stream_start_event_initialize(&e, YAML_UTF8_ENCODING);
    ev(o, &e);
    yaml_document_start_event_initialize(&e, NULL, NULL, NULL, 1);
    ev(o, &e);
    map_start(o, 0);
    scalar(o, "version");
    number(o, PT_RIG_VERSION);
    scalar(o, "name");
    scalar(o, rig->name ? rig->name : "");
    if (rig->author) {
        scalar(o, "author");
        scalar(o, rig->author);
    }
    if (rig->n_tags) {
        scalar(o, "tags");
        seq_start(o, 1);
        for (int i = 0; i < rig->n_tags; i++) scalar(o, rig->tags[i]);
        seq_end(o);
    }
    scalar(o, "tempo_bpm");
    number(o, rig->tempo_bpm);
    if (rig->input_trim_db != 0) {
        scalar(o, "input_trim_db");
        number(o, rig->input_trim_db);
    }
    if (rig->output_level_db != 0) {
        scalar(o, "output_level_db");
        number(o, rig->output_level_db);
    }
    if (rig->notes && rig->notes[0]) {
        scalar(o, "notes");
        literal(o, rig->notes);
    }
    scalar(o, "chain");
    chain(o, &rig->chain);
    if (rig->n_scenes) {
        scalar(o, "scenes");
        seq_start(o, 0);
        for (int i = 0; i < rig->n_scenes; i++) {
            const pt_scene *sc = &rig->scenes[i];
            map_start(o, 0);
            scalar(o, "name");
            scalar(o, sc->name);
            int np = 0, nb = 0;
            for (int v = 0; v < sc->n_values; v++) sc->values[v].param >= 0 ? np++ : nb++;
            if (np) {
                scalar(o, "params");
                map_start(o, 0);
                for (int v = 0; v < sc->n_values; v++) {
                    const pt_scene_value *sv = &sc->values[v];
                    if (sv->param < 0) continue;
                    const pt_rig_node *n = pt_rig_find_node(rig, sv->node);
                    if (!n) continue;
                    char key[2 * PT_ID_MAX + 2];
                    snprintf(key, sizeof key, "%s.%s", sv->node, n->type->params[sv->param].name);
                    scalar(o, key);
                    param(o, &n->type->params[sv->param], sv->value);
                }
                map_end(o);
            }
            if (nb) {
                scalar(o, "bypass");
                map_start(o, 0);
                for (int v = 0; v < sc->n_values; v++)
                    if (sc->values[v].param < 0) {
                        scalar(o, sc->values[v].node);
                        scalar(o, sc->values[v].value != 0 ? "true" : "false");
                    }
                map_end(o);
            }
            map_end(o);
        }
        seq_end(o);
    }
    if (rig->midi) {
        scalar(o, "midi");
        if (!o->failed && pt_midi_map_emit(rig->midi, &o->em) != 0) o->failed = 1;
    }
    map_end(o);
    yaml_document_end_event_initialize(&e, 1);
    ev(o, &e);
    yaml_stream_end_event_initialize(&e);
    ev(o, &e);
    return o->failed ? -1 : 0;
}

typedef struct strbuf {
    char *s;
    size_t n, cap;
} strbuf;

static int sb_write(void *data, unsigned char *buf, size_t size)
{
    strbuf *b = data;
    if (b->n + size + 1 > b->cap) {
        size_t cap = (b->n + size + 1) * 2;
        char *s = realloc(b->s, cap);
        if (!s) return 0;
        b->s = s;
        b->cap = cap;
    }
    memcpy(b->s + b->n, buf, size);
    b->n += size;
    b->s[b->n] = 0;
    return 1;
}

static char *to_yaml(const pt_rig *rig, size_t *len, int absolute_assets)
{
    out o = {.absolute_assets = absolute_assets};
    strbuf b = {0};
    yaml_emitter_initialize(&o.em);
    yaml_emitter_set_output(&o.em, sb_write, &b);
    yaml_emitter_set_unicode(&o.em, 1);
    yaml_emitter_set_width(&o.em, 100);
    int rc = emit(rig, &o);
    yaml_emitter_delete(&o.em);
    if (rc != 0) {
        free(b.s);
        return NULL;
    }
    if (len) *len = b.n;
    return b.s;
}

char *pt_rig_to_yaml(const pt_rig *rig, size_t *len) { return to_yaml(rig, len, 0); }

pt_rig *pt_rig_clone(const pt_rig *rig)
{
    size_t len;
    char *text = pt_rig_to_yaml(rig, &len);
    if (!text) return NULL;
    pt_diags d;
    pt_diags_init(&d);
    pt_rig *copy = pt_rig_load_string(text, len, rig->path, rig->dir, &d);
    pt_diags_free(&d);
    free(text);
    return copy;
}

/* Write all of buf to fd, or fail. */
static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, buf, len);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        buf += w;
        len -= (size_t)w;
    }
    return 0;
}

/* 1 if `path` would sit in another folder than the one the rig's relative
 * asset paths are written against. */
static int other_folder(const pt_rig *rig, const char *path)
{
    char *copy = strdup(path);
    char a[PATH_MAX], b[PATH_MAX];
    int differ = 1;
    if (copy && realpath(dirname(copy), a) && rig->dir && realpath(rig->dir[0] ? rig->dir : ".", b))
        differ = strcmp(a, b) != 0;
    free(copy);
    return differ;
}

int pt_rig_save(const pt_rig *rig, const char *path, pt_error *err)
{
    /* saved elsewhere ("save as"), relative asset paths would point at the
     * wrong files: write them resolved */
    return pt_rig_save_ex(rig, path, other_folder(rig, path), err);
}

int pt_rig_save_ex(const pt_rig *rig, const char *path, int absolute_assets, pt_error *err)
{
    size_t len;
    char *text = to_yaml(rig, &len, absolute_assets);
    if (!text) return pt_error_set(err, PT_ERR, path, 0, 0, "cannot write the rig as YAML");
    char tmp[4096], bak[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path); /* one name: the next save reclaims a killed one's */
    snprintf(bak, sizeof bak, "%s.bak", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        free(text);
        return pt_error_set(err, PT_ERR_IO, path, 0, 0, "cannot save: %s", strerror(errno));
    }
    int bad = write_all(fd, text, len) != 0 || fsync(fd) != 0;
    int saved_errno = errno;
    if (close(fd) != 0 && !bad) bad = 1, saved_errno = errno;
    free(text);
    if (bad) {
        unlink(tmp);
        return pt_error_set(err, PT_ERR_IO, path, 0, 0, "cannot save (%s); the old file is unchanged",
                            strerror(saved_errno));
    }
    /* keep the previous version; PATH itself stays in place throughout */
    struct stat st;
    if (stat(path, &st) == 0) {
        char baktmp[4200];
        snprintf(baktmp, sizeof baktmp, "%s.tmp", bak);
        unlink(baktmp);
        if (link(path, baktmp) == 0) rename(baktmp, bak);
    }
    if (rename(tmp, path) != 0) {
        saved_errno = errno;
        unlink(tmp);
        return pt_error_set(err, PT_ERR_IO, path, 0, 0, "cannot save (%s); the old file is unchanged",
                            strerror(saved_errno));
    }
    char *dcopy = strdup(path);
    if (dcopy) {
        int dfd = open(dirname(dcopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
        free(dcopy);
    }
    return 0;
}
