/* graph.c — building chains and compiling them into flat programs.
 *
 * A program is a list of ops run in order. Op kinds:
 *   OP_NODE: one node, reading one buffer and writing another, with its own
 *            bypass crossfade, dry delay (the node's latency) and fault guard;
 *   OP_MIX:  the end of a split: every branch's output, delayed to the
 *            longest branch, scaled by its level and pan, summed.
 * Each op writes a buffer of its own, so nodes never process in place and a
 * split's branches all read the split's input buffer without copies.
 */
#include "graph.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../core/rt.h"

/* ---------------------------------------------------------------- chains */

pt_chain *pt_chain_new(void) { return calloc(1, sizeof(pt_chain)); }

static pt_item *chain_push(pt_chain *c)
{
    if (c->n == c->cap) {
        int cap = c->cap ? c->cap * 2 : 8;
        pt_item *items = realloc(c->items, (size_t)cap * sizeof *items);
        if (!items) return NULL;
        c->items = items;
        c->cap = cap;
    }
    pt_item *it = &c->items[c->n++];
    memset(it, 0, sizeof *it);
    return it;
}

pt_item *pt_chain_add_node(pt_chain *c, pt_node *n)
{
    pt_item *it = chain_push(c);
    if (!it) {
        pt_node_destroy(n);
        return NULL;
    }
    it->kind = PT_ITEM_NODE;
    it->node = n;
    return it;
}

pt_item *pt_chain_add_split(pt_chain *c, int n_branches)
{
    pt_item *it = chain_push(c);
    if (!it) return NULL;
    it->kind = PT_ITEM_SPLIT;
    it->branches = calloc((size_t)(n_branches > 0 ? n_branches : 1), sizeof *it->branches);
    if (!it->branches) {
        c->n--;
        return NULL;
    }
    it->n_branches = n_branches;
    for (int b = 0; b < n_branches; b++) {
        it->branches[b].chain = pt_chain_new();
        if (!it->branches[b].chain) {
            for (int k = 0; k < b; k++) pt_chain_free(it->branches[k].chain);
            free(it->branches);
            c->n--;
            return NULL;
        }
    }
    return it;
}

void pt_chain_free(pt_chain *c)
{
    if (!c) return;
    for (int i = 0; i < c->n; i++) {
        pt_item *it = &c->items[i];
        if (it->kind == PT_ITEM_NODE) {
            pt_node_destroy(it->node);
        } else {
            for (int b = 0; b < it->n_branches; b++) pt_chain_free(it->branches[b].chain);
            free(it->branches);
        }
    }
    free(c->items);
    free(c);
}

/* --------------------------------------------------------------- program */

enum { OP_NODE, OP_MIX };

typedef struct delay_line { /* a fixed delay per channel, ring buffer */
    float *buf;             /* len * PT_MAX_CHANNELS */
    int len, pos;
} delay_line;

typedef struct mix_branch {
    int buf, channels;
    delay_line comp;           /* latency compensation */
    pt_smoothed gain_l, gain_r;
} mix_branch;

typedef struct op {
    int kind;
    int in_buf, out_buf;
    int in_ch, out_ch;
    /* OP_NODE */
    int node;
    pt_smoothed wet;     /* 1 processed, 0 bypassed */
    int bypass_target;
    delay_line dry;      /* the node's latency, for the bypassed path */
    int mute_left;       /* samples still muted after a fault */
    pt_smoothed fault_gain;
    /* OP_MIX */
    char id[PT_ID_MAX];
    mix_branch *branches;
    int n_branches;
} op;

struct pt_program {
    double rate;
    int max_frames;
    uint64_t gen;
    int latency;
    pt_node **nodes;
    pt_node_health *health;
    int n_nodes, cap_nodes;
    op *ops;
    int n_ops, cap_ops;
    int *mix_ops; /* op index of each mix */
    int n_mixes;
    float *pool;  /* all buffers: n_bufs * PT_MAX_CHANNELS * max_frames */
    int n_bufs;
    float **ch;   /* ch[buf * PT_MAX_CHANNELS + c] */
    int out_buf, out_ch;
    float *scratch; /* PT_MAX_CHANNELS * max_frames, for bypass crossfades */
};

