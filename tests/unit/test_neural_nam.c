/* test_neural_nam.c — the `nam` node.
 *
 * References:
 * - the reference player's outputs for tests/data/nam/{wavenet, lstm,
 *   wavenet_a1_standard}.nam (exact tanh, 64-frame blocks, after its reset
 *   and prewarm): the node must match within 1e-4 relative RMS;
 * - itself at another block size (32/64/128/1000 frames give the same
 *   samples);
 * - analytic expectations for resampling (an identity model at 44.1 kHz must
 *   return a sine at its level and frequency, and an impulse exactly
 *   `latency_samples` later) and for the metadata gains (dB formulas);
 * - the loader's refusals, each naming the file and the problem. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sndfile.h>
#include <unistd.h>

#include "neural/nn_math.h"
#include "testutil.h"

static float *read_wav(const char *path, int *frames, int *rate)
{
    SF_INFO si = {0};
    SNDFILE *f = sf_open(path, SFM_READ, &si);
    if (!f) fail_msg("cannot open %s", path);
    float *x = malloc((size_t)si.frames * sizeof(float));
    sf_readf_float(f, x, si.frames);
    sf_close(f);
    *frames = (int)si.frames;
    if (rate) *rate = si.samplerate;
    return x;
}

static pt_node *make_node(const char *model, float normalize, pt_error *err)
{
    const pt_node_type *t = pt_node_type_find("nam");
    assert_non_null(t);
    const char *asset[1] = {model};
    pt_node_config cfg = {.id = "amp", .asset = asset};
    pt_node *n = pt_node_create(t, &cfg, err);
    if (n) pt_node_set_param_now(n, pt_param_index(t, "normalize"), normalize);
    return n;
}

/* Run a fresh node over x (mono) in blocks of `block`. Returns the latency. */
static int render(const char *model, float normalize, double rate, int block, const float *x,
                  float *y, int n)
{
    pt_error err = {0};
    pt_node *nd = make_node(model, normalize, &err);
    if (!nd) fail_msg("create: %s: %s", err.file, err.msg);
    if (pt_node_prepare(nd, rate, block, 1, &err) != 0) fail_msg("prepare: %s", err.msg);
    for (int off = 0; off < n; off += block) {
        int m = n - off < block ? n - off : block;
        const float *in[1] = {x + off};
        float *out[1] = {y + off};
        nd->type->process(nd, in, out, m);
    }
    int lat = nd->latency_samples;
    pt_node_destroy(nd);
    return lat;
}

/* |DFT| of x at f, Hann-windowed (so a sine 88 Hz away leaks < 1e-5) */
static double hann_mag(const float *x, int n, double rate, double f)
{
    double re = 0, im = 0;
    for (int i = 0; i < n; i++) {
        double w = 0.5 - 0.5 * cos(2.0 * M_PI * i / (n - 1));
        re += w * x[i] * cos(2.0 * M_PI * f * i / rate);
        im -= w * x[i] * sin(2.0 * M_PI * f * i / rate);
    }
    return sqrt(re * re + im * im);
}

static double rel_rms(const float *a, const float *b, int n)
{
    double e = 0, p = 0;
    for (int i = 0; i < n; i++) {
        e += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
        p += (double)b[i] * b[i];
    }
    return sqrt(e / (p > 0 ? p : 1e-30));
}

/* The whole 10 s with the kernels the CPU would pick, and the first 2 s with
 * each other build it can run (AVX-512, AVX2, NEON, baseline). */
static void reference_triples(void **st)
{
    (void)st;
    const char *models[] = {"wavenet", "lstm", "wavenet_a1_standard"};
    const char *isas[] = {"avx512", "avx2", "neon", "baseline"};
    int n, rate;
    float *x = read_wav(tu_src("tests/data/nam/input.wav"), &n, &rate);
    float *y = malloc((size_t)n * sizeof(float));
    const char *best = pt_nn_isa();
    int full = n;
    for (int k = 0; k < 12; k++) {
        int i = k % 3;
        if (pt_nn_set_isa(isas[k / 3]) != 0) continue;
        n = strcmp(pt_nn_isa(), best) == 0 ? full : 2 * rate;
        char mp[256], rp[256];
        snprintf(mp, sizeof mp, "tests/data/nam/%s.nam", models[i]);
        snprintf(rp, sizeof rp, "tests/data/nam/%s.reference.wav", models[i]);
        int rn;
        float *ref = read_wav(tu_src(rp), &rn, NULL);
        assert_int_equal(rn, full);
        int lat = render(tu_src(mp), 0.0f, rate, 64, x, y, n);
        assert_int_equal(lat, 0);
        double e = rel_rms(y, ref, n);
        print_message("%-20s vs reference player (%s kernels, %d s): relative RMS error %.3g\n",
                      models[i], pt_nn_isa(), n / rate, e);
        assert_true(e <= 1e-4);
        free(ref);
    }
    pt_nn_set_isa(NULL);
    free(x);
    free(y);
}

