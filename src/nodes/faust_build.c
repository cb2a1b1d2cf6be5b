/* faust_build.c — .dsp file -> C (faust) -> shared object (cc) -> node type.
 *
 * The shared object is cached as CACHE/pytone/faust/HASH.so, HASH being a
 * 64-bit FNV-1a of the file's content, the compiler's version line and the
 * commands below: an unchanged file loads at once; an edit compiles once.
 * CACHE is $XDG_CACHE_HOME, else ~/.cache. $PYTONE_FAUST names another
 * compiler binary, $CC another C compiler. Compiling runs on the control
 * thread that loads the rig (the old sound keeps playing meanwhile); a
 * compile error names the .dsp file and its line, as faust reports it.
 *
 * Programs are interned for the process's life (node.h): a hot reload that
 * changes the file makes a new type and maps a new library; the old one
 * stays mapped (a few kilobytes per edit) so nothing that may still refer to
 * it, such as a crossfading program, can outlive its code. */
#include "faust_build.h"
#include "platform/platform.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define CLASS "ptfaust" /* -cn: the generated functions are newptfaust, computeptfaust, ... */
#define STR(...) #__VA_ARGS__
static const char glue_text[] = PT_FAUST_GLUE(STR);

static const char *faust_bin(void)
{
    const char *f = getenv("PYTONE_FAUST");
    return f && f[0] ? f : "faust";
}

static const char *cc_bin(void)
{
    const char *c = getenv("CC");
    return c && c[0] ? c : "cc";
}

/* Run argv, its stdout+stderr into out (NUL-terminated, truncated to size).
 * Returns the exit status, 127 when the program could not be started. */
