/* delayline.h — a ring-buffer delay line with fractional reads.
 *
 * The buffer is a power of two long, so wrapping is a mask. Reads address
 * the past relative to the NEXT sample to be written: read(d) called before
 * push(x[n]) returns x[n - d]. That is the order a feedback loop needs (read
 * the echo, then write input + feedback). Fractional delays use a
 * Catmull-Rom (cubic Hermite) interpolator, which returns the stored sample
 * exactly at whole delays and reproduces straight lines, so an impulse read
 * at delay d keeps its centre of mass at d. */
#ifndef PT_DELAYLINE_H
#define PT_DELAYLINE_H

typedef struct pt_delayline {
    float *buf;
    int mask; /* length - 1 */
    int pos;  /* index of the most recently written sample */
    int max_delay; /* the longest delay that read() may be asked for */
} pt_delayline;

/* Off the audio thread: room for delays up to max_delay samples. */
int pt_delayline_init(pt_delayline *d, int max_delay);
void pt_delayline_free(pt_delayline *d);
/* RT: clear the stored signal. */
void pt_delayline_reset(pt_delayline *d);

/* RT */
static inline void pt_delayline_push(pt_delayline *d, float x)
{
    d->pos = (d->pos + 1) & d->mask;
    d->buf[d->pos] = x;
}

/* RT: x[n - delay] for a whole delay >= 1 (before pushing x[n]). */
static inline float pt_delayline_tap(const pt_delayline *d, int delay)
{
    return d->buf[(d->pos - delay + 1) & d->mask];
}

/* RT: x[n - delay] for a fractional delay, clamped to [1, max_delay]. */
static inline float pt_delayline_read(const pt_delayline *d, float delay)
{
    if (!(delay >= 1.0f)) delay = 1.0f; /* also catches NaN */
    if (delay > (float)d->max_delay) delay = (float)d->max_delay;
    int i = (int)delay;
    float t = delay - (float)i;
    int p = d->pos - i + 1;
    const float *b = d->buf;
    int m = d->mask;
    float xm1 = b[(p + 1) & m], x0 = b[p & m], x1 = b[(p - 1) & m], x2 = b[(p - 2) & m];
    float c1 = 0.5f * (x1 - xm1);
    float c2 = xm1 - 2.5f * x0 + 2.0f * x1 - 0.5f * x2;
    float c3 = 0.5f * (x2 - xm1) + 1.5f * (x0 - x1);
    return ((c3 * t + c2) * t + c1) * t + x0;
}

#endif
