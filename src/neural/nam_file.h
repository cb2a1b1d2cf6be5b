/* nam_file.h — reading Neural Amp Modeler `.nam` files (format 0.5.x).
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
    PT_NAM_LINEAR
} pt_nam_arch;

typedef enum pt_nam_act {
    PT_ACT_TANH = 0,
    PT_ACT_HARDTANH,
    PT_ACT_FASTTANH, /* the format's own rational tanh approximation */
    PT_ACT_RELU,
    PT_ACT_LEAKYRELU, /* negative slope 0.01 */
    PT_ACT_SIGMOID,
    PT_ACT_COUNT
} pt_nam_act;

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

typedef struct pt_nam_metadata {
    bool has_loudness, has_input_level, has_output_level;
    double loudness_db;       /* output loudness for the trainer's standard input */
    double input_level_dbu;   /* dBu that 0 dBFS meant at the capture's input */
    double output_level_dbu;  /* dBu that 0 dBFS meant at the capture's output */
    char name[128], author[128], gear_type[64], tone_type[64];
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

/* How many weights a config needs (the count the loader checks). */
long pt_nam_expected_weights(const pt_nam_file *f);
/* Samples of input history the model looks at (1 for a memoryless model). */
long pt_nam_receptive_field(const pt_nam_file *f);

#endif
