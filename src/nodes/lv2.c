/* lv2.c — any installed LV2 plugin as a node (`type: lv2`, `uri: ...`).
 *
 * The rig loader specializes the type from the plugin's ports (lv2_host.c):
 * control inputs become the parameter table, control outputs readouts, the
 * latency port the node's declared latency (the graph compensates it). The
 * plugin is instantiated and activated in prepare, off the audio thread,
 * with the URID map, options (sample rate, block lengths), bounded block
 * length, log and, when it asks for it, the worker: its work runs on a
 * thread of the node's own and the responses come back to the audio thread
 * through lock-free rings.
 *
 * Channels: the first two audio inputs and outputs carry the graph's
 * channels; further ones (side chains) get silence or a scratch buffer. A
 * mono plugin in a stereo chain runs as two instances (dual mono) with the
 * same controls. A mono input feeds both inputs of a stereo plugin.
 *
 * process (RT) copies each parameter to its port once per block (LV2 control
 * ports are block rate; the plugin smooths what it wants to), connects the
 * graph's buffers, delivers worker responses and calls run(): no allocation,
 * no lock, no I/O of its own. What the plugin does inside run() is its own. */
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>

#include "../core/node.h"
#include "../core/spsc.h"
#include "lv2_host.h"

#ifdef PT_HAVE_LILV
#include <lilv/lilv.h>
#include <lv2/atom/atom.h>
#include <lv2/buf-size/buf-size.h>
#include <lv2/core/lv2.h>
#include <lv2/options/options.h>
#include <lv2/parameters/parameters.h>
#include <lv2/state/state.h>
#include <lv2/worker/worker.h>

#include "../io/dynlib.h"

#define ATOM_CAPACITY 8192 /* bytes of each atom output port's buffer */
#define WORK_MSG 1024      /* largest worker message, header included */

typedef struct work_msg {
    uint32_t size;
    unsigned char data[WORK_MSG - sizeof(uint32_t)];
} work_msg;

typedef struct lv2_instance {
    LilvInstance *inst;
    const LV2_Worker_Interface *worker;
    pt_spsc to_worker, to_audio; /* work requests, responses */
    const void *audio[4];        /* what the audio ports point at: ins, then outs */
    struct lv2_state *s;
} lv2_instance;

typedef struct lv2_state {
    const pt_lv2_desc *d;
    lv2_instance in[2];
    int n_inst;
    float *controls;         /* one value per port (control ports only used) */
    float *zeros, *scratch;  /* max_frames each */
    LV2_Atom_Sequence **atoms; /* per port, atom ports only */
    /* features */
    LV2_Options_Option options[5];
    int32_t block_min, block_max;
    float rate_f;
    LV2_Worker_Schedule schedule[2];
    LV2_Feature f_options, f_schedule[2];
    const LV2_Feature *features[2][12];
    /* the worker thread */
    pthread_t thread;
    sem_t wake;      /* made in create when the plugin has a worker, kept to destroy */
    atomic_int running;
    int thread_started;
    int active; /* the instances were activated (deactivate only then) */
    uint32_t urid_chunk, urid_sequence;
    char *saved_state; /* the rig's `state:` for this node, restored in prepare */
    pt_run_time run_time;
    bool controls_dirty; /* a parameter changed since the ports were last written */
} lv2_state;

/* RT: queue work for the worker thread (the plugin calls this in run()). */
static LV2_Worker_Status schedule_work(LV2_Worker_Schedule_Handle h, uint32_t size, const void *data)
{
    lv2_instance *li = h;
    if (size > sizeof ((work_msg *)0)->data) return LV2_WORKER_ERR_NO_SPACE;
    work_msg m;
    m.size = size;
    memcpy(m.data, data, size);
    if (!pt_spsc_push(&li->to_worker, &m)) return LV2_WORKER_ERR_NO_SPACE;
    sem_post(&li->s->wake);
    return LV2_WORKER_SUCCESS;
}

