/* delayline.c — allocation of the ring buffer (see delayline.h). */
#include "delayline.h"

#include <stdlib.h>
#include <string.h>

int pt_delayline_init(pt_delayline *d, int max_delay)
{
    int len = 4;
    if (max_delay < 1) max_delay = 1;
    while (len < max_delay + 4) len *= 2; /* +4: the interpolator's neighbours */
    float *buf = calloc((size_t)len, sizeof(float));
    if (!buf) return -1;
    free(d->buf);
    d->buf = buf;
    d->mask = len - 1;
    d->pos = 0;
    d->max_delay = max_delay;
    return 0;
}

void pt_delayline_free(pt_delayline *d)
{
    free(d->buf);
    d->buf = NULL;
    d->mask = 0;
    d->pos = 0;
    d->max_delay = 0;
}

/* RT */
void pt_delayline_reset(pt_delayline *d)
{
    if (d->buf) memset(d->buf, 0, (size_t)(d->mask + 1) * sizeof(float));
    d->pos = 0;
}