/* The same samples for blocks of 32, 128 and 1000 frames as for 64: at the
 * model's rate, and resampled (engine at 44.1 kHz). */
static void block_size_independent(void **st)
{
    (void)st;
    const char *models[] = {"wavenet_a1_standard", "lstm", "wavenet"};
    const double rates[] = {48000.0, 48000.0, 44100.0};
    int n, rate;
    float *x = read_wav(tu_src("tests/data/nam/input.wav"), &n, &rate);
    n = 48000; /* the first second */
    float *y64 = malloc((size_t)n * sizeof(float)), *y = malloc((size_t)n * sizeof(float));
    const int blocks[] = {32, 128, 1000};
    for (int i = 0; i < 3; i++) {
        char mp[256];
        snprintf(mp, sizeof mp, "tests/data/nam/%s.nam", models[i]);
        render(tu_src(mp), 0.0f, rates[i], 64, x, y64, n);
        for (int b = 0; b < 3; b++) {
            render(tu_src(mp), 0.0f, rates[i], blocks[b], x, y, n);
            double e = rel_rms(y, y64, n);
            print_message("%-20s at %g Hz, block %4d vs 64: relative RMS difference %.3g\n", models[i],
                          rates[i], blocks[b], e);
            assert_true(e <= 1e-7);
        }
    }
    free(x);
    free(y64);
    free(y);
}

/* reset() brings back the prewarmed state: the same input after a reset
 * gives the same output as from a fresh node. */
static void reset_restores_prewarmed_state(void **st)
{
    (void)st;
    int n, rate;
    float *x = read_wav(tu_src("tests/data/nam/input.wav"), &n, &rate);
    n = 9600;
    float *a = malloc((size_t)n * sizeof(float)), *b = malloc((size_t)n * sizeof(float));
    const char *models[] = {"tests/data/nam/wavenet.nam", "tests/data/nam/lstm.nam"};
    for (int m = 0; m < 2; m++) {
        for (int pass = 0; pass < 2; pass++) {
            pt_error err = {0};
            pt_node *nd = make_node(tu_src(models[m]), 0.0f, &err);
            assert_non_null(nd);
            assert_int_equal(pt_node_prepare(nd, pass ? 44100 : 48000, 64, 1, &err), 0);
            for (int round = 0; round < 2; round++) {
                float *y = round ? b : a;
                if (round) nd->type->reset(nd);
                for (int off = 0; off < n; off += 64) {
                    const float *in[1] = {x + off};
                    float *out[1] = {y + off};
                    nd->type->process(nd, in, out, 64);
                }
            }
            assert_true(rel_rms(b, a, n) == 0.0);
            pt_node_destroy(nd);
        }
    }
    free(x);
    free(a);
    free(b);
}

