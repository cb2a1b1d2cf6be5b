/* dynlib.c — see dynlib.h. Each library: a list of file names to try (the
 * soname first), its table, and a once-only loader. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define PT_DYNLIB_IMPL
#ifdef PT_HAVE_JACK
#include <jack/jack.h>
#endif
#ifdef PT_HAVE_PORTAUDIO
#include <portaudio.h>
#endif
#ifdef PT_HAVE_ALSA
#include <alsa/asoundlib.h>
#endif
#ifdef PT_HAVE_RTMIDI
#include <rtmidi_c.h>
#endif
#ifdef PT_HAVE_LILV
#include <lilv/lilv.h>
#endif
#include "dynlib.h"
#include "platform/platform.h"

/* Load the first of `names` that loads (platform.h: dlopen's RTLD_NOW,
 * LoadLibrary): all its symbols are bound here, none on first call (that
 * would be on the audio thread). The lists hold Linux's names first (the
 * reason given on failure is the first one's), then macOS's (Homebrew's
 * folders, /opt/homebrew on Apple Silicon, are not searched by dlopen on
 * their own), then Windows' (MSYS2's lib*.dll, vcpkg's plain names). */
__attribute__((unused)) /* a build with none of the libraries */
static void *open_first(const char *const *names, char *why, size_t why_size)
{
    for (int i = 0; names[i]; i++) {
        void *h = pt_lib_open(names[i], i == 0 ? why : NULL, why_size);
        if (h) return h;
    }
    return NULL;
}

/* Resolve every symbol into `table` (an array of function pointers in the
 * order of `syms`); all or nothing. */
__attribute__((unused))
static int resolve(void *h, const char *const *syms, void **table, int n, char *why, size_t why_size)
{
    for (int i = 0; i < n; i++) {
        table[i] = pt_lib_symbol(h, syms[i], why, why_size);
        if (!table[i]) {
            memset(table, 0, sizeof(void *) * (size_t)n);
            return -1;
        }
    }
    return 0;
}

#define PT_DYN_NAME(f) #f,
#define PT_DYN_LIBRARY(lib, FUNCS, ...)                                                        \
    struct pt_dyn_##lib##_api pt_dyn_##lib##_table;                                           \
    atomic_int pt_dyn_##lib##_state; /* 0 not tried, 1 loaded, -1 failed */                   \
    static char lib##_why[256];                                                               \
    static pthread_once_t lib##_once = PTHREAD_ONCE_INIT;                                      \
    static void lib##_load_once(void)                                                         \
    {                                                                                         \
        static const char *const names[] = {__VA_ARGS__, NULL};                               \
        static const char *const syms[] = {FUNCS(PT_DYN_NAME)};                               \
        void *h = open_first(names, lib##_why, sizeof lib##_why);                             \
        int n = (int)(sizeof syms / sizeof syms[0]);                                          \
        int ok = h && resolve(h, syms, (void **)&pt_dyn_##lib##_table, n, lib##_why,          \
                              sizeof lib##_why) == 0;                                        \
        atomic_store_explicit(&pt_dyn_##lib##_state, ok ? 1 : -1, memory_order_release);     \
    }                                                                                         \
    void pt_dyn_##lib##_load(void) { pthread_once(&lib##_once, lib##_load_once); }           \
    __attribute__((unused)) /* ALSA's is not called */                                       \
    static bool lib##_available(char *why, int why_size)                                      \
    {                                                                                         \
        pt_dyn_##lib##_load();                                                                \
        bool ok = atomic_load_explicit(&pt_dyn_##lib##_state, memory_order_acquire) == 1;     \
        if (!ok && why) snprintf(why, (size_t)why_size, "%s", lib##_why);                     \
        return ok;                                                                            \
    }

#define NOT_BUILT(what)                                                                       \
    do {                                                                                      \
        if (why) snprintf(why, (size_t)why_size, "built without " what);                      \
        return false;                                                                         \
    } while (0)

#ifdef PT_HAVE_JACK
PT_DYN_LIBRARY(jack, PT_DYN_JACK_FUNCS, "libjack.so.0", "libjack.so", "libjack.0.dylib",
               "/opt/homebrew/lib/libjack.0.dylib", "libjack64.dll")
bool pt_dyn_jack_available(char *why, int why_size) { return jack_available(why, why_size); }
#else
bool pt_dyn_jack_available(char *why, int why_size) { NOT_BUILT("JACK"); }
#endif

#ifdef PT_HAVE_ALSA
#define PT_DYN_ALSA_FUNCS(X) X(snd_lib_error_set_handler)
PT_DYN_LIBRARY(alsa, PT_DYN_ALSA_FUNCS, "libasound.so.2", "libasound.so")
#endif

#ifdef PT_HAVE_PORTAUDIO
PT_DYN_LIBRARY(portaudio, PT_DYN_PORTAUDIO_FUNCS, "libportaudio.so.2", "libportaudio.so",
               "libportaudio.2.dylib", "/opt/homebrew/lib/libportaudio.2.dylib", "libportaudio.dll",
               "portaudio.dll", "portaudio_x64.dll")
bool pt_dyn_portaudio_available(char *why, int why_size)
{
#ifdef PT_HAVE_ALSA
    pt_dyn_alsa_load(); /* optional: only quiets ALSA's probing messages */
#endif
    return portaudio_available(why, why_size);
}
#else
bool pt_dyn_portaudio_available(char *why, int why_size) { NOT_BUILT("PortAudio"); }
#endif

#ifdef PT_HAVE_RTMIDI
PT_DYN_LIBRARY(rtmidi, PT_DYN_RTMIDI_FUNCS, "librtmidi.so.6", "librtmidi.so.7", "librtmidi.so.5",
               "librtmidi.so", "librtmidi.7.dylib", "librtmidi.6.dylib", "/opt/homebrew/lib/librtmidi.7.dylib",
               "/opt/homebrew/lib/librtmidi.6.dylib", "librtmidi.dll", "rtmidi.dll")
bool pt_dyn_rtmidi_available(char *why, int why_size) { return rtmidi_available(why, why_size); }
#else
bool pt_dyn_rtmidi_available(char *why, int why_size) { NOT_BUILT("rtmidi"); }
#endif

#ifdef PT_HAVE_LILV
PT_DYN_LIBRARY(lilv, PT_DYN_LILV_FUNCS, "liblilv-0.so.0", "liblilv-0.so")
bool pt_dyn_lilv_available(char *why, int why_size) { return lilv_available(why, why_size); }
#else
bool pt_dyn_lilv_available(char *why, int why_size) { NOT_BUILT("lilv (apt install liblilv-dev)"); }
#endif
