/* libpath.c — see libpath.h. */
#include "../core/datadir.h"
#include "../platform/platform.h"
#include "libpath.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const rig_exts[] = {".yaml", ".yml", NULL};

static bool has_suffix(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && !strcmp(s + n - m, suf);
}

/* path is root itself or below it */
static bool inside(const char *root, const char *path)
{
    size_t n = strlen(root);
    if (strncmp(path, root, n)) return false;
    return path[n] == '/' || path[n] == 0 || (n == 1 && root[0] == '/');
}

/* The spelling of a network path: relative plain names only. */
static int check_rel(const char *rel, const char *const *exts, pt_error *err)
{
    if (!rel || !rel[0]) return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "the path is empty");
    if (strlen(rel) > 512) return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "the path is too long");
    if (rel[0] == '/' || rel[0] == '~')
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                            "'%s': absolute paths are not allowed; name a rig inside the library",
                            rel);
    for (const unsigned char *p = (const unsigned char *)rel; *p; p++)
        if (*p < 0x20 || *p == 0x7f || *p == '\\')
            return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                                "the path contains a control character or a backslash");
    /* every component a plain name: no "", ".", ".." or hidden files */
    for (const char *c = rel; *c;) {
        const char *e = strchr(c, '/');
        size_t n = e ? (size_t)(e - c) : strlen(c);
        if (n == 0 || c[0] == '.') {
            bool dots = (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.');
            return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                                "'%s': %s is not allowed in a rig path (paths stay inside the "
                                "library)",
                                rel, dots ? "'.' or '..'" : n == 0 ? "an empty component"
                                                                  : "a hidden name");
        }
        c += n;
        if (*c == '/') c++;
    }
    if (!exts) exts = rig_exts;
    bool ext_ok = false;
    char ext_list[128] = "";
    for (int i = 0; exts[i]; i++) {
        ext_ok |= has_suffix(rel, exts[i]);
        strncat(ext_list, exts[i], sizeof ext_list - strlen(ext_list) - 3);
        if (exts[i + 1]) strncat(ext_list, ", ", sizeof ext_list - strlen(ext_list) - 1);
    }
    if (!ext_ok)
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "'%s': the file must end in %s", rel,
                            ext_list);
    return 0;
}

static const char *kind_of(mode_t m)
{
    return S_ISDIR(m) ? "a folder" : S_ISFIFO(m) ? "a FIFO" : S_ISCHR(m) || S_ISBLK(m) ? "a device"
           : S_ISSOCK(m)                                                            ? "a socket"
                                                                                    : "not a file";
}

