/* midi.c — see midi.h. */
#include "midi.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../core/rt.h"
#include "../core/spsc.h"
#include "mapping.h"
#include "parser.h"
#include "tempo.h"

#ifdef PT_HAVE_RTMIDI
#include <rtmidi_c.h>

#include "../io/dynlib.h" /* last: librtmidi is loaded on first use */
#endif

enum { SRC_HOST = 1, SRC_DEVICE = 2 };

typedef struct event {
    pt_midi_msg msg;
    uint64_t t_ns;
    int32_t frame;
    uint8_t source;
} event;

typedef struct outmsg {
    unsigned char bytes[3];
    int len;
} outmsg;

/* What the control thread keeps per mapping. */
typedef struct live {
    int valid;         /* its node / parameter is in the rig */
    float lo, hi;      /* parameter range used */
    int picked;        /* soft takeover: the control has caught the value */
    float sent;        /* the value we last set (NAN: none) */
    int prev_raw;      /* last CC value (-1: none) */
    int held_orig;     /* momentary bypass: the state before the press */
    float y, target;   /* expression smoothing */
    int smoothing;     /* a smoothed value is still moving */
} live;

struct pt_midi {
    pt_session *s;
    pt_spsc host_q, dev_q, out_q;
    pt_midi_parser host_parser; /* the host's audio thread only */
    pt_midi_parser dev_parser;  /* RtMidi's thread only */
    atomic_ulong received, dropped, truncated, stray, sysex;
    atomic_ulong handled; /* messages the MIDI thread has acted on */
    pthread_t thread;
    int running;
    atomic_int stop;
    atomic_int remap; /* the rig's mappings changed (unmap): rebuild the merged map */
    /* control thread */
    pt_midi_map *global, *setlist, *merged;
    live *lv;
    uint64_t gen;
    int bank_msb, bank_lsb;
    pt_tap_tempo tap;
    pt_clock_tempo clock;
    int clock_source, tap_source, pulses;
    double tap_bpm, clock_bpm, set_bpm;
    char tempo_source[16];
    char last[64];
    /* learn (armed from any thread) */
    pthread_mutex_t lock;
    int learn_armed;
    pt_map_kind learn_kind;
    char learn_target[2 * PT_ID_MAX + 64];
    double learn_since;
    char learnt[512];
    /* device (RtMidi) */
    char *device;
    char port[256];
    int connected;
    double last_scan;
    char device_error[256];
    /* what pt_midi_state shows: copied from the fields above by the MIDI
     * thread (their owner) under shown_lock, read by others under it */
    pthread_mutex_t shown_lock;
    struct {
        char last[64], tempo_source[16], port[256], device_error[256];
        double tap_bpm, clock_bpm;
        int bank, connected;
    } shown;
#ifdef PT_HAVE_RTMIDI
    RtMidiInPtr in;
    RtMidiOutPtr out;
#endif
};

static double now_s(void) { return (double)pt_rt_now_ns() * 1e-9; }

/* ------------------------------------------------------ producers (RT) */

/* RT: parse and queue. */
static void feed(pt_midi *m, pt_spsc *q, pt_midi_parser *p, const unsigned char *b, size_t len,
                 int frame, uint64_t t_ns, int source)
{
    for (size_t i = 0; i < len; i++) {
        event e;
        if (!pt_midi_parse_byte(p, b[i], &e.msg)) continue;
        e.t_ns = t_ns;
        e.frame = frame;
        e.source = (uint8_t)source;
        if (pt_spsc_push(q, &e)) atomic_fetch_add_explicit(&m->received, 1, memory_order_relaxed);
        else atomic_fetch_add_explicit(&m->dropped, 1, memory_order_relaxed);
    }
    atomic_store_explicit(&m->truncated, p->truncated, memory_order_relaxed);
    atomic_store_explicit(&m->stray, p->stray, memory_order_relaxed);
    atomic_store_explicit(&m->sysex, p->sysex, memory_order_relaxed);
}

/* RT: from the host's audio thread; only pushes to / pops from a lock-free ring. */
void pt_midi_host_in(void *user, const unsigned char *bytes, size_t len, int frame, uint64_t t_ns)
{
    pt_midi *m = user;
    feed(m, &m->host_q, &m->host_parser, bytes, len, frame, t_ns, SRC_HOST);
}

/* RT: from the host's audio thread; only pushes to / pops from a lock-free ring. */
int pt_midi_host_out(void *user, unsigned char bytes[3])
{
    pt_midi *m = user;
    outmsg o;
    if (!pt_spsc_pop(&m->out_q, &o)) return 0;
    memcpy(bytes, o.bytes, 3);
    return o.len;
}

#ifdef PT_HAVE_RTMIDI
static void device_callback(double delta_s, const unsigned char *msg, size_t len, void *user)
{
    (void)delta_s;
    pt_midi *m = user;
    feed(m, &m->dev_q, &m->dev_parser, msg, len, -1, pt_rt_now_ns(), SRC_DEVICE);
}
#endif