static char *write_temp(const char *name, const char *text)
{
    static char path[8][256];
    static int k;
    k = (k + 1) % 8;
    snprintf(path[k], sizeof path[k], "/tmp/pt_nam_test_%d_%s", (int)getpid(), name);
    FILE *f = fopen(path[k], "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path[k];
}

#define SMALL_LINEAR(cfg, weights) \
    "{\"version\": \"0.5.4\", \"architecture\": \"Linear\", \"config\": " cfg ", \"weights\": " weights \
    ", \"sample_rate\": 48000}"

static void refuses_broken_files(void **st)
{
    (void)st;
    /* a truncated copy of the standard model */
    FILE *f = fopen(tu_src("tests/data/nam/wavenet_a1_standard.nam"), "rb");
    assert_non_null(f);
    static char text[300000];
    size_t got = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[got / 2] = '\0';

    const struct {
        const char *name, *json, *expect;
    } cases[] = {
        {"truncated.nam", text, "ends too early"},
        {"count.nam", SMALL_LINEAR("{\"receptive_field\": 3, \"bias\": true}", "[1, 2, 3]"),
         "holds 3 weights but its Linear config needs 4"},
        {"arch.nam", "{\"version\": \"0.5.4\", \"architecture\": \"Transformer\", \"config\": {}, \"weights\": []}",
         "unknown architecture 'Transformer'"},
        {"act.nam",
         "{\"version\": \"0.5.4\", \"architecture\": \"ConvNet\", \"config\": {\"channels\": 1, \"dilations\": [1], "
         "\"batchnorm\": false, \"activation\": \"Swish\"}, \"weights\": [1, 1, 0, 1, 0]}",
         "unknown activation 'Swish'"},
        {"nan.nam", SMALL_LINEAR("{\"receptive_field\": 2, \"bias\": false}", "[1, NaN]"), "NaN"},
        {"huge.nam", SMALL_LINEAR("{\"receptive_field\": 2, \"bias\": false}", "[1, 1e300]"),
         "weight 1 is NaN or infinite"},
        {"version.nam",
         "{\"version\": \"0.8.0\", \"architecture\": \"Linear\", \"config\": {\"receptive_field\": 1, \"bias\": false}, "
         "\"weights\": [1]}",
         "version 0.8.0 is not supported"},
        {"head.nam",
         "{\"version\": \"0.5.4\", \"architecture\": \"WaveNet\", \"config\": {\"layers\": [{\"input_size\": 1, "
         "\"condition_size\": 1, \"head_size\": 1, \"channels\": 1, \"kernel_size\": 1, \"dilations\": [1], "
         "\"activation\": \"Tanh\", \"gated\": false, \"head_bias\": false}], \"head\": {\"channels\": 4}, "
         "\"head_scale\": 1}, \"weights\": []}",
         "'head' other than null"},
        {"option.nam",
         "{\"version\": \"0.5.4\", \"architecture\": \"WaveNet\", \"config\": {\"layers\": [{\"input_size\": 1, "
         "\"condition_size\": 1, \"head_size\": 1, \"channels\": 1, \"kernel_size\": 1, \"dilations\": [1], "
         "\"activation\": \"Tanh\", \"gated\": false, \"head_bias\": false, \"groups_input\": 2}], \"head\": null, "
         "\"head_scale\": 1}, \"weights\": []}",
         "option 'groups_input'"},
        {"lstm.nam", "{\"version\": \"0.5.4\", \"architecture\": \"LSTM\", \"config\": {\"input_size\": 1, "
                     "\"hidden_size\": 2}, \"weights\": []}",
         "missing 'num_layers'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *path = write_temp(cases[i].name, cases[i].json);
        pt_error err = {0};
        pt_node *n = make_node(path, 0.0f, &err);
        char msg[2048];
        pt_error_format(&err, msg, sizeof msg);
        print_message("%s -> %s\n", cases[i].name, msg);
        assert_null(n);
        assert_string_equal(err.file, path);
        assert_non_null(strstr(err.msg, cases[i].expect));
        unlink(path);
    }
    /* and a missing file */
    pt_error err = {0};
    assert_null(make_node("/nonexistent/amp.nam", 0.0f, &err));
    assert_string_equal(err.file, "/nonexistent/amp.nam");
}

/* normalize on: input gain = interface_dbu - input_level_dbu, output gain =
 * -18 dB - loudness (wavenet.nam: 18.3 dBu, loudness -20.02 dB). The
 * normalized output must equal the plain model run on the input scaled by
 * the input gain, times the output gain. */
static void normalize_uses_metadata(void **st)
{
    (void)st;
    int n, rate;
    float *x = read_wav(tu_src("tests/data/nam/input.wav"), &n, &rate);
    n = 24000;
    float *xs = malloc((size_t)n * sizeof(float)), *y = malloc((size_t)n * sizeof(float)),
          *yn = malloc((size_t)n * sizeof(float));
    const double in_db = 12.2 - 18.3, out_db = -18.0 - (-20.020729064941406);
    for (int i = 0; i < n; i++) xs[i] = (float)(x[i] * pow(10.0, in_db / 20.0));
    const char *model = tu_src("tests/data/nam/wavenet.nam");
    render(model, 0.0f, rate, 64, xs, y, n);
    for (int i = 0; i < n; i++) y[i] = (float)(y[i] * pow(10.0, out_db / 20.0));
    render(model, 1.0f, rate, 64, x, yn, n);
    double e = rel_rms(yn, y, n);
    print_message("normalized vs model*gains: %.3g (input %+.2f dB, output %+.2f dB)\n", e, in_db, out_db);
    assert_true(e < 1e-5);
    /* and normalize really changes the level */
    render(model, 0.0f, rate, 64, x, y, n);
    assert_true(rel_rms(yn, y, n) > 0.1);
    free(x);
    free(xs);
    free(y);
    free(yn);
}

/* Turning normalize on while playing ramps the level over 20 ms (no click):
 * an identity model whose metadata says loudness -30 dB gets +12 dB, reached
 * in 960 samples at 48 kHz, rising steadily. */
static void normalize_switch_ramps(void **st)
{
    (void)st;
    char *path = write_temp("loud.nam",
                            "{\"version\": \"0.5.4\", \"architecture\": \"Linear\", \"config\": "
                            "{\"receptive_field\": 1, \"bias\": false}, \"weights\": [1.0], "
                            "\"sample_rate\": 48000, \"metadata\": {\"loudness\": -30.0}}");
    pt_error err = {0};
    pt_node *nd = make_node(path, 0.0f, &err);
    assert_non_null(nd);
    assert_int_equal(pt_node_prepare(nd, 48000, 64, 1, &err), 0);
    float x[64], y[64 * 40];
    for (int i = 0; i < 64; i++) x[i] = 0.1f;
    for (int b = 0; b < 40; b++) {
        if (b == 4) pt_node_set_param(nd, pt_param_index(nd->type, "normalize"), 1.0f);
        const float *in[1] = {x};
        float *out[1] = {y + 64 * b};
        nd->type->process(nd, in, out, 64);
    }
    const float lo = 0.1f, hi = (float)(0.1 * pow(10.0, 12.0 / 20.0));
    assert_true(fabsf(y[255] - lo) < 1e-6f);
    assert_true(fabsf(y[256 + 960] - hi) < 1e-5f);
    float max_step = 0.0f;
    for (int i = 256; i < 256 + 960; i++) {
        assert_true(y[i + 1] >= y[i]);
        if (y[i + 1] - y[i] > max_step) max_step = y[i + 1] - y[i];
    }
    print_message("normalize on: %.4f -> %.4f over 960 samples, largest step %.2g\n", lo, hi, max_step);
    assert_true(max_step < 1e-3f);
    pt_node_destroy(nd);
    unlink(path);
}

/* A 48 kHz identity model (Linear, one tap of 1.0) in a 44.1 kHz engine: the
 * node resamples to 48 kHz and back. A 1 kHz sine must come out at 1 kHz
 * and its level, and an impulse exactly latency_samples later. */
static void resampled_playback_44k1(void **st)
{
    (void)st;
    char *path = write_temp("identity.nam", SMALL_LINEAR("{\"receptive_field\": 1, \"bias\": false}", "[1.0]"));
    const int n = 44100;
    const double fe = 44100.0;
    float *x = tu_sine(n, fe, 1000.0, 0.5), *y = malloc((size_t)n * sizeof(float));
    int blocks[] = {64, 1, 1000};
    for (int b = 0; b < 3; b++) {
        int lat = render(path, 0.0f, fe, blocks[b], x, y, n);
        assert_true(lat > 0);
        /* level and frequency over the settled part */
        int off = 4096, len = 32768;
        double in_mag = hann_mag(x + off - lat, len, fe, 1000.0);
        double out_mag = hann_mag(y + off, len, fe, 1000.0);
        double wrong_rate = hann_mag(y + off, len, fe, 1000.0 * 48000.0 / 44100.0);
        double level_db = 20 * log10(out_mag / in_mag);
        double err = 0, p = 0;
        for (int i = off; i < off + len; i++) {
            double d = y[i] - x[i - lat];
            err += d * d;
            p += (double)x[i - lat] * x[i - lat];
        }
        print_message("block %4d: latency %d, 1 kHz level %+.5f dB, at 1088 Hz %.3g, "
                      "error vs delayed input %.3g\n",
                      blocks[b], lat, level_db, wrong_rate / out_mag, sqrt(err / p));
        assert_true(fabs(level_db) < 0.01);
        assert_true(wrong_rate < 1e-4 * out_mag);
        assert_true(sqrt(err / p) < 1e-3);
        /* impulse: the peak lands at the declared latency */
        float *imp = calloc((size_t)n, sizeof(float)), *h = malloc((size_t)n * sizeof(float));
        imp[1000] = 1.0f;
        render(path, 0.0f, fe, blocks[b], imp, h, 4000);
        int peak = 0;
        for (int i = 0; i < 4000; i++)
            if (fabsf(h[i]) > fabsf(h[peak])) peak = i;
        assert_int_equal(peak - 1000, lat);
        free(imp);
        free(h);
    }
    unlink(path);
    free(x);
    free(y);
}

/* Any engine rate libsamplerate can convert works, fractional ones too (an
 * impulse through an identity model lands exactly at the declared latency);
 * a ratio beyond its range (256) is refused at prepare, naming the rates —
 * never played at the wrong speed. */
static void odd_rates(void **st)
{
    (void)st;
    char *path = write_temp("id3.nam", SMALL_LINEAR("{\"receptive_field\": 1, \"bias\": false}", "[1.0]"));
    const double rates[] = {44101.0, 44100.5, 96000.0, 22050.0, 150.0};
    const int ok[] = {1, 1, 1, 1, 0};
    for (int i = 0; i < 5; i++) {
        pt_error err = {0};
        pt_node *nd = make_node(path, 0.0f, &err);
        assert_non_null(nd);
        int rc = pt_node_prepare(nd, rates[i], 64, 1, &err);
        assert_int_equal(rc == 0, ok[i]);
        if (rc) {
            print_message("engine at %g Hz: refused: %s\n", rates[i], err.msg);
            assert_string_equal(err.file, path);
            assert_non_null(strstr(err.msg, "48000 Hz"));
        } else {
            enum { N = 4096 };
            float x[N] = {0}, y[N];
            x[500] = 1.0f;
            for (int off = 0; off < N; off += 64) {
                const float *in[1] = {x + off};
                float *out[1] = {y + off};
                nd->type->process(nd, in, out, 64);
            }
            int peak = 0;
            for (int k = 0; k < N; k++)
                if (fabsf(y[k]) > fabsf(y[peak])) peak = k;
            print_message("engine at %g Hz: latency %d, impulse peak %+d samples later (%.3f)\n", rates[i],
                          nd->latency_samples, peak - 500, y[peak]);
            assert_int_equal(peak - 500, nd->latency_samples);
        }
        pt_node_destroy(nd);
    }
    unlink(path);
}

/* In a compiled graph: the program reports the node's latency, and an
 * impulse through an identity model at 44.1 kHz comes out exactly then. */
static void in_a_graph(void **st)
{
    (void)st;
    char *path = write_temp("id4.nam", SMALL_LINEAR("{\"receptive_field\": 1, \"bias\": false}", "[1.0]"));
    pt_error err = {0};
    pt_node *nd = make_node(path, 0.0f, &err);
    assert_non_null(nd);
    pt_chain *c = pt_chain_new();
    assert_non_null(pt_chain_add_node(c, nd));
    pt_program *p = tu_build(c, 44100, 64);
    int lat = pt_program_latency(p);
    assert_true(lat > 0);
    enum { N = 2048 };
    float x[N] = {0}, y[N];
    x[100] = 1.0f;
    tu_run(p, x, y, NULL, N, 64);
    int peak = 0;
    for (int i = 0; i < N; i++)
        if (fabsf(y[i]) > fabsf(y[peak])) peak = i;
    assert_int_equal(peak, 100 + lat);
    pt_program_free(p);
    unlink(path);
}

/* A stereo input is mixed to the mono capture: one output channel. */
static void stereo_in_mono_out(void **st)
{
    (void)st;
    char *path = write_temp("id2.nam", SMALL_LINEAR("{\"receptive_field\": 1, \"bias\": false}", "[1.0]"));
    pt_error err = {0};
    pt_node *nd = make_node(path, 0.0f, &err);
    assert_non_null(nd);
    assert_int_equal(pt_node_prepare(nd, 48000, 16, 2, &err), 0);
    assert_int_equal(nd->out_channels, 1);
    float l[16], r[16], o[16];
    for (int i = 0; i < 16; i++) l[i] = 1.0f, r[i] = 0.5f;
    const float *in[2] = {l, r};
    float *out[1] = {o};
    nd->type->process(nd, in, out, 16);
    for (int i = 0; i < 16; i++) assert_true(fabsf(o[i] - 0.75f) < 1e-6f);
    pt_node_destroy(nd);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reference_triples),
        cmocka_unit_test(block_size_independent),
        cmocka_unit_test(reset_restores_prewarmed_state),
        cmocka_unit_test(refuses_broken_files),
        cmocka_unit_test(normalize_uses_metadata),
        cmocka_unit_test(normalize_switch_ramps),
        cmocka_unit_test(resampled_playback_44k1),
        cmocka_unit_test(odd_rates),
        cmocka_unit_test(in_a_graph),
        cmocka_unit_test(stereo_in_mono_out),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
