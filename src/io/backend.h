/* backend.h — audio devices behind one small interface, one file per host
 * API (as PortAudio splits its host APIs): backend_jack.c,
 * backend_portaudio.c, backend_virtual.c. The engine never knows which one
 * it runs on: a backend calls pt_audio_callback from its real-time thread
 * with one mono input and two outputs. */
#ifndef PT_BACKEND_H
#define PT_BACKEND_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../core/error.h"

/* RT: called by the backend's audio thread for every block. */
typedef void (*pt_audio_callback)(void *user, const float *in, float *out_l, float *out_r,
                                  int frames);

/* RT: one MIDI event from the host's MIDI input, `frame` frames into the
 * block being processed; time_ns counts on the audio clock (frames since the
 * start, in ns). */
typedef void (*pt_midi_in_rt)(void *user, const unsigned char *bytes, size_t len, int frame,
                              uint64_t time_ns);
/* RT: the next message for the host's MIDI output: its length, 0 for none. */
typedef int (*pt_midi_out_rt)(void *user, unsigned char bytes[3]);

typedef struct pt_backend_config {
    const char *device;      /* by name (substring match); NULL: the default */
    double rate;             /* 0: the device's default (JACK: the server's) */
    int frames;              /* 0: the backend's default */
    const char *client_name; /* JACK client name, default "pytone" */
    /* JACK only: the ports to connect (instead of the first physical ones;
     * connected even with PT_JACK_NO_AUTOCONNECT): the one the input
     * records (an output port, e.g. "system:capture_2") and the one both
     * outputs play into (an input port, e.g. "system:playback_1"). NULL:
     * the physical ports as usual. */
    const char *jack_input, *jack_output;
    /* virtual device only */
    const char *input_file;  /* looped input; NULL: the bundled DI clip */
    const char *record_file; /* write what the device "plays" here at close */
    double record_seconds;   /* how much to keep (default 60) */
} pt_backend_config;

typedef struct pt_backend pt_backend;

typedef struct pt_backend_ops {
    const char *name; /* "jack", "portaudio", "virtual" */
    /* Print the devices this host API offers. */
    int (*list)(FILE *out, pt_error *err);
    int (*open)(pt_backend **out, const pt_backend_config *cfg, pt_error *err);
    int (*start)(pt_backend *b, pt_audio_callback cb, void *user, pt_error *err);
    void (*stop)(pt_backend *b);
    void (*close)(pt_backend *b); /* also writes the virtual device's recording */
    /* The rate and largest block the device settled on (valid after open). */
    double (*rate)(pt_backend *b);
    int (*frames)(pt_backend *b);
    /* 0 once the device or server has gone away. */
    int (*alive)(pt_backend *b);
    /* The graph's latency, reported to the host where it has a way (JACK). */
    void (*set_latency)(pt_backend *b, int samples);
    /* Over- and underruns the host itself reported (JACK xruns). */
    unsigned long (*host_xruns)(pt_backend *b);
    const char *(*description)(pt_backend *b); /* "JACK 48000 Hz, 64 frames" */
    /* MIDI through the host itself (JACK: ports pytone:midi_in and
     * pytone:midi_out), called from the audio thread; NULL where the host
     * has no MIDI. Call before start. */
    int (*set_midi)(pt_backend *b, pt_midi_in_rt in, pt_midi_out_rt out, void *user, pt_error *err);
} pt_backend_ops;

struct pt_backend {
    const pt_backend_ops *ops;
};

/* NULL when that backend is not built in. */
const pt_backend_ops *pt_backend_find(const char *name);
/* Touch the next 64 KiB of the calling thread's stack, so that the pages a
 * deeper call chain needs later (a node type played for the first time
 * after a swap) are already mapped. Each backend calls it once on its audio
 * thread before the first callback; it page-faults there, not later. */
void pt_backend_prefault_stack(void);
extern const pt_backend_ops pt_backend_virtual;
#ifdef PT_HAVE_JACK
extern const pt_backend_ops pt_backend_jack;
int pt_jack_server_running(void);
/* Print the JACK MIDI ports that send (outputs), one a line. */
int pt_jack_list_midi(FILE *out);
/* Call fn for every audio port of the running server but `skip_client`'s
 * (NULL: none): is_output 1 for ports that send (what an input records),
 * 0 for ports that receive. -1 when no server runs. */
int pt_jack_audio_ports(const char *skip_client, void (*fn)(void *user, const char *port, int is_output),
                        void *user);
#endif
#ifdef PT_HAVE_PORTAUDIO
extern const pt_backend_ops pt_backend_portaudio;
/* 1 if PortAudio has a usable default input/output device. */
int pt_portaudio_has_default_device(void);
#endif

/* The rates and block sizes the engine accepts. */
int pt_rate_supported(double rate);
int pt_frames_supported(int frames);
#define PT_RATES_TEXT "44100, 48000, 88200 or 96000"
#define PT_FRAMES_TEXT "16 to 4096"

#endif