static atomic_uint_fast64_t next_generation = 1;

static int add_op(pt_program *p)
{
    if (p->n_ops == p->cap_ops) {
        int cap = p->cap_ops ? p->cap_ops * 2 : 16;
        op *ops = realloc(p->ops, (size_t)cap * sizeof *ops);
        if (!ops) return -1;
        p->ops = ops;
        p->cap_ops = cap;
    }
    memset(&p->ops[p->n_ops], 0, sizeof(op));
    return p->n_ops++;
}

static int add_node(pt_program *p, pt_node *n)
{
    if (p->n_nodes == p->cap_nodes) {
        int cap = p->cap_nodes ? p->cap_nodes * 2 : 16;
        pt_node **nodes = realloc(p->nodes, (size_t)cap * sizeof *nodes);
        if (!nodes) return -1;
        p->nodes = nodes;
        p->cap_nodes = cap;
    }
    p->nodes[p->n_nodes] = n;
    return p->n_nodes++;
}

static int delay_init(delay_line *d, int len)
{
    d->len = len;
    d->pos = 0;
    d->buf = NULL;
    if (len <= 0) return 0;
    d->buf = calloc((size_t)len * PT_MAX_CHANNELS, sizeof(float));
    return d->buf ? 0 : -1;
}

static void smoother_init(pt_smoothed *s, float value, int ramp)
{
    memset(s, 0, sizeof *s);
    s->current = s->target = value;
    s->ramp_samples = ramp;
}

/* RT: start a linear ramp to `value`. */
static void smoother_set(pt_smoothed *s, float value)
{
    s->target = value;
    if (s->ramp_samples <= 1 || s->current == value) {
        s->current = value;
        s->remaining = 0;
        return;
    }
    s->step = (value - s->current) / (float)s->ramp_samples;
    s->remaining = s->ramp_samples;
}

static void pan_gains(float level_db, float pan, float *gl, float *gr)
{
    /* Balance law: centre is unity on both sides; panning attenuates the
     * far side linearly. */
    float g = pt_db_to_gain(level_db);
    if (pan < -1) pan = -1;
    if (pan > 1) pan = 1;
    *gl = g * (pan > 0 ? 1.0f - pan : 1.0f);
    *gr = g * (pan < 0 ? 1.0f + pan : 1.0f);
}

/* Compile a chain reading `in_buf` (in_ch channels). Returns the output
 * buffer, its channel count and the chain's latency. */
