/* spsc.h — a lock-free single-producer single-consumer ring of fixed-size
 * messages. The control thread pushes, the audio thread pops (or the other
 * way round for meters and retired programs). No locks, no allocation after
 * pt_spsc_init. Capacity is rounded up to a power of two. */
#ifndef PT_SPSC_H
#define PT_SPSC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct pt_spsc {
    _Alignas(64) atomic_size_t head; /* next slot to read (consumer owns) */
    _Alignas(64) atomic_size_t tail; /* next slot to write (producer owns) */
    _Alignas(64) size_t mask;
    size_t elem_size;
    unsigned char *buf;
} pt_spsc;

int pt_spsc_init(pt_spsc *q, size_t capacity, size_t elem_size); /* 0 on success */
void pt_spsc_free(pt_spsc *q);

/* RT: false when full. */
bool pt_spsc_push(pt_spsc *q, const void *msg);
/* RT: false when empty. */
bool pt_spsc_peek(pt_spsc *q, void *msg);
/* RT: drop the message peek returned. */
void pt_spsc_drop(pt_spsc *q);
/* RT: peek + drop. */
bool pt_spsc_pop(pt_spsc *q, void *msg);
/* RT: messages waiting (approximate from the other side). */
size_t pt_spsc_count(pt_spsc *q);

#endif
