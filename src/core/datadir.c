/* datadir.c — see datadir.h. Control thread only (start-up). */
#include "datadir.h"
#include "../platform/platform.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#ifndef PT_DATA_DIR_DEFAULT
#define PT_DATA_DIR_DEFAULT "/usr/local/share/pytone"
#endif

#define MARK "assets/di/guitar_di.wav"

static int exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* dir if it holds the data (absolute), into out. */
static int try_dir(const char *dir, char *out, size_t size)
{
    if (!dir || !dir[0]) return 0;
    char mark[PATH_MAX + 64], real[PATH_MAX];
    snprintf(mark, sizeof mark, "%s/%s", dir, MARK);
    if (!exists(mark) || !realpath(dir, real) || strlen(real) >= size) return 0;
    snprintf(out, size, "%s", real);
    return 1;
}

const char *pt_data_dir(void)
{
    static char dir[PATH_MAX];
    if (dir[0]) return dir;
    char exe[PATH_MAX], cand[PATH_MAX + 32];
    if (try_dir(getenv("PYTONE_DATA_DIR"), dir, sizeof dir)) return dir;
    if (try_dir(getenv("PT_SOURCE_DIR"), dir, sizeof dir)) return dir;
    if (pt_exe_path(exe, sizeof exe)) {
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = 0;
            snprintf(cand, sizeof cand, "%s/../share/pytone", exe);
            if (try_dir(cand, dir, sizeof dir)) return dir;
            snprintf(cand, sizeof cand, "%s/..", exe);
            if (try_dir(cand, dir, sizeof dir)) return dir;
        }
    }
    if (try_dir(PT_DATA_DIR_DEFAULT, dir, sizeof dir)) return dir;
    if (try_dir(".", dir, sizeof dir)) return dir;
    return ".";
}

int pt_data_path(const char *rel, char *out, size_t size)
{
    snprintf(out, size, "%s/%s", pt_data_dir(), rel);
    if (exists(out)) return 0;
    snprintf(out, size, "%s", rel);
    return -1;
}

int pt_data_installed(void)
{
    char p[PATH_MAX + 32];
    snprintf(p, sizeof p, "%s/CMakeLists.txt", pt_data_dir());
    return !exists(p);
}

static void mkdirs(char *path)
{
    for (char *p = path + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            pt_mkdir(path);
            *p = '/';
        }
    pt_mkdir(path);
}

const char *pt_user_dir(void)
{
    static char dir[PATH_MAX];
    if (dir[0]) return dir;
    char d[PATH_MAX - 16];
    if (!pt_user_folder_path(PT_FOLDER_DATA, d, sizeof d)) return NULL;
    char rigs[PATH_MAX];
    snprintf(rigs, sizeof rigs, "%s/rigs", d);
    mkdirs(rigs);
    if (!exists(rigs)) return NULL;
    /* the factory content beside it, read-only where it is installed */
    char factory[PATH_MAX];
    snprintf(factory, sizeof factory, "%s/factory", d);
    struct stat st;
    if (lstat(factory, &st) != 0 && strcmp(pt_data_dir(), ".") != 0) {
        int rc = symlink(pt_data_dir(), factory); /* failing is fine: it is only a way in */
        (void)rc;
    }
    /* and its IRs, captures and circuits where a rig in the library finds them
       (../irs/NAME) and the page lists them, as in the source tree */
    static const char *const kinds[] = {"irs", "models", "circuits"};
    for (int i = 0; i < 3 && lstat(factory, &st) == 0; i++) {
        char link[PATH_MAX + 16], to[32];
        snprintf(link, sizeof link, "%s/%s", d, kinds[i]);
        snprintf(to, sizeof to, "factory/%s", kinds[i]);
        if (lstat(link, &st) != 0) {
            int rc = symlink(to, link);
            (void)rc;
        }
    }
    snprintf(dir, sizeof dir, "%s", d);
    return dir;
}