int pt_lib_confine(const char *library, const char *rel, const char *const *exts, pt_lib_use use,
                   char *out, size_t out_size, pt_error *err)
{
    if (!library || !library[0])
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                            "this session has no rig library, so no paths are accepted");
    if (check_rel(rel, exts, err)) return PT_ERR_INVALID;
    /* on the heap: the server's worker threads have small stacks */
    struct bufs {
        char root[PATH_MAX], joined[PATH_MAX * 2], real[PATH_MAX], real_dir[PATH_MAX],
            target[PATH_MAX * 2];
    } *b = malloc(sizeof *b);
    if (!b) return pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
    int rc = 0;
    struct stat st;
    if (!realpath(library, b->root)) {
        rc = pt_error_set(err, PT_ERR_IO, NULL, 0, 0, "the rig library '%s' is not there: %s",
                          library, strerror(errno));
        goto done;
    }
    snprintf(b->joined, sizeof b->joined, "%s/%s", b->root, rel);
    if (use == PT_LIB_READ) {
        if (!realpath(b->joined, b->real))
            rc = pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "'%s' is not in the rig library", rel);
        else if (!inside(b->root, b->real))
            rc = pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                              "'%s' leads outside the rig library (a symlink?)", rel);
        else if (stat(b->real, &st) != 0 || !S_ISREG(st.st_mode))
            rc = pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "'%s' is %s, not a regular file", rel,
                              kind_of(st.st_mode));
        else if (strlen(b->real) >= out_size)
            rc = pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "the path is too long");
        else
            snprintf(out, out_size, "%s", b->real);
        goto done;
    }
    /* create or move: the folder resolved inside the library, the name as it is */
    char *slash = strrchr(b->joined, '/');
    *slash = 0;
    const char *base = slash + 1;
    if (!realpath(b->joined, b->real_dir)) {
        rc = pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "'%s': its folder is not in the rig library",
                          rel);
        goto done;
    }
    if (!inside(b->root, b->real_dir)) {
        rc = pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                          "'%s' leads outside the rig library (a symlink?)", rel);
        goto done;
    }
    snprintf(b->target, sizeof b->target, "%s/%s", b->real_dir, base);
    if (lstat(b->target, &st) != 0) {
        if (use == PT_LIB_ENTRY)
            rc = pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "'%s' is not in the rig library", rel);
    } else if (S_ISLNK(st.st_mode)) {
        struct stat ts;
        if (!realpath(b->target, b->real) || !inside(b->root, b->real) || stat(b->real, &ts) != 0 ||
            !S_ISREG(ts.st_mode))
            rc = pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                              "'%s' is a link leading outside the rig library (or to no file); it "
                              "is left alone",
                              rel);
    } else if (!S_ISREG(st.st_mode)) {
        rc = pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "'%s' is %s, not a regular file", rel,
                          kind_of(st.st_mode));
    }
    if (rc == 0 && strlen(b->target) >= out_size)
        rc = pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "the path is too long");
    if (rc == 0) snprintf(out, out_size, "%s", b->target);
done:
    free(b);
    return rc;
}

/* ------------------------------------------------------------ asset roots */

enum { N_FACTORY = 4, MAX_ROOTS = 1 + 4 * N_FACTORY };

struct pt_lib_roots {
    int n;
    char root[MAX_ROOTS][PATH_MAX];
};

static const char *const factory[N_FACTORY] = {"irs", "models", "circuits", "assets"};

static void add_root(pt_lib_roots *r, const char *path)
{
    char real[PATH_MAX];
    struct stat st;
    if (r->n >= MAX_ROOTS || !realpath(path, real) || stat(real, &st) != 0 || !S_ISDIR(st.st_mode))
        return;
    for (int i = 0; i < r->n; i++)
        if (!strcmp(r->root[i], real)) return;
    snprintf(r->root[r->n++], PATH_MAX, "%s", real);
}

/* The factory folders: those beside the library (what the page lists as
 * ../irs/...), beside the program (build/pytone -> ../irs, an installed
 * bin/pytone -> ../share/pytone/irs) and in the data folder. */
pt_lib_roots *pt_lib_roots_create(const char *library)
{
    pt_lib_roots *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    char exe[PATH_MAX], cand[PATH_MAX + 64];
    if (library && library[0]) {
        add_root(r, library);
        /* the factory folders beside the library, which the page lists as
           ../irs/... (library.c) */
        for (int i = 0; i < N_FACTORY; i++) {
            snprintf(cand, sizeof cand, "%s/../%s", library, factory[i]);
            add_root(r, cand);
        }
    }
    /* and those of the data folder (core/datadir.h: installed, or the tree) */
    for (int i = 0; i < N_FACTORY; i++) {
        snprintf(cand, sizeof cand, "%s/%s", pt_data_dir(), factory[i]);
        add_root(r, cand);
    }
    if (pt_exe_path(exe, sizeof exe)) {
        char *slash = strrchr(exe, '/');
        if (slash) *slash = 0;
        for (int i = 0; i < N_FACTORY; i++) {
            snprintf(cand, sizeof cand, "%s/../%s", exe, factory[i]);
            add_root(r, cand);
            snprintf(cand, sizeof cand, "%s/../share/pytone/%s", exe, factory[i]);
            add_root(r, cand);
        }
    }
    return r;
}

void pt_lib_roots_free(pt_lib_roots *r) { free(r); }

