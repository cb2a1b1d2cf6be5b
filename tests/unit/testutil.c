#include "testutil.h"

#include "dsp/analysis.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

pt_node *tu_node(const char *type, const char *id, ...)
{
    const pt_node_type *t = pt_node_type_find(type);
    if (!t) fail_msg("no node type %s", type);
    pt_node_config cfg = {.id = id};
    pt_error err = {0};
    pt_node *n = pt_node_create(t, &cfg, &err);
    if (!n) fail_msg("create %s: %s", type, err.msg);
    va_list ap;
    va_start(ap, id);
    const char *name;
    while ((name = va_arg(ap, const char *))) {
        double v = va_arg(ap, double);
        int i = pt_param_index(t, name);
        if (i < 0) fail_msg("%s has no parameter %s", type, name);
        pt_node_set_param_now(n, i, (float)v);
    }
    va_end(ap);
    return n;
}

pt_program *tu_build(pt_chain *c, double rate, int max_frames)
{
    pt_error err = {0};
    pt_program *p = pt_program_build(c, rate, max_frames, &err);
    if (!p) fail_msg("build: %s", err.msg);
    pt_chain_free(c);
    return p;
}

void tu_run(pt_program *p, const float *in, float *out_l, float *out_r, int n, int block)
{
    for (int off = 0; off < n; off += block) {
        int m = n - off < block ? n - off : block;
        pt_program_run(p, in + off, m);
        int ch;
        const float *const *o = pt_program_output(p, &ch);
        memcpy(out_l + off, o[0], (size_t)m * sizeof(float));
        if (out_r) memcpy(out_r + off, o[ch > 1 ? 1 : 0], (size_t)m * sizeof(float));
    }
}

double tu_dft_mag(const float *x, int n, double rate, double f) { return pt_dft_mag(x, n, rate, f); }

double tu_rms(const float *x, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++) s += (double)x[i] * x[i];
    return sqrt(s / (n > 0 ? n : 1));
}

float *tu_sine(int n, double rate, double f, double amp)
{
    float *x = malloc((size_t)n * sizeof(float));
    for (int i = 0; i < n; i++) x[i] = (float)(amp * sin(2.0 * M_PI * f * i / rate));
    return x;
}

const char *tu_src(const char *rel)
{
    static char buf[4][1024];
    static int k;
    static char cwd[512];
    const char *root = getenv("PT_SOURCE_DIR");
    if (!root) root = getcwd(cwd, sizeof cwd) ? cwd : ".";
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", root, rel);
    return buf[k];
}
