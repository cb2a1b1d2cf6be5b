/* test_midi_parser.c — the MIDI byte parser against the MIDI 1.0 spec's
 * rules (running status, real-time bytes anywhere, SysEx, system common
 * cancelling running status), truncated and malformed input, and the tempo
 * estimators against exact arithmetic (taps) and a known pulse period with
 * seeded jitter (clock). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "midi/parser.h"
#include "midi/tempo.h"
#include "testutil.h"

/* Feed bytes; collect up to 64 messages. */
static int parse_all(pt_midi_parser *p, const uint8_t *b, size_t n, pt_midi_msg *out)
{
    int k = 0;
    for (size_t i = 0; i < n; i++)
        if (pt_midi_parse_byte(p, b[i], &out[k]) && k < 63) k++;
    return k;
}

static void running_status(void **state)
{
    (void)state;
    pt_midi_parser p;
    pt_midi_parser_init(&p);
    /* CC 7 on channel 3, then two more CCs without a status byte */
    const uint8_t b[] = {0xB2, 7, 100, 7, 50, 11, 0};
    pt_midi_msg m[64];
    int n = parse_all(&p, b, sizeof b, m);
    assert_int_equal(n, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(m[i].type, PT_MIDI_CC);
        assert_int_equal(m[i].channel, 3);
    }
    assert_int_equal(m[1].data1, 7);
    assert_int_equal(m[1].data2, 50);
    assert_int_equal(m[2].data1, 11);
    /* Program Change runs too: one data byte each */
    const uint8_t pc[] = {0xC0, 1, 2, 3};
    n = parse_all(&p, pc, sizeof pc, m);
    assert_int_equal(n, 3);
    assert_int_equal(m[2].type, PT_MIDI_PROGRAM);
    assert_int_equal(m[2].data1, 3);
    /* Note On velocity 0 is a Note Off (spec) */
    const uint8_t no[] = {0x90, 60, 0};
    n = parse_all(&p, no, sizeof no, m);
    assert_int_equal(n, 1);
    assert_int_equal(m[0].type, PT_MIDI_NOTE_OFF);
}

static void realtime_bytes_interleave_anywhere(void **state)
{
    (void)state;
    pt_midi_parser p;
    pt_midi_parser_init(&p);
    /* a clock between status and data, and between data bytes; then running status */
    const uint8_t b[] = {0xB0, 0xF8, 7, 0xFA, 64, 8, 0xFC, 9};
    pt_midi_msg m[64];
    int n = parse_all(&p, b, sizeof b, m);
    assert_int_equal(n, 5);
    assert_int_equal(m[0].type, PT_MIDI_CLOCK);
    assert_int_equal(m[1].type, PT_MIDI_START);
    assert_int_equal(m[2].type, PT_MIDI_CC);
    assert_int_equal(m[2].data1, 7);
    assert_int_equal(m[2].data2, 64);
    assert_int_equal(m[3].type, PT_MIDI_STOP);
    assert_int_equal(m[4].type, PT_MIDI_CC);
    assert_int_equal(m[4].data1, 8);
    assert_int_equal(m[4].data2, 9);
    assert_int_equal(p.truncated, 0);
}

static void sysex_of_any_length(void **state)
{
    (void)state;
    pt_midi_parser p;
    pt_midi_parser_init(&p);
    pt_midi_msg m;
    int got = 0;
    size_t len = 1000000; /* a megabyte: nothing is stored, only counted */
    assert_int_equal(pt_midi_parse_byte(&p, 0xF0, &m), 0);
    for (size_t i = 0; i < len; i++) {
        got += pt_midi_parse_byte(&p, (uint8_t)(i & 0x7F), &m);
        if (i == 500) got += pt_midi_parse_byte(&p, 0xF8, &m) ? 0 : 100; /* a clock inside */
    }
    assert_int_equal(got, 0);
    assert_int_equal(pt_midi_parse_byte(&p, 0xF7, &m), 1);
    assert_int_equal(m.type, PT_MIDI_SYSEX);
    assert_int_equal(m.sysex_len, len);
    /* SysEx cancels running status: a data byte after it is stray */
    assert_int_equal(pt_midi_parse_byte(&p, 0x10, &m), 0);
    assert_int_equal(p.stray, 1);
    /* a SysEx ended by another status byte: reported, and the new message reads */
    const uint8_t b[] = {0xF0, 1, 2, 3, 0xB1, 7, 99};
    pt_midi_msg ms[64];
    int n = parse_all(&p, b, sizeof b, ms);
    assert_int_equal(n, 2);
    assert_int_equal(ms[0].type, PT_MIDI_SYSEX);
    assert_int_equal(ms[0].sysex_len, 3);
    assert_int_equal(ms[1].type, PT_MIDI_CC);
    assert_int_equal(ms[1].channel, 2);
    assert_int_equal(ms[1].data2, 99);
}