/* ------------------------------------------------------------ mappings */

typedef struct refresh_ctx {
    pt_midi *m;
    int force;
    int changed;
} refresh_ctx;

/* Under the session's lock: rebuild the merged map when the rig changed. */
static int refresh_locked(pt_rig *rig, void *user)
{
    refresh_ctx *r = user;
    pt_midi *m = r->m;
    pt_program *p = pt_engine_program(pt_session_engine(m->s));
    uint64_t gen = p ? pt_program_generation(p) : 0;
    if (!r->force && gen == m->gen && m->merged) return 0;
    m->gen = gen;
    const pt_midi_map *layers[3] = {m->global, m->setlist, rig ? rig->midi : NULL};
    pt_midi_map *merged = pt_midi_map_merge(layers, 3);
    if (!merged) return -1;
    live *lv = calloc((size_t)(merged->n > 0 ? merged->n : 1), sizeof *lv);
    if (!lv) {
        pt_midi_map_free(merged);
        return -1;
    }
    for (int i = 0; i < merged->n; i++) {
        pt_midi_mapping *it = &merged->items[i];
        live *l = &lv[i];
        l->sent = NAN;
        l->prev_raw = -1;
        l->held_orig = -1;
        if (it->kind == PT_MAP_PARAM || it->kind == PT_MAP_BYPASS) {
            pt_rig_node *n = rig ? pt_rig_find_node(rig, it->node) : NULL;
            if (!n) continue; /* a setlist or global mapping of a node this rig lacks */
            if (it->kind == PT_MAP_BYPASS) {
                l->valid = 1;
                continue;
            }
            int pi = pt_param_index(n->type, it->param);
            if (pi < 0 || (n->type->params[pi].flags & PT_PARAM_REBUILD)) continue;
            const pt_param_def *d = &n->type->params[pi];
            l->lo = it->has_min ? it->min : d->min;
            l->hi = it->has_max ? it->max : d->max;
            l->y = l->target = pt_rig_node_get(n, pi);
            l->valid = 1;
        } else if (it->kind == PT_MAP_SCENE) {
            l->valid = rig && pt_rig_find_scene(rig, it->scene) >= 0;
        } else {
            l->valid = 1;
        }
    }
    pt_midi_map_free(m->merged);
    free(m->lv);
    m->merged = merged;
    m->lv = lv;
    m->set_bpm = 0; /* a new rig brings its own tempo */
    snprintf(m->tempo_source, sizeof m->tempo_source, "rig");
    r->changed = 1;
    return 0;
}

static void send_out(pt_midi *m, int channel, int cc, int value)
{
    outmsg o = {{(unsigned char)(0xB0 | ((channel ? channel : 1) - 1)), (unsigned char)cc,
                 (unsigned char)value},
                3};
    pt_spsc_push(&m->out_q, &o);
#ifdef PT_HAVE_RTMIDI
    if (m->out && m->connected) rtmidi_out_send_message(m->out, o.bytes, 3);
#endif
}

typedef struct bypass_q {
    const char *node;
    int bypass;
} bypass_q;

static int read_bypass(pt_rig *rig, void *user)
{
    bypass_q *q = user;
    pt_rig_node *n = rig ? pt_rig_find_node(rig, q->node) : NULL;
    if (!n) return -1;
    q->bypass = n->bypass;
    return 0;
}

/* MIDI out: the current values of mappings marked `feedback`. */
static void feedback(pt_midi *m)
{
    for (int i = 0; i < m->merged->n; i++) {
        pt_midi_mapping *it = &m->merged->items[i];
        live *l = &m->lv[i];
        if (!it->feedback || !l->valid) continue;
        if (it->kind == PT_MAP_PARAM) {
            float v;
            if (pt_session_get_param(m->s, it->node, it->param, &v, NULL) == 0)
                send_out(m, it->channel, it->cc, pt_midi_curve_raw(it, v, l->lo, l->hi));
        } else if (it->kind == PT_MAP_BYPASS) {
            bypass_q q = {it->node, 0};
            if (pt_session_with_rig(m->s, read_bypass, &q) == 0)
                send_out(m, it->channel, it->cc, q.bypass ? 0 : 127);
        }
    }
}

static void refresh(pt_midi *m, int force)
{
    refresh_ctx r = {m, force, 0};
    pt_session_with_rig(m->s, refresh_locked, &r);
    if (r.changed && m->merged) feedback(m);
}

/* --------------------------------------------------------------- tempo */

static void set_tempo(pt_midi *m, double bpm, const char *source)
{
    if (!(bpm >= 20 && bpm <= 400)) return;
    snprintf(m->tempo_source, sizeof m->tempo_source, "%s", source);
    /* against the tempo being played, so that a rig's own tempo (after a
     * rig change) gives way to the next beat */
    if (fabs(bpm - pt_tempo_bpm()) < 0.005) return;
    if (pt_session_follow_tempo(m->s, (float)bpm, NULL) == 0) m->set_bpm = bpm;
}