static int compile_chain(pt_program *p, pt_chain *c, int in_buf, int in_ch, int *out_buf,
                         int *out_ch, int *latency, pt_error *err)
{
    int cur = in_buf, ch = in_ch, lat = 0;
    int ramp = (int)lrint(0.010 * p->rate); /* 10 ms for bypass and mix moves */
    for (int i = 0; i < c->n; i++) {
        pt_item *it = &c->items[i];
        if (it->kind == PT_ITEM_NODE) {
            pt_node *n = it->node;
            if (pt_node_prepare(n, p->rate, p->max_frames, ch, err) != 0) {
                if (!err || !err->msg[0])
                    pt_error_set(err, PT_ERR, NULL, 0, 0, "node '%s' failed to prepare", n->id);
                return -1;
            }
            if (n->out_channels < 1 || n->out_channels > PT_MAX_CHANNELS || n->latency_samples < 0)
                return pt_error_set(err, PT_ERR, NULL, 0, 0,
                                    "node '%s' (%s) declared %d channels, latency %d", n->id,
                                    n->type->name, n->out_channels, n->latency_samples) ? -1 : -1;
            int ni = add_node(p, n);
            if (ni < 0) return -1;
            it->node = NULL; /* the program owns it now */
            int oi = add_op(p);
            if (oi < 0) return -1;
            op *o = &p->ops[oi];
            o->kind = OP_NODE;
            o->node = ni;
            o->in_buf = cur;
            o->in_ch = ch;
            o->out_buf = p->n_bufs++;
            o->out_ch = n->out_channels;
            o->bypass_target = it->bypass ? 1 : 0;
            smoother_init(&o->wet, it->bypass ? 0.0f : 1.0f, ramp);
            smoother_init(&o->fault_gain, 1.0f, ramp * 2);
            if (delay_init(&o->dry, n->latency_samples) != 0) return -1;
            cur = o->out_buf;
            ch = o->out_ch;
            lat += n->latency_samples;
        } else {
            if (it->n_branches < 1)
                return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "a split has no branch"), -1;
            int nb = it->n_branches;
            int *b_buf = calloc((size_t)nb, sizeof(int) * 3);
            if (!b_buf) return -1;
            int *b_ch = b_buf + nb, *b_lat = b_buf + 2 * nb;
            int max_lat = 0, stereo = 0;
            for (int b = 0; b < nb; b++) {
                if (compile_chain(p, it->branches[b].chain, cur, ch, &b_buf[b], &b_ch[b], &b_lat[b],
                                  err) != 0) {
                    free(b_buf);
                    return -1;
                }
                if (b_lat[b] > max_lat) max_lat = b_lat[b];
                if (b_ch[b] == 2 || it->branches[b].pan != 0.0f) stereo = 1;
            }
            int oi = add_op(p);
            if (oi < 0) {
                free(b_buf);
                return -1;
            }
            op *o = &p->ops[oi];
            o->kind = OP_MIX;
            o->in_buf = cur;
            o->in_ch = ch;
            o->out_buf = p->n_bufs++;
            o->out_ch = stereo ? 2 : 1;
            snprintf(o->id, sizeof o->id, "%s", it->id);
            o->branches = calloc((size_t)nb, sizeof *o->branches);
            o->n_branches = nb;
            if (!o->branches) {
                free(b_buf);
                return -1;
            }
            for (int b = 0; b < nb; b++) {
                mix_branch *mb = &o->branches[b];
                mb->buf = b_buf[b];
                mb->channels = b_ch[b];
                float gl, gr;
                pan_gains(it->branches[b].level_db, it->branches[b].pan, &gl, &gr);
                smoother_init(&mb->gain_l, gl, ramp);
                smoother_init(&mb->gain_r, gr, ramp);
                if (delay_init(&mb->comp, max_lat - b_lat[b]) != 0) {
                    free(b_buf);
                    return -1;
                }
            }
            free(b_buf);
            int *mixes = realloc(p->mix_ops, (size_t)(p->n_mixes + 1) * sizeof *mixes);
            if (!mixes) return -1;
            p->mix_ops = mixes;
            p->mix_ops[p->n_mixes++] = oi;
            cur = o->out_buf;
            ch = o->out_ch;
            lat += max_lat;
        }
    }
    *out_buf = cur;
    *out_ch = ch;
    *latency = lat;
    return 0;
}

