/* graph.h — the signal graph: serial chains, splits into any number of
 * parallel branches, and mixes back, compiled into a flat program.
 *
 * A pt_chain is the description (built by the rig loader, or by hand in tests
 * and tools). pt_program_build() prepares every node for a rate and block size
 * and lays the graph out as a list of ops in topological order, each reading
 * and writing preallocated buffers. Running a program (pt_program_run) is RT:
 * no allocation, no locks.
 *
 * Latency: each branch's latency is the sum of its nodes' declared latencies;
 * at a mix, shorter branches are delayed to the longest, so parallel paths
 * stay aligned. The program's latency is what the whole graph adds.
 */
#ifndef PT_GRAPH_H
#define PT_GRAPH_H

#include <stdatomic.h>
#include <stdint.h>

#include "../core/node.h"

typedef struct pt_chain pt_chain;

typedef struct pt_branch {
    pt_chain *chain; /* may be empty: a dry branch */
    float level_db;
    float pan;       /* -1 (left) .. 1 (right); applies when the mix is stereo */
} pt_branch;

typedef enum pt_item_kind { PT_ITEM_NODE, PT_ITEM_SPLIT } pt_item_kind;

typedef struct pt_item {
    pt_item_kind kind;
    pt_node *node;        /* PT_ITEM_NODE: owned by the chain until built */
    int bypass;           /* PT_ITEM_NODE: start bypassed */
    char id[PT_ID_MAX];   /* PT_ITEM_SPLIT: optional name for its mix */
    pt_branch *branches;  /* PT_ITEM_SPLIT */
    int n_branches;
} pt_item;

struct pt_chain {
    pt_item *items;
    int n, cap;
};

pt_chain *pt_chain_new(void);
/* Appends a node; the chain owns it from now on. NULL on out-of-memory (the
 * node is then destroyed). */
pt_item *pt_chain_add_node(pt_chain *c, pt_node *n);
/* Appends a split with n_branches empty branch chains at 0 dB, centre. */
pt_item *pt_chain_add_split(pt_chain *c, int n_branches);
void pt_chain_free(pt_chain *c); /* frees the nodes it still owns */

/* ---- The compiled program ---- */

typedef struct pt_program pt_program;

/* Build a program from a chain for (rate, max_frames), mono input. Takes the
 * nodes out of the chain (the chain can then be freed). Off the audio thread.
 * Returns NULL and fills err when a node fails to prepare. */
pt_program *pt_program_build(pt_chain *c, double rate, int max_frames, pt_error *err);
void pt_program_free(pt_program *p);

/* RT: run the program on `frames` (<= max_frames) mono input samples. The
 * output is then in pt_program_output(). */
void pt_program_run(pt_program *p, const float *in, int frames);
/* RT: reset every node (clear state) and all mix delay lines. */
void pt_program_reset(pt_program *p);

/* Output channel pointers (1 or 2 channels) of the last run. */
const float *const *pt_program_output(const pt_program *p, int *channels);
int pt_program_latency(const pt_program *p);
int pt_program_max_frames(const pt_program *p);
double pt_program_rate(const pt_program *p);
uint64_t pt_program_generation(const pt_program *p);

/* Nodes in processing order, for addressing by id and for meters. */
int pt_program_node_count(const pt_program *p);
pt_node *pt_program_node(const pt_program *p, int index);
int pt_program_find_node(const pt_program *p, const char *id); /* -1 if none */
int pt_program_mix_count(const pt_program *p);
int pt_program_find_mix(const pt_program *p, const char *id);

/* RT: bypass a node with a short crossfade (the dry path is delayed by the
 * node's latency, so bypass never shifts the timing of the rest). */
void pt_program_set_bypass(pt_program *p, int node_index, int bypass);
int pt_program_bypassed(const pt_program *p, int node_index); /* target state */
/* RT: change a branch's level and pan at a mix (smoothed). */
void pt_program_set_branch(pt_program *p, int mix_index, int branch, float level_db, float pan);

/* Health, written by the audio thread, read by anyone. */
typedef struct pt_node_health {
    atomic_uint faults;       /* times the node produced NaN/Inf or runaway output */
    atomic_uint peak_bits;    /* last block's output peak, as float bits */
} pt_node_health;
const pt_node_health *pt_program_health(const pt_program *p, int node_index);
/* Output magnitude above which a node is treated as runaway (about +80 dBFS). */
#define PT_RUNAWAY_LEVEL 1.0e4f

#endif