/* ------------------------------------------------------------- actions */

/* frame: where in the audio block (JACK MIDI's offset); -1: at its start */
static void set_param(pt_midi *m, pt_midi_mapping *it, live *l, float v, int frame)
{
    if (pt_session_set_param_at(m->s, it->node, it->param, v, frame, NULL) == 0) l->sent = v;
}

static void do_param(pt_midi *m, pt_midi_mapping *it, live *l, int raw, int frame)
{
    float v = pt_midi_curve_value(it, raw, l->lo, l->hi);
    if (it->soft) {
        float cur;
        if (pt_session_get_param(m->s, it->node, it->param, &cur, NULL) != 0) return;
        if (!(cur == l->sent)) l->picked = 0; /* something else moved it */
        if (!l->picked) {
            int cur_raw = pt_midi_curve_raw(it, cur, l->lo, l->hi);
            int prev = l->prev_raw;
            int crossed = raw == cur_raw || (prev >= 0 && ((prev < cur_raw) != (raw < cur_raw)));
            if (!crossed) return;
            l->picked = 1;
        }
    }
    if (it->smoothing_ms > 0) {
        l->target = v;
        l->smoothing = 1;
        return; /* the tick moves it */
    }
    set_param(m, it, l, v, frame);
}

static void do_cc(pt_midi *m, const event *e)
{
    int ch = e->msg.channel, cc = e->msg.data1, raw = e->msg.data2;
    int hit = 0;
    for (int i = 0; m->merged && i < m->merged->n; i++) {
        pt_midi_mapping *it = &m->merged->items[i];
        live *l = &m->lv[i];
        if (it->cc != cc || (it->channel && it->channel != ch)) continue;
        hit = 1;
        if (!l->valid) continue;
        int press = raw >= 64 && (l->prev_raw < 64);
        int release = raw < 64 && l->prev_raw >= 64;
        switch (it->kind) {
        case PT_MAP_PARAM:
            do_param(m, it, l, raw, e->frame);
            break;
        case PT_MAP_SCENE:
            if (it->value >= 0 ? raw == it->value : press)
                pt_session_scene_select(m->s, it->scene, NULL);
            break;
        case PT_MAP_BYPASS: {
            bypass_q q = {it->node, 0};
            if (pt_session_with_rig(m->s, read_bypass, &q) != 0) break;
            if (!it->momentary) {
                if (press) pt_session_set_bypass(m->s, it->node, !q.bypass, NULL);
            } else if (press) {
                l->held_orig = q.bypass;
                pt_session_set_bypass(m->s, it->node, !q.bypass, NULL);
            } else if (release && l->held_orig >= 0) {
                pt_session_set_bypass(m->s, it->node, l->held_orig, NULL);
                l->held_orig = -1;
            }
            if (it->feedback) send_out(m, it->channel, it->cc, (press ? !q.bypass : q.bypass) ? 0 : 127);
            break;
        }
        case PT_MAP_TAP:
            if (press) {
                if (m->tap_source != e->source) pt_tap_init(&m->tap, m->merged->tap_reset_ms, 4);
                m->tap_source = e->source;
                double bpm = pt_tap(&m->tap, e->t_ns);
                if (bpm > 0) {
                    m->tap_bpm = bpm;
                    set_tempo(m, bpm, "tap");
                }
            }
            break;
        }
        l->prev_raw = raw;
    }
    if (!hit && (cc == 0 || cc == 32)) { /* Bank Select, unless mapped otherwise */
        if (cc == 0) m->bank_msb = raw;
        else m->bank_lsb = raw;
    }
}

typedef struct learn_ctx {
    pt_midi_mapping item;
    int ok;
    const char *label; /* the parameter's label, for the learnt message */
} learn_ctx;

static int learn_locked(pt_rig *rig, void *user)
{
    learn_ctx *c = user;
    if (!rig) return -1;
    if (c->item.kind == PT_MAP_PARAM) {
        pt_rig_node *n = pt_rig_find_node(rig, c->item.node);
        int pi = n ? pt_param_index(n->type, c->item.param) : -1;
        if (pi < 0) return -1;
        c->label = n->type->params[pi].label; /* static: outlives the rig */
    }
    if (!rig->midi && !(rig->midi = pt_midi_map_new())) return -1;
    pt_midi_map_remove(rig->midi, c->item.channel, c->item.cc);
    if (pt_midi_map_add(rig->midi, &c->item) != 0) return -1;
    c->ok = 1;
    return 1; /* the rig changed: dirty, saved with it */
}