pt_program *pt_program_build(pt_chain *c, double rate, int max_frames, pt_error *err)
{
    pt_program *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->rate = rate;
    p->max_frames = max_frames;
    p->gen = atomic_fetch_add(&next_generation, 1);
    p->n_bufs = 1; /* buffer 0: the program's input */
    if (compile_chain(p, c, 0, 1, &p->out_buf, &p->out_ch, &p->latency, err) != 0) {
        if (err && !err->msg[0]) pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
        pt_program_free(p);
        return NULL;
    }
    size_t per_buf = (size_t)PT_MAX_CHANNELS * (size_t)max_frames;
    p->pool = calloc((size_t)p->n_bufs * per_buf, sizeof(float));
    p->ch = calloc((size_t)p->n_bufs * PT_MAX_CHANNELS, sizeof(float *));
    p->scratch = calloc(per_buf, sizeof(float));
    p->health = calloc((size_t)(p->n_nodes > 0 ? p->n_nodes : 1), sizeof *p->health);
    if (!p->pool || !p->ch || !p->scratch || !p->health) {
        pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
        pt_program_free(p);
        return NULL;
    }
    for (int b = 0; b < p->n_bufs; b++)
        for (int k = 0; k < PT_MAX_CHANNELS; k++)
            p->ch[b * PT_MAX_CHANNELS + k] = p->pool + (size_t)b * per_buf + (size_t)k * max_frames;
    /* Touch every page now, on this thread: fresh allocations are mapped
     * lazily, and the first write from the audio thread would page-fault
     * (milliseconds for a reverb's lines). Resetting clears every node's
     * state; the pool is written here too. */
    memset(p->pool, 0, (size_t)p->n_bufs * per_buf * sizeof(float));
    pt_program_reset(p);
    /* Then play one block of silence here and reset again. Page tables are
     * the process's, so what this maps is mapped for the audio thread too:
     * the code each node runs (a library function's page, such as libm's
     * powf for a circuit, faulted on the audio thread the first time a node
     * type played) and scratch that only process writes. */
    float *silence = calloc((size_t)max_frames, sizeof(float));
    if (silence) {
        pt_program_run(p, silence, max_frames);
        pt_program_reset(p);
        free(silence);
    }
    return p;
}

void pt_program_free(pt_program *p)
{
    if (!p) return;
    for (int i = 0; i < p->n_nodes; i++) pt_node_destroy(p->nodes[i]);
    for (int i = 0; i < p->n_ops; i++) {
        free(p->ops[i].dry.buf);
        for (int b = 0; b < p->ops[i].n_branches; b++) free(p->ops[i].branches[b].comp.buf);
        free(p->ops[i].branches);
    }
    free(p->nodes);
    free(p->health);
    free(p->ops);
    free(p->mix_ops);
    free(p->pool);
    free(p->ch);
    free(p->scratch);
    free(p);
}

/* RT: push `frames` samples of `src` (channel k) through a delay line into
 * dst. With len 0 it is a copy. */
static void delay_run(delay_line *d, int k, const float *src, float *dst, int frames, int pos0)
{
    if (d->len == 0) {
        if (dst != src) memmove(dst, src, (size_t)frames * sizeof(float));
        return;
    }
    float *line = d->buf + (size_t)k * d->len;
    int pos = pos0;
    for (int i = 0; i < frames; i++) {
        float y = line[pos];
        line[pos] = src[i];
        dst[i] = y;
        if (++pos == d->len) pos = 0;
    }
}

static inline float **bufch(pt_program *p, int buf) { return &p->ch[buf * PT_MAX_CHANNELS]; }

/* RT: the dry signal of a node op, shaped to its output channels and delayed
 * by its latency, into dst. */
static void node_dry(pt_program *p, op *o, float *const *dst, int frames)
{
    float **in = bufch(p, o->in_buf);
    int pos0 = o->dry.pos;
    for (int k = 0; k < o->out_ch; k++) {
        const float *src = in[k < o->in_ch ? k : 0];
        if (o->out_ch == 1 && o->in_ch == 2) {
            /* a stereo-to-mono node: its dry path is the mid signal */
            float *tmp = dst[k];
            for (int i = 0; i < frames; i++) tmp[i] = 0.5f * (in[0][i] + in[1][i]);
            src = tmp;
        }
        delay_run(&o->dry, k, src, dst[k], frames, pos0);
    }
    if (o->dry.len) o->dry.pos = (pos0 + frames) % o->dry.len;
}

/* RT: peak of a block, and whether any sample is NaN/Inf or runaway. */
static float block_peak(const float *x, int frames, int *bad)
{
    float peak = 0.0f;
    int b = 0;
    for (int i = 0; i < frames; i++) {
        float a = fabsf(x[i]);
        b |= !(a <= PT_RUNAWAY_LEVEL); /* also true for NaN */
        peak = a > peak ? a : peak;
    }
    *bad |= b;
    return peak;
}

