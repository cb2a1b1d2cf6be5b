/* pt_cab_render — test helper: IN.wav through a one-node `cab` program
 * (asset ir = IR.wav, normalize 0: the raw convolution) into OUT.wav.
 *
 *   pt_cab_render IR.wav IN.wav OUT.wav [block_frames]
 *
 * The input must be mono; the output has the program's channel count (2 for
 * a stereo IR), float WAV, as long as the input. Offline mode: the
 * convolver's long partitions are computed in line, as `pytone render`
 * will. Used by tests/e2e/test_cab_scipy.py. */
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conv/conv.h"
#include "graph/graph.h"

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: pt_cab_render IR.wav IN.wav OUT.wav [block_frames]\n");
        return 2;
    }
    int block = argc > 4 ? atoi(argv[4]) : 64;
    if (block < 1) block = 64;
    pt_conv_set_offline_default(true);
    pt_error err = {0};
    const char *assets[1] = {argv[1]};
    pt_node_config cfg = {.id = "cab", .asset = assets};
    pt_node *n = pt_node_create(pt_node_type_find("cab"), &cfg, &err);
    if (!n) {
        pt_error_print(&err, stderr);
        return 1;
    }
    pt_node_set_param_now(n, pt_param_index(n->type, "normalize"), 0.0f);
    SF_INFO ii = {0};
    SNDFILE *fi = sf_open(argv[2], SFM_READ, &ii);
    if (!fi || ii.channels != 1) {
        fprintf(stderr, "%s: need a mono audio file\n", argv[2]);
        return 1;
    }
    pt_chain *c = pt_chain_new();
    pt_chain_add_node(c, n);
    pt_program *p = pt_program_build(c, ii.samplerate, block, &err);
    pt_chain_free(c);
    if (!p) {
        pt_error_print(&err, stderr);
        return 1;
    }
    int ch;
    pt_program_output(p, &ch);
    SF_INFO oi = {.samplerate = ii.samplerate, .channels = ch,
                  .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT};
    SNDFILE *fo = sf_open(argv[3], SFM_WRITE, &oi);
    if (!fo) {
        fprintf(stderr, "%s: %s\n", argv[3], sf_strerror(NULL));
        return 1;
    }
    float *x = malloc((size_t)block * sizeof(float));
    float *y = malloc((size_t)block * 2 * sizeof(float));
    sf_count_t k;
    while ((k = sf_readf_float(fi, x, block)) > 0) {
        pt_program_run(p, x, (int)k);
        const float *const *o = pt_program_output(p, &ch);
        for (int i = 0; i < k; i++)
            for (int j = 0; j < ch; j++) y[i * ch + j] = o[j][i];
        sf_writef_float(fo, y, k);
    }
    sf_close(fi);
    sf_close(fo);
    pt_program_free(p);
    free(x);
    free(y);
    return 0;
}