/* An armed learn takes this CC. Returns 1 if it did. */
static int learn(pt_midi *m, const event *e)
{
    pthread_mutex_lock(&m->lock);
    int armed = m->learn_armed;
    learn_ctx c;
    memset(&c, 0, sizeof c);
    if (armed) {
        m->learn_armed = 0;
        pt_midi_mapping *it = &c.item;
        it->kind = m->learn_kind;
        it->channel = e->msg.channel;
        it->cc = e->msg.data1;
        it->toe = 127;
        it->value = -1;
        it->line = 0;
        const char *t = m->learn_target;
        if (it->kind == PT_MAP_PARAM) {
            const char *dot = strchr(t, '.');
            snprintf(it->node, sizeof it->node, "%.*s", (int)(dot - t), t);
            snprintf(it->param, sizeof it->param, "%s", dot + 1);
        } else if (it->kind == PT_MAP_BYPASS) {
            snprintf(it->node, sizeof it->node, "%.*s", (int)sizeof it->node - 1, t);
        } else if (it->kind == PT_MAP_SCENE) {
            snprintf(it->scene, sizeof it->scene, "%.*s", (int)sizeof it->scene - 1, t);
        }
    }
    pthread_mutex_unlock(&m->lock);
    if (!armed) return 0;
    pt_session_with_rig(m->s, learn_locked, &c);
    pthread_mutex_lock(&m->lock);
    if (c.ok)
        snprintf(m->learnt, sizeof m->learnt, "cc %d channel %d -> %s %s%s%s%s", c.item.cc,
                 c.item.channel,
                 m->learn_kind == PT_MAP_PARAM ? "param" : m->learn_kind == PT_MAP_BYPASS ? "bypass"
                                                      : m->learn_kind == PT_MAP_SCENE ? "scene" : "tap",
                 m->learn_target, c.label ? " (" : "", c.label ? c.label : "", c.label ? ")" : "");
    else
        snprintf(m->learnt, sizeof m->learnt, "failed: %s is no longer in the rig", m->learn_target);
    pthread_mutex_unlock(&m->lock);
    refresh(m, 1);
    return 1;
}

static void dispatch(pt_midi *m, const event *e)
{
    const pt_midi_msg *msg = &e->msg;
    switch (msg->type) {
    case PT_MIDI_CLOCK:
        if (!m->merged || !m->merged->clock) break;
        if (m->clock_source != e->source) pt_clock_reset(&m->clock);
        m->clock_source = e->source;
        {
            double bpm = pt_clock_pulse(&m->clock, e->t_ns);
            if (bpm > 0) {
                m->clock_bpm = bpm;
                if (++m->pulses % 24 == 0) set_tempo(m, bpm, "clock"); /* once a beat */
            }
        }
        break;
    case PT_MIDI_START:
    case PT_MIDI_STOP:
        pt_clock_reset(&m->clock);
        m->pulses = 0;
        break;
    case PT_MIDI_CC:
        snprintf(m->last, sizeof m->last, "cc %d/%d=%d", msg->channel, msg->data1, msg->data2);
        if (learn(m, e)) break;
        do_cc(m, e);
        break;
    case PT_MIDI_PROGRAM: {
        snprintf(m->last, sizeof m->last, "pc %d/%d", msg->channel, msg->data1);
        if (!m->merged || !m->merged->program_change) break;
        if (m->merged->channel && msg->channel != m->merged->channel) break;
        long slot = (long)(m->bank_msb * 128 + m->bank_lsb) * m->merged->bank_size + msg->data1;
        if (slot < pt_session_slot_count(m->s)) {
            pt_session_select_slot(m->s, (int)slot, NULL);
            refresh(m, 0);
        }
        break;
    }
    default:
        break;
    }
}

/* ------------------------------------------------------------- devices */

#ifdef PT_HAVE_RTMIDI
#define SEQ_DEV "/dev/snd/seq"
/* Without the sequencer device, RtMidi and libasound print errors on every
 * try: look first. */
static int have_sequencer(void) { return access(SEQ_DEV, R_OK | W_OK) == 0; }

/* The ALSA sequencer; PT_MIDI_API=jack makes RtMidi look at JACK's MIDI
 * ports instead (what the reconnect test uses: it has no ALSA sequencer). */
static enum RtMidiApi device_api(void)
{
    const char *api = getenv("PT_MIDI_API");
    return api && !strcmp(api, "jack") ? RTMIDI_API_UNIX_JACK : RTMIDI_API_LINUX_ALSA;
}

/* Index of the first port whose name contains `want`, or -1. */
static int find_port(RtMidiPtr dev, const char *want, char *name, size_t size)
{
    unsigned n = rtmidi_get_port_count(dev);
    for (unsigned i = 0; i < n; i++) {
        char buf[256];
        int len = sizeof buf;
        if (rtmidi_get_port_name(dev, i, buf, &len) < 0) continue;
        if (strstr(buf, want)) {
            if (name) snprintf(name, size, "%s", buf);
            return (int)i;
        }
    }
    return -1;
}