static void run_node(pt_program *p, op *o, int frames)
{
    pt_node *n = p->nodes[o->node];
    float **in = bufch(p, o->in_buf);
    float **out = bufch(p, o->out_buf);
    int settled_bypass = o->bypass_target && o->wet.remaining == 0 && o->wet.current == 0.0f;

    if (settled_bypass) {
        node_dry(p, o, out, frames);
    } else {
        n->type->process(n, (const float *const *)in, (float *const *)out, frames);
        int bad = 0;
        float peak = 0.0f;
        for (int k = 0; k < o->out_ch; k++) {
            float pk = block_peak(out[k], frames, &bad);
            peak = pk > peak ? pk : peak;
        }
        if (bad) {
            /* Mute the node, clear its state and bring it back after 100 ms. */
            for (int k = 0; k < o->out_ch; k++) memset(out[k], 0, (size_t)frames * sizeof(float));
            if (n->type->reset) n->type->reset(n);
            o->mute_left = (int)(0.1 * p->rate);
            o->fault_gain.current = 0.0f;
            o->fault_gain.remaining = 0;
            atomic_fetch_add_explicit(&p->health[o->node].faults, 1, memory_order_relaxed);
            peak = 0.0f;
        }
        union { float f; unsigned u; } bits = {peak};
        atomic_store_explicit(&p->health[o->node].peak_bits, bits.u, memory_order_relaxed);

        if (o->mute_left > 0 || o->fault_gain.current != 1.0f || o->fault_gain.remaining) {
            for (int i = 0; i < frames; i++) {
                float g;
                if (o->mute_left > 0) {
                    if (--o->mute_left == 0) smoother_set(&o->fault_gain, 1.0f);
                    g = 0.0f;
                } else {
                    g = pt_param_next(&o->fault_gain);
                }
                for (int k = 0; k < o->out_ch; k++) out[k][i] *= g;
            }
        }
        if (o->wet.remaining || o->wet.current != 1.0f) {
            /* crossfading between processed and dry */
            float *dry[PT_MAX_CHANNELS] = {p->scratch, p->scratch + p->max_frames};
            node_dry(p, o, dry, frames);
            for (int i = 0; i < frames; i++) {
                float w = pt_param_next(&o->wet);
                for (int k = 0; k < o->out_ch; k++)
                    out[k][i] = w * out[k][i] + (1.0f - w) * dry[k][i];
            }
        } else if (o->dry.len) {
            /* keep the dry delay line current so a later bypass is seamless */
            float *dry[PT_MAX_CHANNELS] = {p->scratch, p->scratch + p->max_frames};
            node_dry(p, o, dry, frames);
        }
    }
}

static void run_mix(pt_program *p, op *o, int frames)
{
    float **out = bufch(p, o->out_buf);
    for (int k = 0; k < o->out_ch; k++) memset(out[k], 0, (size_t)frames * sizeof(float));
    float *tmp = p->scratch;
    for (int b = 0; b < o->n_branches; b++) {
        mix_branch *mb = &o->branches[b];
        float **src = bufch(p, mb->buf);
        int pos0 = mb->comp.pos;
        for (int k = 0; k < o->out_ch; k++) {
            /* a mono branch feeds both sides of a stereo mix, panned */
            const float *x = src[k < mb->channels ? k : 0];
            pt_smoothed *g = k == 0 ? &mb->gain_l : &mb->gain_r;
            delay_run(&mb->comp, k, x, tmp, frames, pos0);
            float *y = out[k];
            if (g->remaining == 0) {
                float gain = g->current;
                for (int i = 0; i < frames; i++) y[i] += gain * tmp[i];
            } else {
                for (int i = 0; i < frames; i++) y[i] += pt_param_next(g) * tmp[i];
            }
        }
        if (o->out_ch == 1) pt_param_block(&mb->gain_r, frames); /* unused side keeps time */
        if (mb->comp.len) mb->comp.pos = (pos0 + frames) % mb->comp.len;
    }
}