static void truncated_and_malformed(void **state)
{
    (void)state;
    pt_midi_parser p;
    pt_midi_parser_init(&p);
    pt_midi_msg m[64];
    /* CC cut short by a PC; stray data before any status; undefined F4/F5/FD;
     * an F7 with no F0; then a whole CC */
    const uint8_t b[] = {0x40, 0x41, 0xB0, 7, 0xC0, 5, 0xF4, 1, 0xF5, 0xFD, 0xF7, 0xB0, 1, 2};
    int n = parse_all(&p, b, sizeof b, m);
    assert_int_equal(n, 2);
    assert_int_equal(m[0].type, PT_MIDI_PROGRAM);
    assert_int_equal(m[0].data1, 5);
    assert_int_equal(m[1].type, PT_MIDI_CC);
    assert_int_equal(m[1].data1, 1);
    assert_int_equal(m[1].data2, 2);
    assert_int_equal(p.truncated, 1);
    assert_true(p.stray >= 4); /* 0x40 0x41, the 1 after F4, the F7 */
    /* system common cancels running status: song select then a data byte */
    const uint8_t c[] = {0xB0, 1, 2, 0xF3, 4, 5};
    n = parse_all(&p, c, sizeof c, m);
    assert_int_equal(n, 2);
    assert_int_equal(m[1].type, PT_MIDI_SONG_SELECT);
    /* every byte value in every state: no crash, messages well formed */
    unsigned seed = 7;
    for (int i = 0; i < 200000; i++) {
        seed = seed * 1664525u + 1013904223u;
        pt_midi_msg x;
        if (pt_midi_parse_byte(&p, (uint8_t)(seed >> 24), &x)) {
            assert_true(x.type >= 0x80);
            assert_true(x.data1 < 128 && x.data2 < 128);
            if (x.type < 0xF0) assert_true(x.channel >= 1 && x.channel <= 16);
        }
    }
}

static void encode_round_trips(void **state)
{
    (void)state;
    pt_midi_msg m = {.type = PT_MIDI_CC, .channel = 16, .data1 = 7, .data2 = 127};
    uint8_t b[3];
    assert_int_equal(pt_midi_encode(&m, b), 3);
    assert_int_equal(b[0], 0xBF);
    pt_midi_parser p;
    pt_midi_parser_init(&p);
    pt_midi_msg back;
    assert_int_equal(pt_midi_parse_byte(&p, b[0], &back), 0);
    assert_int_equal(pt_midi_parse_byte(&p, b[1], &back), 0);
    assert_int_equal(pt_midi_parse_byte(&p, b[2], &back), 1);
    assert_memory_equal(&m, &back, sizeof m);
}

/* Taps: the mean interval of the last four, exactly 60 / interval. */
static void tap_tempo_averages_and_resets(void **state)
{
    (void)state;
    pt_tap_tempo t;
    pt_tap_init(&t, 2000, 4);
    uint64_t ms = 1000000;
    assert_true(pt_tap(&t, 1000 * ms) == 0.0);
    assert_float_equal(pt_tap(&t, 1500 * ms), 120.0, 1e-9);
    assert_float_equal(pt_tap(&t, 2010 * ms), 60.0 * 2 / 1.010, 1e-9);
    assert_float_equal(pt_tap(&t, 2500 * ms), 60.0 * 3 / 1.5, 1e-9);
    /* more than four: only the last four intervals count */
    pt_tap(&t, 3000 * ms);
    double bpm = pt_tap(&t, 3400 * ms); /* intervals 510 490 500 400 */
    assert_float_equal(bpm, 60.0 * 4 / (3.4 - 1.5), 1e-9);
    /* a pause longer than 2 s starts over */
    assert_true(pt_tap(&t, 6000 * ms) == 0.0);
    assert_float_equal(pt_tap(&t, 6400 * ms), 150.0, 1e-9);
}

/* Clock: pulses at a known period with +-1 ms uniform jitter (seeded): the
 * estimate is within 0.1 BPM of the true tempo, also with a pulse lost. */
static void clock_tempo_smooths_jitter(void **state)
{
    (void)state;
    const double tempos[] = {60, 120, 180, 240};
    for (int k = 0; k < 4; k++) {
        pt_clock_tempo c;
        pt_clock_init(&c);
        double period_ns = 60e9 / (tempos[k] * 24.0);
        unsigned seed = 12345u + (unsigned)k;
        double bpm = 0;
        for (int i = 0; i < 400; i++) {
            seed = seed * 1664525u + 1013904223u;
            double jitter = ((double)(seed >> 8) / 16777216.0 * 2.0 - 1.0) * 1e6;
            if (i == 300) continue; /* lost on the way */
            bpm = pt_clock_pulse(&c, (uint64_t)(5e9 + i * period_ns + jitter));
        }
        assert_true(fabs(bpm - tempos[k]) < 0.1);
    }
    /* a stop longer than 250 ms starts over */
    pt_clock_tempo c;
    pt_clock_init(&c);
    for (int i = 0; i < 30; i++) pt_clock_pulse(&c, (uint64_t)(1e9 + i * 20833333.0));
    assert_true(pt_clock_pulse(&c, (uint64_t)(3e9)) == 0.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(running_status),
        cmocka_unit_test(realtime_bytes_interleave_anywhere),
        cmocka_unit_test(sysex_of_any_length),
        cmocka_unit_test(truncated_and_malformed),
        cmocka_unit_test(encode_round_trips),
        cmocka_unit_test(tap_tempo_averages_and_resets),
        cmocka_unit_test(clock_tempo_smooths_jitter),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