/* Worker thread: the plugin's answer to its work, back to the audio thread. */
static LV2_Worker_Status respond(LV2_Worker_Respond_Handle h, uint32_t size, const void *data)
{
    lv2_instance *li = h;
    if (size > sizeof ((work_msg *)0)->data) return LV2_WORKER_ERR_NO_SPACE;
    work_msg m;
    m.size = size;
    memcpy(m.data, data, size);
    return pt_spsc_push(&li->to_audio, &m) ? LV2_WORKER_SUCCESS : LV2_WORKER_ERR_NO_SPACE;
}

static void *worker_main(void *arg)
{
    lv2_state *s = arg;
    work_msg *buf = malloc(sizeof *buf);
    while (atomic_load(&s->running)) {
        sem_wait(&s->wake);
        for (int k = 0; k < s->n_inst && buf; k++) {
            lv2_instance *li = &s->in[k];
            while (li->worker && pt_spsc_pop(&li->to_worker, buf))
                li->worker->work(lilv_instance_get_handle(li->inst), respond, li, buf->size, buf->data);
        }
    }
    free(buf);
    return NULL;
}

static void free_instances(lv2_state *s)
{
    if (s->thread_started) {
        atomic_store(&s->running, 0);
        sem_post(&s->wake);
        pthread_join(s->thread, NULL);
        s->thread_started = 0;
    }
    pt_lv2_lock();
    for (int k = 0; k < s->n_inst; k++) {
        lv2_instance *li = &s->in[k];
        if (li->inst) {
            if (s->active) lilv_instance_deactivate(li->inst);
            lilv_instance_free(li->inst);
        }
        pt_spsc_free(&li->to_worker);
        pt_spsc_free(&li->to_audio);
        memset(li, 0, sizeof *li);
    }
    pt_lv2_unlock();
    s->n_inst = 0;
    s->active = 0;
    if (s->atoms)
        for (int i = 0; i < s->d->n_ports; i++) free(s->atoms[i]);
    free(s->atoms), free(s->zeros), free(s->scratch);
    s->atoms = NULL, s->zeros = s->scratch = NULL;
}

static int lv2_create(pt_node *n, const pt_node_config *cfg, pt_error *err)
{
    (void)cfg;
    if (!n->type->impl) /* the generic type: the rig loader specializes it */
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "an lv2 node needs a 'uri'");
    lv2_state *s = calloc(1, sizeof *s);
    if (!s) return pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
    s->d = n->type->impl;
    s->controls = calloc((size_t)s->d->n_ports + 1, sizeof *s->controls);
    s->saved_state = cfg && cfg->state ? strdup(cfg->state) : NULL;
    if (!s->controls || (cfg && cfg->state && !s->saved_state)) {
        free(s->controls), free(s);
        return pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
    }
    if (s->d->has_worker) sem_init(&s->wake, 0, 0); /* before any instance can schedule work */
    n->state = s;
    return 0;
}

static void lv2_destroy(pt_node *n)
{
    lv2_state *s = n->state;
    if (!s) return;
    free_instances(s);
    if (s->d->has_worker) sem_destroy(&s->wake);
    free(s->saved_state);
    free(s->controls);
    free(s);
}

/* Control thread, while the node plays (the state extension allows save()
 * beside run()): the plugin's state as text for the rig, or NULL. */
static char *lv2_save_state(pt_node *n)
{
    lv2_state *s = n->state;
    if (!s || !s->n_inst || !s->in[0].inst) return NULL;
    const void *iface = lilv_instance_get_extension_data(s->in[0].inst, LV2_STATE__interface);
    if (!iface) return NULL;
    return pt_lv2_state_save(iface, lilv_instance_get_handle(s->in[0].inst),
                             (const void *const *)s->features[0]);
}

/* RT: the port value of parameter i's current value */
static float port_value(const pt_lv2_port *p, float v)
{
    if (p->choice_value) return p->choice_value[(int)v];
    return v;
}

/* RT: each parameter to its port, once per block */
static void set_controls(pt_node *n, lv2_state *s, int frames)
{
    const pt_lv2_desc *d = s->d;
    for (int k = 0; k < d->n_ctrl_in; k++) {
        int i = d->ctrl_in[k];
        const pt_lv2_port *p = &d->ports[i];
        if (p->param < 0) {
            s->controls[i] = p->fixed;
            continue;
        }
        pt_smoothed *sm = &n->param[p->param];
        s->controls[i] = port_value(p, sm->remaining > 0 ? pt_param_block(sm, frames) : sm->current);
    }
}