static void device_close(pt_midi *m)
{
    if (m->in) {
        rtmidi_in_cancel_callback(m->in);
        rtmidi_close_port(m->in);
        rtmidi_in_free(m->in);
        m->in = NULL;
    }
    if (m->out) {
        rtmidi_close_port(m->out);
        rtmidi_out_free(m->out);
        m->out = NULL;
    }
    m->connected = 0;
}

/* Once a second: connect when the device is there, let go when it is gone. */
static void device_scan(pt_midi *m)
{
    if (!m->device) return;
    double t = now_s();
    if (t - m->last_scan < 1.0) return;
    m->last_scan = t;
    if (m->connected) {
        char name[256];
        if (find_port(m->in, m->device, name, sizeof name) >= 0 && !strcmp(name, m->port)) return;
        fprintf(stderr, "pytone: MIDI device '%s' went away; waiting for it\n", m->port);
        device_close(m);
        return;
    }
    char why[200];
    if (!pt_dyn_rtmidi_available(why, sizeof why)) {
        snprintf(m->device_error, sizeof m->device_error, "RtMidi cannot be loaded (%s)", why);
        return;
    }
    enum RtMidiApi api = device_api();
    if (api == RTMIDI_API_LINUX_ALSA && !have_sequencer()) {
        snprintf(m->device_error, sizeof m->device_error, "no ALSA sequencer (%s)", SEQ_DEV);
        return;
    }
    RtMidiInPtr in = rtmidi_in_create(api, "pytone-midi", 4096);
    if (!in || !in->ok) {
        snprintf(m->device_error, sizeof m->device_error, "cannot open the ALSA sequencer");
        if (in) rtmidi_in_free(in);
        return;
    }
    int i = find_port(in, m->device, m->port, sizeof m->port);
    if (i < 0) {
        rtmidi_in_free(in);
        return;
    }
    rtmidi_in_ignore_types(in, true, false, true); /* SysEx and active sensing off; clock on */
    pt_midi_parser_init(&m->dev_parser);
    rtmidi_in_set_callback(in, device_callback, m);
    rtmidi_open_port(in, (unsigned)i, "pytone:midi_in");
    if (!in->ok) {
        snprintf(m->device_error, sizeof m->device_error, "%s", in->msg ? in->msg : "cannot open");
        rtmidi_in_free(in);
        return;
    }
    m->in = in;
    RtMidiOutPtr out = rtmidi_out_create(api, "pytone-midi");
    if (out && out->ok) {
        int o = find_port(out, m->device, NULL, 0);
        if (o >= 0) rtmidi_open_port(out, (unsigned)o, "pytone:midi_out");
        if (o >= 0 && out->ok) m->out = out;
        else rtmidi_out_free(out);
    } else if (out) {
        rtmidi_out_free(out);
    }
    m->connected = 1;
    m->device_error[0] = 0;
    fprintf(stderr, "pytone: MIDI input '%s'\n", m->port);
    refresh(m, 1); /* and send the values back to it */
}
#else
static void device_scan(pt_midi *m)
{
    if (m->device) snprintf(m->device_error, sizeof m->device_error, "built without RtMidi");
}
static void device_close(pt_midi *m) { (void)m; }
#endif

int pt_midi_list_devices(FILE *out)
{
#ifdef PT_HAVE_RTMIDI
    char why[200];
    if (!pt_dyn_rtmidi_available(why, sizeof why)) {
        fprintf(out, "alsa: RtMidi cannot be loaded (%s)\n", why);
        return 0;
    }
    RtMidiInPtr in = have_sequencer() || device_api() != RTMIDI_API_LINUX_ALSA
                         ? rtmidi_in_create(device_api(), "pytone-list", 100)
                         : NULL;
    if (!in || !in->ok) {
        fprintf(out, "alsa: no ALSA sequencer (%s)\n", SEQ_DEV);
        if (in) rtmidi_in_free(in);
    } else {
        unsigned n = rtmidi_get_port_count(in);
        if (!n) fprintf(out, "alsa: no MIDI inputs\n");
        for (unsigned i = 0; i < n; i++) {
            char buf[256];
            int len = sizeof buf;
            if (rtmidi_get_port_name(in, i, buf, &len) >= 0) fprintf(out, "alsa:   %s\n", buf);
        }
        rtmidi_in_free(in);
    }
#else
    fprintf(out, "alsa: not built in (RtMidi missing)\n");
#endif
    return 0;
}

/* ---------------------------------------------------------- the thread */