void pt_program_run(pt_program *p, const float *in, int frames)
{
    memcpy(p->ch[0], in, (size_t)frames * sizeof(float));
    for (int i = 0; i < p->n_ops; i++) {
        op *o = &p->ops[i];
        if (o->kind == OP_NODE) run_node(p, o, frames);
        else run_mix(p, o, frames);
    }
}

void pt_program_reset(pt_program *p)
{
    for (int i = 0; i < p->n_nodes; i++)
        if (p->nodes[i]->type->reset) p->nodes[i]->type->reset(p->nodes[i]);
    for (int i = 0; i < p->n_ops; i++) {
        op *o = &p->ops[i];
        if (o->dry.buf) memset(o->dry.buf, 0, (size_t)o->dry.len * PT_MAX_CHANNELS * sizeof(float));
        for (int b = 0; b < o->n_branches; b++) {
            delay_line *d = &o->branches[b].comp;
            if (d->buf) memset(d->buf, 0, (size_t)d->len * PT_MAX_CHANNELS * sizeof(float));
        }
    }
}

const float *const *pt_program_output(const pt_program *p, int *channels)
{
    if (channels) *channels = p->out_ch;
    return (const float *const *)&p->ch[p->out_buf * PT_MAX_CHANNELS];
}

int pt_program_latency(const pt_program *p) { return p->latency; }
int pt_program_max_frames(const pt_program *p) { return p->max_frames; }
double pt_program_rate(const pt_program *p) { return p->rate; }
uint64_t pt_program_generation(const pt_program *p) { return p->gen; }
int pt_program_node_count(const pt_program *p) { return p->n_nodes; }
pt_node *pt_program_node(const pt_program *p, int i) { return i >= 0 && i < p->n_nodes ? p->nodes[i] : NULL; }
int pt_program_mix_count(const pt_program *p) { return p->n_mixes; }

int pt_program_find_node(const pt_program *p, const char *id)
{
    for (int i = 0; i < p->n_nodes; i++)
        if (strcmp(p->nodes[i]->id, id) == 0) return i;
    return -1;
}

int pt_program_find_mix(const pt_program *p, const char *id)
{
    for (int i = 0; i < p->n_mixes; i++)
        if (id[0] && strcmp(p->ops[p->mix_ops[i]].id, id) == 0) return i;
    return -1;
}

static op *node_op(pt_program *p, int node_index)
{
    for (int i = 0; i < p->n_ops; i++)
        if (p->ops[i].kind == OP_NODE && p->ops[i].node == node_index) return &p->ops[i];
    return NULL;
}

void pt_program_set_bypass(pt_program *p, int node_index, int bypass)
{
    op *o = node_op(p, node_index);
    if (!o || o->bypass_target == !!bypass) return;
    int was_settled = o->bypass_target && o->wet.remaining == 0 && o->wet.current == 0.0f;
    o->bypass_target = !!bypass;
    if (!bypass && was_settled) {
        /* the node did not run while bypassed: start it from a clean state */
        pt_node *n = p->nodes[node_index];
        if (n->type->reset) n->type->reset(n);
    }
    smoother_set(&o->wet, bypass ? 0.0f : 1.0f);
}

int pt_program_bypassed(const pt_program *p, int node_index)
{
    for (int i = 0; i < p->n_ops; i++)
        if (p->ops[i].kind == OP_NODE && p->ops[i].node == node_index) return p->ops[i].bypass_target;
    return 0;
}

void pt_program_set_branch(pt_program *p, int mix_index, int branch, float level_db, float pan)
{
    if (mix_index < 0 || mix_index >= p->n_mixes) return;
    op *o = &p->ops[p->mix_ops[mix_index]];
    if (branch < 0 || branch >= o->n_branches) return;
    float gl, gr;
    pan_gains(level_db, pan, &gl, &gr);
    smoother_set(&o->branches[branch].gain_l, gl);
    smoother_set(&o->branches[branch].gain_r, gr);
}

const pt_node_health *pt_program_health(const pt_program *p, int node_index)
{
    return node_index >= 0 && node_index < p->n_nodes ? &p->health[node_index] : NULL;
}
