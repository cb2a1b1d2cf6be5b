/* backend_jack.c — native JACK: ports pytone:in_1, pytone:out_1,
 * pytone:out_2. JACK calls our process callback on its real-time thread; we
 * hand the port buffers straight to the engine, so a zero-latency rig adds
 * zero samples to JACK's own latency. The graph's declared latency is
 * reported on the ports through JACK's latency callback. */
#include <errno.h>
#include <jack/jack.h>
#include <jack/midiport.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "../core/rt.h"
#include "backend.h"
#include "dynlib.h" /* last: libjack is loaded on first use */

typedef struct jdev {
    pt_backend base;
    jack_client_t *client;
    jack_port_t *in, *out_l, *out_r;
    jack_port_t *midi_in, *midi_out; /* NULL unless set_midi was called */
    pt_midi_in_rt midi_cb;
    pt_midi_out_rt midi_src;
    void *midi_user;
    uint64_t frames_done; /* audio clock for MIDI event times: JACK's frame */
    jack_nframes_t last_frame; /* time, extended past its 32-bit wrap */
    pt_audio_callback cb;
    void *user;
    atomic_int alive;
    atomic_int latency;
    atomic_ulong xruns;
    double rate;
    int frames;
    char desc[160];
    char jack_input[256], jack_output[256]; /* ports chosen by the caller, "" for the physical ones */
} jdev;

static void silent_error(const char *msg) { (void)msg; }

int pt_jack_server_running(void)
{
    if (!pt_dyn_jack_available(NULL, 0)) return 0;
    jack_set_error_function(silent_error);
    jack_set_info_function(silent_error);
    jack_status_t st;
    jack_client_t *c = jack_client_open("pytone-probe", JackNoStartServer, &st);
    if (!c) return 0;
    jack_client_close(c);
    return 1;
}

/* For the listings: a client of the running server, or NULL (said on out
 * when no server runs). */
static jack_client_t *open_lister(FILE *out)
{
    char why[256];
    if (!pt_dyn_jack_available(why, sizeof why)) {
        fprintf(out, "jack: the JACK library cannot be loaded (%s)\n", why);
        return NULL;
    }
    if (!pt_jack_server_running()) {
        fprintf(out, "jack: no JACK server is running\n");
        return NULL;
    }
    jack_status_t st;
    return jack_client_open("pytone-list", JackNoStartServer, &st);
}

/* Print the ports of `type` with `flags`, or `none` when there are none
 * (NULL: print nothing then). */
static void print_ports(FILE *out, jack_client_t *c, const char *type, unsigned long flags,
                        const char *none)
{
    const char **ports = jack_get_ports(c, NULL, type, flags);
    if ((!ports || !ports[0]) && none) fprintf(out, "jack: %s\n", none);
    for (int i = 0; ports && ports[i]; i++) fprintf(out, "jack:   %s\n", ports[i]);
    if (ports) jack_free(ports);
}

static int j_list(FILE *out, pt_error *err)
{
    (void)err;
    jack_client_t *c = open_lister(out);
    if (!c) return 0;
    fprintf(out, "jack: server running at %u Hz, %u frames\n", jack_get_sample_rate(c),
            jack_get_buffer_size(c));
    print_ports(out, c, JACK_DEFAULT_AUDIO_TYPE, JackPortIsPhysical, NULL);
    jack_client_close(c);
    return 0;
}

int pt_jack_audio_ports(const char *skip_client, void (*fn)(void *user, const char *port, int is_output),
                        void *user)
{
    if (!pt_dyn_jack_available(NULL, 0) || !pt_jack_server_running()) return -1;
    jack_status_t st;
    jack_client_t *c = jack_client_open("pytone-list", JackNoStartServer, &st);
    if (!c) return -1;
    size_t skip = skip_client ? strlen(skip_client) : 0;
    for (int o = 1; o >= 0; o--) {
        const char **ports = jack_get_ports(c, NULL, JACK_DEFAULT_AUDIO_TYPE, o ? JackPortIsOutput : JackPortIsInput);
        for (int i = 0; ports && ports[i]; i++)
            if (!skip || strncmp(ports[i], skip_client, skip) || ports[i][skip] != ':') fn(user, ports[i], o);
        if (ports) jack_free(ports);
    }
    jack_client_close(c);
    return 0;
}

int pt_jack_list_midi(FILE *out)
{
    jack_client_t *c = open_lister(out);
    if (!c) return 0;
    print_ports(out, c, JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, "no MIDI outputs");
    jack_client_close(c);
    return 0;
}

/* On JACK's audio thread, before its first cycle. */
static void j_thread_init(void *arg)
{
    (void)arg;
    pt_backend_prefault_stack();
}