/* Expression pedal smoothing: a one-pole glide toward the pedal's value. */
static void tick(pt_midi *m, double dt_s)
{
    for (int i = 0; m->merged && i < m->merged->n; i++) {
        pt_midi_mapping *it = &m->merged->items[i];
        live *l = &m->lv[i];
        if (!l->smoothing || !l->valid) continue;
        double a = 1.0 - exp(-dt_s / (it->smoothing_ms * 1e-3));
        l->y += (float)((l->target - l->y) * a);
        float span = fabsf(l->hi - l->lo);
        if (fabsf(l->target - l->y) <= 1e-4f * span) {
            l->y = l->target;
            l->smoothing = 0;
        }
        /* steps under 0.1% of the range wait (the engine ramps between) */
        if (l->smoothing && fabsf(l->y - l->sent) < 1e-3f * span) continue;
        set_param(m, it, l, l->y, 0);
    }
}

/* MIDI thread (or before it starts): publish what pt_midi_state shows. */
static void publish(pt_midi *m)
{
    pthread_mutex_lock(&m->shown_lock);
    memcpy(m->shown.last, m->last, sizeof m->last);
    memcpy(m->shown.tempo_source, m->tempo_source, sizeof m->tempo_source);
    memcpy(m->shown.port, m->port, sizeof m->port);
    memcpy(m->shown.device_error, m->device_error, sizeof m->device_error);
    m->shown.tap_bpm = m->tap_bpm;
    m->shown.clock_bpm = m->clock_bpm;
    m->shown.bank = m->bank_msb * 128 + m->bank_lsb;
    m->shown.connected = m->connected;
    pthread_mutex_unlock(&m->shown_lock);
}

static void *thread_main(void *arg)
{
    pt_midi *m = arg;
    double last = now_s(), last_refresh = 0;
    while (!atomic_load(&m->stop)) {
        event e;
        int n = 0;
        double t = now_s();
        int remap = atomic_load(&m->remap);
        if (remap || t - last_refresh > 0.02) { /* a rig change elsewhere: new mappings */
            refresh(m, remap);
            if (remap) atomic_store(&m->remap, 0); /* done: pt_midi_unmap may return */
            last_refresh = t;
        }
        while (n < 256 && (pt_spsc_pop(&m->host_q, &e) || pt_spsc_pop(&m->dev_q, &e))) {
            dispatch(m, &e);
            atomic_fetch_add_explicit(&m->handled, 1, memory_order_relaxed);
            n++;
        }
        t = now_s();
        tick(m, t - last);
        last = t;
        pthread_mutex_lock(&m->lock);
        if (m->learn_armed && t - m->learn_since > 30.0) {
            m->learn_armed = 0;
            snprintf(m->learnt, sizeof m->learnt, "timed out");
        }
        pthread_mutex_unlock(&m->lock);
        device_scan(m);
        publish(m);
        if (n < 256) {
            struct timespec ts = {0, 1000000};
            nanosleep(&ts, NULL);
        }
    }
    return NULL;
}

/* ------------------------------------------------------------- set-up */

pt_midi *pt_midi_create(pt_session *s, const pt_midi_config *cfg, pt_diags *diags)
{
    pt_midi *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->s = s;
    pthread_mutex_init(&m->lock, NULL);
    pthread_mutex_init(&m->shown_lock, NULL);
    pt_midi_parser_init(&m->host_parser);
    pt_midi_parser_init(&m->dev_parser);
    pt_tap_init(&m->tap, 2000, 4);
    pt_clock_init(&m->clock);
    snprintf(m->tempo_source, sizeof m->tempo_source, "rig");
    int bad = pt_spsc_init(&m->host_q, 8192, sizeof(event)) ||
              pt_spsc_init(&m->dev_q, 8192, sizeof(event)) ||
              pt_spsc_init(&m->out_q, 1024, sizeof(outmsg));
    if (cfg && cfg->device) m->device = strdup(cfg->device);
    int before = diags ? diags->n : 0;
    if (cfg && cfg->global_path) m->global = pt_midi_map_load_file(cfg->global_path, diags);
    if (cfg && cfg->setlist_path) m->setlist = pt_midi_map_load_file(cfg->setlist_path, diags);
    if (bad || (diags && diags->n > before)) {
        if (bad) pt_diags_add(diags, "", 0, 0, "out of memory");
        pt_midi_destroy(m);
        return NULL;
    }
    refresh(m, 1);
    publish(m);
    return m;
}

int pt_midi_start(pt_midi *m, pt_error *err)
{
    if (pthread_create(&m->thread, NULL, thread_main, m) != 0)
        return pt_error_set(err, PT_ERR, NULL, 0, 0, "cannot start the MIDI thread");
    m->running = 1;
    return 0;
}

void pt_midi_destroy(pt_midi *m)
{
    if (!m) return;
    if (m->running) {
        atomic_store(&m->stop, 1);
        pthread_join(m->thread, NULL);
    }
    device_close(m);
    pt_spsc_free(&m->host_q);
    pt_spsc_free(&m->dev_q);
    pt_spsc_free(&m->out_q);
    pt_midi_map_free(m->global);
    pt_midi_map_free(m->setlist);
    pt_midi_map_free(m->merged);
    free(m->lv);
    free(m->device);
    pthread_mutex_destroy(&m->lock);
    pthread_mutex_destroy(&m->shown_lock);
    free(m);
}

