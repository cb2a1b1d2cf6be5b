/* nam_file.h — reading Neural Amp Modeler `.nam` files (formats 0.5, 0.6, 0.7).
 *
 * A .nam file is JSON: {"version", "architecture", "config", "weights",
 * "sample_rate", "metadata"}. The loader checks everything a player needs
 * before a model runs — the version, every config key, the activation names,
 * that the flat `weights` array holds exactly as many finite numbers as the
 * config implies — and refuses anything it does not understand, naming the
 * file and the problem, so a model is never played wrongly.
 *
 * Architectures (as the reference player of the 0.5 format generation reads
 * them):
 *   WaveNet  one or more layer arrays of gated/ungated dilated convolutions
 *            with a summed "head" path, scaled by head_scale
 *   LSTM     stacked LSTM cells and a linear head
 *   ConvNet  dilated kernel-2 convolutions with optional batch norm
 *   Linear   an FIR filter (an impulse response) with optional bias
 *
 * Formats 0.6 and 0.7 add, for WaveNet (read into pt_nam_xwavenet_config,
 * run by nam_wavenet_x.c): per-layer kernel sizes, a bottleneck, gating modes
 * (none / gated / blended) with secondary activations, grouped convolutions,
 * the optional head1x1 and layer1x1 convolutions, FiLM blocks at eight
 * places, a `head` object per layer array (kernel size, bias, dilation), a
 * post-stack head, a nested conditioning model (`condition_dsp`), per-layer
 * activation lists and the activations SiLU, PReLU, Softsign, LeakyHardtanh,
 * Hardswish; and, in 0.7, the `SlimmableContainer` (sub-models chosen by a
 * size value; the largest plays unless a size is given) and `slimmable`
 * layer arrays (fewer channels at smaller sizes, see pt_nam_file_slim).
 */
#ifndef PT_NAM_FILE_H
#define PT_NAM_FILE_H

#include <stdbool.h>

#include "../core/error.h"

#define PT_NAM_MAX_ARRAYS 8
#define PT_NAM_MAX_LAYERS 64
#define PT_NAM_DEFAULT_RATE_HZ 48000.0

typedef enum pt_nam_arch {
    PT_NAM_WAVENET = 0,
    PT_NAM_LSTM,
    PT_NAM_CONVNET,
    PT_NAM_LINEAR,
    PT_NAM_XWAVENET,  /* WaveNet of formats 0.6/0.7 (cfg in xwavenet) */
    PT_NAM_CONTAINER  /* SlimmableContainer (0.7) */
} pt_nam_arch;

typedef enum pt_nam_act {
    PT_ACT_TANH = 0,
    PT_ACT_HARDTANH,
    PT_ACT_FASTTANH, /* the format's own rational tanh approximation */
    PT_ACT_RELU,
    PT_ACT_LEAKYRELU, /* negative slope 0.01 */
    PT_ACT_SIGMOID,
    PT_ACT_COUNT_05, /* the names format 0.5 knows end here */
    PT_ACT_SILU = PT_ACT_COUNT_05,
    PT_ACT_PRELU,
    PT_ACT_HARDSWISH,
    PT_ACT_LEAKYHARDTANH,
    PT_ACT_SOFTSIGN,
    PT_ACT_COUNT
} pt_nam_act;

#define PT_NAM_MAX_SLOPES 64
#define PT_NAM_MAX_ALLOWED 32

/* An activation with its parameters (formats 0.6+ may configure them). */
typedef struct pt_nam_actcfg {
    pt_nam_act type;
    float slope;                   /* LeakyReLU, PReLU with one slope */
    int n_slopes;                  /* PReLU per channel: slopes[channel % n_slopes] */
    float slopes[PT_NAM_MAX_SLOPES];
    float min_val, max_val, min_slope, max_slope; /* LeakyHardtanh */
} pt_nam_actcfg;

/* The activation names the format uses ("Tanh", "ReLU", ...). */
const char *pt_nam_act_name(pt_nam_act a);

typedef struct pt_nam_layer_array {
    int input_size, condition_size, head_size, channels, kernel_size;
    int n_dilations;
    int dilations[PT_NAM_MAX_LAYERS];
    pt_nam_act activation;
    bool gated, head_bias;
} pt_nam_layer_array;

typedef struct pt_nam_wavenet_config {
    int n_arrays;
    pt_nam_layer_array arrays[PT_NAM_MAX_ARRAYS];
    float head_scale_config; /* the value in "config"; the one used is the last weight */
} pt_nam_wavenet_config;

typedef struct pt_nam_lstm_config {
    int input_size, hidden_size, num_layers;
} pt_nam_lstm_config;

typedef struct pt_nam_convnet_config {
    int channels;
    int n_dilations;
    int dilations[PT_NAM_MAX_LAYERS];
    bool batchnorm;
    pt_nam_act activation;
} pt_nam_convnet_config;

typedef struct pt_nam_linear_config {
    int receptive_field;
    bool bias;
} pt_nam_linear_config;

typedef enum pt_nam_gating { PT_GATE_NONE = 0, PT_GATE_GATED, PT_GATE_BLENDED } pt_nam_gating;