/* RT */
static int j_process(jack_nframes_t nframes, void *arg)
{
    jdev *d = arg;
    jack_nframes_t now = jack_last_frame_time(d->client);
    d->frames_done += (jack_nframes_t)(now - d->last_frame); /* also counts cycles we missed */
    d->last_frame = now;
    *(volatile int *)&pt_rt_in_callback = 1; /* MIDI is audio-thread work too (rtcheck) */
    if (d->midi_in) { /* MIDI first, with each event's frame in this block */
        void *buf = jack_port_get_buffer(d->midi_in, nframes);
        jack_nframes_t n = jack_midi_get_event_count(buf);
        for (jack_nframes_t i = 0; i < n; i++) {
            jack_midi_event_t ev;
            if (jack_midi_event_get(&ev, buf, i) != 0) continue;
            uint64_t t_ns = (uint64_t)((double)(d->frames_done + ev.time) * 1e9 / d->rate);
            d->midi_cb(d->midi_user, ev.buffer, ev.size, (int)ev.time, t_ns);
        }
    }
    if (d->midi_out) {
        void *buf = jack_port_get_buffer(d->midi_out, nframes);
        jack_midi_clear_buffer(buf);
        unsigned char msg[3];
        int len;
        while (d->midi_src && (len = d->midi_src(d->midi_user, msg)) > 0)
            if (jack_midi_event_write(buf, 0, msg, (size_t)len) != 0) break; /* full: the rest waits */
    }
    *(volatile int *)&pt_rt_in_callback = 0;
    const float *in = jack_port_get_buffer(d->in, nframes);
    float *l = jack_port_get_buffer(d->out_l, nframes);
    float *r = jack_port_get_buffer(d->out_r, nframes);
    d->cb(d->user, in, l, r, (int)nframes);
    return 0;
}

static void j_shutdown(void *arg)
{
    jdev *d = arg;
    atomic_store(&d->alive, 0);
}

static int j_xrun(void *arg)
{
    jdev *d = arg;
    atomic_fetch_add(&d->xruns, 1);
    return 0;
}

/* Latency: what arrives at our outputs left the capture ports `latency`
 * samples earlier than what JACK says about our inputs, and the same on the
 * playback side. */
static void j_latency(jack_latency_callback_mode_t mode, void *arg)
{
    jdev *d = arg;
    int lat = atomic_load(&d->latency);
    jack_latency_range_t range;
    if (mode == JackCaptureLatency) {
        jack_port_get_latency_range(d->in, mode, &range);
        range.min += lat;
        range.max += lat;
        jack_port_set_latency_range(d->out_l, mode, &range);
        jack_port_set_latency_range(d->out_r, mode, &range);
    } else {
        jack_latency_range_t r2;
        jack_port_get_latency_range(d->out_l, mode, &range);
        jack_port_get_latency_range(d->out_r, mode, &r2);
        if (r2.max > range.max) range = r2;
        range.min += lat;
        range.max += lat;
        jack_port_set_latency_range(d->in, mode, &range);
    }
}

