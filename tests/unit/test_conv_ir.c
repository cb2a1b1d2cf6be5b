/* test_conv_ir.c — impulse response files: reading, refusing, resampling,
 * trimming, normalising.
 *
 * References: the sample values the test itself wrote with libsndfile (exact
 * for float WAV, 1/32768 for 16-bit); the DFT definition for the frequency
 * response kept through resampling; the analytic energy after normalising.
 * Bad files must be refused with pt_error naming the file and the problem.
 */
#include <fcntl.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conv/ir.h"
#include "testutil.h"

static char dir[256];

static const char *tmp(const char *name)
{
    static char buf[8][512];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

/* Write frames x channels interleaved samples with libsndfile. */
static void write_sf(const char *path, int format, int rate, int channels, const float *x,
                     int frames)
{
    SF_INFO info = {.samplerate = rate, .channels = channels, .format = format};
    SNDFILE *sf = sf_open(path, SFM_WRITE, &info);
    if (!sf) fail_msg("cannot write %s: %s", path, sf_strerror(NULL));
    sf_command(sf, SFC_SET_CLIPPING, NULL, SF_TRUE);
    assert_int_equal(sf_writef_float(sf, x, frames), frames);
    sf_close(sf);
}

static float *decay(int frames, int channels, uint32_t seed)
{
    float *x = malloc((size_t)frames * channels * sizeof(float));
    uint32_t s = seed;
    for (int i = 0; i < frames * channels; i++) {
        s = s * 1664525u + 1013904223u;
        double r = (s >> 8) / 16777216.0 * 2 - 1;
        x[i] = (float)(0.5 * r * exp(-5.0 * (i / channels) / frames));
    }
    return x;
}

static int setup(void **st)
{
    (void)st;
    snprintf(dir, sizeof dir, "/tmp/pt_test_ir_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Each kind of bad file: refused, err->file is the path, the message says
 * what is wrong. */
static void expect_refused(const char *path, const char *words)
{
    pt_ir *ir = (pt_ir *)1;
    pt_error err = {0};
    int rc = pt_ir_load(path, &ir, &err);
    char msg[2048];
    pt_error_format(&err, msg, sizeof msg);
    printf("refused: %s\n", msg);
    assert_int_not_equal(rc, 0);
    assert_null(ir);
    assert_string_equal(err.file, path);
    assert_non_null(strstr(msg, path));
    if (!strstr(err.msg, words)) fail_msg("message '%s' does not say '%s'", err.msg, words);
}

static void test_bad_files(void **st)
{
    (void)st;
    expect_refused(tmp("missing.wav"), "No such file");
    expect_refused(dir, "directory");

    FILE *f = fopen(tmp("empty.wav"), "wb");
    fclose(f);
    expect_refused(tmp("empty.wav"), "empty");

    f = fopen(tmp("text.wav"), "wb");
    fputs("this is not a sound file, just some text pretending to be one\n", f);
    fclose(f);
    expect_refused(tmp("text.wav"), "not an audio file");

    /* a valid WAV header with no frames */
    write_sf(tmp("noframes.wav"), SF_FORMAT_WAV | SF_FORMAT_PCM_16, 48000, 1, NULL, 0);
    expect_refused(tmp("noframes.wav"), "no audio frames");

    float *zeros = calloc(4800, sizeof(float));
    write_sf(tmp("silent.wav"), SF_FORMAT_WAV | SF_FORMAT_PCM_16, 48000, 1, zeros, 4800);
    expect_refused(tmp("silent.wav"), "silent");

    /* 21 s at 8 kHz: small file, absurd IR */
    float *longx = decay(21 * 8000, 1, 3);
    write_sf(tmp("long.wav"), SF_FORMAT_WAV | SF_FORMAT_PCM_16, 8000, 1, longx, 21 * 8000);
    expect_refused(tmp("long.wav"), "21.0 s long");

    float *three = decay(1000, 3, 4);
    write_sf(tmp("three.wav"), SF_FORMAT_WAV | SF_FORMAT_FLOAT, 48000, 3, three, 1000);
    expect_refused(tmp("three.wav"), "3 channels");

    float *nan = decay(1000, 1, 5);
    nan[500] = NAN;
    write_sf(tmp("nan.wav"), SF_FORMAT_WAV | SF_FORMAT_FLOAT, 48000, 1, nan, 1000);
    expect_refused(tmp("nan.wav"), "NaN");

    /* over the byte limit (a sparse file: no disk used) */
    int fd = open(tmp("huge.wav"), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, PT_IR_MAX_BYTES + 1), 0);
    close(fd);
    expect_refused(tmp("huge.wav"), "too big");

    free(zeros);
    free(longx);
    free(three);
    free(nan);
}

/* WAV (float, 16-bit), AIFF and FLAC, mono and stereo: the samples written
 * are the samples read. */
static void test_formats(void **st)
{
    (void)st;
    struct {
        const char *name;
        int format, channels;
        double tol;
    } cases[] = {
        {"f.wav", SF_FORMAT_WAV | SF_FORMAT_FLOAT, 1, 0.0},
        {"s16.wav", SF_FORMAT_WAV | SF_FORMAT_PCM_16, 2, 1.0 / 32768},
        {"s24.aiff", SF_FORMAT_AIFF | SF_FORMAT_PCM_24, 1, 1.0 / 8388608},
        {"s24.flac", SF_FORMAT_FLAC | SF_FORMAT_PCM_24, 2, 1.0 / 8388608},
    };
    for (int c = 0; c < 4; c++) {
        int frames = 3000, ch = cases[c].channels;
        float *x = decay(frames, ch, 10u + (uint32_t)c);
        write_sf(tmp(cases[c].name), cases[c].format, 44100, ch, x, frames);
        pt_ir *ir = NULL;
        pt_error err = {0};
        assert_int_equal(pt_ir_load(tmp(cases[c].name), &ir, &err), 0);
        assert_int_equal(ir->channels, ch);
        assert_int_equal(ir->frames, frames);
        assert_true(ir->rate == 44100.0);
        double worst = 0;
        for (int i = 0; i < frames; i++)
            for (int k = 0; k < ch; k++) {
                double d = fabs(ir->data[k][i] - x[i * ch + k]);
                worst = d > worst ? d : worst;
            }
        printf("%-9s %d ch: worst sample error %.3g (allowed %.3g)\n", cases[c].name, ch, worst,
               cases[c].tol);
        assert_true(worst <= cases[c].tol);
        pt_ir_free(ir);
        free(x);
    }
}

/* |H(f)| of h at rate fs, from the DFT definition. */
static double mag_db(const float *h, int n, double fs, double f)
{
    double re = 0, im = 0;
    for (int i = 0; i < n; i++) {
        re += h[i] * cos(2 * M_PI * f * i / fs);
        im -= h[i] * sin(2 * M_PI * f * i / fs);
    }
    return 10 * log10(re * re + im * im);
}

/* Resampling keeps the frequency response (not the sample values): an IR
 * at 96 kHz and at 44.1 kHz, prepared for 48 kHz, has the same |H(f)| at
 * audio frequencies within 0.01 dB. */
static void test_resample_keeps_response(void **st)
{
    (void)st;
    static const int rates[] = {96000, 44100};
    static const double freqs[] = {50, 200, 1000, 4000, 10000, 16000};
    for (int r = 0; r < 2; r++) {
        int fs = rates[r], frames = fs / 10; /* 100 ms */
        /* a two-pole resonance (a cab-like bump) after 5 ms of silence, as
         * a measured IR starts: room for the resampler's pre-ringing */
        float *x = calloc((size_t)frames, sizeof(float));
        double w = 2 * M_PI * 2500.0 / fs, rr = exp(-2 * M_PI * 400.0 / fs);
        double y1 = 0, y2 = 0;
        int onset = fs / 200;
        for (int i = 0; i < frames; i++) {
            double y = (i == onset ? 0.2 : 0.0) + 2 * rr * cos(w) * y1 - rr * rr * y2;
            x[i] = (float)y;
            y2 = y1;
            y1 = y;
        }
        write_sf(tmp("rs.wav"), SF_FORMAT_WAV | SF_FORMAT_FLOAT, fs, 1, x, frames);
        pt_ir *raw = NULL, *ir = NULL;
        pt_error err = {0};
        assert_int_equal(pt_ir_load(tmp("rs.wav"), &raw, &err), 0);
        pt_ir_options opt = {.rate = 48000};
        assert_int_equal(pt_ir_prepare(raw, &opt, &ir, &err), 0);
        assert_true(ir->rate == 48000.0);
        assert_true(abs(ir->frames - frames * 48000 / fs) <= 1);
        for (int k = 0; k < 6; k++) {
            double a = mag_db(x, frames, fs, freqs[k]);
            double b = mag_db(ir->data[0], ir->frames, 48000, freqs[k]);
            printf("%5d -> 48000 Hz: |H(%5.0f Hz)| %7.3f dB vs %7.3f dB\n", fs, freqs[k], a, b);
            assert_true(fabs(a - b) < 0.01);
        }
        pt_ir_free(raw);
        pt_ir_free(ir);
        free(x);
    }
}

/* trim_ms keeps that many samples, untouched until the 5 ms fade; normalize
 * gives unit energy (mean over channels of sum h^2 = 1). */
static void test_trim_and_normalize(void **st)
{
    (void)st;
    int frames = 48000;
    float *x = decay(frames, 2, 77);
    write_sf(tmp("tn.wav"), SF_FORMAT_WAV | SF_FORMAT_FLOAT, 48000, 2, x, frames);
    pt_ir *raw = NULL, *ir = NULL;
    pt_error err = {0};
    assert_int_equal(pt_ir_load(tmp("tn.wav"), &raw, &err), 0);

    pt_ir_options trim = {.rate = 48000, .trim_ms = 100};
    assert_int_equal(pt_ir_prepare(raw, &trim, &ir, &err), 0);
    assert_int_equal(ir->frames, 4800);
    for (int i = 0; i < 4800 - 240; i++) assert_true(ir->data[1][i] == x[2 * i + 1]);
    assert_true(fabsf(ir->data[0][4799]) < 1e-3f * fabsf(x[2 * 4799]) + 1e-9f);
    pt_ir_free(ir);

    pt_ir_options norm = {.rate = 48000, .normalize = true};
    assert_int_equal(pt_ir_prepare(raw, &norm, &ir, &err), 0);
    double e = 0;
    for (int k = 0; k < 2; k++)
        for (int i = 0; i < ir->frames; i++) e += (double)ir->data[k][i] * ir->data[k][i];
    printf("energy after normalize: %.6f (expected 1)\n", e / 2);
    assert_true(fabs(e / 2 - 1.0) < 1e-4);
    /* the balance between channels is kept */
    double r0 = ir->data[0][10] / (double)x[20], r1 = ir->data[1][10] / (double)x[21];
    assert_true(fabs(r0 / r1 - 1.0) < 1e-5);
    pt_ir_free(ir);
    pt_ir_free(raw);
    free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_formats),
        cmocka_unit_test(test_resample_keeps_response),
        cmocka_unit_test(test_trim_and_normalize),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
