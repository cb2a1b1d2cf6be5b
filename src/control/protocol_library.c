/* protocol_library.c — the commands on files in the library: rigs (list,
 * load, save, rename, copy, delete into .trash, restore), the assets nodes
 * use (list, describe, confine a network path to the library) and a rig's
 * metadata.
 */
#include "protocol_internal.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "assets.h"
#include "library.h"
#include "libpath.h"

/* ------------------------------------------------------------ rig paths */

/* models (.nam), impulse responses, circuits */
static const char *const asset_exts[] = {".nam", ".wav", ".aif", ".aiff", ".flac", ".yaml", ".yml",
                                         ".json", NULL};

/* The one rule for network paths lives in libpath.c. */
int pt_protocol_confine_path(const char *library, const char *rel, const char *const *exts,
                             bool must_exist, char *out, size_t out_size, pt_error *err)
{
    return pt_lib_confine(library, rel, exts, must_exist ? PT_LIB_READ : PT_LIB_CREATE, out,
                          out_size, err);
}

int cmd_list_rigs(req *r)
{
    cJSON_AddItemToObject(r->reply, "rigs", wrap(pt_session_list_rigs(r->s)));
    return 0;
}

int cmd_load_rig(req *r)
{
    bool bad;
    const char *rel = get_str(r, r->msg, "path", STR_PATH, true, &bad);
    if (bad) return -1;
    char path[PATH_MAX];
    pt_error err = {0};
    bool factory = pt_library_is_factory_rig(rel);
    if (factory ? pt_library_factory_rig(pt_session_library(r->s), rel, path, sizeof path, &err)
                : pt_protocol_confine_path(pt_session_library(r->s), rel, NULL, true, path,
                                           sizeof path, &err))
        return fail(r, "load_rig: %s", err.msg);
    pt_diags diags;
    pt_diags_init(&diags);
    int rc = factory ? pt_session_load_factory(r->s, path, &diags)
                     : pt_session_load_library(r->s, path, &diags);
    if (rc != 0) {
        char buf[1024] = "";
        for (int i = 0; i < diags.n && i < 4; i++) {
            char one[1024];
            pt_error_format(&diags.items[i], one, sizeof one);
            if (i) strncat(buf, "; ", sizeof buf - strlen(buf) - 1);
            strncat(buf, one, sizeof buf - strlen(buf) - 1);
        }
        int n = diags.n;
        pt_diags_free(&diags);
        return fail(r, "load_rig: '%s' could not be loaded%s%s%s", rel, n ? ": " : "", buf,
                    n > 4 ? " (and more)" : "");
    }
    pt_diags_free(&diags);
    cJSON_AddStringToObject(r->reply, "path", rel);
    return 0;
}

int cmd_save_rig(req *r)
{
    bool bad;
    const char *rel = get_str(r, r->msg, "path", STR_PATH, false, &bad);
    if (bad) return -1;
    char path[PATH_MAX];
    pt_error err = {0};
    if (rel &&
        pt_protocol_confine_path(pt_session_library(r->s), rel, NULL, false, path, sizeof path,
                                 &err))
        return fail(r, "save_rig: %s", err.msg);
    if (pt_session_save(r->s, rel ? path : NULL, &err)) return fail_err(r, &err);
    if (rel) cJSON_AddStringToObject(r->reply, "path", rel);
    return 0;
}

/* ---- rig files in the library: rename, copy, delete into .trash, restore ---- */

/* Moved with the library's folders opened and links not followed
 * (libpath.c): a link is renamed or trashed as a link, never its target. */
int cmd_rename_rig(req *r)
{
    bool bad;
    const char *f = get_str(r, r->msg, "from", STR_PATH, true, &bad);
    if (bad) return -1;
    const char *t = get_str(r, r->msg, "to", STR_PATH, true, &bad);
    if (bad) return -1;
    char *from = malloc(PATH_MAX), *to = malloc(PATH_MAX); /* heap: small stacks */
    pt_error err = {0};
    int rc = 0;
    if (!from || !to) rc = fail(r, "rename_rig: out of memory");
    else if (pt_lib_rename(pt_session_library(r->s), f, t, from, to, PATH_MAX, &err))
        rc = fail(r, "rename_rig: %s", err.msg);
    else pt_session_rig_renamed(r->s, from, to);
    free(from), free(to);
    return rc;
}

/* Through the rig loader and saver: a copy into another folder keeps its
 * asset paths right. The copy is loaded as a network rig (its assets
 * confined) and written without following a link at the new name. */