/* --------------------------------------------------------------- learn */

typedef struct check_ctx {
    pt_map_kind kind;
    const char *target;
    pt_error *err;
} check_ctx;

static int check_target(pt_rig *rig, void *user)
{
    check_ctx *c = user;
    if (!rig) return pt_error_set(c->err, PT_ERR, NULL, 0, 0, "no rig is loaded");
    if (c->kind == PT_MAP_PARAM) {
        const char *dot = strchr(c->target, '.');
        char node[PT_ID_MAX];
        if (!dot || dot == c->target || (size_t)(dot - c->target) >= sizeof node)
            return pt_error_set(c->err, PT_ERR_INVALID, NULL, 0, 0, "learn: '%s' is not NODE.PARAM",
                                c->target);
        snprintf(node, sizeof node, "%.*s", (int)(dot - c->target), c->target);
        pt_rig_node *n = pt_rig_find_node(rig, node);
        if (!n) return pt_error_set(c->err, PT_ERR_INVALID, NULL, 0, 0, "no node '%s' in the rig", node);
        int pi = pt_param_index(n->type, dot + 1);
        if (pi < 0)
            return pt_error_set(c->err, PT_ERR_INVALID, NULL, 0, 0, "node '%s' (%s) has no parameter '%s'",
                                node, n->type->name, dot + 1);
        if (n->type->params[pi].flags & PT_PARAM_REBUILD)
            return pt_error_set(c->err, PT_ERR_INVALID, NULL, 0, 0,
                                "%s cannot be mapped: changing it rebuilds the node", c->target);
    } else if (c->kind == PT_MAP_BYPASS && !pt_rig_find_node(rig, c->target)) {
        return pt_error_set(c->err, PT_ERR_INVALID, NULL, 0, 0, "no node '%s' in the rig", c->target);
    } else if (c->kind == PT_MAP_SCENE && pt_rig_find_scene(rig, c->target) < 0) {
        return pt_error_set(c->err, PT_ERR_INVALID, NULL, 0, 0, "no scene '%s' in the rig", c->target);
    }
    return 0;
}

int pt_midi_learn_arm(pt_midi *m, const char *kind, const char *target, pt_error *err)
{
    static const char *const kinds[] = {"param", "scene", "bypass", "tap"};
    int k = -1;
    for (int i = 0; kind && i < 4; i++)
        if (!strcmp(kind, kinds[i])) k = i;
    if (k < 0)
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                            "learn: kind must be param, bypass, scene or tap, not '%s'",
                            kind ? kind : "");
    if (!target) target = "";
    if (strlen(target) >= sizeof m->learn_target)
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "learn: target too long");
    check_ctx c = {(pt_map_kind)k, target, err};
    if (pt_session_with_rig(m->s, check_target, &c) != 0) return PT_ERR_INVALID;
    pthread_mutex_lock(&m->lock);
    m->learn_armed = 1;
    m->learn_kind = (pt_map_kind)k;
    snprintf(m->learn_target, sizeof m->learn_target, "%s", target);
    m->learn_since = now_s();
    m->learnt[0] = 0;
    pthread_mutex_unlock(&m->lock);
    return 0;
}

void pt_midi_learn_cancel(pt_midi *m)
{
    pthread_mutex_lock(&m->lock);
    m->learn_armed = 0;
    pthread_mutex_unlock(&m->lock);
}

typedef struct unmap_ctx {
    int channel, cc, removed;
} unmap_ctx;

static int unmap_locked(pt_rig *rig, void *user)
{
    unmap_ctx *u = user;
    if (!rig || !rig->midi) return 0;
    u->removed = pt_midi_map_remove(rig->midi, u->channel, u->cc);
    return u->removed ? 1 : 0;
}

int pt_midi_unmap(pt_midi *m, int channel, int cc, pt_error *err)
{
    if (channel < 0 || channel > 16 || cc < 0 || cc > 127)
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "unmap: channel 0 .. 16, cc 0 .. 127");
    unmap_ctx u = {channel, cc, 0};
    pt_session_with_rig(m->s, unmap_locked, &u);
    /* the MIDI thread rebuilds its map; wait for it, so that once this
     * returns the CC no longer acts */
    atomic_store(&m->remap, 1);
    for (int waited = 0; m->running && atomic_load(&m->remap) && waited < 500; waited++) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    if (!u.removed)
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "the rig maps no CC %d on channel %d", cc,
                            channel);
    return 0;
}

/* --------------------------------------------------------------- state */

typedef struct list_ctx {
    pt_midi *m;
    cJSON *arr;
} list_ctx;

