/* jack_midi_send.c — play a timed list of MIDI events into a JACK MIDI
 * port, each at its exact frame, for the MIDI end-to-end tests.
 *
 *   jack_midi_send TARGET_PORT SCHEDULE
 *
 * SCHEDULE is a text file, one event a line: a time in milliseconds from the
 * start, then the event's bytes in hex ("250.5 b0 07 40"). Times must not go
 * down. The client "midi_send" connects its port "out" to TARGET_PORT
 * (waiting up to 10 s for it to appear; TARGET_PORT "-": waits up to 10 s for
 * someone else to connect to it, as a hardware controller would be found),
 * starts at the next cycle and writes
 * each event at frame round(t_ms * rate / 1000) from the start. Prints
 *   sent: events=N late=N cycles=N
 * where late counts events the port buffer had no room for in their cycle
 * (they go out in the next one). */
#include <jack/jack.h>
#include <jack/midiport.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct ev {
    long long frame;
    unsigned char bytes[64];
    int len;
} ev;

static ev *evs;
static int n_evs;
static jack_client_t *client;
static jack_port_t *out;
static atomic_int go, next_ev, late, cycles, ticks; /* ticks: every cycle, sending or not */
static long long start = -1;

/* Wait for JACK to run `k` more cycles (up to 10 s): what a wait is for
 * here is cycles, and a stalled machine runs fewer of them in a given
 * time. */
static void wait_cycles(int k)
{
    int t = atomic_load(&ticks);
    for (int i = 0; i < 1000 && atomic_load(&ticks) < t + k; i++) usleep(10000);
}

static int process(jack_nframes_t n, void *arg)
{
    (void)arg;
    void *buf = jack_port_get_buffer(out, n);
    jack_midi_clear_buffer(buf);
    atomic_fetch_add(&ticks, 1);
    if (!atomic_load(&go)) return 0;
    long long t0 = jack_last_frame_time(client);
    if (start < 0) start = t0;
    atomic_fetch_add(&cycles, 1);
    int i = atomic_load(&next_ev);
    while (i < n_evs && evs[i].frame + start < t0 + (long long)n) {
        long long off = evs[i].frame + start - t0;
        if (off < 0) off = 0; /* a late one: at the start of this cycle */
        if (jack_midi_event_write(buf, (jack_nframes_t)off, evs[i].bytes, (size_t)evs[i].len) != 0) {
            atomic_fetch_add(&late, 1);
            break;
        }
        i++;
    }
    atomic_store(&next_ev, i);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: jack_midi_send TARGET_PORT SCHEDULE\n");
        return 2;
    }
    jack_status_t st;
    client = jack_client_open("midi_send", JackNoStartServer, &st);
    if (!client) {
        fprintf(stderr, "jack_midi_send: no JACK server\n");
        return 1;
    }
    double rate = jack_get_sample_rate(client);
    FILE *f = fopen(argv[2], "r");
    if (!f) {
        fprintf(stderr, "jack_midi_send: cannot open %s\n", argv[2]);
        return 1;
    }
    int cap = 1024;
    evs = malloc((size_t)cap * sizeof *evs);
    char line[1024];
    while (evs && fgets(line, sizeof line, f)) {
        char *p = line, *end;
        double t = strtod(p, &end);
        if (end == p) continue;
        if (n_evs == cap) evs = realloc(evs, (size_t)(cap *= 2) * sizeof *evs);
        ev *e = &evs[n_evs];
        e->frame = (long long)(t * rate / 1000.0 + 0.5);
        e->len = 0;
        for (p = end; e->len < 64;) {
            long b = strtol(p, &end, 16);
            if (end == p) break;
            e->bytes[e->len++] = (unsigned char)b;
            p = end;
        }
        if (e->len > 0) n_evs++;
    }
    fclose(f);
    out = jack_port_register(client, "out", JACK_DEFAULT_MIDI_TYPE, JackPortIsOutput, 0);
    jack_set_process_callback(client, process, NULL);
    if (!out || jack_activate(client) != 0) {
        fprintf(stderr, "jack_midi_send: cannot activate\n");
        return 1;
    }
    int ok = 0;
    for (int tries = 0; tries < 200 && !ok; tries++) {
        if (!strcmp(argv[1], "-")) {
            if (jack_port_connected(out) > 0) ok = 1;
            else usleep(50000);
        } else if (jack_port_by_name(client, argv[1]) &&
            jack_connect(client, jack_port_name(out), argv[1]) == 0)
            ok = 1;
        else usleep(50000);
    }
    if (!ok) {
        fprintf(stderr, "jack_midi_send: cannot connect to %s\n", argv[1]);
        return 1;
    }
    wait_cycles(4); /* let the connection settle for a few cycles */
    atomic_store(&go, 1);
    long long last = n_evs ? evs[n_evs - 1].frame : 0;
    double wait_s = (double)last / rate + 30.0;
    for (double waited = 0; atomic_load(&next_ev) < n_evs && waited < wait_s; waited += 0.01)
        usleep(10000);
    wait_cycles(4); /* the last cycle reaches the target */
    printf("sent: events=%d late=%d cycles=%d\n", atomic_load(&next_ev), atomic_load(&late),
           atomic_load(&cycles));
    jack_client_close(client);
    return atomic_load(&next_ev) == n_evs ? 0 : 1;
}