int cmd_copy_rig(req *r)
{
    bool bad;
    const char *f = get_str(r, r->msg, "from", STR_PATH, true, &bad);
    if (bad) return -1;
    const char *t = get_str(r, r->msg, "to", STR_PATH, true, &bad);
    if (bad) return -1;
    char *from = malloc(PATH_MAX), *to = malloc(PATH_MAX);
    const char *lib = pt_session_library(r->s);
    pt_error err = {0};
    struct stat st;
    int rc = 0;
    if (!from || !to) rc = fail(r, "copy_rig: out of memory");
    else if ((pt_library_is_factory_rig(f) ? pt_library_factory_rig(lib, f, from, PATH_MAX, &err)
                                           : pt_lib_confine(lib, f, NULL, PT_LIB_READ, from,
                                                            PATH_MAX, &err)) ||
             pt_lib_confine(lib, t, NULL, PT_LIB_CREATE, to, PATH_MAX, &err))
        rc = fail(r, "copy_rig: %s", err.msg);
    else if (lstat(to, &st) == 0) rc = fail(r, "copy_rig: '%s' already exists", t);
    if (rc == 0) {
        pt_diags d;
        pt_diags_init(&d);
        pt_rig *rig = pt_session_load_library_rig(r->s, from, &d);
        if (!rig) rc = fail(r, "copy_rig: %s", d.n ? d.items[0].msg : "cannot load it");
        else if (pt_rig_save(rig, to, &err)) rc = fail_err(r, &err);
        pt_rig_free(rig);
        pt_diags_free(&d);
    }
    free(from), free(to);
    return rc;
}

int cmd_delete_rig(req *r)
{
    bool bad;
    const char *rel = get_str(r, r->msg, "path", STR_PATH, true, &bad);
    if (bad) return -1;
    pt_error err = {0};
    if (pt_lib_trash(pt_session_library(r->s), rel, &err)) return fail(r, "delete_rig: %s", err.msg);
    return 0;
}

static void trash_item(void *user, const char *name, long mtime)
{
    char when[32];
    time_t t = (time_t)mtime;
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "file", name);
    cJSON_AddStringToObject(o, "deleted", when);
    cJSON_AddItemToArray(user, o);
}

int cmd_list_trash(req *r)
{
    cJSON *list = cJSON_AddArrayToObject(r->reply, "rigs");
    pt_lib_list_trash(pt_session_library(r->s), trash_item, list);
    return 0;
}

int cmd_restore_rig(req *r)
{
    bool bad;
    const char *name = get_str(r, r->msg, "path", STR_PATH, true, &bad);
    if (bad) return -1;
    char orig[NAME_MAX + 1];
    pt_error err = {0};
    if (pt_lib_restore(pt_session_library(r->s), name, orig, sizeof orig, &err))
        return fail(r, "restore_rig: %s", err.msg);
    cJSON_AddStringToObject(r->reply, "path", orig);
    return 0;
}

/* Files in the library the nodes can use, by kind (for the file pickers):
 * those of pt_asset_kind that are not rigs. */
static const char *asset_kind(const char *full, const char *name)
{
    const char *k = pt_asset_kind(full, name);
    return k && strcmp(k, "rig") ? k : NULL;
}

static void list_dir(const char *root, const char *rel, int depth, const char *want, cJSON *out)
{
    char *dir = malloc(PATH_MAX), *full = malloc(PATH_MAX), *sub = malloc(PATH_MAX);
    DIR *d = NULL;
    if (dir && full && sub) {
        snprintf(dir, PATH_MAX, "%s%s%s", root, rel[0] ? "/" : "", rel);
        d = opendir(dir);
    }
    struct dirent *de;
    while (d && (de = readdir(d)) && cJSON_GetArraySize(out) < 2000) {
        if (de->d_name[0] == '.') continue; /* hidden, the trash, . and .. */
        snprintf(sub, PATH_MAX, "%s%s%s", rel, rel[0] ? "/" : "", de->d_name);
        snprintf(full, PATH_MAX, "%s/%s", root, sub);
        struct stat st;
        if (lstat(full, &st) != 0 || S_ISLNK(st.st_mode)) continue; /* links may leave the library */
        if (S_ISDIR(st.st_mode)) {
            if (depth < 4) list_dir(root, sub, depth + 1, want, out);
            continue;
        }
        const char *kind = S_ISREG(st.st_mode) ? asset_kind(full, de->d_name) : NULL;
        if (!kind || (want && strcmp(want, kind))) continue;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "path", sub);
        cJSON_AddStringToObject(o, "kind", kind);
        cJSON_AddNumberToObject(o, "bytes", (double)st.st_size);
        cJSON_AddItemToArray(out, o);
    }
    if (d) closedir(d);
    free(dir), free(full), free(sub);
}

int cmd_list_assets(req *r)
{
    bool bad;
    const char *kind = get_str(r, r->msg, "kind", STR_ID, false, &bad);
    if (bad) return -1;
    if (kind && strcmp(kind, "nam") && strcmp(kind, "ir") && strcmp(kind, "circuit"))
        return fail(r, "list_assets: kind must be nam, ir or circuit, not '%s'", kind);
    cJSON *list = cJSON_AddArrayToObject(r->reply, "assets");
    list_dir(pt_session_library(r->s), "", 0, kind, list);
    return 0;
}

/* The user's and the factory's files by kind, for the library view and the
 * file pickers (src/control/library.h). */
