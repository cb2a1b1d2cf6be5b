/* test_dsp_drive.c — the oversampler and the drive stage.
 *
 * Aliasing reference: a 5 kHz sine at 48 kHz repeats every millisecond, so
 * everything the clipper creates, harmonics and their aliases alike, lies on
 * whole multiples of 1 kHz. Over exactly one second the DFT bins at k kHz
 * are exact (no leakage). Harmonics sit at 5, 10, 15, 20 kHz; every other
 * k kHz bin below Nyquist holds only aliased energy. */
#include <math.h>
#include <stdlib.h>

#include "dsp/oversample.h"
#include "testutil.h"

static double drive_alias_db(int oversample_index, double amp, int phase)
{
    double rate = 48000;
    pt_chain *c = pt_chain_new();
    pt_chain_add_node(c, tu_node("drive", "d", "drive_db", 24.0, "asymmetry", 0.3, "tone_hz",
                                 20000.0, "oversample", (double)oversample_index,
                                 "oversample_phase", (double)phase, NULL));
    pt_program *p = tu_build(c, rate, 64);
    int settle = 4800, n = 48000;
    float *x = tu_sine(settle + n, rate, 5000, amp), *y = malloc((settle + n) * sizeof(float));
    tu_run(p, x, y, NULL, settle + n, 64);
    double fund = tu_dft_mag(y + settle, n, rate, 5000);
    double worst = 0;
    for (int k = 1; k < 24; k++) {
        if (k % 5 == 0) continue;
        double m = tu_dft_mag(y + settle, n, rate, 1000.0 * k);
        if (m > worst) worst = m;
    }
    free(x), free(y);
    pt_program_free(p);
    return 20 * log10(worst / fund);
}

static void drive_aliasing_at_4x_is_60_db_down(void **state)
{
    (void)state;
    double a1 = drive_alias_db(0, 1.0, 0), a4 = drive_alias_db(2, 1.0, 0);
    double a4h = drive_alias_db(2, 0.5, 0), a4l = drive_alias_db(2, 1.0, 1);
    double a2 = drive_alias_db(1, 1.0, 0), a8 = drive_alias_db(3, 1.0, 0);
    print_message("5 kHz full-scale sine, drive 24 dB: worst alias 1x %.1f dB, minimum phase "
                  "2x %.1f dB, 4x %.1f dB (half scale %.1f dB), 8x %.1f dB; linear phase 4x "
                  "%.1f dB\n", a1, a2, a4, a4h, a8, a4l);
    assert_true(a4 <= -60.0);
    assert_true(a4h <= -60.0);
    assert_true(a8 <= -60.0);
    assert_true(a4l <= -60.0);
    assert_true(a1 > a4 + 10.0); /* the measurement sees aliasing when it is there */
}

/* Up then down through 2x/4x/8x: a 1 kHz sine comes back at unity gain
 * (within 0.01 dB) delayed by exactly the declared whole-sample latency. */
static void oversampler_round_trip_is_flat_and_exactly_delayed(void **state)
{
    (void)state;
    for (int f = 2; f <= 8; f *= 2) {
        pt_oversampler os;
        assert_int_equal(pt_oversampler_init(&os, f, 64), 0);
        int n = 9600;
        float *x = tu_sine(n, 48000, 1000, 0.5), *y = malloc(n * sizeof(float));
        for (int off = 0; off < n; off += 64) {
            float *hi = pt_oversampler_up(&os, x + off, 64);
            pt_oversampler_down(&os, hi, y + off, 64);
        }
        int L = os.latency;
        double err = 0, ref = 0;
        for (int i = 2000; i < n; i++) {
            err += pow(y[i] - x[i - L], 2);
            ref += pow(x[i - L], 2);
        }
        print_message("%dx: latency %d samples, error %.1f dB\n", f, L, 10 * log10(err / ref));
        assert_true(10 * log10(err / ref) < -60.0);
        pt_oversampler_free(&os);
        free(x), free(y);
    }
}

/* The drive declares its oversampling latency to the graph (its ADAA adds
 * half a sample of the high rate, counted in the minimum-phase top-up). */
static void drive_declares_oversampling_latency(void **state)
{
    (void)state;
    pt_oversampler os;
    pt_oversampler_init_phase(&os, 4, 64, PT_OS_MINIMUM, 0.5);
    pt_chain *c = pt_chain_new();
    pt_chain_add_node(c, tu_node("drive", "d", "oversample", 2.0, NULL));
    pt_program *p = tu_build(c, 48000, 64);
    assert_int_equal(pt_program_latency(p), os.latency);
    assert_true(os.latency > 0);
    pt_program_free(p);
    pt_oversampler_free(&os);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(drive_aliasing_at_4x_is_60_db_down),
        cmocka_unit_test(oversampler_round_trip_is_flat_and_exactly_delayed),
        cmocka_unit_test(drive_declares_oversampling_latency),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
