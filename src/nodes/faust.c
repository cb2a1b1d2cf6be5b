/* faust.c — a Faust program as a node (`type: faust`, `dsp: file.dsp`).
 *
 * The rig loader specializes the type from the compiled program
 * (faust_build.c): its sliders, buttons and entries become the parameter
 * table, its bargraphs readouts. Editing the file while pytone plays is a
 * hot reload: the session sees the asset change, reloads the rig (compiling
 * the new version on the control thread while the old one plays) and
 * crossfades to it; a compile error leaves the old version playing and is
 * reported at the file's line.
 *
 * Channels: a program of one input and one output in a stereo chain runs as
 * two instances (dual mono); otherwise a mono chain feeds every input.
 * process (RT) writes each parameter into its zone once per block and calls
 * the generated compute(): plain arithmetic, no allocation, no lock. */
#include <stdlib.h>
#include <string.h>

#include "../core/node.h"
#include "faust_build.h"

typedef struct faust_state {
    const pt_faust_prog *p;
    void *dsp[2];
    int n_dsp;
    float **param_zone[2];   /* [instance][param] */
    float **readout_zone[2]; /* [instance][readout] */
    int n_p, n_r;            /* filled while walking */
    pt_run_time run_time;
} faust_state;

static void zone_param(void *user, const char *label, float *zone, float init, float min, float max,
                       float step, pt_taper taper, const char *unit)
{
    (void)label, (void)init, (void)min, (void)max, (void)step, (void)taper, (void)unit;
    faust_state *s = user;
    s->param_zone[s->n_dsp][s->n_p++] = zone;
}

static void zone_readout(void *user, const char *label, float *zone, const char *unit)
{
    (void)label, (void)unit;
    faust_state *s = user;
    s->readout_zone[s->n_dsp][s->n_r++] = zone;
}

static void free_dsps(faust_state *s)
{
    for (int k = 0; k < 2; k++) {
        if (s->dsp[k]) s->p->delete_dsp(s->dsp[k]);
        s->dsp[k] = NULL;
        free(s->param_zone[k]), free(s->readout_zone[k]);
        s->param_zone[k] = s->readout_zone[k] = NULL;
    }
    s->n_dsp = 0;
}

static int faust_create(pt_node *n, const pt_node_config *cfg, pt_error *err)
{
    (void)cfg;
    if (!n->type->impl) /* the generic type: the rig loader specializes it */
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "a faust node needs a 'dsp' file");
    faust_state *s = calloc(1, sizeof *s);
    if (!s) return pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
    s->p = n->type->impl;
    n->state = s;
    return 0;
}

static void faust_destroy(pt_node *n)
{
    faust_state *s = n->state;
    if (!s) return;
    free_dsps(s);
    free(s);
}

static int faust_prepare(pt_node *n, double rate, int max_frames, pt_error *err)
{
    (void)max_frames;
    faust_state *s = n->state;
    const pt_faust_prog *p = s->p;
    free_dsps(s);
    int want = p->n_in == 1 && p->n_out == 1 && n->in_channels == 2 ? 2 : 1;
    for (int k = 0; k < want; k++) {
        s->dsp[k] = p->new_dsp();
        s->param_zone[k] = calloc((size_t)n->type->n_params + 1, sizeof(float *));
        s->readout_zone[k] = calloc((size_t)n->type->n_readouts + 1, sizeof(float *));
        if (!s->dsp[k] || !s->param_zone[k] || !s->readout_zone[k]) {
            s->n_dsp = k + 1;
            free_dsps(s);
            return pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
        }
        p->init(s->dsp[k], (int)rate);
        s->n_dsp = k;
        s->n_p = s->n_r = 0;
        pt_faust_walk w = {zone_param, zone_readout, s};
        pt_faust_walk_ui(p, s->dsp[k], &w);
    }
    s->n_dsp = want;
    n->out_channels = want == 2 ? 2 : p->n_out;
    n->latency_samples = 0;
    return 0;
}

/* RT: parameters into the zones, then the program */
static void faust_process(pt_node *n, const float *const *in, float *const *out, int frames)
{
    faust_state *s = n->state;
    const pt_faust_prog *p = s->p;
    for (int i = 0; i < n->type->n_params; i++) {
        float v = pt_param_block(&n->param[i], frames);
        for (int k = 0; k < s->n_dsp; k++) *s->param_zone[k][i] = v;
    }
    unsigned long long t0 = pt_run_time_begin(&s->run_time);
    if (s->n_dsp == 2) {
        for (int k = 0; k < 2; k++) {
            float *i1[1] = {(float *)in[k]}, *o1[1] = {out[k]};
            p->compute(s->dsp[k], frames, i1, o1);
        }
    } else {
        float *ins[2], *outs[2];
        for (int c = 0; c < p->n_in; c++) ins[c] = (float *)in[c < n->in_channels ? c : 0];
        for (int c = 0; c < p->n_out; c++) outs[c] = out[c];
        p->compute(s->dsp[0], frames, ins, outs);
    }
    pt_run_time_end(n, &s->run_time, t0, frames);
    for (int r = 0; r + 1 < n->type->n_readouts; r++) pt_node_publish(n, r, *s->readout_zone[0][r]);
}

/* RT: forget the past (delay lines, filter states) */
static void faust_reset(pt_node *n)
{
    faust_state *s = n->state;
    for (int k = 0; k < s->n_dsp; k++) s->p->clear(s->dsp[k]);
}

static const pt_asset_def assets[] = {
    {"dsp", "faust", true, "Faust program (.dsp): 'process' takes and gives one or two signals"},
};

const pt_node_type pt_node_faust = {
    .name = "faust",
    .summary = "A Faust program (.dsp), compiled when loaded, rebuilt when the file is saved",
    .assets = assets,
    .n_assets = 1,
    .create = faust_create,
    .prepare = faust_prepare,
    .process = faust_process,
    .reset = faust_reset,
    .destroy = faust_destroy,
    .specialize = pt_faust_specialize,
};
