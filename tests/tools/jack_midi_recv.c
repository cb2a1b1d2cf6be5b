/* jack_midi_recv.c — record what a JACK MIDI port sends, for the MIDI out
 * test.
 *
 *   jack_midi_recv SOURCE_PORT SECONDS
 *
 * The client "midi_recv" connects SOURCE_PORT to its port "in" (waiting up
 * to 10 s for it), then prints one line per event for SECONDS:
 *   event: FRAME B1 B2 ...     (FRAME: JACK's frame time of the event)
 * and ends with "received: N". */
#include <jack/jack.h>
#include <jack/midiport.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_EVENTS 4096

typedef struct rec {
    unsigned long long frame;
    unsigned char bytes[16];
    int len;
} rec;

static rec recs[MAX_EVENTS];
static atomic_int n_recs;
static jack_client_t *client;
static jack_port_t *in;

static int process(jack_nframes_t n, void *arg)
{
    (void)arg;
    void *buf = jack_port_get_buffer(in, n);
    jack_nframes_t count = jack_midi_get_event_count(buf);
    for (jack_nframes_t i = 0; i < count; i++) {
        jack_midi_event_t ev;
        int k = atomic_load(&n_recs);
        if (k >= MAX_EVENTS || jack_midi_event_get(&ev, buf, i) != 0) continue;
        recs[k].frame = jack_last_frame_time(client) + ev.time;
        recs[k].len = ev.size < 16 ? (int)ev.size : 16;
        memcpy(recs[k].bytes, ev.buffer, (size_t)recs[k].len);
        atomic_store(&n_recs, k + 1);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: jack_midi_recv SOURCE_PORT SECONDS\n");
        return 2;
    }
    jack_status_t st;
    client = jack_client_open("midi_recv", JackNoStartServer, &st);
    if (!client) {
        fprintf(stderr, "jack_midi_recv: no JACK server\n");
        return 1;
    }
    in = jack_port_register(client, "in", JACK_DEFAULT_MIDI_TYPE, JackPortIsInput, 0);
    jack_set_process_callback(client, process, NULL);
    if (!in || jack_activate(client) != 0) return 1;
    int ok = 0;
    for (int tries = 0; tries < 200 && !ok; tries++) {
        if (jack_port_by_name(client, argv[1]) && jack_connect(client, argv[1], jack_port_name(in)) == 0)
            ok = 1;
        else usleep(50000);
    }
    if (!ok) {
        fprintf(stderr, "jack_midi_recv: cannot connect from %s\n", argv[1]);
        return 1;
    }
    printf("connected\n");
    fflush(stdout);
    usleep((useconds_t)(atof(argv[2]) * 1e6));
    int n = atomic_load(&n_recs);
    for (int i = 0; i < n; i++) {
        printf("event: %llu", recs[i].frame);
        for (int b = 0; b < recs[i].len; b++) printf(" %02x", recs[i].bytes[b]);
        printf("\n");
    }
    printf("received: %d\n", n);
    jack_client_close(client);
    return 0;
}