int cmd_list_files(req *r)
{
    bool bad;
    const char *kind = get_str(r, r->msg, "kind", STR_ID, false, &bad);
    if (bad) return -1;
    if (kind && strcmp(kind, "rig") && strcmp(kind, "nam") && strcmp(kind, "ir") &&
        strcmp(kind, "circuit"))
        return fail(r, "list_files: kind must be rig, nam, ir or circuit, not '%s'", kind);
    pt_library_list(pt_session_library(r->s), kind, cJSON_AddArrayToObject(r->reply, "files"));
    return 0;
}

/* An asset path from the network, confined to the library; what the rig
 * records: relative to its own folder when that is the library, else
 * absolute. Fills use (PATH_MAX bytes). */
int asset_path(req *r, const char *cmd, const char *rel, char *use)
{
    /* on the heap: civetweb's worker threads have small stacks */
    struct bufs {
        char path[PATH_MAX], rig_dir[PATH_MAX], real_rig_dir[PATH_MAX], real_lib[PATH_MAX];
    } *b = malloc(sizeof *b);
    if (!b) return fail(r, "%s: out of memory", cmd);
    pt_error err = {0};
    const char *lib = pt_session_library(r->s);
    if (pt_library_is_factory(rel)
            ? pt_library_factory_path(lib, rel, b->path, sizeof b->path, &err)
            : pt_protocol_confine_path(lib, rel, asset_exts, true, b->path, sizeof b->path, &err)) {
        free(b);
        return fail(r, "%s: %s", cmd, err.msg);
    }
    snprintf(use, PATH_MAX, "%s", b->path);
    if (pt_session_rig_dir(r->s, b->rig_dir, sizeof b->rig_dir) == 0 &&
        realpath(b->rig_dir, b->real_rig_dir) && realpath(lib, b->real_lib) &&
        !strcmp(b->real_rig_dir, b->real_lib))
        snprintf(use, PATH_MAX, "%s", rel);
    free(b);
    return 0;
}

/* ---- for the web UI (issue #8): files, lanes, scenes, rig metadata ---- */

/* What a library file holds: a capture's metadata, an IR's waveform and
 * spectrum, a circuit's description (src/control/assets.h). */
int cmd_asset_info(req *r)
{
    bool bad;
    const char *rel = get_str(r, r->msg, "path", STR_PATH, true, &bad);
    if (bad) return -1;
    char *path = malloc(PATH_MAX); /* heap: small stacks */
    if (!path) return fail(r, "asset_info: out of memory");
    pt_error err = {0};
    cJSON *info = NULL;
    const char *lib = pt_session_library(r->s);
    if ((pt_library_is_factory(rel)
             ? pt_library_factory_path(lib, rel, path, PATH_MAX, &err)
             : pt_protocol_confine_path(lib, rel, asset_exts, true, path, PATH_MAX, &err)) == 0)
        info = pt_asset_info(path, rel, &err);
    free(path);
    if (!info) {
        char buf[2048];
        pt_error_format(&err, buf, sizeof buf);
        return fail(r, "asset_info: %s", buf);
    }
    while (info->child) {
        cJSON *c = info->child;
        cJSON_DetachItemViaPointer(info, c);
        cJSON_AddItemToObject(r->reply, c->string, c);
    }
    cJSON_Delete(info);
    return 0;
}

int cmd_set_rig_info(req *r)
{
    const char *name, *author, *notes;
    if (get_text(r, "name", 256, false, &name) < 0 || get_text(r, "author", 256, false, &author) < 0 ||
        get_text(r, "notes", 16384, true, &notes) < 0)
        return -1;
    if (name && !name[0]) return fail(r, "set_rig_info: 'name' is empty (a rig needs one)");
    const cJSON *tags = cJSON_GetObjectItemCaseSensitive(r->msg, "tags");
    enum { MAX_TAGS = 32 };
    const char *tag[MAX_TAGS];
    int n_tags = -1;
    if (tags) {
        if (!cJSON_IsArray(tags)) return fail(r, "set_rig_info: 'tags' must be an array of strings");
        n_tags = 0;
        const cJSON *t;
        cJSON_ArrayForEach(t, tags) {
            if (n_tags == MAX_TAGS) return fail(r, "set_rig_info: at most %d tags", MAX_TAGS);
            if (!cJSON_IsString(t) || !t->valuestring || !t->valuestring[0] ||
                strnlen(t->valuestring, PT_ID_MAX) >= PT_ID_MAX || !printable(t->valuestring))
                return fail(r, "set_rig_info: each tag must be a printable string of 1 to %d bytes",
                            PT_ID_MAX - 1);
            tag[n_tags++] = t->valuestring;
        }
    }
    if (!name && !author && !notes && n_tags < 0)
        return fail(r, "set_rig_info: give at least one of name, author, notes, tags");
    pt_error err = {0};
    if (pt_session_set_rig_info(r->s, name, author, notes, tag, n_tags, &err)) return fail_err(r, &err);
    return 0;
}
