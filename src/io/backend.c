/* backend.c — finding a backend by name, and what the engine accepts. */
#include <string.h>

#include "backend.h"

const pt_backend_ops *pt_backend_find(const char *name)
{
    if (strcmp(name, "virtual") == 0) return &pt_backend_virtual;
#ifdef PT_HAVE_JACK
    if (strcmp(name, "jack") == 0) return &pt_backend_jack;
#endif
#ifdef PT_HAVE_PORTAUDIO
    if (strcmp(name, "portaudio") == 0) return &pt_backend_portaudio;
#endif
    return NULL;
}

int pt_rate_supported(double rate)
{
    return rate == 44100.0 || rate == 48000.0 || rate == 88200.0 || rate == 96000.0;
}

int pt_frames_supported(int frames) { return frames >= 16 && frames <= 4096; }

__attribute__((noinline)) void pt_backend_prefault_stack(void)
{
    enum { BYTES = 64 * 1024 };
    volatile char buf[BYTES];
    for (int i = 0; i < BYTES; i += 1024) buf[i] = 0;
    (void)buf[0];
}
