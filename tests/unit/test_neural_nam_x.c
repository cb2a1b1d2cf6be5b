/* test_neural_nam_x.c — .nam formats 0.6 and 0.7 in the `nam` node.
 *
 * References:
 * - the reference player's outputs (NeuralAmpModelerCore, exact tanh,
 *   64-frame blocks, after its reset and prewarm; see tests/data/nam/README.md
 *   for the commands) for the NAM projects' 0.6/0.7 example models: the A2
 *   SlimmableContainer (its largest and smallest sub-models), a model with
 *   every 0.6 feature (FiLM everywhere, gated and blended layers, grouped
 *   convolutions, head1x1, bottleneck, PReLU, Softsign, SiLU, Hardswish,
 *   LeakyHardtanh, a conditioning WaveNet), a conditioning model alone, a
 *   slimmable WaveNet and a container of 0.5 models, and four small random
 *   models for what no example has (a post-stack head, head kernels with a
 *   dilation, grouped blended layers with configured activations, layer1x1
 *   off): the node must match
 *   within 5e-6 relative RMS (the A2 container also at size 0.2, where the
 *   reference player, set to that size, plays its small sub-model, and the
 *   slimmable WaveNet at sizes 0.2 and 0.5, where it plays 1 and 2 of its 3
 *   channels);
 * - itself at another block size (32/128/1000 give the samples of 64);
 * - a 48 kHz A2 model in a 44.1 kHz session: a sine's fundamental comes out
 *   at its own frequency and at the level the 48 kHz session gives it;
 * - the loader's refusals of what it does not know, naming field and version
 *   (and, for a model a rig names, the rig's file:line:col too). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sndfile.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "control/assets.h"
#include "neural/nam_file.h"
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

static float g_size = 1.0f; /* the node's `size` for the next make_node */

static pt_node *make_node(const char *model, pt_error *err)
{
    const pt_node_type *t = pt_node_type_find("nam");
    assert_non_null(t);
    const char *asset[1] = {model};
    pt_node_config cfg = {.id = "amp", .asset = asset};
    pt_node *n = pt_node_create(t, &cfg, err);
    if (n) {
        pt_node_set_param_now(n, pt_param_index(t, "normalize"), 0.0f);
        pt_node_set_param_now(n, pt_param_index(t, "size"), g_size);
    }
    return n;
}

