/* library.c — the user's and the factory's files, listed by kind for the
 * web UI (list_files), and the factory paths the page may name. */
#include "library.h"

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "assets.h"
#include "libpath.h"

static const char *const factory_dirs[] = {"irs", "models", "circuits", NULL};
static const char *const asset_ends[] = {".nam", ".wav", ".aif", ".aiff", ".flac", ".yaml", ".yml",
                                         NULL};

static bool ends_with(const char *s, const char *end)
{
    size_t n = strlen(s), m = strlen(end);
    return n >= m && !strcasecmp(s + n - m, end);
}

bool pt_library_is_factory(const char *rel)
{
    return rel && !strncmp(rel, "../", 3);
}

bool pt_library_is_factory_rig(const char *rel)
{
    return rel && !strncmp(rel, PT_LIBRARY_FACTORY_RIGS, strlen(PT_LIBRARY_FACTORY_RIGS));
}

bool pt_library_factory_rigs_dir(const char *library, char *out, size_t out_size)
{
    char joined[PATH_MAX * 2], dir[PATH_MAX], lib[PATH_MAX];
    struct stat st;
    snprintf(joined, sizeof joined, "%s/../factory/rigs", library);
    if (!library || !realpath(joined, dir) || stat(dir, &st) != 0 || !S_ISDIR(st.st_mode) ||
        !realpath(library, lib) || !strcmp(lib, dir) || strlen(dir) >= out_size)
        return false;
    snprintf(out, out_size, "%s", dir);
    return true;
}

int pt_library_factory_rig(const char *library, const char *rel, char *out, size_t out_size,
                           pt_error *err)
{
    const char *name = pt_library_is_factory_rig(rel) ? rel + strlen(PT_LIBRARY_FACTORY_RIGS) : "";
    bool plain = name[0] && name[0] != '.' && (ends_with(name, ".yaml") || ends_with(name, ".yml"));
    for (const unsigned char *q = (const unsigned char *)name; plain && *q; q++)
        if (*q < 0x20 || *q == 0x7f || *q == '\\' || *q == '/') plain = false;
    if (!plain)
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                            "'%s': a factory rig is named " PT_LIBRARY_FACTORY_RIGS "NAME.yaml",
                            rel ? rel : "");
    char dir[PATH_MAX];
    if (!pt_library_factory_rigs_dir(library, dir, sizeof dir))
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                            "'%s': there are no factory rigs beside this library", rel);
    if (!pt_lib_listable(dir, name, 4LL << 20, out, out_size))
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "'%s' is not a factory rig", rel);
    return 0;
}

/* "<library>/../<dir>" resolved; false when it is not there. */
static bool factory_root(const char *library, const char *dir, char *out)
{
    char joined[PATH_MAX * 2];
    snprintf(joined, sizeof joined, "%s/../%s", library, dir);
    struct stat st;
    return realpath(joined, out) && stat(out, &st) == 0 && S_ISDIR(st.st_mode);
}

int pt_library_factory_path(const char *library, const char *rel, char *out, size_t out_size,
                            pt_error *err)
{
    if (!library || !library[0])
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                            "this session has no rig library, so no paths are accepted");
    if (!pt_library_is_factory(rel))
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "'%s' is not a factory file", rel);
    const char *p = rel + 3, *slash = strchr(p, '/');
    int which = -1;
    for (int i = 0; slash && factory_dirs[i]; i++)
        if ((size_t)(slash - p) == strlen(factory_dirs[i]) &&
            !strncmp(p, factory_dirs[i], (size_t)(slash - p)))
            which = i;
    if (which < 0)
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                            "'%s': only the factory folders irs/, models/ and circuits/ beside "
                            "the library can be named with '..' (as ../irs/NAME)",
                            rel);
    for (const char *c = slash + 1;;) {
        const char *e = strchr(c, '/');
        size_t n = e ? (size_t)(e - c) : strlen(c);
        if (n == 0 || c[0] == '.')
            return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                                "'%s': an empty, '.', '..' or hidden component is not allowed",
                                rel);
        if (!e) break;
        c = e + 1;
    }
    for (const unsigned char *q = (const unsigned char *)rel; *q; q++)
        if (*q < 0x20 || *q == 0x7f || *q == '\\')
            return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                                "the path contains a control character or a backslash");
    bool ext_ok = false;
    for (int i = 0; asset_ends[i]; i++) ext_ok |= ends_with(rel, asset_ends[i]);
    if (!ext_ok)
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                            "'%s': the file must end in .nam, .wav, .aif, .aiff, .flac, .yaml or "
                            ".yml",
                            rel);
    char root[PATH_MAX], joined[PATH_MAX * 2], real[PATH_MAX];
    if (!factory_root(library, factory_dirs[which], root))
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                            "'%s': there is no factory folder %s/ beside the library", rel,
                            factory_dirs[which]);
    snprintf(joined, sizeof joined, "%s/%s", root, slash + 1);
    size_t n = strlen(root);
    struct stat st;
    if (!realpath(joined, real))
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "'%s' is not there", rel);
    if (strncmp(real, root, n) || real[n] != '/')
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                            "'%s' leads outside the factory folder (a symlink?)", rel);
    if (stat(real, &st) != 0 || !S_ISREG(st.st_mode))
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "'%s' is not a file", rel);
    if (strlen(real) >= out_size)
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "the path is too long");
    snprintf(out, out_size, "%s", real);
    return 0;
}

