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
#include "yaml_doc.h"
#include "../midi/mapping.h"

static void param(pt_yemit *e, const pt_param_def *d, float v)
{
    if (d->taper == PT_TAPER_ENUM && d->choices) {
        int i = (int)v;
        for (int k = 0; d->choices[k]; k++)
            if (k == i) return pt_ye_scalar(e, d->choices[k]);
    }
    if (d->taper == PT_TAPER_TOGGLE) return pt_ye_scalar(e, v != 0 ? "true" : "false");
    pt_ye_number(e, v);
}

static void chain(pt_yemit *e, const pt_rig_chain *c, int absolute_assets)
{
    pt_ye_seq_start(e, NULL, c->n == 0);
    for (int i = 0; i < c->n; i++) {
        const pt_rig_item *it = &c->items[i];
        pt_ye_map_start(e, NULL, 0);
        if (it->is_split) {
            pt_ye_map_start(e, "split", 0);
            if (it->split_id[0]) pt_ye_pair(e, "id", it->split_id);
            pt_ye_seq_start(e, "branches", 0);
            for (int b = 0; b < it->n_branches; b++) {
                pt_ye_map_start(e, NULL, 0);
                pt_ye_pair_number(e, "level_db", it->branches[b].level_db);
                pt_ye_pair_number(e, "pan", it->branches[b].pan);
                pt_ye_scalar(e, "chain");
                static const pt_rig_chain empty = {0};
                chain(e, it->branches[b].chain ? it->branches[b].chain : &empty, absolute_assets);
                pt_ye_map_end(e);
            }
            pt_ye_seq_end(e);
            pt_ye_map_end(e);
        } else {
            const pt_rig_node *n = &it->node;
            pt_ye_pair(e, "id", n->id);
            pt_ye_pair(e, "type", n->type->name);
            if (n->type->key_name && n->type->key) pt_ye_pair(e, n->type->key_name, n->type->key);
            if (n->bypass) pt_ye_pair(e, "bypass", "true");
            for (int a = 0; n->asset && a < n->type->n_assets; a++)
                if (n->asset[a]) {
                    pt_ye_scalar(e, n->type->assets[a].name);
                    if (absolute_assets && n->asset_path && n->asset_path[a]) {
                        char real[PATH_MAX];
                        pt_ye_scalar(e, realpath(n->asset_path[a], real) ? real : n->asset_path[a]);
                    } else {
                        pt_ye_scalar(e, n->asset[a]);
                    }
                }
            if (n->state) pt_ye_pair(e, "state", n->state);
            if (n->n_values) {
                pt_ye_map_start(e, "params", 0);
                for (int v = 0; v < n->n_values; v++) {
                    const pt_param_def *d = &n->type->params[n->values[v].param];
                    pt_ye_scalar(e, d->name);
                    param(e, d, n->values[v].value);
                }
                pt_ye_map_end(e);
            }
        }
        pt_ye_map_end(e);
    }
    pt_ye_seq_end(e);
}

static int emit(const pt_rig *rig, pt_yemit *e, int absolute_assets)
{
    yaml_event_t ev;
    yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
    pt_ye_event(e, &ev);
    yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1);
    pt_ye_event(e, &ev);
    pt_ye_map_start(e, NULL, 0);
    pt_ye_pair_number(e, "version", PT_RIG_VERSION);
    pt_ye_pair(e, "name", rig->name ? rig->name : "");
    if (rig->author) pt_ye_pair(e, "author", rig->author);
    if (rig->n_tags) {
        pt_ye_seq_start(e, "tags", 1);
        for (int i = 0; i < rig->n_tags; i++) pt_ye_scalar(e, rig->tags[i]);
        pt_ye_seq_end(e);
    }
    pt_ye_pair_number(e, "tempo_bpm", rig->tempo_bpm);
    if (rig->input_trim_db != 0) pt_ye_pair_number(e, "input_trim_db", rig->input_trim_db);
    if (rig->output_level_db != 0) pt_ye_pair_number(e, "output_level_db", rig->output_level_db);
    if (rig->notes && rig->notes[0]) {
        pt_ye_scalar(e, "notes");
        pt_ye_literal(e, rig->notes);
    }
    pt_ye_scalar(e, "chain");
    chain(e, &rig->chain, absolute_assets);
    if (rig->n_scenes) {
        pt_ye_seq_start(e, "scenes", 0);
        for (int i = 0; i < rig->n_scenes; i++) {
            const pt_scene *sc = &rig->scenes[i];
            pt_ye_map_start(e, NULL, 0);
            pt_ye_pair(e, "name", sc->name);
            int np = 0, nb = 0;
            for (int v = 0; v < sc->n_values; v++) sc->values[v].param >= 0 ? np++ : nb++;
            if (np) {
                pt_ye_map_start(e, "params", 0);
                for (int v = 0; v < sc->n_values; v++) {
                    const pt_scene_value *sv = &sc->values[v];
                    if (sv->param < 0) continue;
                    const pt_rig_node *n = pt_rig_find_node(rig, sv->node);
                    if (!n) continue;
                    char key[2 * PT_ID_MAX + 2];
                    snprintf(key, sizeof key, "%s.%s", sv->node, n->type->params[sv->param].name);
                    pt_ye_scalar(e, key);
                    param(e, &n->type->params[sv->param], sv->value);
                }
                pt_ye_map_end(e);
            }
            if (nb) {
                pt_ye_map_start(e, "bypass", 0);
                for (int v = 0; v < sc->n_values; v++)
                    if (sc->values[v].param < 0) {
                        pt_ye_scalar(e, sc->values[v].node);
                        pt_ye_scalar(e, sc->values[v].value != 0 ? "true" : "false");
                    }
                pt_ye_map_end(e);
            }
            pt_ye_map_end(e);
        }
        pt_ye_seq_end(e);
    }
    if (rig->midi) {
        pt_ye_scalar(e, "midi");
        if (!e->failed && pt_midi_map_emit(rig->midi, e->em) != 0) e->failed = 1;
    }
    pt_ye_map_end(e);
    yaml_document_end_event_initialize(&ev, 1);
    pt_ye_event(e, &ev);
    yaml_stream_end_event_initialize(&ev);
    pt_ye_event(e, &ev);
    return e->failed ? -1 : 0;
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
    yaml_emitter_t em;
    pt_yemit e = {.em = &em};
    strbuf b = {0};
    yaml_emitter_initialize(&em);
    yaml_emitter_set_output(&em, sb_write, &b);
    yaml_emitter_set_unicode(&em, 1);
    yaml_emitter_set_width(&em, 100);
    int rc = emit(rig, &e, absolute_assets);
    yaml_emitter_delete(&em);
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
    /* Whatever is at PATH.tmp (a killed save's file, or a link planted there
     * to have us write through it) is removed, never followed: a new file
     * is made with O_EXCL | O_NOFOLLOW, and one that appears in between is
     * refused rather than written through. */
    unlink(tmp);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
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
