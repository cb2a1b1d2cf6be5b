/* node.c — node life cycle and parameter smoothing shared by every type. */
#include "node.h"
#include "rt.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

pt_node *pt_node_create(const pt_node_type *type, const pt_node_config *cfg, pt_error *err)
{
    pt_node *n = calloc(1, sizeof *n);
    if (!n) {
        pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
        return NULL;
    }
    n->type = type;
    n->in_channels = 1;
    n->out_channels = 1;
    if (cfg && cfg->id) snprintf(n->id, sizeof n->id, "%s", cfg->id);
    else snprintf(n->id, sizeof n->id, "%s", type->name);
    if (type->n_params > 0) {
        n->param = calloc((size_t)type->n_params, sizeof *n->param);
        n->control_value = calloc((size_t)type->n_params, sizeof *n->control_value);
        if (!n->param || !n->control_value) {
            free(n->param);
            free(n->control_value);
            free(n);
            pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
            return NULL;
        }
    }
    for (int i = 0; i < type->n_params; i++) {
        n->param[i].log = type->params[i].taper == PT_TAPER_LOG && type->params[i].min > 0;
        n->param[i].current = n->param[i].target = type->params[i].def;
        n->control_value[i] = type->params[i].def;
    }
    for (int i = 0; i < type->n_assets; i++) {
        if (type->assets[i].required && !(cfg && cfg->asset && cfg->asset[i])) {
            pt_error_set(err, PT_ERR_INVALID, cfg ? cfg->rig_file : NULL, cfg ? cfg->line : 0,
                         cfg ? cfg->col : 0, "node '%s' of type '%s' needs '%s' (%s)", n->id,
                         type->name, type->assets[i].name, type->assets[i].doc);
            free(n->param);
            free(n->control_value);
            free(n);
            return NULL;
        }
    }
    if (type->n_readouts > 0) {
        n->readout_bits = calloc((size_t)type->n_readouts, sizeof *n->readout_bits);
        if (!n->readout_bits) {
            free(n->param);
            free(n->control_value);
            free(n);
            pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
            return NULL;
        }
    }
    if (type->create && type->create(n, cfg, err) != 0) {
        free(n->readout_bits);
        free(n->param);
        free(n->control_value);
        free(n);
        return NULL;
    }
    return n;
}

int pt_node_prepare(pt_node *n, double rate, int max_frames, int in_channels, pt_error *err)
{
    n->rate = rate;
    n->max_frames = max_frames;
    n->in_channels = in_channels;
    n->out_channels = in_channels;
    n->latency_samples = 0;
    for (int i = 0; i < n->type->n_params; i++) {
        float ms = n->type->params[i].smoothing_ms;
        n->param[i].ramp_samples = ms > 0 ? (int)lrint(ms * 0.001 * rate) : 0;
        n->param[i].current = n->param[i].target;
        n->param[i].remaining = 0;
    }
    if (n->type->prepare) return n->type->prepare(n, rate, max_frames, err);
    return 0;
}

void pt_node_destroy(pt_node *n)
{
    if (!n) return;
    if (n->type->destroy) n->type->destroy(n);
    free(n->readout_bits);
    free(n->param);
    free(n->control_value);
    free(n);
}

int pt_param_index(const pt_node_type *type, const char *name)
{
    for (int i = 0; i < type->n_params; i++)
        if (strcmp(type->params[i].name, name) == 0) return i;
    return -1;
}

int pt_param_choice_index(const pt_param_def *def, const char *choice)
{
    if (!def->choices) return -1;
    for (int i = 0; def->choices[i]; i++)
        if (strcmp(def->choices[i], choice) == 0) return i;
    return -1;
}

float pt_param_sanitize(const pt_param_def *def, float v)
{
    if (!isfinite(v)) v = def->def;
    if (v < def->min) v = def->min;
    if (v > def->max) v = def->max;
    if (def->taper == PT_TAPER_ENUM || def->taper == PT_TAPER_TOGGLE) v = floorf(v + 0.5f);
    return v;
}

void pt_node_set_param_now(pt_node *n, int index, float value)
{
    if (index < 0 || index >= n->type->n_params) return;
    value = pt_param_sanitize(&n->type->params[index], value);
    n->param[index].current = n->param[index].target = value;
    n->param[index].remaining = 0;
    n->control_value[index] = value;
    if (n->type->set_param) n->type->set_param(n, index, value);
}

void pt_node_set_param(pt_node *n, int index, float value)
{
    if (index < 0 || index >= n->type->n_params) return;
    pt_smoothed *p = &n->param[index];
    value = pt_param_sanitize(&n->type->params[index], value);
    p->target = value;
    if (p->ramp_samples <= 1 || p->current == value) {
        p->current = value;
        p->remaining = 0;
    } else if (p->log && p->current > 0 && value > 0) {
        p->step = powf(value / p->current, 1.0f / (float)p->ramp_samples);
        p->remaining = p->ramp_samples;
    } else { /* linear ramp (log tapers always take the branch above: min > 0) */
        p->step = (value - p->current) / (float)p->ramp_samples;
        p->remaining = p->ramp_samples;
    }
    if (n->type->set_param) n->type->set_param(n, index, value);
}

float pt_param_block(pt_smoothed *p, int frames)
{
    if (p->remaining <= 0) return p->current;
    if (frames >= p->remaining) {
        p->remaining = 0;
        p->current = p->target;
    } else {
        p->remaining -= frames;
        p->current = p->log ? p->current * powf(p->step, (float)frames)
                            : p->current + p->step * (float)frames;
    }
    return p->current;
}

const pt_readout_def pt_run_time_readout = {
    "run_us", "us", "time the hosted code took in one block (the largest of the last 0.1 s, "
                    "every 16th block timed)"};

unsigned long long pt_run_time_begin(pt_run_time *t)
{
    return t->blocks++ % PT_RUN_TIME_EVERY == 0 ? pt_rt_now_ns() : 0;
}

void pt_run_time_end(pt_node *n, pt_run_time *t, unsigned long long t0, int frames)
{
    if (t0) {
        float us = (float)(pt_rt_now_ns() - t0) * 1e-3f;
        if (us > t->max_us) t->max_us = us;
    }
    t->window_frames += frames;
    if (t->window_frames >= (int)(0.1 * n->rate)) {
        pt_node_publish(n, n->type->n_readouts - 1, t->max_us);
        t->max_us = 0;
        t->window_frames = 0;
    }
}

void pt_node_publish(pt_node *n, int index, float value)
{
    if (index < 0 || index >= n->type->n_readouts) return;
    union { float f; unsigned u; } b = {value};
    atomic_store_explicit(&n->readout_bits[index], b.u, memory_order_relaxed);
}

float pt_node_readout(const pt_node *n, int index)
{
    if (index < 0 || index >= n->type->n_readouts) return 0.0f;
    union { unsigned u; float f; } b = {atomic_load_explicit(&n->readout_bits[index],
                                                             memory_order_relaxed)};
    return b.f;
}

int pt_readout_index(const pt_node_type *type, const char *name)
{
    for (int i = 0; i < type->n_readouts; i++)
        if (strcmp(type->readouts[i].name, name) == 0) return i;
    return -1;
}