/* Connect every port to our own buffers: controls, atoms, silence and
 * scratch for the audio ports until process gives them the graph's. */
static void connect_fixed(lv2_state *s, lv2_instance *li)
{
    memset(li->audio, 0, sizeof li->audio); /* process connects the graph's buffers */
    for (int i = 0; i < s->d->n_ports; i++) {
        switch (s->d->ports[i].kind) {
        case PT_LV2_CONTROL_IN:
        case PT_LV2_CONTROL_OUT: lilv_instance_connect_port(li->inst, (uint32_t)i, &s->controls[i]); break;
        case PT_LV2_ATOM_IN:
        case PT_LV2_ATOM_OUT: lilv_instance_connect_port(li->inst, (uint32_t)i, s->atoms[i]); break;
        case PT_LV2_AUDIO_IN:
        case PT_LV2_CV_IN: lilv_instance_connect_port(li->inst, (uint32_t)i, s->zeros); break;
        case PT_LV2_AUDIO_OUT:
        case PT_LV2_CV_OUT: lilv_instance_connect_port(li->inst, (uint32_t)i, s->scratch); break;
        default: lilv_instance_connect_port(li->inst, (uint32_t)i, NULL); break;
        }
    }
}

/* RT: an empty input sequence, and room for the plugin's output ones */
static void reset_atoms(lv2_state *s)
{
    for (int k = 0; k < s->d->n_atom_port; k++) {
        int i = s->d->atom_port[k];
        LV2_Atom_Sequence *a = s->atoms[i];
        if (s->d->ports[i].kind == PT_LV2_ATOM_IN) {
            a->atom.size = sizeof(LV2_Atom_Sequence_Body);
            a->atom.type = s->urid_sequence;
            a->body.unit = a->body.pad = 0;
        } else {
            a->atom.size = ATOM_CAPACITY - sizeof(LV2_Atom);
            a->atom.type = s->urid_chunk;
        }
    }
}