static void render(const char *model, double rate, int block, const float *x, float *y, int n)
{
    pt_error err = {0};
    pt_node *nd = make_node(model, &err);
    if (!nd) fail_msg("create: %s: %s", err.file, err.msg);
    if (pt_node_prepare(nd, rate, block, 1, &err) != 0) fail_msg("prepare: %s", err.msg);
    for (int off = 0; off < n; off += block) {
        int m = n - off < block ? n - off : block;
        const float *in[1] = {x + off};
        float *out[1] = {y + off};
        nd->type->process(nd, in, out, m);
    }
    pt_node_destroy(nd);
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

/* model file, reference output, the node's size */
static const struct {
    const char *model, *ref;
    float size;
} refs[] = {
    {"a2.nam", "a2.reference.wav", 1.0f},
    {"a2.nam", "a2_small.reference.wav", 0.2f}, /* size < 0.5: the small sub-model */
    {"a2_small.nam", "a2_small.reference.wav", 1.0f},
    {"wavenet_a2_max.nam", "wavenet_a2_max.reference.wav", 1.0f},
    {"wavenet_condition_dsp.nam", "wavenet_condition_dsp.reference.wav", 1.0f},
    {"slimmable_wavenet.nam", "slimmable_wavenet.reference.wav", 1.0f},
    {"slimmable_wavenet.nam", "slimmable_wavenet_size02.reference.wav", 0.2f}, /* 1 of 3 channels */
    {"slimmable_wavenet.nam", "slimmable_wavenet_size05.reference.wav", 0.5f}, /* 2 of 3 */
    {"slimmable_container.nam", "slimmable_container.reference.wav", 1.0f},
    {"feature_posthead.nam", "feature_posthead.reference.wav", 1.0f},
    {"feature_two_arrays.nam", "feature_two_arrays.reference.wav", 1.0f},
    {"feature_groups.nam", "feature_groups.reference.wav", 1.0f},
    {"feature_layer1x1off.nam", "feature_layer1x1off.reference.wav", 1.0f},
};
#define N_REFS (int)(sizeof refs / sizeof refs[0])

static void matches_reference_player(void **st)
{
    (void)st;
    int n, rate;
    float *x = read_wav(tu_src("tests/data/nam/input.wav"), &n, &rate);
    for (int i = 0; i < N_REFS; i++) {
        char mp[256], rp[256];
        snprintf(mp, sizeof mp, "tests/data/nam/v07/%s", refs[i].model);
        snprintf(rp, sizeof rp, "tests/data/nam/v07/%s", refs[i].ref);
        int rn;
        float *ref = read_wav(tu_src(rp), &rn, NULL);
        assert_true(rn <= n);
        float *y = malloc((size_t)rn * sizeof(float));
        g_size = refs[i].size;
        render(tu_src(mp), rate, 64, x, y, rn);
        g_size = 1.0f;
        double e = rel_rms(y, ref, rn);
        print_message("%-28s size %.1f vs reference player (%.1f s): relative RMS error %.3g\n",
                      refs[i].model, refs[i].size, (double)rn / rate, e);
        assert_true(e <= 5e-6);
        free(y);
        free(ref);
    }
    free(x);
}

static void block_size_independent(void **st)
{
    (void)st;
    int n, rate;
    float *x = read_wav(tu_src("tests/data/nam/input.wav"), &n, &rate);
    n = rate / 2;
    float *y64 = malloc((size_t)n * sizeof(float)), *y = malloc((size_t)n * sizeof(float));
    const int blocks[] = {32, 128, 1000};
    for (int i = 0; i < N_REFS; i++) {
        char mp[256];
        snprintf(mp, sizeof mp, "tests/data/nam/v07/%s", refs[i].model);
        g_size = refs[i].size;
        render(tu_src(mp), rate, 64, x, y64, n);
        for (int b = 0; b < 3; b++) {
            render(tu_src(mp), rate, blocks[b], x, y, n);
            double e = rel_rms(y, y64, n);
            if (e > 0)
                print_message("%-28s block %4d vs 64: relative RMS difference %.3g\n", refs[i].model,
                              blocks[b], e);
            assert_true(e <= 1e-7);
        }
        g_size = 1.0f;
    }
    free(x);
    free(y64);
    free(y);
}

/* |DFT| of x at f, Hann-windowed */
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

/* The A2 model is made for 48 kHz; a 44.1 kHz session resamples around it.
 * A 220 Hz sine must come out with its fundamental at 220 Hz, at the level
 * a 48 kHz session gives it (the model is nonlinear, but the same sine in
 * gives the same fundamental out), and nothing at 220 * 48/44.1 Hz. */
static void a2_at_44k1(void **st)
{
    (void)st;
    const char *model = tu_src("tests/data/nam/v07/a2.nam");
    const double f0 = 220.0;
    double mag[2];
    const double rates[2] = {48000.0, 44100.0};
    for (int r = 0; r < 2; r++) {
        int n = (int)rates[r];
        float *x = tu_sine(n, rates[r], f0, 0.3), *y = malloc((size_t)n * sizeof(float));
        render(model, rates[r], 64, x, y, n);
        int off = n / 4, len = n / 2;
        mag[r] = hann_mag(y + off, len, rates[r], f0) / len;
        double wrong = hann_mag(y + off, len, rates[r], f0 * 48000.0 / 44100.0) / len;
        print_message("A2 at %g Hz: 220 Hz out %.5f, at %.1f Hz %.3g\n", rates[r], mag[r],
                      f0 * 48000.0 / 44100.0, wrong);
        if (r == 1) assert_true(wrong < 0.01 * mag[r]);
        free(x);
        free(y);
    }
    double db = 20 * log10(mag[1] / mag[0]);
    print_message("A2: 44.1 kHz session vs 48 kHz: %+.4f dB at 220 Hz\n", db);
    assert_true(mag[0] > 1e-3);
    assert_true(fabs(db) < 0.05);
}

static char *write_temp(const char *name, const char *text)
{
    static char path[256];
    snprintf(path, sizeof path, "/tmp/pt_namx_test_%d_%s", (int)getpid(), name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

#define LAYER07(extra)                                                                             \
    "{\"input_size\": 1, \"condition_size\": 1, \"head\": {\"out_channels\": 1, \"kernel_size\": 1, " \
    "\"bias\": false}, \"channels\": 1, \"kernel_sizes\": [1], \"dilations\": [1], \"activation\": " \
    "\"ReLU\"" extra "}"
#define WN07(ver, layer, weights)                                                                  \
    "{\"version\": \"" ver "\", \"architecture\": \"WaveNet\", \"config\": {\"layers\": [" layer \
    "], \"head\": null, \"head_scale\": 1.0}, \"weights\": " weights "}"

/* Unknown fields and versions are refused, naming the field and the version;
 * a good small file of each form loads. */
static void refusals_name_field_and_version(void **st)
{
    (void)st;
    /* rechannel 1, conv 1 + bias 1, mixin 1, layer1x1 1 + 1, head 1, head_scale */
    const char *ok = WN07("0.7.0", LAYER07(""), "[1, 1, 0, 1, 1, 0, 1, 1]");
    struct {
        const char *name, *json, *expect[2];
    } cases[] = {
        {"v08.nam", WN07("0.8.0", LAYER07(""), "[1, 1, 0, 1, 1, 0, 1, 1]"), {"0.8.0", "not supported"}},
        {"field.nam", WN07("0.7.0", LAYER07(", \"wobble\": 1"), "[1, 1, 0, 1, 1, 0, 1, 1]"),
         {"'wobble'", "0.7.0"}},
        {"act.nam", WN07("0.6.0", LAYER07(", \"secondary_activation\": \"Zap\", \"gating_mode\": \"gated\""),
                         "[1, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1]"),
         {"'Zap'", "0.6.0"}},
        {"gate.nam", WN07("0.6.0", LAYER07(", \"gating_mode\": \"maybe\""), "[1]"), {"'maybe'", "0.6.0"}},
        {"slim.nam",
         WN07("0.7.0", LAYER07(", \"slimmable\": {\"method\": \"prune\", \"kwargs\": {}}"), "[1]"),
         {"'prune'", "0.7.0"}},
        {"count.nam", WN07("0.7.0", LAYER07(""), "[1, 1, 0, 1, 1, 0, 1]"), {"7 weights", "needs 8"}},
        {"film.nam", WN07("0.6.0", LAYER07(", \"conv_pre_film\": {\"active\": true, \"tilt\": 1}"), "[1]"),
         {"'tilt'", "0.6.0"}},
    };
    char *path = write_temp("ok.nam", ok);
    pt_error err = {0};
    pt_node *nd = make_node(path, &err);
    if (!nd) fail_msg("%s", err.msg);
    pt_node_destroy(nd);
    unlink(path);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        path = write_temp(cases[i].name, cases[i].json);
        pt_error e2 = {0};
        nd = make_node(path, &e2);
        print_message("%s -> %s\n", cases[i].name, e2.msg);
        assert_null(nd);
        assert_string_equal(e2.file, path);
        for (int k = 0; k < 2; k++) assert_non_null(strstr(e2.msg, cases[i].expect[k]));
        /* named by a rig: the rig's position, then the model file and the problem */
        const char *asset[1] = {path};
        pt_node_config rc = {.id = "amp", .asset = asset, .rig_file = "rig.yaml", .line = 4, .col = 5};
        pt_error e3 = {0};
        assert_null(pt_node_create(pt_node_type_find("nam"), &rc, &e3));
        assert_string_equal(e3.file, "rig.yaml");
        assert_int_equal(e3.line, 4);
        assert_int_equal(e3.col, 5);
        assert_non_null(strstr(e3.msg, path));
        for (int k = 0; k < 2; k++) assert_non_null(strstr(e3.msg, cases[i].expect[k]));
        unlink(path);
    }
}

/* The container shows its largest sub-model's metadata; notes are kept. */
static void container_and_notes(void **st)
{
    (void)st;
    pt_nam_file f;
    pt_error err = {0};
    assert_int_equal(pt_nam_file_load(&f, tu_src("tests/data/nam/v07/slimmable_container.nam"), &err), 0);
    assert_int_equal(f.arch, PT_NAM_CONTAINER);
    assert_int_equal(f.container.n_sub, 3);
    assert_ptr_equal(pt_nam_file_pick(&f, -1), &f.container.sub[2]);
    assert_ptr_equal(pt_nam_file_pick(&f, 0.1), &f.container.sub[0]);
    assert_ptr_equal(pt_nam_file_pick(&f, 0.5), &f.container.sub[1]);
    assert_ptr_equal(pt_nam_file_pick(&f, 1.0), &f.container.sub[2]);
    assert_string_equal(f.meta.name, f.container.sub[2].meta.name);
    pt_nam_file_free(&f);
    assert_int_equal(pt_nam_file_load(&f, tu_src("tests/data/nam/v07/wavenet_a2_max.nam"), &err), 0);
    assert_non_null(strstr(f.meta.notes, "test case"));
    assert_int_equal(f.arch, PT_NAM_XWAVENET);
    assert_non_null(f.xwavenet->condition);
    pt_nam_file_free(&f);

    /* what the UI shows (asset_info): the A2 container as such, with its
     * largest sub-model's metadata (the file has none of its own) */
    cJSON *j = pt_asset_info(tu_src("tests/data/nam/v07/a2.nam"), "a2.nam", &err);
    assert_non_null(j);
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(j, "meta");
    char *s = cJSON_PrintUnformatted(meta);
    print_message("asset_info a2.nam: %.300s\n", s);
    free(s);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(meta, "architecture")->valuestring, "SlimmableContainer");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(meta, "submodels")->valueint, 2);
    assert_non_null(cJSON_GetObjectItemCaseSensitive(meta, "loudness"));
    assert_int_equal((int)cJSON_GetObjectItemCaseSensitive(j, "rate")->valuedouble, 48000);
    cJSON_Delete(j);
    j = pt_asset_info(tu_src("tests/data/nam/v07/wavenet_a2_max.nam"), "m.nam", &err);
    assert_non_null(j);
    meta = cJSON_GetObjectItemCaseSensitive(j, "meta");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(meta, "architecture")->valuestring, "WaveNet");
    assert_non_null(strstr(cJSON_GetObjectItemCaseSensitive(meta, "notes")->valuestring, "test case"));
    cJSON_Delete(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(matches_reference_player),
        cmocka_unit_test(block_size_independent),
        cmocka_unit_test(a2_at_44k1),
        cmocka_unit_test(refusals_name_field_and_version),
        cmocka_unit_test(container_and_notes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