static int run(char *const argv[], char *out, size_t size)
{
    int fd[2];
    out[0] = 0;
    if (pipe(fd) != 0) return 127;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fd[1], 1);
    posix_spawn_file_actions_adddup2(&fa, fd[1], 2);
    posix_spawn_file_actions_addclose(&fa, fd[0]);
    pid_t pid;
    int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fd[1]);
    if (rc != 0) {
        close(fd[0]);
        snprintf(out, size, "%s", strerror(rc));
        return 127;
    }
    size_t n = 0;
    ssize_t r;
    char sink[256];
    while ((r = read(fd[0], n + 1 < size ? out + n : sink,
                     n + 1 < size ? size - n - 1 : sizeof sink)) > 0)
        if (n + 1 < size) n += (size_t)r;
    out[n] = 0;
    close(fd[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
    if (WIFEXITED(st)) return WEXITSTATUS(st) == 127 ? 126 : WEXITSTATUS(st);
    return 125;
}

static unsigned long long fnv(unsigned long long h, const void *data, size_t n)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
    return h;
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *b = malloc(cap);
    size_t r;
    while (b && (r = fread(b + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (cap - n - 1 == 0) {
            char *nb = realloc(b, cap *= 2);
            if (!nb) free(b);
            b = nb;
        }
    }
    fclose(f);
    if (b) b[n] = 0;
    *len = n;
    return b;
}

static int mkdirs(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path);
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = 0;
            mkdir(tmp, 0755);
            *p = '/';
        }
    return mkdir(tmp, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

static int cache_dir(char *out, size_t size)
{
    const char *x = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (x && x[0]) snprintf(out, size, "%s/pytone/faust", x);
    else if (home && home[0]) snprintf(out, size, "%s/.cache/pytone/faust", home);
    else snprintf(out, size, "/tmp/pytone-faust-%d", (int)getuid());
    return mkdirs(out);
}

/* faust's "FILE : LINE : ERROR : MESSAGE" as file:line; anything else whole. */
static int faust_error(const char *path, const char *text, pt_error *err)
{
    const char *e = strstr(text, " : ERROR : ");
    int line = 0;
    if (e) {
        const char *p = e;
        while (p > text && p[-1] != ' ') p--; /* back to the line number */
        line = atoi(p);
        const char *msg = e + strlen(" : ERROR : ");
        size_t len = strcspn(msg, "\n");
        return pt_error_set(err, PT_ERR_INVALID, path, line > 0 ? line : 0, 0, "Faust: %.*s",
                            (int)len, msg);
    }
    size_t len = strlen(text);
    while (len && (text[len - 1] == '\n' || text[len - 1] == ' ')) len--;
    return pt_error_set(err, PT_ERR_INVALID, path, 0, 0, "Faust: %.*s", (int)(len > 400 ? 400 : len),
                        text);
}

/* Compile `path` into `so` (through a private folder, renamed into place:
 * a second pytone compiling the same file meanwhile is harmless). */
static int compile(const char *path, const char *dir, const char *so, pt_error *err)
{
    char tmpl[4200], c_file[4300], o_file[4300], glue[4300], out[8192];
    snprintf(tmpl, sizeof tmpl, "%s/build-XXXXXX", dir);
    if (!mkdtemp(tmpl))
        return pt_error_set(err, PT_ERR_IO, NULL, 0, 0, "cannot make a folder in %s: %s", dir,
                            strerror(errno));
    snprintf(c_file, sizeof c_file, "%s/dsp.c", tmpl);
    snprintf(o_file, sizeof o_file, "%s/dsp.so", tmpl);
    snprintf(glue, sizeof glue, "%s/glue.h", tmpl);
    int rc = 0;
    FILE *g = fopen(glue, "w");
    if (!g || fputs(glue_text, g) < 0 || fputs("\n", g) < 0) rc = -1;
    if (g && fclose(g) != 0) rc = -1;
    if (rc) {
        pt_error_set(err, PT_ERR_IO, NULL, 0, 0, "cannot write in %s", tmpl);
    } else {
        char *fa[] = {(char *)faust_bin(), "-lang", "c", "-cn", CLASS, "-o", c_file, (char *)path, NULL};
        int st = run(fa, out, sizeof out);
        if (st == 127) {
            rc = pt_error_set(err, PT_ERR_UNSUPPORTED, path, 0, 0,
                              "the Faust compiler '%s' is not installed (apt install faust): %s",
                              faust_bin(), out);
        } else if (st != 0) {
            rc = faust_error(path, out, err);
        } else {
            char *cc[] = {(char *)cc_bin(), "-O2", "-fPIC", "-shared", "-include", glue, "-o", o_file,
                          c_file, "-lm", NULL};
            st = run(cc, out, sizeof out);
            if (st != 0)
                rc = pt_error_set(err, PT_ERR, path, 0, 0, "the C compiler '%s' failed on Faust's "
                                  "output: %.300s", cc_bin(), out);
            else if (rename(o_file, so) != 0)
                rc = pt_error_set(err, PT_ERR_IO, NULL, 0, 0, "cannot write %s: %s", so, strerror(errno));
        }
    }
    unlink(c_file), unlink(o_file), unlink(glue), rmdir(tmpl);
    return rc ? PT_ERR : 0;
}

/* ------------------------------------------------------------ the type */

typedef struct collect {
    pt_param_def *params;
    pt_readout_def *readouts;
    int n_params, n_readouts, cap;
} collect;

/* A label as a parameter name: lower case, '_' for the rest ("Cutoff (Hz)" -> "cutoff_hz"). */
static char *snake(const char *label, const collect *c)
{
    char buf[64];
    size_t n = 0;
    for (const char *p = label; *p && n + 1 < sizeof buf - 4; p++) {
        if (isalnum((unsigned char)*p)) buf[n++] = (char)tolower((unsigned char)*p);
        else if (n && buf[n - 1] != '_') buf[n++] = '_';
    }
    while (n && buf[n - 1] == '_') n--;
    if (!n) buf[n++] = 'p';
    buf[n] = 0;
    /* two controls of one label: the second is name_2 */
    for (int k = 2, clash = 1; clash && k < 100; k++) {
        clash = 0;
        for (int i = 0; i < c->n_params; i++) clash |= !strcmp(c->params[i].name, buf);
        for (int i = 0; i < c->n_readouts; i++) clash |= !strcmp(c->readouts[i].name, buf);
        if (clash) snprintf(buf + n, sizeof buf - n, "_%d", k);
    }
    return strdup(buf);
}

static void on_param(void *user, const char *label, float *zone, float init, float min, float max,
                     float step, pt_taper taper, const char *unit)
{
    (void)zone;
    collect *c = user;
    if (c->n_params >= c->cap) return;
    pt_param_def *d = &c->params[c->n_params];
    d->name = snake(label, c);
    d->label = strdup(label);
    d->doc = d->label;
    d->unit = strdup(unit ? unit : "");
    d->min = min, d->max = max > min ? max : min + 1.0f;
    d->def = init < d->min ? d->min : init > d->max ? d->max : init;
    d->taper = taper == PT_TAPER_LOG && min <= 0 ? PT_TAPER_LINEAR : taper;
    d->smoothing_ms = 0; /* the program smooths what it wants to (si.smoo) */
    d->precision = step >= 1.0f ? 0 : step >= 0.1f ? 1 : step >= 0.01f ? 2 : 3;
    c->n_params++;
}

static void on_readout(void *user, const char *label, float *zone, const char *unit)
{
    (void)zone;
    collect *c = user;
    if (c->n_readouts >= c->cap) return;
    pt_readout_def *r = &c->readouts[c->n_readouts];
    r->name = snake(label, c);
    r->doc = strdup(label);
    r->unit = strdup(unit ? unit : "");
    c->n_readouts++;
}

static pt_faust_prog *load(const pt_node_type *g, const char *path, const char *so,
                           unsigned long long hash, pt_error *err)
{
    char dl_why[256];
    void *dl = pt_lib_open(so, dl_why, sizeof dl_why);
    if (!dl) {
        pt_error_set(err, PT_ERR, path, 0, 0, "cannot load the compiled program %s: %s", so, dl_why);
        return NULL;
    }
    pt_faust_prog *p = calloc(1, sizeof *p);
    if (!p) {
        pt_lib_close(dl);
        pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
        return NULL;
    }
    p->dl = dl;
#define SYM(field, name)                                                                      \
    do {                                                                                      \
        *(void **)&p->field = pt_lib_symbol(dl, name CLASS, NULL, 0);                         \
        if (!p->field) goto missing;                                                          \
    } while (0)
    SYM(new_dsp, "new");
    SYM(delete_dsp, "delete");
    SYM(init, "init");
    SYM(clear, "instanceClear");
    SYM(num_inputs, "getNumInputs");
    SYM(num_outputs, "getNumOutputs");
    SYM(build_ui, "buildUserInterface");
    SYM(compute, "compute");
#undef SYM
    void *dsp = p->new_dsp();
    if (!dsp) goto missing;
    p->n_in = p->num_inputs(dsp);
    p->n_out = p->num_outputs(dsp);
    collect c = {.cap = 255}; /* and one readout more: run_us */
    c.params = calloc((size_t)c.cap, sizeof *c.params);
    c.readouts = calloc((size_t)c.cap + 1, sizeof *c.readouts);
    pt_faust_walk w = {on_param, on_readout, &c};
    pt_faust_walk_ui(p, dsp, &w);
    p->delete_dsp(dsp);
    const char *why = NULL;
    if (p->n_out < 1) why = "it has no audio output ('process' must output one or two signals)";
    else if (p->n_in < 1) why = "it has no audio input ('process' must take one or two signals)";
    else if (p->n_in > 2 || p->n_out > 2) why = "it has more than two inputs or outputs";
    if (why) {
        pt_error_set(err, PT_ERR_INVALID, path, 0, 0, "%s", why);
        free(c.params), free(c.readouts), free(p);
        return NULL; /* the library stays mapped: cheap, and the cache keeps it */
    }
    p->path = strdup(path);
    p->hash = hash;
    p->type = *g;
    p->type.params = c.params;
    p->type.n_params = c.n_params;
    c.readouts[c.n_readouts++] = pt_run_time_readout; /* the last one: the program's time */
    p->type.readouts = c.readouts;
    p->type.n_readouts = c.n_readouts;
    p->type.specialize = NULL;
    p->type.generic = g;
    p->type.key = p->path;
    p->type.impl = p;
    return p;
missing:
    pt_error_set(err, PT_ERR, path, 0, 0, "%s is not a Faust program pytone compiled", so);
    pt_lib_close(dl);
    free(p);
    return NULL;
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pt_faust_prog **interned;
static int n_interned;

const pt_node_type *pt_faust_specialize(const pt_node_type *g, const char *path, pt_error *err)
{
    size_t len = 0;
    char *text = read_all(path, &len);
    if (!text) {
        pt_error_set(err, PT_ERR_IO, path, 0, 0, "cannot read: %s", strerror(errno));
        return NULL;
    }
    /* the compiler's version line, asked once per binary (a rig reload
     * or an edit of the rig specializes again: no process to start then) */
    static char version[256], version_of[1024];
    char *ver[] = {(char *)faust_bin(), "--version", NULL};
    pthread_mutex_lock(&lock);
    const pt_node_type *t = NULL;
    int st = 0;
    if (strcmp(version_of, faust_bin()) != 0) {
        st = run(ver, version, sizeof version);
        if (st != 127) snprintf(version_of, sizeof version_of, "%s", faust_bin());
    }
    if (st == 127) {
        pt_error_set(err, PT_ERR_UNSUPPORTED, path, 0, 0,
                     "the Faust compiler '%s' is not installed (apt install faust)", faust_bin());
        goto done;
    }
    version[strcspn(version, "\n")] = 0;
    unsigned long long h = 14695981039346656037ull;
    h = fnv(h, text, len);
    h = fnv(h, version, strlen(version));
    h = fnv(h, glue_text, sizeof glue_text);
    h = fnv(h, CLASS "-O2 v1", sizeof CLASS "-O2 v1");
    h = fnv(h, cc_bin(), strlen(cc_bin()));
    for (int i = 0; i < n_interned && !t; i++)
        if (interned[i]->hash == h && !strcmp(interned[i]->path, path)) t = &interned[i]->type;
    if (t) goto done;
    char dir[4096], so[4200];
    if (cache_dir(dir, sizeof dir) != 0) {
        pt_error_set(err, PT_ERR_IO, NULL, 0, 0, "cannot make the cache folder %s: %s", dir,
                     strerror(errno));
        goto done;
    }
    snprintf(so, sizeof so, "%s/%016llx.so", dir, h);
    struct stat sb;
    if (stat(so, &sb) != 0 && compile(path, dir, so, err) != 0) goto done;
    pt_faust_prog *p = load(g, path, so, h, err);
    if (!p) goto done;
    pt_faust_prog **m = realloc(interned, (size_t)(n_interned + 1) * sizeof *m);
    if (!m) {
        pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
        goto done;
    }
    interned = m;
    interned[n_interned++] = p;
    t = &p->type;
done:
    pthread_mutex_unlock(&lock);
    free(text);
    return t;
}

/* ------------------------------------------------------ walking the UI */

typedef struct walker {
    const pt_faust_walk *w;
    float *meta_zone;   /* the zone the pending declarations belong to */
    char unit[32];
    int log;
} walker;

static void meta_for(walker *k, float *zone)
{
    if (zone != k->meta_zone) k->unit[0] = 0, k->log = 0, k->meta_zone = zone;
}

static void ui_box(void *ui, const char *label) { (void)ui, (void)label; }
static void ui_close(void *ui) { (void)ui; }
static void ui_declare(void *ui, float *zone, const char *key, const char *value)
{
    walker *k = ui;
    if (!zone) return;
    meta_for(k, zone);
    if (!strcmp(key, "unit")) snprintf(k->unit, sizeof k->unit, "%s", value);
    if (!strcmp(key, "scale") && !strcmp(value, "log")) k->log = 1;
}
static void ui_button(void *ui, const char *label, float *zone)
{
    walker *k = ui;
    meta_for(k, zone);
    k->w->param(k->w->user, label, zone, 0, 0, 1, 1, PT_TAPER_TOGGLE, k->unit);
}
static void ui_slider(void *ui, const char *label, float *zone, float init, float min, float max,
                      float step)
{
    walker *k = ui;
    meta_for(k, zone);
    k->w->param(k->w->user, label, zone, init, min, max, step,
                k->log ? PT_TAPER_LOG : PT_TAPER_LINEAR, k->unit);
}
static void ui_bargraph(void *ui, const char *label, float *zone, float min, float max)
{
    (void)min, (void)max;
    walker *k = ui;
    meta_for(k, zone);
    k->w->readout(k->w->user, label, zone, k->unit);
}
static void ui_soundfile(void *ui, const char *label, const char *url, void **sf)
{
    (void)ui, (void)label, (void)url, (void)sf; /* not supported: stays empty */
}

void pt_faust_walk_ui(const pt_faust_prog *p, void *dsp, const pt_faust_walk *w)
{
    walker k = {.w = w};
    UIGlue g = {&k,        ui_box,    ui_box,     ui_box,     ui_close,    ui_button,  ui_button,
                ui_slider, ui_slider, ui_slider, ui_bargraph, ui_bargraph, ui_soundfile, ui_declare};
    p->build_ui(dsp, &g);
}