/* Where a layer may apply FiLM (x * scale(cond) + shift(cond)), in the
 * order their weights are stored. */
typedef enum pt_nam_film_at {
    PT_FILM_CONV_PRE = 0,
    PT_FILM_CONV_POST,
    PT_FILM_MIXIN_PRE,
    PT_FILM_MIXIN_POST,
    PT_FILM_ACT_PRE,
    PT_FILM_ACT_POST,
    PT_FILM_LAYER1X1_POST,
    PT_FILM_HEAD1X1_POST,
    PT_FILM_COUNT
} pt_nam_film_at;

typedef struct pt_nam_film {
    bool active, shift;
    int groups;
} pt_nam_film;

/* A layer array of the 0.6/0.7 WaveNet. */
typedef struct pt_nam_xlayer_array {
    int input_size, condition_size, channels, bottleneck;
    int n_layers;
    int kernel[PT_NAM_MAX_LAYERS], dilations[PT_NAM_MAX_LAYERS];
    pt_nam_gating gating[PT_NAM_MAX_LAYERS];
    pt_nam_actcfg act[PT_NAM_MAX_LAYERS], act2[PT_NAM_MAX_LAYERS]; /* act2: gate / blend */
    int head_size, head_kernel, head_dilation; /* the head rechannel convolution */
    bool head_bias;
    int groups_input, groups_mixin;
    bool layer1x1;
    int layer1x1_groups;
    bool head1x1;
    int head1x1_out, head1x1_groups;
    pt_nam_film film[PT_FILM_COUNT];
    int n_allowed; /* slimmable: allowed channel counts (0: not slimmable) */
    int allowed[PT_NAM_MAX_ALLOWED];
} pt_nam_xlayer_array;

#define PT_NAM_MAX_HEAD_CONVS 8

struct pt_nam_file;

typedef struct pt_nam_xwavenet_config {
    int n_arrays;
    pt_nam_xlayer_array arrays[PT_NAM_MAX_ARRAYS];
    float head_scale_config;
    /* the post-stack head (optional): convs of kernel head_kernels[i], an
     * activation before each */
    bool has_head;
    int head_channels, head_out, n_head_convs;
    int head_kernels[PT_NAM_MAX_HEAD_CONVS];
    pt_nam_actcfg head_act;
    struct pt_nam_file *condition; /* the conditioning model, or NULL */
} pt_nam_xwavenet_config;

/* The 0.7 SlimmableContainer: sub-model i plays for sizes below max_value[i]. */
typedef struct pt_nam_container {
    int n_sub;
    struct pt_nam_file *sub;
    double *max_value;
} pt_nam_container;

typedef struct pt_nam_metadata {
    bool has_loudness, has_input_level, has_output_level;
    double loudness_db;       /* output loudness for the trainer's standard input */
    double input_level_dbu;   /* dBu that 0 dBFS meant at the capture's input */
    double output_level_dbu;  /* dBu that 0 dBFS meant at the capture's output */
    char name[128], author[128], gear_type[64], tone_type[64];
    char notes[256]; /* the top-level "notes" (0.6+), joined */
} pt_nam_metadata;

typedef struct pt_nam_file {
    char path[512];
    char version[32];
    pt_nam_arch arch;
    union {
        pt_nam_wavenet_config wavenet;
        pt_nam_lstm_config lstm;
        pt_nam_convnet_config convnet;
        pt_nam_linear_config linear;
    } cfg;
    pt_nam_xwavenet_config *xwavenet; /* PT_NAM_XWAVENET */
    pt_nam_container container;       /* PT_NAM_CONTAINER */
    float *weights; /* n_weights finite floats, in the file's order */
    int n_weights;
    double sample_rate_hz; /* 48000 when the file has none */
    bool has_sample_rate;
    pt_nam_metadata meta;
} pt_nam_file;

/* Read and validate a .nam file. Returns 0, or non-zero with err naming the
 * file and the problem. Off the audio thread. */
int pt_nam_file_load(pt_nam_file *f, const char *path, pt_error *err);
/* The same from JSON text already in memory; `path` is used in messages. */
int pt_nam_file_parse(pt_nam_file *f, const char *json, const char *path, pt_error *err);
void pt_nam_file_free(pt_nam_file *f);

/* The model that plays for slimmable size `size` (0..1; a negative size means
 * the largest): a container's chosen sub-model, or f itself. */
const pt_nam_file *pt_nam_file_pick(const pt_nam_file *f, double size);

/* A slimmable WaveNet (0.7 `slimmable` layer arrays) at size `size` (0..1):
 * fills `out` with the smaller model (its own config and weights; free with
 * pt_nam_file_free) and returns 1; returns 0, leaving `out` untouched, when
 * f is not slimmable or `size` picks its full size; -1 with err on failure. */
int pt_nam_file_slim(const pt_nam_file *f, double size, pt_nam_file *out, pt_error *err);

/* How many weights a config needs (the count the loader checks). */
long pt_nam_expected_weights(const pt_nam_file *f);
/* Samples of input history the model looks at (1 for a memoryless model). */
long pt_nam_receptive_field(const pt_nam_file *f);

#endif
