/* fxutil.h — helpers for the effect tests: run one node directly on one or
 * two channels, in blocks, without a graph. */
#ifndef PT_FXUTIL_H
#define PT_FXUTIL_H

#include <stdlib.h>
#include <string.h>

#include "core/node.h"
#include "testutil.h"

#define FX_RATE 48000.0
#define FX_BLOCK 64

static inline void fx_prepare(pt_node *n, int in_channels)
{
    pt_error err = {0};
    if (pt_node_prepare(n, FX_RATE, FX_BLOCK, in_channels, &err) != 0)
        fail_msg("prepare %s: %s", n->type->name, err.msg);
}

/* Process `frames` samples of in[0..in_channels) into out[0..out_channels),
 * in blocks of `block`. After each block, cb (if any) sees the node and the
 * number of frames done. */
static inline void fx_run(pt_node *n, float *const *in, float *const *out, int frames, int block,
                          void (*cb)(pt_node *, int, void *), void *ctx)
{
    for (int off = 0; off < frames; off += block) {
        int m = frames - off < block ? frames - off : block;
        const float *ip[2] = {in[0] + off, in[n->in_channels > 1 ? 1 : 0] + off};
        float *op[2] = {out[0] + off, out[n->out_channels > 1 ? 1 : 0] + off};
        n->type->process(n, ip, op, m);
        if (cb) cb(n, off + m, ctx);
    }
}

/* Deterministic uniform noise in [-1, 1). */
static inline float fx_noise(unsigned *seed)
{
    *seed = *seed * 1664525u + 1013904223u;
    return (float)((double)(*seed >> 8) / 8388608.0 - 1.0);
}

#endif