static void list_layer(cJSON *arr, const pt_midi_map *map, const char *source, pt_rig *rig)
{
    static const char *const kinds[] = {"param", "scene", "bypass", "tap"};
    static const char *const curves[] = {"linear", "log", "exp"};
    for (int i = 0; map && i < map->n; i++) {
        const pt_midi_mapping *it = &map->items[i];
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "source", source);
        cJSON_AddNumberToObject(o, "cc", it->cc);
        cJSON_AddNumberToObject(o, "channel", it->channel ? it->channel : map->channel > 0 ? map->channel : 0);
        cJSON_AddStringToObject(o, "kind", kinds[it->kind]);
        char target[2 * PT_ID_MAX + 64];
        if (it->kind == PT_MAP_PARAM) snprintf(target, sizeof target, "%s.%s", it->node, it->param);
        else snprintf(target, sizeof target, "%s", it->kind == PT_MAP_SCENE ? it->scene : it->node);
        cJSON_AddStringToObject(o, "target", target);
        if (it->kind == PT_MAP_PARAM) {
            /* what people read: the parameter's label, when this rig has it */
            pt_rig_node *n = rig ? pt_rig_find_node(rig, it->node) : NULL;
            int pi = n ? pt_param_index(n->type, it->param) : -1;
            if (pi >= 0 && n->type->params[pi].label)
                cJSON_AddStringToObject(o, "label", n->type->params[pi].label);
            if (it->has_min) cJSON_AddNumberToObject(o, "min", it->min);
            if (it->has_max) cJSON_AddNumberToObject(o, "max", it->max);
            cJSON_AddStringToObject(o, "curve", curves[it->curve]);
            cJSON_AddStringToObject(o, "takeover", it->soft ? "soft" : "jump");
            cJSON_AddNumberToObject(o, "heel", it->heel);
            cJSON_AddNumberToObject(o, "toe", it->toe);
            cJSON_AddNumberToObject(o, "smoothing_ms", it->smoothing_ms);
        }
        if (it->kind == PT_MAP_BYPASS) cJSON_AddStringToObject(o, "mode", it->momentary ? "momentary" : "latching");
        if (it->kind == PT_MAP_SCENE && it->value >= 0) cJSON_AddNumberToObject(o, "value", it->value);
        cJSON_AddBoolToObject(o, "feedback", it->feedback);
        cJSON_AddItemToArray(arr, o);
    }
}

static int list_locked(pt_rig *rig, void *user)
{
    list_ctx *c = user;
    list_layer(c->arr, rig ? rig->midi : NULL, "rig", rig);
    list_layer(c->arr, c->m->setlist, "setlist", rig);
    list_layer(c->arr, c->m->global, "global", rig);
    return 0;
}

cJSON *pt_midi_mappings_json(pt_midi *m)
{
    list_ctx c = {m, cJSON_CreateArray()};
    pt_session_with_rig(m->s, list_locked, &c);
    return c.arr;
}

cJSON *pt_midi_state(pt_midi *m)
{
    cJSON *j = cJSON_CreateObject();
    if (m->device) cJSON_AddStringToObject(j, "device", m->device); /* set at create */
    else cJSON_AddNullToObject(j, "device");
    pthread_mutex_lock(&m->shown_lock);
    cJSON_AddBoolToObject(j, "connected", m->shown.connected);
    cJSON_AddStringToObject(j, "port", m->shown.connected ? m->shown.port : "");
    cJSON_AddStringToObject(j, "device_error", m->shown.device_error);
    cJSON_AddStringToObject(j, "last", m->shown.last);
    cJSON_AddStringToObject(j, "tempo_source", m->shown.tempo_source);
    cJSON_AddNumberToObject(j, "tap_bpm", m->shown.tap_bpm);
    cJSON_AddNumberToObject(j, "clock_bpm", m->shown.clock_bpm);
    cJSON_AddNumberToObject(j, "bank", m->shown.bank);
    pthread_mutex_unlock(&m->shown_lock);
    cJSON_AddNumberToObject(j, "received", (double)atomic_load(&m->received));
    cJSON_AddNumberToObject(j, "dropped", (double)atomic_load(&m->dropped));
    cJSON_AddNumberToObject(j, "handled", (double)atomic_load(&m->handled));
    cJSON_AddNumberToObject(j, "truncated", (double)atomic_load(&m->truncated));
    cJSON_AddNumberToObject(j, "stray", (double)atomic_load(&m->stray));
    cJSON_AddNumberToObject(j, "sysex", (double)atomic_load(&m->sysex));
    pthread_mutex_lock(&m->lock);
    cJSON *l = cJSON_AddObjectToObject(j, "learn");
    cJSON_AddBoolToObject(l, "armed", m->learn_armed);
    cJSON_AddStringToObject(l, "target", m->learn_armed ? m->learn_target : "");
    cJSON_AddStringToObject(l, "learnt", m->learnt);
    pthread_mutex_unlock(&m->lock);
    return j;
}
