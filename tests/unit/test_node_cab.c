/* test_node_cab.c — the cab node in a program.
 *
 * References: direct convolution in double precision (plain loop) of the
 * input with the samples the test wrote into the IR file; the analytic
 * dry/wet/level formula; the energy of the IR for `normalize`.
 * Checks: raw convolution with normalize = 0 (what `pytone render` uses),
 * zero declared latency, mono and stereo IRs (channel counts), mix and
 * level, normalisation, and a bad IR refused with the rig position, node id
 * and file in the message.
 */
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conv/conv.h"
#include "testutil.h"

static char dir[256];
static char ir_mono[300], ir_stereo[300], ir_bad[300];
enum { L = 20000, N = 30000 };
static float h[2][L];

static float noise(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return (float)((*s >> 8) / 16777216.0 * 2.0 - 1.0);
}

static void write_ir(const char *path, int channels)
{
    float *buf = malloc(sizeof(float) * L * (size_t)channels);
    for (int i = 0; i < L; i++)
        for (int c = 0; c < channels; c++) buf[i * channels + c] = h[c][i];
    SF_INFO info = {.samplerate = 48000, .channels = channels,
                    .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT};
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    assert_non_null(sf);
    sf_writef_float(sf, buf, L);
    sf_close(sf);
    free(buf);
}

