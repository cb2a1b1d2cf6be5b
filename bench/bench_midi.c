/* bench_midi.c — MIDI's costs, printed:
 *   - the byte parser: ns per byte on a mix of CCs with running status,
 *     clock and SysEx (what the audio thread spends per JACK MIDI byte);
 *   - the audio-thread cost of a 64-frame block split by timed parameter
 *     commands (one CC per block at a frame in the block, vs none);
 *   - end to end: CC messages per second the MIDI thread maps through the
 *     session into parameter changes, with an audio thread running. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "control/session.h"
#include "core/rt.h"
#include "midi/midi.h"
#include "midi/parser.h"

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(void)
{
    /* parser */
    size_t n = 1 << 22;
    unsigned char *bytes = malloc(n);
    for (size_t i = 0; i < n; i++) {
        size_t k = i % 64;
        bytes[i] = k == 0 ? 0xB0 : k == 20 ? 0xF8 : k == 40 ? 0xF0 : k == 50 ? 0xF7 : (unsigned char)(i & 0x7F);
    }
    pt_midi_parser p;
    pt_midi_parser_init(&p);
    pt_midi_msg m;
    unsigned msgs = 0;
    uint64_t t0 = pt_rt_now_ns();
    for (int rep = 0; rep < 8; rep++)
        for (size_t i = 0; i < n; i++) msgs += (unsigned)pt_midi_parse_byte(&p, bytes[i], &m);
    double ns = (double)(pt_rt_now_ns() - t0) / (8.0 * (double)n);
    printf("parser: %.2f ns/byte (%u messages)\n", ns, msgs);
    free(bytes);

    /* a session on the default rig */
    const double rate = 48000;
    pt_engine_config ec = {.rate = rate, .max_frames = 64};
    pt_engine *e = pt_engine_create(&ec, NULL);
    pt_session *s = pt_session_create(e, &(pt_session_config){.library_dir = "rigs"}, NULL);
    pt_diags d;
    pt_diags_init(&d);
    char path[1024];
    const char *root = getenv("PT_SOURCE_DIR");
    snprintf(path, sizeof path, "%s/rigs/default.yaml", root ? root : ".");
    if (pt_session_load(s, path, &d) != 0) {
        pt_diags_print(&d, stderr);
        return 1;
    }
    cJSON *rj = pt_session_rig_json(s);
    cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItem(rj, "chain"), 1);
    char node[64];
    snprintf(node, sizeof node, "%s", cJSON_GetObjectItem(first, "id")->valuestring);
    const char *param = cJSON_GetArrayItem(cJSON_GetObjectItem(first, "params"), 0)->string;
    float lo = 0, hi = 0;
    pt_session_get_param(s, node, param, &lo, NULL);
    hi = lo;
    cJSON_Delete(rj);
    float x[64], l[64], r[64];
    for (int i = 0; i < 64; i++) x[i] = 0.1f * sinf((float)i);
    int blocks = 20000;
    double *us = malloc((size_t)blocks * sizeof *us);
    for (int with = 0; with < 2; with++) {
        for (int b = 0; b < blocks; b++) {
            if (with) pt_engine_set_param_at(e, node, param, b & 1 ? lo : hi, 1 + b % 63, NULL);
            uint64_t a = pt_rt_now_ns();
            pt_engine_process(e, x, l, r, 64);
            us[b] = (double)(pt_rt_now_ns() - a) / 1000.0;
        }
        qsort(us, (size_t)blocks, sizeof *us, cmp);
        printf("default rig block, %s: us_p50=%.2f us_p99=%.2f\n",
               with ? "split by a timed parameter command" : "no command", us[blocks / 2],
               us[(int)(blocks * 0.99)]);
    }
    free(us);

    /* end to end through the MIDI thread: learn a CC, then push CCs */
    pt_midi *mi = pt_midi_create(s, NULL, &d);
    pt_midi_start(mi, NULL);
    char target[160];
    snprintf(target, sizeof target, "%s.%s", node, param);
    pt_midi_learn_arm(mi, "param", target, NULL);
    unsigned char cc[3] = {0xB0, 1, 0};
    pt_midi_host_in(mi, cc, 3, 0, 0);
    struct timespec ts = {0, 50000000};
    nanosleep(&ts, NULL);
    int sent = 0;
    t0 = pt_rt_now_ns();
    cJSON *st;
    while (pt_rt_now_ns() - t0 < 1000000000ull) {
        for (int i = 0; i < 20; i++, sent++) {
            cc[2] = (unsigned char)(sent & 0x7F);
            pt_midi_host_in(mi, cc, 3, i, 0);
        }
        pt_engine_process(e, x, l, r, 64); /* the audio thread drains the engine queue */
        pt_engine_collect(e);
    }
    /* wait until the MIDI thread has taken everything */
    for (int i = 0; i < 2000; i++) {
        st = pt_midi_state(mi);
        double got = cJSON_GetObjectItem(st, "handled")->valuedouble;
        cJSON_Delete(st);
        if (got >= sent + 1) break;
        pt_engine_process(e, x, l, r, 64);
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
    double secs = (double)(pt_rt_now_ns() - t0) * 1e-9;
    st = pt_midi_state(mi);
    printf("mapped CCs: %d in %.2f s = %.0f per second (dropped %.0f)\n", sent, secs, sent / secs,
           cJSON_GetObjectItem(st, "dropped")->valuedouble);
    cJSON_Delete(st);
    pt_midi_destroy(mi);
    pt_session_destroy(s);
    pt_engine_destroy(e);
    pt_diags_free(&d);
    return 0;
}
