/* tempo.h — tempo from a player's taps and from MIDI clock (24 pulses per
 * quarter note). Pure state machines fed with timestamps, so tests can feed
 * them exact times; the MIDI thread feeds them event times. */
#ifndef PT_MIDI_TEMPO_H
#define PT_MIDI_TEMPO_H

#include <stdint.h>

#define PT_TAP_MAX 8

typedef struct pt_tap_tempo {
    uint64_t t_ns[PT_TAP_MAX]; /* the last taps, oldest first */
    int n;
    uint64_t reset_ns;         /* a pause longer than this starts over */
    int average;               /* intervals averaged (the last N) */
} pt_tap_tempo;

/* reset_ms: 0 gives 2000 ms; average: 0 gives 4 intervals (the last 5 taps). */
void pt_tap_init(pt_tap_tempo *t, double reset_ms, int average);
/* A tap at time t_ns. Returns the tempo in BPM (the mean of the last
 * intervals), or 0 while there is only one tap since the last pause. */
double pt_tap(pt_tap_tempo *t, uint64_t t_ns);

#define PT_CLOCK_WINDOW 96 /* four beats of pulses */

typedef struct pt_clock_tempo {
    uint64_t t_ns[PT_CLOCK_WINDOW]; /* ring of pulse times */
    int64_t index[PT_CLOCK_WINDOW]; /* and their pulse numbers */
    int n, head;
    uint64_t last_ns;
    int64_t last_index;
    double period_ms;               /* the last estimate (0: none) */
} pt_clock_tempo;

void pt_clock_init(pt_clock_tempo *c);
/* One clock pulse (0xF8) at t_ns. Returns the tempo in BPM once a beat of
 * pulses has come, else 0. The pulse period is the least-squares slope of
 * pulse time against pulse number over the last four beats, which averages
 * out per-pulse jitter (a standard deviation s per pulse gives about
 * s * sqrt(12 / N^3) on the period). A pulse lost on the way (a gap of 1.5
 * to 8 periods) advances the pulse number by the pulses missed, so it does
 * not bend the line. A gap of more than 250 ms (the clock
 * stopped; 250 ms is a pulse at 10 BPM) starts over. */
double pt_clock_pulse(pt_clock_tempo *c, uint64_t t_ns);
/* Start / Stop: forget the pulses. */
void pt_clock_reset(pt_clock_tempo *c);

#endif