static int lv2_prepare(pt_node *n, double rate, int max_frames, pt_error *err)
{
    lv2_state *s = n->state;
    const pt_lv2_desc *d = s->d;
    free_instances(s);
    s->zeros = calloc((size_t)max_frames, sizeof(float));
    s->scratch = calloc((size_t)max_frames, sizeof(float));
    s->atoms = calloc((size_t)d->n_ports, sizeof *s->atoms);
    if (!s->zeros || !s->scratch || !s->atoms) goto nomem;
    for (int i = 0; i < d->n_ports; i++)
        if (d->ports[i].kind == PT_LV2_ATOM_IN || d->ports[i].kind == PT_LV2_ATOM_OUT)
            if (!(s->atoms[i] = calloc(1, ATOM_CAPACITY))) goto nomem;
    s->urid_chunk = pt_lv2_urid(LV2_ATOM__Chunk);
    s->urid_sequence = pt_lv2_urid(LV2_ATOM__Sequence);

    /* options: what the plugin may ask about the host */
    s->rate_f = (float)rate;
    s->block_min = 1; /* the graph may run any block up to max_frames */
    s->block_max = max_frames;
    uint32_t t_int = pt_lv2_urid(LV2_ATOM__Int), t_float = pt_lv2_urid(LV2_ATOM__Float);
    LV2_Options_Option o[5] = {
        {LV2_OPTIONS_INSTANCE, 0, pt_lv2_urid(LV2_PARAMETERS__sampleRate), sizeof(float), t_float, &s->rate_f},
        {LV2_OPTIONS_INSTANCE, 0, pt_lv2_urid(LV2_BUF_SIZE__minBlockLength), sizeof(int32_t), t_int, &s->block_min},
        {LV2_OPTIONS_INSTANCE, 0, pt_lv2_urid(LV2_BUF_SIZE__maxBlockLength), sizeof(int32_t), t_int, &s->block_max},
        {LV2_OPTIONS_INSTANCE, 0, pt_lv2_urid(LV2_BUF_SIZE__nominalBlockLength), sizeof(int32_t), t_int, &s->block_max},
        {LV2_OPTIONS_INSTANCE, 0, 0, 0, 0, NULL},
    };
    memcpy(s->options, o, sizeof o);
    s->f_options = (LV2_Feature){LV2_OPTIONS__options, s->options};

    bool dual = d->n_audio_in == 1 && d->n_audio_out == 1 && n->in_channels == 2;
    s->n_inst = dual ? 2 : 1;
    for (int k = 0; k < s->n_inst; k++) {
        lv2_instance *li = &s->in[k];
        li->s = s;
        const LV2_Feature **f = s->features[k];
        int nf = pt_lv2_common_features((const void **)f, 8);
        f[nf++] = &s->f_options;
        if (d->has_worker) {
            if (pt_spsc_init(&li->to_worker, 16, sizeof(work_msg)) != 0 ||
                pt_spsc_init(&li->to_audio, 16, sizeof(work_msg)) != 0)
                goto nomem;
            s->schedule[k] = (LV2_Worker_Schedule){li, schedule_work};
            s->f_schedule[k] = (LV2_Feature){LV2_WORKER__schedule, &s->schedule[k]};
            f[nf++] = &s->f_schedule[k];
        }
        f[nf] = NULL;
        pt_lv2_lock();
        li->inst = lilv_plugin_instantiate(d->plugin, rate, f);
        pt_lv2_unlock();
        if (!li->inst) {
            free_instances(s);
            return pt_error_set(err, PT_ERR, NULL, 0, 0,
                                "node '%s': LV2 plugin '%s' failed to instantiate at %g Hz", n->id,
                                d->uri, rate);
        }
        if (d->has_worker)
            li->worker = lilv_instance_get_extension_data(li->inst, LV2_WORKER__interface);
        connect_fixed(s, li);
    }
    set_controls(n, s, 0);
    n->out_channels = dual ? 2 : d->n_audio_out;
    n->latency_samples = 0;
    if (d->latency_port >= 0) {
        /* the latency port is valid after a run: ask a throwaway instance
         * (blocks of silence), so the one that plays starts untouched */
        pt_lv2_lock();
        LilvInstance *probe = lilv_plugin_instantiate(d->plugin, rate, s->features[0]);
        pt_lv2_unlock();
        if (probe) {
            lv2_instance save = s->in[0];
            s->in[0].inst = probe;
            connect_fixed(s, &s->in[0]);
            lilv_instance_activate(probe);
            /* some plugins publish what the previous block's settings
             * were: run until two blocks agree (at most 8) */
            float lat = -1.0f, prev;
            int runs = 0;
            do {
                prev = lat;
                reset_atoms(s);
                lilv_instance_run(probe, (uint32_t)max_frames);
                lat = s->controls[d->latency_port];
            } while (++runs < 8 && (runs < 2 || lat != prev));
            n->latency_samples = lat > 0 && lat < 10.0f * (float)rate ? (int)(lat + 0.5f) : 0;
            lilv_instance_deactivate(probe);
            pt_lv2_lock();
            lilv_instance_free(probe);
            pt_lv2_unlock();
            s->in[0] = save;
            connect_fixed(s, &s->in[0]);
            work_msg m; /* work the probe asked for is not the player's */
            while (s->in[0].worker && pt_spsc_pop(&s->in[0].to_worker, &m)) {}
        }
    }
    /* the rig's saved state, into each instance before it plays */
    for (int k = 0; k < s->n_inst && s->saved_state; k++) {
        char why[256];
        const void *iface = lilv_instance_get_extension_data(s->in[k].inst, LV2_STATE__interface);
        if (pt_lv2_state_restore(iface, lilv_instance_get_handle(s->in[k].inst), s->saved_state,
                                 (const void *const *)s->features[k], why, sizeof why) != 0) {
            free_instances(s);
            return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "node '%s': LV2 plugin '%s': %s",
                                n->id, d->uri, why);
        }
    }
    for (int k = 0; k < s->n_inst; k++) lilv_instance_activate(s->in[k].inst);
    s->active = 1;
    if (d->has_worker) {
        atomic_store(&s->running, 1);
        if (pthread_create(&s->thread, NULL, worker_main, s) != 0) {
            free_instances(s);
            return pt_error_set(err, PT_ERR, NULL, 0, 0, "node '%s': no worker thread", n->id);
        }
        s->thread_started = 1;
    }

    return 0;
