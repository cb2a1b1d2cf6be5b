/* circuit_run — run a circuit file through the `circuit` node, for the
 * end-to-end tests: raw float32 mono on stdin, raw float32 on stdout, with
 * the node's declared latency removed (the input is padded with zeros).
 *
 *   circuit_run CIRCUIT.yaml RATE [NAME=VALUE ...] < in.f32 > out.f32
 *
 * NAME=VALUE sets a node parameter (oversample takes 1, 2, 4 or 8). On
 * stderr: "latency=N newton_iterations_max=K newton_failures=F". */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/node.h"

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: circuit_run CIRCUIT.yaml RATE [NAME=VALUE ...] < in.f32 > out.f32\n");
        return 2;
    }
    const pt_node_type *t = pt_node_type_find("circuit");
    const char *asset[1] = {argv[1]};
    pt_node_config cfg = {.id = "circuit", .asset = asset};
    pt_error err = {0};
    pt_node *n = pt_node_create(t, &cfg, &err);
    if (!n) {
        pt_error_print(&err, stderr);
        return 1;
    }
    for (int i = 3; i < argc; i++) {
        char name[64];
        const char *eq = strchr(argv[i], '=');
        if (!eq || eq - argv[i] >= 63) return fprintf(stderr, "bad setting %s\n", argv[i]), 2;
        memcpy(name, argv[i], (size_t)(eq - argv[i]));
        name[eq - argv[i]] = 0;
        int pi = pt_param_index(t, name);
        if (pi < 0) return fprintf(stderr, "no parameter %s\n", name), 2;
        double v = atof(eq + 1);
        if (!strcmp(name, "oversample")) v = v >= 8 ? 3 : v >= 4 ? 2 : v >= 2 ? 1 : 0;
        pt_node_set_param_now(n, pi, (float)v);
    }
    double rate = atof(argv[2]);
    enum { BLOCK = 256 };
    if (pt_node_prepare(n, rate, BLOCK, 1, &err) != 0) {
        pt_error_print(&err, stderr);
        return 1;
    }
    size_t cap = 1 << 16, len = 0;
    float *x = malloc(cap * sizeof(float));
    size_t got;
    while ((got = fread(x + len, sizeof(float), cap - len, stdin)) > 0) {
        len += got;
        if (len == cap) x = realloc(x, (cap *= 2) * sizeof(float));
    }
    int lat = n->latency_samples;
    size_t total = len + (size_t)lat;
    float *in = calloc(total + BLOCK, sizeof(float)), *out = calloc(total + BLOCK, sizeof(float));
    memcpy(in, x, len * sizeof(float));
    for (size_t off = 0; off < total; off += BLOCK) {
        const float *ip[1] = {in + off};
        float *op[1] = {out + off};
        int m = total - off < BLOCK ? (int)(total - off) : BLOCK;
        t->process(n, ip, op, m);
    }
    fwrite(out + lat, sizeof(float), len, stdout);
    fprintf(stderr, "latency=%d newton_iterations_max=%g newton_failures=%g\n", lat,
            (double)pt_node_readout(n, 0), (double)pt_node_readout(n, 1));
    free(x);
    free(in);
    free(out);
    pt_node_destroy(n);
    return 0;
}