bool pt_lib_roots_allow(const void *roots, const char *path)
{
    const pt_lib_roots *r = roots;
    char *real = malloc(PATH_MAX);
    struct stat st;
    bool ok = false;
    if (real && path && realpath(path, real) && stat(real, &st) == 0 && S_ISREG(st.st_mode))
        for (int i = 0; r && i < r->n && !ok; i++) ok = inside(r->root[i], real);
    free(real);
    return ok;
}

/* ------------------------------------------------------------ moving */

/* The folder of an absolute path confined by pt_lib_confine, opened; *base
 * points at its last component. The folder was resolved by realpath, so
 * what was opened is checked to be that folder still (a folder swapped for
 * a link meanwhile is refused). */
static int open_parent(const char *path, const char **base)
{
    char dir[PATH_MAX];
    const char *slash = strrchr(path, '/');
    size_t n = slash ? (size_t)(slash - path) : 0;
    if (!slash || n >= sizeof dir) return -1;
    memcpy(dir, path, n);
    dir[n] = 0;
    if (n == 0) snprintf(dir, sizeof dir, "/");
    *base = slash + 1;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return -1;
    char now[PATH_MAX];
    if (pt_fd_path(fd, now, sizeof now)) {
        if (strcmp(now, dir)) {
            close(fd);
            errno = ELOOP;
            return -1;
        }
    }
    return fd;
}

int pt_lib_rename(const char *library, const char *from_rel, const char *to_rel, char *from_out,
                  char *to_out, size_t size, pt_error *err)
{
    if (pt_lib_confine(library, from_rel, NULL, PT_LIB_ENTRY, from_out, size, err) ||
        pt_lib_confine(library, to_rel, NULL, PT_LIB_CREATE, to_out, size, err))
        return PT_ERR_INVALID;
    const char *fb, *tb;
    int ffd = open_parent(from_out, &fb), tfd = open_parent(to_out, &tb), rc = 0;
    if (ffd < 0 || tfd < 0)
        rc = pt_error_set(err, PT_ERR_IO, NULL, 0, 0, "'%s': %s", from_rel, strerror(errno));
    else if (pt_rename_noreplace(ffd, fb, tfd, tb) != 0)
        rc = errno == EEXIST ? pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "'%s' already exists", to_rel)
                             : pt_error_set(err, PT_ERR_IO, NULL, 0, 0, "'%s': %s", from_rel, strerror(errno));
    if (ffd >= 0) close(ffd);
    if (tfd >= 0) close(tfd);
    return rc;
}

/* The library's folder and its trash, opened: the trash must be a real
 * folder, not a link (to anywhere). */
static int open_trash(const char *library, bool create, int *lib_fd, pt_error *err)
{
    char root[PATH_MAX];
    *lib_fd = -1;
    if (!library || !library[0] || !realpath(library, root))
        return pt_error_set(err, PT_ERR_IO, NULL, 0, 0, "the rig library is not there"), -1;
    int lfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (lfd < 0) return pt_error_set(err, PT_ERR_IO, NULL, 0, 0, "the rig library: %s", strerror(errno)), -1;
    if (create && mkdirat(lfd, PT_LIB_TRASH, 0755) != 0 && errno != EEXIST) {
        pt_error_set(err, PT_ERR_IO, NULL, 0, 0, "trash: %s", strerror(errno));
        close(lfd);
        return -1;
    }
    int tfd = openat(lfd, PT_LIB_TRASH, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (tfd < 0) {
        if (errno == ELOOP || errno == ENOTDIR)
            pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                         "the library's trash (%s) is a link or not a folder; it is left alone "
                         "(remove it to use the trash)",
                         PT_LIB_TRASH);
        else
            pt_error_set(err, PT_ERR_IO, NULL, 0, 0, "trash: %s", strerror(errno));
        close(lfd);
        return -1;
    }
    *lib_fd = lfd;
    return tfd;
}