nomem:
    free_instances(s);
    return pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
}

/* RT: point an audio port at the graph's buffer (a call into the plugin
 * only when the buffer moved: the graph's buffers rarely do) */
static inline void connect_audio(lv2_instance *li, int port, int slot, const float *buf)
{
    if (li->audio[slot] == buf) return;
    li->audio[slot] = buf;
    lilv_instance_connect_port(li->inst, (uint32_t)port, (void *)buf);
}

/* RT: a parameter's target changed. LV2 parameters have no ramp (the
 * plugin smooths), so the ports need writing only after a change. */
static void lv2_set_param(pt_node *n, int index, float value)
{
    (void)index, (void)value;
    lv2_state *s = n->state;
    if (s) s->controls_dirty = true;
}

/* RT: controls in, audio through the plugin, readouts out */
static void lv2_process(pt_node *n, const float *const *in, float *const *out, int frames)
{
    lv2_state *s = n->state;
    const pt_lv2_desc *d = s->d;
    if (s->controls_dirty) {
        s->controls_dirty = false;
        set_controls(n, s, frames);
    }
    reset_atoms(s);
    unsigned long long t0 = pt_run_time_begin(&s->run_time);
    for (int k = 0; k < s->n_inst; k++) {
        lv2_instance *li = &s->in[k];
        LilvInstance *inst = li->inst;
        if (s->n_inst == 2) { /* dual mono: instance k takes channel k */
            connect_audio(li, d->audio_in[0], 0, in[k]);
            connect_audio(li, d->audio_out[0], 2, out[k]);
        } else {
            for (int c = 0; c < d->n_audio_in; c++)
                connect_audio(li, d->audio_in[c], c, in[c < n->in_channels ? c : 0]);
            for (int c = 0; c < d->n_audio_out; c++) connect_audio(li, d->audio_out[c], 2 + c, out[c]);
        }
        work_msg m;
        if (li->worker)
            while (pt_spsc_pop(&li->to_audio, &m))
                li->worker->work_response(lilv_instance_get_handle(inst), m.size, m.data);
        lilv_instance_run(inst, (uint32_t)frames);
        if (li->worker && li->worker->end_run) li->worker->end_run(lilv_instance_get_handle(inst));
    }
    pt_run_time_end(n, &s->run_time, t0, frames);
    for (int k = 0; k < d->n_readout_port; k++) {
        int i = d->readout_port[k];
        pt_node_publish(n, d->ports[i].readout, s->controls[i]);
    }
}

#else /* built without lilv: the type exists, and says why it cannot load */

static int lv2_create(pt_node *n, const pt_node_config *cfg, pt_error *err)
{
    (void)n, (void)cfg;
    return pt_error_set(err, PT_ERR_UNSUPPORTED, NULL, 0, 0,
                        "this pytone was built without LV2 hosting (apt install liblilv-dev)");
}
static int lv2_prepare(pt_node *n, double rate, int max_frames, pt_error *err)
{
    (void)n, (void)rate, (void)max_frames, (void)err;
    return PT_ERR;
}
static void lv2_process(pt_node *n, const float *const *in, float *const *out, int frames)
{
    (void)n, (void)in, (void)out, (void)frames;
}
static void lv2_destroy(pt_node *n) { (void)n; }

#endif

const pt_node_type pt_node_lv2 = {
    .name = "lv2",
    .summary = "An installed LV2 plugin (uri: ...; 'pytone plugins' lists them)",
    .create = lv2_create,
    .prepare = lv2_prepare,
    .process = lv2_process,
#ifdef PT_HAVE_LILV
    .set_param = lv2_set_param,
#endif
    .destroy = lv2_destroy,
    .key_name = "uri",
    .specialize = pt_lv2_specialize,
#ifdef PT_HAVE_LILV
    .save_state = lv2_save_state,
#endif
};
