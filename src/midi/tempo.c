/* tempo.c — see tempo.h. */
#include "tempo.h"

#include <string.h>

void pt_tap_init(pt_tap_tempo *t, double reset_ms, int average)
{
    memset(t, 0, sizeof *t);
    t->reset_ns = (uint64_t)((reset_ms > 0 ? reset_ms : 2000.0) * 1e6);
    t->average = average > 0 && average < PT_TAP_MAX ? average : 4;
}

double pt_tap(pt_tap_tempo *t, uint64_t now)
{
    if (t->n > 0 && (now <= t->t_ns[t->n - 1] || now - t->t_ns[t->n - 1] > t->reset_ns))
        t->n = 0; /* a pause (or time going backwards): a new count */
    if (t->n == PT_TAP_MAX) {
        memmove(t->t_ns, t->t_ns + 1, (PT_TAP_MAX - 1) * sizeof t->t_ns[0]);
        t->n--;
    }
    t->t_ns[t->n++] = now;
    if (t->n < 2) return 0.0;
    int intervals = t->n - 1 < t->average ? t->n - 1 : t->average;
    uint64_t span = now - t->t_ns[t->n - 1 - intervals];
    return 60.0 * 1e9 * intervals / (double)span;
}

void pt_clock_init(pt_clock_tempo *c) { memset(c, 0, sizeof *c); }
void pt_clock_reset(pt_clock_tempo *c) { c->n = 0, c->head = 0, c->period_ms = 0; }

double pt_clock_pulse(pt_clock_tempo *c, uint64_t now)
{
    if (c->n > 0 && (now <= c->last_ns || now - c->last_ns > 250000000ull)) pt_clock_reset(c);
    int64_t step = 1;
    if (c->n > 0 && c->period_ms > 0) {
        double gap = (double)(now - c->last_ns) * 1e-6 / c->period_ms;
        if (gap > 1.5 && gap < 8.5) step = (int64_t)(gap + 0.5);
    }
    c->last_index = c->n > 0 ? c->last_index + step : 0;
    c->last_ns = now;
    c->index[c->head] = c->last_index;
    c->t_ns[c->head] = now;
    c->head = (c->head + 1) % PT_CLOCK_WINDOW;
    if (c->n < PT_CLOCK_WINDOW) c->n++;
    if (c->n < 25) return 0.0; /* a beat: 24 intervals */
    /* least squares of time (relative to the oldest, in ms) on index */
    int first = (c->head - c->n + PT_CLOCK_WINDOW) % PT_CLOCK_WINDOW;
    uint64_t t0 = c->t_ns[first];
    int64_t i0 = c->index[first];
    double n = c->n, sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (int i = 0; i < c->n; i++) {
        int k = (first + i) % PT_CLOCK_WINDOW;
        double x = (double)(c->index[k] - i0);
        double y = (double)(c->t_ns[k] - t0) * 1e-6;
        sx += x, sy += y, sxx += x * x, sxy += x * y;
    }
    double period_ms = (n * sxy - sx * sy) / (n * sxx - sx * sx);
    if (!(period_ms > 0)) return 0.0;
    c->period_ms = period_ms;
    return 60000.0 / (24.0 * period_ms);
}
