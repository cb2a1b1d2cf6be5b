/* bench_plugins.c — what hosting costs (issue 20): an LV2 plugin run by the
 * lv2 node against the same plugin run bare (lilv_instance_run in a loop,
 * ports connected once), and a Faust node against a native node doing the
 * same work (one peaking biquad). 48 kHz, 64-frame blocks, noise in; for
 * each, the best of 7 interleaved rounds of 20,000 blocks. Prints numbers;
 * asserts nothing. Goal (issue 20): overhead under 1 % of the plugin's cost.
 *
 * usage: bench_plugins [URI...]   (default: x42's compressor and Guitarix's
 *                                  room simulator) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/node.h"
#include "core/rt.h"
#include "graph/graph.h"
#include "rig/rig.h"

#ifdef PT_HAVE_LILV
#include <lilv/lilv.h>
#include <lv2/atom/atom.h>

#include "io/dynlib.h"
#include "nodes/lv2_host.h"
#endif

#define RATE 48000.0
#define BLOCK 64
#define BLOCKS 20000
#define ROUNDS 7

static float noise[64 * BLOCK];

/* A rig of one node, built; its node. */
static pt_program *one_node(const char *yaml_node, pt_node **n)
{
    char text[2048];
    snprintf(text, sizeof text, "version: 1\nname: bench\nchain:\n  - %s\n", yaml_node);
    pt_diags d;
    pt_diags_init(&d);
    pt_rig *rig = pt_rig_load_string(text, strlen(text), "bench.yaml", ".", &d);
    if (!rig) {
        pt_diags_print(&d, stderr);
        pt_diags_free(&d);
        return NULL;
    }
    pt_error err = {0};
    pt_program *p = pt_rig_build_program(rig, RATE, BLOCK, &err);
    if (!p) pt_error_print(&err, stderr);
    pt_rig_free(rig);
    pt_diags_free(&d);
    *n = p ? pt_program_node(p, 0) : NULL;
    return p;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The median of BLOCKS single-block times, ns: robust to the preemptions a
 * shared machine inflicts (the timer's own cost is in both sides alike). */
static uint64_t block_ns[BLOCKS];
static double median_ns(void)
{
    qsort(block_ns, BLOCKS, sizeof block_ns[0], cmp_u64);
    return (double)block_ns[BLOCKS / 2];
}

/* ns per block of the node's own process() */
static double time_node(pt_node *n, float *const *out)
{
    uint64_t prev = pt_rt_now_ns();
    for (int b = 0; b < BLOCKS; b++) {
        const float *in[2] = {noise + (b % 64) * BLOCK, noise + ((b + 7) % 64) * BLOCK};
        n->type->process(n, in, out, BLOCK);
        uint64_t now = pt_rt_now_ns();
        block_ns[b] = now - prev;
        prev = now;
    }
    return median_ns();
}

#ifdef PT_HAVE_LILV
typedef struct bare {
    LilvInstance *inst;
    float *controls;
    void **atoms;
    float *buf[4];
    int in_port;
} bare;

/* The plugin as a minimal host runs it: defaults in, ports connected once. */
static int bare_open(const pt_lv2_desc *d, bare *b)
{
    const void *f[8];
    int nf = pt_lv2_common_features(f, 7);
    f[nf] = NULL;
    pt_lv2_lock();
    b->inst = lilv_plugin_instantiate(d->plugin, RATE, (const LV2_Feature *const *)f);
    pt_lv2_unlock();
    if (!b->inst) return -1;
    b->controls = calloc((size_t)d->n_ports, sizeof(float));
    b->atoms = calloc((size_t)d->n_ports, sizeof(void *));
    for (int k = 0; k < 4; k++) b->buf[k] = calloc(BLOCK, sizeof(float));
    int ain = 0, aout = 0;
    for (int i = 0; i < d->n_ports; i++) {
        const pt_lv2_port *p = &d->ports[i];
        void *where = NULL;
        switch (p->kind) {
        case PT_LV2_CONTROL_IN:
            b->controls[i] = p->param >= 0 ? (p->choice_value ? p->choice_value[(int)d->type.params[p->param].def]
                                                              : d->type.params[p->param].def)
                                           : p->fixed;
            where = &b->controls[i];
            break;
        case PT_LV2_CONTROL_OUT: where = &b->controls[i]; break;
        case PT_LV2_ATOM_IN:
        case PT_LV2_ATOM_OUT: {
            LV2_Atom_Sequence *s = calloc(1, 8192);
            s->atom.size = p->kind == PT_LV2_ATOM_IN ? sizeof(LV2_Atom_Sequence_Body) : 8192 - sizeof(LV2_Atom);
            s->atom.type = pt_lv2_urid(p->kind == PT_LV2_ATOM_IN ? LV2_ATOM__Sequence : LV2_ATOM__Chunk);
            b->atoms[i] = where = s;
            break;
        }
        case PT_LV2_AUDIO_IN:
            if (ain == 0) b->in_port = i;
            where = b->buf[ain++ < 1 ? 0 : 1];
            break;
        case PT_LV2_AUDIO_OUT: where = b->buf[aout++ < 1 ? 2 : 3]; break;
        default: where = b->buf[3]; break;
        }
        lilv_instance_connect_port(b->inst, (uint32_t)i, where);
    }
    lilv_instance_activate(b->inst);
    return 0;
}

static double time_bare(bare *b)
{
    uint64_t prev = pt_rt_now_ns();
    for (int k = 0; k < BLOCKS; k++) {
        /* the node reads the graph's buffers where they are; so does this */
        lilv_instance_connect_port(b->inst, (uint32_t)b->in_port, noise + (k % 64) * BLOCK);
        lilv_instance_run(b->inst, BLOCK);
        uint64_t now = pt_rt_now_ns();
        block_ns[k] = now - prev;
        prev = now;
    }
    return median_ns();
}

static void bench_lv2(const char *uri, float *const *out)
{
    char node[1024];
    snprintf(node, sizeof node, "{id: p, type: lv2, uri: \"%s\"}", uri);
    pt_node *n;
    pt_program *p = one_node(node, &n);
    bare b = {0};
    if (!p || bare_open(n->type->impl, &b) != 0) {
        printf("%-60s (cannot load)\n", uri);
        pt_program_free(p);
        return;
    }
    double node_best = INFINITY, bare_best = INFINITY;
    for (int r = 0; r < ROUNDS; r++) { /* interleaved: the machine's mood hits both */
        double a = time_node(n, out), c = time_bare(&b);
        if (a < node_best) node_best = a;
        if (c < bare_best) bare_best = c;
    }
    printf("%-60s %10.0f %10.0f %+9.0f %+8.2f%%\n", uri, node_best, bare_best, node_best - bare_best,
           100.0 * (node_best - bare_best) / bare_best);
    lilv_instance_deactivate(b.inst);
    pt_lv2_lock();
    lilv_instance_free(b.inst);
    pt_lv2_unlock();
    pt_program_free(p);
}
#endif

int main(int argc, char **argv)
{
    pt_rt_flush_denormals();
    unsigned seed = 1;
    for (int i = 0; i < 64 * BLOCK; i++) {
        seed = seed * 1664525u + 1013904223u;
        noise[i] = 0.5f * (float)((double)(seed >> 8) / 8388608.0 - 1.0);
    }
    float *o[2] = {malloc(BLOCK * sizeof(float)), malloc(BLOCK * sizeof(float))};
#ifdef PT_HAVE_LILV
    printf("LV2 host overhead (48 kHz, %d-frame blocks, ns per block: the median block, best of %d rounds of %d blocks):\n",
           BLOCK, ROUNDS, BLOCKS);
    printf("%-60s %10s %10s %9s %9s\n", "plugin", "lv2 node", "bare run", "overhead", "share");
    const char *def[] = {"http://gareus.org/oss/lv2/darc#mono",
                         "http://guitarix.sourceforge.net/plugins/gx_room_simulator_#_room_simulator_"};
    if (argc > 1)
        for (int i = 1; i < argc; i++) bench_lv2(argv[i], o);
    else
        for (int i = 0; i < 2; i++) bench_lv2(def[i], o);
#else
    (void)argc, (void)argv;
    puts("LV2: built without lilv");
#endif
    /* Faust against native: one peaking biquad each (fi.peak_eq vs eq) */
    pt_node *fn, *nn;
    pt_program *fp = one_node("{id: f, type: faust, dsp: bench/peak_eq.dsp}", &fn);
    pt_program *np = one_node("{id: e, type: eq, params: {shape: peak, freq_hz: 1000, gain_db: 6, q: 1}}", &nn);
    if (fp && np) {
        double fb = INFINITY, nb = INFINITY;
        for (int r = 0; r < ROUNDS; r++) {
            double a = time_node(fn, o), c = time_node(nn, o);
            if (a < fb) fb = a;
            if (c < nb) nb = c;
        }
        printf("Faust node vs native node, one peaking biquad (ns per 64-frame block): faust %.0f, "
               "native eq %.0f (%.2fx)\n", fb, nb, fb / nb);
    } else {
        puts("Faust: not measured (faust not installed?)");
    }
    pt_program_free(fp);
    pt_program_free(np);
    free(o[0]), free(o[1]);
    return 0;
}