static int j_open(pt_backend **out, const pt_backend_config *cfg, pt_error *err)
{
    char why[256];
    if (!pt_dyn_jack_available(why, sizeof why))
        return pt_error_set(err, PT_ERR, NULL, 0, 0, "JACK: the library cannot be loaded (%s)", why);
    jack_set_error_function(silent_error);
    jack_set_info_function(silent_error);
    jdev *d = calloc(1, sizeof *d);
    if (!d) return pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
    d->base.ops = &pt_backend_jack;
    snprintf(d->jack_input, sizeof d->jack_input, "%s", cfg->jack_input ? cfg->jack_input : "");
    snprintf(d->jack_output, sizeof d->jack_output, "%s", cfg->jack_output ? cfg->jack_output : "");
    jack_status_t st;
    const char *name = cfg->client_name ? cfg->client_name : "pytone";
    d->client = jack_client_open(name, JackNoStartServer | JackUseExactName, &st);
    if (!d->client) {
        free(d);
        if (st & JackNameNotUnique)
            return pt_error_set(err, PT_ERR, NULL, 0, 0,
                                "JACK: a client named '%s' is already running", name);
        return pt_error_set(err, PT_ERR, NULL, 0, 0,
                            "JACK: no server is running (start one, e.g. 'jackd -d alsa', or use "
                            "--backend portaudio or virtual)");
    }
    d->rate = jack_get_sample_rate(d->client);
    d->frames = (int)jack_get_buffer_size(d->client);
    if (cfg->rate > 0 && cfg->rate != d->rate) {
        double server_rate = d->rate;
        jack_client_close(d->client);
        free(d);
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                            "JACK runs at %.0f Hz; --rate %.0f cannot be used with it "
                            "(restart jackd with -r %.0f)",
                            server_rate, cfg->rate, cfg->rate);
    }
    d->in = jack_port_register(d->client, "in_1", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
    d->out_l = jack_port_register(d->client, "out_1", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
    d->out_r = jack_port_register(d->client, "out_2", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
    if (!d->in || !d->out_l || !d->out_r) {
        jack_client_close(d->client);
        free(d);
        return pt_error_set(err, PT_ERR, NULL, 0, 0, "JACK: cannot register ports");
    }
    atomic_store(&d->alive, 1);
    snprintf(d->desc, sizeof d->desc, "JACK client '%s', %.0f Hz, %d frames",
             jack_get_client_name(d->client), d->rate, d->frames);
    *out = &d->base;
    return 0;
}

static int j_start(pt_backend *b, pt_audio_callback cb, void *user, pt_error *err)
{
    jdev *d = (jdev *)b;
    d->cb = cb;
    d->user = user;
    jack_set_thread_init_callback(d->client, j_thread_init, d);
    jack_set_process_callback(d->client, j_process, d);
    jack_on_shutdown(d->client, j_shutdown, d);
    jack_set_xrun_callback(d->client, j_xrun, d);
    jack_set_latency_callback(d->client, j_latency, d);
    if (jack_activate(d->client) != 0)
        return pt_error_set(err, PT_ERR, NULL, 0, 0, "JACK: cannot activate the client");
    /* Connect to the physical ports, as a player expects; tests connect
     * their own ports and are not disturbed by this. */
    const char **cap = jack_get_ports(d->client, NULL, JACK_DEFAULT_AUDIO_TYPE,
                                      JackPortIsPhysical | JackPortIsOutput);
    const char **play = jack_get_ports(d->client, NULL, JACK_DEFAULT_AUDIO_TYPE,
                                       JackPortIsPhysical | JackPortIsInput);
    int rc = 0;
    if (d->jack_input[0] || d->jack_output[0]) {
        /* the caller's ports (EEXIST: already connected, as a loop of our own ports is) */
        int e;
        if (d->jack_input[0] && (e = jack_connect(d->client, d->jack_input, jack_port_name(d->in))) && e != EEXIST)
            rc = pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                              "JACK: cannot record from '%s' (not an audio output port of the server)", d->jack_input);
        else if (d->jack_output[0] && (e = jack_connect(d->client, jack_port_name(d->out_l), d->jack_output)) &&
                 e != EEXIST)
            rc = pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                              "JACK: cannot play into '%s' (not an audio input port of the server)", d->jack_output);
        if (rc) jack_deactivate(d->client);
    } else if (getenv("PT_JACK_NO_AUTOCONNECT") == NULL) {
        if (cap && cap[0]) jack_connect(d->client, cap[0], jack_port_name(d->in));
        if (play && play[0]) jack_connect(d->client, jack_port_name(d->out_l), play[0]);
        if (play && play[0] && play[1]) jack_connect(d->client, jack_port_name(d->out_r), play[1]);
    }
    if (cap) jack_free(cap);
    if (play) jack_free(play);
    return rc;
}

static void j_stop(pt_backend *b)
{
    jdev *d = (jdev *)b;
    if (d->client && atomic_load(&d->alive)) jack_deactivate(d->client);
}

static void j_close(pt_backend *b)
{
    jdev *d = (jdev *)b;
    if (d->client && atomic_load(&d->alive)) jack_client_close(d->client);
    /* after a server shutdown, closing the dead client can hang in libjack;
     * the process is ending anyway, so leave it */
    free(d);
}

static int j_set_midi(pt_backend *b, pt_midi_in_rt in, pt_midi_out_rt out, void *user,
                      pt_error *err)
{
    jdev *d = (jdev *)b;
    d->midi_cb = in;
    d->midi_src = out;
    d->midi_user = user;
    d->midi_in = jack_port_register(d->client, "midi_in", JACK_DEFAULT_MIDI_TYPE, JackPortIsInput, 0);
    d->midi_out = out ? jack_port_register(d->client, "midi_out", JACK_DEFAULT_MIDI_TYPE,
                                           JackPortIsOutput, 0)
                      : NULL;
    if (!d->midi_in || (out && !d->midi_out))
        return pt_error_set(err, PT_ERR, NULL, 0, 0, "JACK: cannot register the MIDI ports");
    return 0;
}

static double j_rate(pt_backend *b) { return ((jdev *)b)->rate; }
static int j_frames(pt_backend *b) { return ((jdev *)b)->frames; }
static int j_alive(pt_backend *b) { return atomic_load(&((jdev *)b)->alive); }
static unsigned long j_xruns(pt_backend *b) { return atomic_load(&((jdev *)b)->xruns); }
static const char *j_desc(pt_backend *b) { return ((jdev *)b)->desc; }

static void j_set_latency(pt_backend *b, int samples)
{
    jdev *d = (jdev *)b;
    atomic_store(&d->latency, samples);
    if (d->client && atomic_load(&d->alive)) jack_recompute_total_latencies(d->client);
}

const pt_backend_ops pt_backend_jack = {
    .name = "jack",
    .list = j_list,
    .open = j_open,
    .start = j_start,
    .stop = j_stop,
    .close = j_close,
    .rate = j_rate,
    .frames = j_frames,
    .alive = j_alive,
    .set_latency = j_set_latency,
    .host_xruns = j_xruns,
    .description = j_desc,
    .set_midi = j_set_midi,
};
