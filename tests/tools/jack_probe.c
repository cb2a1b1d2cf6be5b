/* jack_probe.c — measure what `pytone` adds to JACK's own latency.
 *
 * Two JACK clients in this process: "probe_src" with outputs a and b, and
 * "probe_sink" with inputs a and b. Path A goes src:a -> pytone:in_1 ->
 * pytone:out_1 -> sink:a; path B goes src:b -> sink:b directly, as the
 * reference for JACK's own latency. The source writes one impulse on both
 * outputs at a known frame; the sink notes the absolute frame at which each
 * peaks, and records both for REC frames. Prints
 *   probe: direct=N through=N engine_added=N reported=N engine_added_lf=X
 * where reported is the playback latency pytone declares on its ports and
 * engine_added_lf the delay pytone adds at low frequencies: the group delay
 * of through / direct between 1 and 1.25 kHz (unambiguous to 96 samples), from the phase of their DFTs
 * (what a minimum-phase path's declared latency means; its impulse peaks
 * a sample or so later). */
#include <errno.h>
#include <jack/jack.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static jack_client_t *src, *sink;
static jack_port_t *out_a, *out_b, *in_a, *in_b;
static atomic_llong send_at = -1, got_a = -1, got_b = -1;
static float peak_a, peak_b; /* sink thread only */
enum { REC = 4096 };
static float rec_a[REC], rec_b[REC]; /* sink thread, read by main after it is done */
static atomic_int cycles;
static atomic_llong sunk_to = -1; /* the frame after the last the sink has seen */

static int src_process(jack_nframes_t n, void *arg)
{
    (void)arg;
    float *a = jack_port_get_buffer(out_a, n), *b = jack_port_get_buffer(out_b, n);
    memset(a, 0, n * sizeof(float));
    memset(b, 0, n * sizeof(float));
    long long t0 = jack_last_frame_time(src), at = atomic_load(&send_at);
    if (at >= t0 && at < t0 + (long long)n) a[at - t0] = b[at - t0] = 0.5f;
    atomic_fetch_add(&cycles, 1);
    return 0;
}

static int sink_process(jack_nframes_t n, void *arg)
{
    (void)arg;
    const float *a = jack_port_get_buffer(in_a, n), *b = jack_port_get_buffer(in_b, n);
    /* the impulse's peak: filters with linear phase ring before it */
    long long t0 = jack_last_frame_time(sink), at = atomic_load(&send_at);
    for (jack_nframes_t i = 0; at >= 0 && i < n; i++) {
        if (t0 + i < at || t0 + i > at + 8192) continue;
        if (t0 + i < at + REC) rec_a[t0 + i - at] = a[i], rec_b[t0 + i - at] = b[i];
        if (fabsf(a[i]) > 0.05f && fabsf(a[i]) > peak_a) peak_a = fabsf(a[i]), atomic_store(&got_a, t0 + i);
        if (fabsf(b[i]) > 0.05f && fabsf(b[i]) > peak_b) peak_b = fabsf(b[i]), atomic_store(&got_b, t0 + i);
    }
    atomic_store(&sunk_to, t0 + (long long)n);
    return 0;
}

/* JACK refuses to connect the ports of a client that is not active yet:
 * pytone registers its ports when it opens the device and activates after
 * building the rig, which on a loaded machine takes a while. Retry for 30 s
 * (the flake of issue 16, finding 10: "cannot connect probe_src:a ->
 * pytone:in_1"). */
static int connect_or_die(jack_client_t *c, const char *from, const char *to)
{
    for (int i = 0; i < 600; i++) {
        int rc = jack_connect(c, from, to);
        if (rc == 0 || rc == EEXIST) return 0;
        usleep(50000);
    }
    fprintf(stderr, "jack_probe: cannot connect %s -> %s (for 30 s)\n", from, to);
    return -1;
}

int main(int argc, char **argv)
{
    const char *target = argc > 1 ? argv[1] : "pytone";
    jack_status_t st;
    src = jack_client_open("probe_src", JackNoStartServer, &st);
    sink = jack_client_open("probe_sink", JackNoStartServer, &st);
    if (!src || !sink) {
        fprintf(stderr, "jack_probe: no JACK server\n");
        return 2;
    }
    out_a = jack_port_register(src, "a", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
    out_b = jack_port_register(src, "b", JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput, 0);
    in_a = jack_port_register(sink, "a", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
    in_b = jack_port_register(sink, "b", JACK_DEFAULT_AUDIO_TYPE, JackPortIsInput, 0);
    jack_set_process_callback(src, src_process, NULL);
    jack_set_process_callback(sink, sink_process, NULL);
    jack_activate(src);
    jack_activate(sink);
    char p_in[128], p_out[128];
    snprintf(p_in, sizeof p_in, "%s:in_1", target);
    snprintf(p_out, sizeof p_out, "%s:out_1", target);
    for (int i = 0; i < 600 && !jack_port_by_name(src, p_out); i++) usleep(50000);
    if (!jack_port_by_name(src, p_out)) {
        fprintf(stderr, "jack_probe: %s has no port out_1\n", target);
        return 2;
    }
    if (connect_or_die(src, "probe_src:a", p_in) || connect_or_die(src, p_out, "probe_sink:a") ||
        connect_or_die(src, "probe_src:b", "probe_sink:b"))
        return 2;
    usleep(300000); /* let the graph settle */
    long long at = (long long)jack_frame_time(src) + 4096 + 17;
    atomic_store(&send_at, at);
    /* until the sink has seen the 8192 frames after the impulse: JACK's
     * frames, not a guessed wall time (a stalled machine runs fewer) */
    for (int i = 0; i < 3000 && atomic_load(&sunk_to) <= at + 8192; i++) usleep(10000);
    jack_latency_range_t r;
    jack_port_get_latency_range(jack_port_by_name(src, p_out), JackCaptureLatency, &r);
    jack_latency_range_t rin;
    jack_port_get_latency_range(jack_port_by_name(src, p_in), JackCaptureLatency, &rin);
    long long sent = atomic_load(&send_at), a = atomic_load(&got_a), b = atomic_load(&got_b);
    if (a < 0 || b < 0) {
        fprintf(stderr, "jack_probe: impulse not received (through=%lld direct=%lld)\n", a, b);
        return 1;
    }
    /* phase of through / direct at 1 and 1.25 kHz; their slope is the delay */
    double rate = jack_get_sample_rate(sink), ph[2];
    for (int j = 0; j < 2; j++) {
        double w = 2.0 * M_PI * (1000.0 + 250.0 * j) / rate, ar = 0, ai = 0, br = 0, bi = 0;
        for (int i = 0; i < REC; i++) {
            ar += rec_a[i] * cos(w * i), ai -= rec_a[i] * sin(w * i);
            br += rec_b[i] * cos(w * i), bi -= rec_b[i] * sin(w * i);
        }
        ph[j] = atan2(ai * br - ar * bi, ar * br + ai * bi);
    }
    double dph = ph[1] - ph[0];
    while (dph > M_PI) dph -= 2.0 * M_PI;
    while (dph < -M_PI) dph += 2.0 * M_PI;
    double lf = -dph / (2.0 * M_PI * 250.0 / rate);
    printf("probe: direct=%lld through=%lld engine_added=%lld reported=%u engine_added_lf=%.2f\n",
           b - sent, a - sent, (a - sent) - (b - sent), r.max - rin.max, lf);
    jack_client_close(src);
    jack_client_close(sink);
    return 0;
}
