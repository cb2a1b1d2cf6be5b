/* nam_render — run one `nam` node over a WAV file, for the end-to-end tests.
 *
 *   nam_render MODEL.nam IN.wav OUT.wav [--block N] [--normalize 0|1]
 *
 * The engine rate is IN.wav's rate; OUT.wav is float32 mono at that rate.
 * Prints "latency_samples N" on stdout. Exit 2 when the
 * node cannot be created or prepared (the message on stderr). */
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/node.h"

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: nam_render MODEL.nam IN.wav OUT.wav [--block N] [--normalize 0|1]\n");
        return 1;
    }
    int block = 64;
    float normalize = 0.0f;
    for (int i = 4; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--block") == 0) block = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--normalize") == 0) normalize = (float)atof(argv[i + 1]);
    }
    SF_INFO si = {0};
    SNDFILE *sf = sf_open(argv[2], SFM_READ, &si);
    if (!sf) {
        fprintf(stderr, "%s: %s\n", argv[2], sf_strerror(NULL));
        return 1;
    }
    float *inter = malloc((size_t)si.frames * si.channels * sizeof(float));
    sf_readf_float(sf, inter, si.frames);
    sf_close(sf);
    float *x = malloc((size_t)si.frames * sizeof(float));
    float *y = malloc((size_t)si.frames * sizeof(float));
    for (sf_count_t i = 0; i < si.frames; i++) x[i] = inter[i * si.channels];

    const pt_node_type *t = pt_node_type_find("nam");
    const char *asset[1] = {argv[1]};
    pt_node_config cfg = {.id = "nam", .asset = asset};
    pt_error err = {0};
    pt_node *n = pt_node_create(t, &cfg, &err);
    if (!n) {
        pt_error_print(&err, stderr);
        return 2;
    }
    pt_node_set_param_now(n, pt_param_index(t, "normalize"), normalize);
    if (pt_node_prepare(n, si.samplerate, block, 1, &err) != 0) {
        pt_error_print(&err, stderr);
        pt_node_destroy(n);
        return 2;
    }
    for (sf_count_t off = 0; off < si.frames; off += block) {
        int m = si.frames - off < block ? (int)(si.frames - off) : block;
        const float *in[1] = {x + off};
        float *out[1] = {y + off};
        t->process(n, in, out, m);
    }
    printf("latency_samples %d\n", n->latency_samples);
    pt_node_destroy(n);

    SF_INFO so = {.samplerate = si.samplerate, .channels = 1, .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT};
    sf = sf_open(argv[3], SFM_WRITE, &so);
    if (!sf) {
        fprintf(stderr, "%s: %s\n", argv[3], sf_strerror(NULL));
        return 1;
    }
    sf_writef_float(sf, y, si.frames);
    sf_close(sf);
    free(inter);
    free(x);
    free(y);
    return 0;
}