/* Walk `root`/`rel` (depth at most 4), appending files of kind `want` whose
 * paths get `prefix` in front. Heap buffers: civetweb threads have small
 * stacks. */
static void walk(const char *root, const char *rel, int depth, const char *want,
                 const char *prefix, bool factory, cJSON *out)
{
    char *dir = malloc(PATH_MAX), *full = malloc(PATH_MAX), *sub = malloc(PATH_MAX);
    DIR *d = NULL;
    if (dir && full && sub) {
        snprintf(dir, PATH_MAX, "%s%s%s", root, rel[0] ? "/" : "", rel);
        d = opendir(dir);
    }
    struct dirent *de;
    while (d && (de = readdir(d)) && cJSON_GetArraySize(out) < PT_LIBRARY_MAX_FILES) {
        if (de->d_name[0] == '.') continue; /* hidden, the trash, . and .. */
        snprintf(sub, PATH_MAX, "%s%s%s", rel, rel[0] ? "/" : "", de->d_name);
        snprintf(full, PATH_MAX, "%s/%s", root, sub);
        struct stat st;
        if (lstat(full, &st) != 0 || S_ISLNK(st.st_mode)) continue; /* links may lead out */
        if (S_ISDIR(st.st_mode)) {
            if (depth < 4) walk(root, sub, depth + 1, want, prefix, factory, out);
            continue;
        }
        const char *kind = S_ISREG(st.st_mode) ? pt_asset_kind(full, de->d_name) : NULL;
        if (!kind || (want && strcmp(want, kind))) continue;
        if (factory && !strcmp(kind, "rig")) continue; /* factory folders hold no rigs */
        cJSON *o = cJSON_CreateObject();
        char shown[PATH_MAX + 32];
        snprintf(shown, sizeof shown, "%s%s", prefix, sub);
        cJSON_AddStringToObject(o, "path", shown);
        cJSON_AddStringToObject(o, "kind", kind);
        cJSON_AddNumberToObject(o, "bytes", (double)st.st_size);
        cJSON_AddBoolToObject(o, "factory", factory);
        cJSON_AddItemToArray(out, o);
    }
    if (d) closedir(d);
    free(dir), free(full), free(sub);
}

static int by_path(const void *a, const void *b)
{
    const cJSON *x = *(cJSON *const *)a, *y = *(cJSON *const *)b;
    return strcmp(cJSON_GetObjectItem(x, "path")->valuestring,
                  cJSON_GetObjectItem(y, "path")->valuestring);
}

/* Sort the items of `out` from index `from` on by path. */
static void sort_tail(cJSON *out, int from)
{
    int n = cJSON_GetArraySize(out) - from;
    if (n < 2) return;
    cJSON **items = malloc((size_t)n * sizeof *items);
    if (!items) return;
    for (int i = 0; i < n; i++) items[i] = cJSON_DetachItemFromArray(out, from);
    qsort(items, (size_t)n, sizeof *items, by_path);
    for (int i = 0; i < n; i++) cJSON_AddItemToArray(out, items[i]);
    free(items);
}

void pt_library_list(const char *library, const char *want, cJSON *out)
{
    if (!library || !library[0]) return;
    int from = cJSON_GetArraySize(out);
    walk(library, "", 0, want, "", false, out);
    sort_tail(out, from);
    char lib_real[PATH_MAX], root[PATH_MAX], prefix[64];
    if (!realpath(library, lib_real)) return;
    from = cJSON_GetArraySize(out);
    for (int i = 0; factory_dirs[i]; i++) {
        if (!factory_root(library, factory_dirs[i], root)) continue;
        size_t n = strlen(root);
        /* a factory folder inside the library is listed as the user's */
        if (!strncmp(lib_real, root, n) && (lib_real[n] == '/' || !lib_real[n])) continue;
        if (!strncmp(root, lib_real, strlen(lib_real)) && root[strlen(lib_real)] == '/') continue;
        snprintf(prefix, sizeof prefix, "../%s/", factory_dirs[i]);
        walk(root, "", 0, want, prefix, true, out);
    }
    sort_tail(out, from);
}
