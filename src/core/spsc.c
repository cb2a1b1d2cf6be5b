/* spsc.c — see spsc.h. Acquire/release pairs order the payload copy against
 * the index update; each index is written by one side only. */
#include "spsc.h"

#include <stdlib.h>
#include <string.h>

int pt_spsc_init(pt_spsc *q, size_t capacity, size_t elem_size)
{
    size_t cap = 2;
    while (cap < capacity) cap <<= 1;
    q->buf = calloc(cap, elem_size);
    if (!q->buf) return -1;
    q->mask = cap - 1;
    q->elem_size = elem_size;
    atomic_init(&q->head, 0);
    atomic_init(&q->tail, 0);
    return 0;
}

void pt_spsc_free(pt_spsc *q)
{
    free(q->buf);
    q->buf = NULL;
}

bool pt_spsc_push(pt_spsc *q, const void *msg)
{
    size_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
    size_t head = atomic_load_explicit(&q->head, memory_order_acquire);
    if (tail - head > q->mask) return false;
    memcpy(q->buf + (tail & q->mask) * q->elem_size, msg, q->elem_size);
    atomic_store_explicit(&q->tail, tail + 1, memory_order_release);
    return true;
}

bool pt_spsc_peek(pt_spsc *q, void *msg)
{
    size_t head = atomic_load_explicit(&q->head, memory_order_relaxed);
    size_t tail = atomic_load_explicit(&q->tail, memory_order_acquire);
    if (head == tail) return false;
    memcpy(msg, q->buf + (head & q->mask) * q->elem_size, q->elem_size);
    return true;
}

void pt_spsc_drop(pt_spsc *q)
{
    size_t head = atomic_load_explicit(&q->head, memory_order_relaxed);
    atomic_store_explicit(&q->head, head + 1, memory_order_release);
}

bool pt_spsc_pop(pt_spsc *q, void *msg)
{
    if (!pt_spsc_peek(q, msg)) return false;
    pt_spsc_drop(q);
    return true;
}

size_t pt_spsc_count(pt_spsc *q)
{
    return atomic_load_explicit(&q->tail, memory_order_acquire) -
           atomic_load_explicit(&q->head, memory_order_acquire);
}