int pt_lib_trash(const char *library, const char *rel, pt_error *err)
{
    char *path = malloc(PATH_MAX);
    if (!path) return pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
    int rc = pt_lib_confine(library, rel, NULL, PT_LIB_ENTRY, path, PATH_MAX, err);
    int lfd = -1, tfd = -1, sfd = -1;
    const char *base = NULL;
    if (rc == 0 && (tfd = open_trash(library, true, &lfd, err)) < 0) rc = PT_ERR_IO;
    if (rc == 0 && (sfd = open_parent(path, &base)) < 0)
        rc = pt_error_set(err, PT_ERR_IO, NULL, 0, 0, "'%s': %s", rel, strerror(errno));
    if (rc == 0) {
        /* the file's own name; a number added when the trash has one already */
        char name[NAME_MAX + 16];
        snprintf(name, sizeof name, "%s", base);
        int k = 2, moved = -1;
        while ((moved = pt_rename_noreplace(sfd, base, tfd, name)) != 0 && errno == EEXIST &&
               k < 1000)
            snprintf(name, sizeof name, "%d-%s", k++, base);
        if (moved != 0) rc = pt_error_set(err, PT_ERR_IO, NULL, 0, 0, "'%s': %s", rel, strerror(errno));
        else utimensat(tfd, name, NULL, AT_SYMLINK_NOFOLLOW); /* its time in the trash: when deleted */
    }
    if (sfd >= 0) close(sfd);
    if (tfd >= 0) close(tfd);
    if (lfd >= 0) close(lfd);
    free(path);
    return rc;
}

int pt_lib_restore(const char *library, const char *name, char *out, size_t size, pt_error *err)
{
    if (!name || !name[0] || strchr(name, '/') || name[0] == '.')
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "give a file name from list_trash");
    /* "2-clean.yaml" goes back as "clean.yaml" */
    const char *orig = name;
    while (*orig >= '0' && *orig <= '9') orig++;
    orig = *orig == '-' && orig != name ? orig + 1 : name;
    int lfd = -1, tfd = open_trash(library, false, &lfd, err), rc = 0;
    struct stat st;
    if (tfd < 0) {
        if (err && strstr(err->msg, "No such file")) pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "no '%s' in the trash", name);
        return PT_ERR_INVALID;
    }
    if (fstatat(tfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
        rc = pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "no '%s' in the trash", name);
    else if (pt_rename_noreplace(tfd, name, lfd, orig) != 0)
        rc = errno == EEXIST ? pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                                            "'%s' exists in the library already", orig)
                             : pt_error_set(err, PT_ERR_IO, NULL, 0, 0, "'%s': %s", name, strerror(errno));
    if (rc == 0) snprintf(out, size, "%s", orig);
    close(tfd);
    close(lfd);
    return rc;
}

int pt_lib_list_trash(const char *library, void (*fn)(void *user, const char *name, long mtime),
                      void *user)
{
    pt_error err = {0};
    int lfd = -1, tfd = open_trash(library, false, &lfd, &err);
    if (tfd < 0) return 0;
    close(lfd);
    DIR *d = fdopendir(tfd);
    if (!d) {
        close(tfd);
        return 0;
    }
    struct dirent *de;
    while ((de = readdir(d))) {
        struct stat st;
        if (de->d_name[0] == '.') continue;
        if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
            continue;
        fn(user, de->d_name, (long)st.st_mtime);
    }
    closedir(d);
    return 0;
}

bool pt_lib_listable(const char *library, const char *name, long long max_bytes, char *out,
                     size_t size)
{
    char *root = malloc(PATH_MAX), *full = malloc(PATH_MAX * 2), *real = malloc(PATH_MAX);
    bool ok = false;
    struct stat st;
    if (root && full && real && realpath(library, root)) {
        snprintf(full, PATH_MAX * 2, "%s/%s", root, name);
        if (lstat(full, &st) == 0 && (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) &&
            realpath(full, real) && inside(root, real) && stat(real, &st) == 0 &&
            S_ISREG(st.st_mode) && st.st_size <= max_bytes && strlen(real) < size) {
            snprintf(out, size, "%s", real);
            ok = true;
        }
    }
    free(root), free(full), free(real);
    return ok;
}
