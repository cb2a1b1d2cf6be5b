/* transport.c — the shared tempo (see node.h). One engine per process, so one
 * tempo; an atomic float, written by the control side, read on the audio
 * thread. */
#include <stdatomic.h>

#include "node.h"

static _Atomic unsigned tempo_bits = 0x42f00000u; /* 120.0f */

float pt_tempo_bpm(void)
{
    union { unsigned u; float f; } b = {atomic_load_explicit(&tempo_bits, memory_order_relaxed)};
    return b.f;
}

void pt_set_tempo_bpm(float bpm)
{
    if (!(bpm >= 20.0f)) bpm = 20.0f; /* also catches NaN */
    if (bpm > 400.0f) bpm = 400.0f;
    union { float f; unsigned u; } b = {bpm};
    atomic_store_explicit(&tempo_bits, b.u, memory_order_relaxed);
}