static int setup(void **st)
{
    (void)st;
    snprintf(dir, sizeof dir, "/tmp/pt_test_cab_XXXXXX");
    if (!mkdtemp(dir)) return -1;
    uint32_t s = 42;
    for (int c = 0; c < 2; c++)
        for (int i = 0; i < L; i++) h[c][i] = 0.3f * noise(&s) * expf(-6.0f * i / L);
    snprintf(ir_mono, sizeof ir_mono, "%s/mono.wav", dir);
    snprintf(ir_stereo, sizeof ir_stereo, "%s/stereo.wav", dir);
    snprintf(ir_bad, sizeof ir_bad, "%s/silent.wav", dir);
    write_ir(ir_mono, 1);
    write_ir(ir_stereo, 2);
    FILE *f = fopen(ir_bad, "wb");
    fputs("RIFF nonsense", f);
    fclose(f);
    pt_conv_set_offline_default(true); /* deterministic: no worker timing */
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static pt_node *cab(const char *path, double normalize, double mix, double level)
{
    const char *assets[1] = {path};
    pt_node_config cfg = {.id = "cab1", .asset = assets};
    pt_error err = {0};
    pt_node *n = pt_node_create(pt_node_type_find("cab"), &cfg, &err);
    if (!n) fail_msg("create: %s", err.msg);
    pt_node_set_param_now(n, pt_param_index(n->type, "normalize"), (float)normalize);
    pt_node_set_param_now(n, pt_param_index(n->type, "mix_pct"), (float)mix);
    pt_node_set_param_now(n, pt_param_index(n->type, "level_db"), (float)level);
    return n;
}

static float *input(void)
{
    float *x = malloc(sizeof(float) * N);
    uint32_t s = 7;
    for (int i = 0; i < N; i++) x[i] = 0.5f * noise(&s);
    return x;
}

/* relative error in dB of y against g_wet * (hc * x) + g_dry * x, on three
 * windows of 200 samples (start, middle, end) */
static double err_db(const float *y, const float *x, const float *hc, double g_wet, double g_dry)
{
    static const int at[] = {0, N / 2, N - 200};
    double e = 0, r = 0;
    for (int w = 0; w < 3; w++)
        for (int t = at[w]; t < at[w] + 200; t++) {
            double acc = 0;
            for (int k = 0; k < L && k <= t; k++) acc += (double)hc[k] * x[t - k];
            double ref = g_wet * acc + g_dry * x[t];
            e += (y[t] - ref) * (y[t] - ref);
            r += ref * ref;
        }
    return 10 * log10(e / r + 1e-300);
}

static void test_raw_mono(void **st)
{
    (void)st;
    float *x = input(), *y = malloc(sizeof(float) * N);
    pt_chain *c = pt_chain_new();
    pt_chain_add_node(c, cab(ir_mono, 0, 100, 0));
    pt_program *p = tu_build(c, 48000, 256);
    assert_int_equal(pt_program_latency(p), 0);
    int ch;
    pt_program_output(p, &ch);
    assert_int_equal(ch, 1);
    tu_run(p, x, y, NULL, N, 64);
    double db = err_db(y, x, h[0], 1, 0);
    printf("cab, mono IR, normalize 0: vs direct convolution %.1f dB\n", db);
    assert_true(db < -100);
    pt_program_free(p);
    free(x);
    free(y);
}

static void test_stereo_ir(void **st)
{
    (void)st;
    float *x = input(), *yl = malloc(sizeof(float) * N), *yr = malloc(sizeof(float) * N);
    pt_chain *c = pt_chain_new();
    pt_chain_add_node(c, cab(ir_stereo, 0, 100, 0));
    pt_program *p = tu_build(c, 48000, 1024);
    int ch;
    pt_program_output(p, &ch);
    assert_int_equal(ch, 2);
    assert_int_equal(pt_program_latency(p), 0);
    tu_run(p, x, yl, yr, N, 1000);
    double dl = err_db(yl, x, h[0], 1, 0), dr = err_db(yr, x, h[1], 1, 0);
    printf("cab, stereo IR: left vs h_L * x %.1f dB, right vs h_R * x %.1f dB\n", dl, dr);
    assert_true(dl < -100 && dr < -100);
    pt_program_free(p);
    free(x);
    free(yl);
    free(yr);
}

static void test_mix_level_normalize(void **st)
{
    (void)st;
    float *x = input(), *y = malloc(sizeof(float) * N);
    /* mix 0: the dry signal, exactly */
    pt_chain *c = pt_chain_new();
    pt_chain_add_node(c, cab(ir_mono, 0, 0, 0));
    pt_program *p = tu_build(c, 48000, 128);
    tu_run(p, x, y, NULL, N, 128);
    for (int i = 0; i < N; i++) assert_true(y[i] == x[i]);
    pt_program_free(p);

    /* mix 25 %, level -6 dB, normalised */
    double e = 0;
    for (int i = 0; i < L; i++) e += (double)h[0][i] * h[0][i];
    double gn = 1 / sqrt(e), g = pow(10, -6 / 20.0);
    c = pt_chain_new();
    pt_chain_add_node(c, cab(ir_mono, 1, 25, -6));
    p = tu_build(c, 48000, 128);
    tu_run(p, x, y, NULL, N, 128);
    double db = err_db(y, x, h[0], g * 0.25 * gn, g * 0.75);
    printf("cab, mix 25%%, level -6 dB, normalised (x%.3f): vs formula %.1f dB\n", gn, db);
    assert_true(db < -100);
    pt_program_free(p);
    free(x);
    free(y);
}

static void test_bad_ir_in_rig(void **st)
{
    (void)st;
    const char *assets[1] = {ir_bad};
    pt_node_config cfg = {.id = "mycab", .asset = assets, .rig_file = "rigs/test.yaml",
                          .line = 12, .col = 5};
    pt_error err = {0};
    pt_node *n = pt_node_create(pt_node_type_find("cab"), &cfg, &err);
    assert_null(n);
    char msg[2048];
    pt_error_format(&err, msg, sizeof msg);
    printf("refused: %s\n", msg);
    assert_non_null(strstr(msg, "rigs/test.yaml:12:5"));
    assert_non_null(strstr(msg, "mycab"));
    assert_non_null(strstr(msg, ir_bad));
    assert_non_null(strstr(msg, "not an audio file"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_raw_mono),
        cmocka_unit_test(test_stereo_ir),
        cmocka_unit_test(test_mix_level_normalize),
        cmocka_unit_test(test_bad_ir_in_rig),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
