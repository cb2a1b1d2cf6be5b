/* engine.c — see engine.h. */
#include "engine.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "limiter.h"
#include "perfcount.h"
#include "../platform/platform.h"
#include "prefault.h"
#include "rt.h"
#include "spsc.h"

enum { CMD_SWAP, CMD_PARAM, CMD_BYPASS, CMD_BRANCH };

typedef struct cmd {
    int kind;
    int a, b;
    int frame; /* CMD_PARAM: where in the block it applies (0: the start) */
    float x, y;
    uint64_t gen;
    pt_program *prog;
} cmd;

typedef struct meter {
    atomic_uint peak_bits, rms_bits; /* float bits: single writer */
    float peak, ms;                  /* audio thread's running values */
    int decay_frames;                /* the block size `decay` is for (0: none yet) */
    float decay;
} meter;

struct pt_engine {
    pt_engine_config cfg;
    pt_spsc cmds;    /* control -> audio */
    pt_spsc retired; /* audio -> control: pt_program* no longer used */
    /* audio thread's state */
    pt_program *cur, *old;
    pt_program *retire_wait; /* could not be queued yet (queue full) */
    int fade_pos, fade_len;
    float *mix[2];           /* the outgoing program's output during a fade */
    float *silence;
    meter in, out;
    atomic_uint in_max_bits; /* input's highest sample since last taken (float bits) */
    pt_limiter limiter; /* the safety limiter at the output (limiter.h) */
    pt_load_stats load;
    atomic_ullong out_faults;
    atomic_uint sent, taken; /* commands pushed / applied, for pt_engine_sync */
    /* control thread's state */
    pt_program *ctl;
    pt_program *ctl_first; /* programs sent, not yet known to be retired */
    /* diagnostics: NULL unless a tool asked (pt_engine_set_trace) */
    pt_engine_trace *trace;
    pt_engine_trace tr; /* the block being measured (audio thread) */
    /* overrun attribution: audio -> monitor */
    pt_spsc overruns; /* pt_overrun_record */
    atomic_int audio_tid;
    _Atomic(pt_perf_counter *) counter;
    atomic_ullong normal_instructions, normal_ns;
    /* audio thread's view of the counter: one read at the top of each block,
     * so a block's count is known at the top of the next one */
    pt_perf_counter *counting;
    uint64_t last_count, last_ns; /* last_ns: 0 after an overrun */
    /* the thread's CPU clock, sampled (see thread_cpu_at_start): its value
     * at the start of the last block that read it, the wall time of the
     * whole blocks since then, blocks until the next read, and how many
     * blocks after an overrun read it every time */
    uint64_t cpu_mark, wall_since_mark;
    int cpu_countdown, cpu_exact;
    bool have_count, pending;
    pt_overrun_record pending_rec;
    _Atomic(pt_engine_tap *) tap; /* a capture's take in progress, NULL: none */
    atomic_ullong blocks;
};

/* Write one byte in every page of [p, p + bytes). calloc hands out fresh
 * pages without writing them (they read as zeros), so without this the
 * audio thread would take the page faults: at its first crossfade (mix),
 * its first retired program (the queue), the first block whose load lands
 * in a new stretch of the histogram. volatile: a memset after calloc may be
 * dropped by the compiler. */
static void touch_pages(void *p, size_t bytes)
{
    volatile char *c = p;
    for (size_t i = 0; i < bytes; i += 4096) c[i] = 0;
    if (bytes) c[bytes - 1] = 0;
}

pt_engine *pt_engine_create(const pt_engine_config *cfg, pt_error *err)
{
    pt_engine *e = calloc(1, sizeof *e);
    if (!e) {
        pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
        return NULL;
    }
    e->cfg = *cfg;
    if (e->cfg.crossfade_ms <= 0) e->cfg.crossfade_ms = 20.0f;
    if (e->cfg.max_frames <= 0) e->cfg.max_frames = 1024;
    e->fade_len = (int)lrint(e->cfg.crossfade_ms * 0.001 * cfg->rate);
    if (e->fade_len < 1) e->fade_len = 1;
    size_t n = (size_t)e->cfg.max_frames;
    e->mix[0] = calloc(n, sizeof(float));
    e->mix[1] = calloc(n, sizeof(float));
    e->silence = calloc(n, sizeof(float));
    if (!e->mix[0] || !e->mix[1] || !e->silence || pt_spsc_init(&e->cmds, 4096, sizeof(cmd)) ||
        pt_spsc_init(&e->retired, 64, sizeof(pt_program *)) ||
        pt_spsc_init(&e->overruns, 256, sizeof(pt_overrun_record))) {
        pt_engine_destroy(e);
        pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
        return NULL;
    }
    pt_load_stats_init(&e->load);
    pt_limiter_init(&e->limiter, cfg->rate, cfg->limiter);
    touch_pages(e, sizeof *e);
    touch_pages(e->mix[0], n * sizeof(float));
    touch_pages(e->mix[1], n * sizeof(float));
    touch_pages(e->silence, n * sizeof(float));
    touch_pages(e->cmds.buf, (e->cmds.mask + 1) * e->cmds.elem_size);
    touch_pages(e->retired.buf, (e->retired.mask + 1) * e->retired.elem_size);
    touch_pages(e->overruns.buf, (e->overruns.mask + 1) * e->overruns.elem_size);
    pt_prefault_code(); /* libm's rare paths, here rather than mid-block */
    (void)pt_gettid(); /* the syscall() wrapper's page, here rather than in the first block */
    return e;
}

void pt_engine_destroy(pt_engine *e)
{
    if (!e) return;
    /* Whatever the audio thread still held, and whatever is still queued. */
    pt_program *seen[4] = {e->cur, e->old, e->retire_wait, NULL};
    if (e->cmds.buf) {
        cmd c;
        while (pt_spsc_pop(&e->cmds, &c))
            if (c.kind == CMD_SWAP) pt_program_free(c.prog);
    }
    if (e->retired.buf) {
        pt_program *p;
        while (pt_spsc_pop(&e->retired, &p)) pt_program_free(p);
    }
    for (int i = 0; i < 3; i++) pt_program_free(seen[i]);
    pt_spsc_free(&e->cmds);
    pt_spsc_free(&e->retired);
    pt_spsc_free(&e->overruns);
    free(e->mix[0]);
    free(e->mix[1]);
    free(e->silence);
    free(e);
}

static int push(pt_engine *e, const cmd *c, pt_error *err)
{
    /* The queue holds 4096 commands; the audio thread drains it every block,
     * so a full queue means the audio thread is not running. Wait a little,
     * then give up rather than block the caller forever. */
    for (int tries = 0; !pt_spsc_push(&e->cmds, c); tries++) {
        if (tries >= 200)
            return pt_error_set(err, PT_ERR, NULL, 0, 0,
                                "the audio engine is not taking commands (queue full)");
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    atomic_fetch_add_explicit(&e->sent, 1, memory_order_relaxed);
    return 0;
}

int pt_engine_swap(pt_engine *e, pt_program *prog, pt_error *err)
{
    pt_engine_collect(e);
    cmd c = {.kind = CMD_SWAP, .prog = prog};
    if (push(e, &c, err) != 0) {
        pt_program_free(prog);
        return PT_ERR;
    }
    e->ctl = prog;
    return 0;
}

pt_program *pt_engine_program(pt_engine *e) { return e->ctl; }

static int set_param_index_at(pt_engine *e, int node, int param, float value, int frame);

int pt_engine_set_param_index(pt_engine *e, int node, int param, float value)
{
    return set_param_index_at(e, node, param, value, 0);
}

static int set_param_index_at(pt_engine *e, int node, int param, float value, int frame)
{
    if (!e->ctl) return PT_ERR;
    pt_node *n = pt_program_node(e->ctl, node);
    if (!n || param < 0 || param >= n->type->n_params) return PT_ERR;
    value = pt_param_sanitize(&n->type->params[param], value);
    n->control_value[param] = value;
    cmd c = {.kind = CMD_PARAM, .a = node, .b = param, .x = value, .frame = frame > 0 ? frame : 0,
             .gen = pt_program_generation(e->ctl)};
    return push(e, &c, NULL);
}

int pt_engine_set_param(pt_engine *e, const char *node_id, const char *param, float value,
                        pt_error *err)
{
    return pt_engine_set_param_at(e, node_id, param, value, 0, err);
}

int pt_engine_set_param_at(pt_engine *e, const char *node_id, const char *param, float value,
                           int frame, pt_error *err)
{
    if (!e->ctl) return pt_error_set(err, PT_ERR, NULL, 0, 0, "no rig is loaded");
    int ni = pt_program_find_node(e->ctl, node_id);
    if (ni < 0) return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "no node '%s'", node_id);
    pt_node *n = pt_program_node(e->ctl, ni);
    int pi = pt_param_index(n->type, param);
    if (pi < 0)
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "node '%s' (%s) has no parameter '%s'",
                            node_id, n->type->name, param);
    if (!isfinite(value))
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "value for %s.%s is not a number",
                            node_id, param);
    if (set_param_index_at(e, ni, pi, value, frame) != 0)
        return pt_error_set(err, PT_ERR, NULL, 0, 0, "the audio engine is not taking commands");
    return 0;
}

int pt_engine_set_bypass(pt_engine *e, const char *node_id, bool bypass, pt_error *err)
{
    if (!e->ctl) return pt_error_set(err, PT_ERR, NULL, 0, 0, "no rig is loaded");
    int ni = pt_program_find_node(e->ctl, node_id);
    if (ni < 0) return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "no node '%s'", node_id);
    pt_node *n = pt_program_node(e->ctl, ni);
    /* the control side's record of bypass lives with the node's values */
    (void)n;
    cmd c = {.kind = CMD_BYPASS, .a = ni, .b = bypass, .gen = pt_program_generation(e->ctl)};
    return push(e, &c, err);
}

int pt_engine_set_branch(pt_engine *e, const char *mix_id, int branch, float level_db, float pan,
                         pt_error *err)
{
    if (!e->ctl) return pt_error_set(err, PT_ERR, NULL, 0, 0, "no rig is loaded");
    int mi = pt_program_find_mix(e->ctl, mix_id);
    if (mi < 0) return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "no split '%s'", mix_id);
    if (!isfinite(level_db) || !isfinite(pan))
        return pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0, "level or pan is not a number");
    cmd c = {.kind = CMD_BRANCH, .a = mi, .b = branch, .x = level_db, .y = pan,
             .gen = pt_program_generation(e->ctl)};
    return push(e, &c, err);
}

int pt_engine_collect(pt_engine *e)
{
    pt_program *p;
    int n = 0;
    while (pt_spsc_pop(&e->retired, &p)) pt_program_free(p), n++;
    return n;
}

int pt_engine_sync(pt_engine *e, int timeout_ms)
{
    unsigned sent = atomic_load(&e->sent);
    for (int waited = 0; (int)(sent - atomic_load(&e->taken)) > 0; waited++) {
        if (waited >= timeout_ms) return PT_ERR;
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    pt_engine_collect(e);
    return 0;
}

int pt_engine_latency(pt_engine *e) { return e->ctl ? pt_program_latency(e->ctl) : 0; }
double pt_engine_rate(const pt_engine *e) { return e->cfg.rate; }
int pt_engine_max_frames(const pt_engine *e) { return e->cfg.max_frames; }

static float bits_float(unsigned u)
{
    union { unsigned u; float f; } b = {u};
    return b.f;
}

static unsigned float_bits(float f)
{
    union { float f; unsigned u; } b = {f};
    return b.u;
}

void pt_engine_meters(pt_engine *e, pt_meter_reading *m)
{
    m->in_peak = bits_float(atomic_load_explicit(&e->in.peak_bits, memory_order_relaxed));
    m->in_rms = bits_float(atomic_load_explicit(&e->in.rms_bits, memory_order_relaxed));
    m->out_peak = bits_float(atomic_load_explicit(&e->out.peak_bits, memory_order_relaxed));
    m->out_rms = bits_float(atomic_load_explicit(&e->out.rms_bits, memory_order_relaxed));
}

void pt_engine_load(pt_engine *e, pt_load_summary *s) { pt_load_stats_summary(&e->load, s); }

uint64_t pt_engine_output_faults(pt_engine *e) { return atomic_load(&e->out_faults); }

void pt_engine_set_tap(pt_engine *e, pt_engine_tap *t) { atomic_store_explicit(&e->tap, t, memory_order_release); }

uint64_t pt_engine_blocks(pt_engine *e) { return atomic_load_explicit(&e->blocks, memory_order_acquire); }

void pt_engine_tap_run(pt_engine_tap *t, const float *in, float *out_l, float *out_r, int frames)
{
    long p = atomic_load_explicit(&t->pos, memory_order_relaxed);
    for (int i = 0; i < frames; i++) {
        float v = 0.0f;
        if (p < t->n) {
            v = t->gain * t->play[p];
            t->rec[p++] = in ? in[i] : 0.0f;
        }
        out_l[i] = v;
        if (out_r) out_r[i] = v;
    }
    atomic_store_explicit(&t->pos, p, memory_order_release);
}

void pt_engine_set_limiter(pt_engine *e, bool on) { pt_limiter_set(&e->limiter, on); }

void pt_engine_limiter(pt_engine *e, pt_limiter_reading *r)
{
    r->on = pt_limiter_is_on(&e->limiter);
    r->reduction_db = pt_limiter_reduction_db(&e->limiter);
    r->limited_frames = pt_limiter_limited(&e->limiter);
}

bool pt_engine_take_overrun(pt_engine *e, pt_overrun_record *r) { return pt_spsc_pop(&e->overruns, r); }
int pt_engine_audio_tid(pt_engine *e) { return atomic_load(&e->audio_tid); }
pt_load_stats *pt_engine_load_stats(pt_engine *e) { return &e->load; }

void pt_engine_set_counter(pt_engine *e, pt_perf_counter *c)
{
    atomic_store_explicit(&e->counter, c, memory_order_release);
}

void pt_engine_normal_work(pt_engine *e, uint64_t *instructions, uint64_t *ns)
{
    *instructions = atomic_load_explicit(&e->normal_instructions, memory_order_relaxed);
    *ns = atomic_load_explicit(&e->normal_ns, memory_order_relaxed);
}

/* ------------------------------------------------------------ audio side */

/* Four-lane vectors for the block reductions below (GCC/clang vector
 * extensions: SSE on x86-64, NEON on ARM, plain code elsewhere). The
 * compiler does not vectorise a float max or sum reduction by itself: it
 * would change the order of the operations. */
typedef float v4f __attribute__((vector_size(16)));
typedef int32_t v4i __attribute__((vector_size(16)));
static inline v4f v4_load(const float *p)
{
    v4f v;
    memcpy(&v, p, sizeof v);
    return v;
}
/* a > b ? a : b per lane (a NaN in a is ignored, as in the scalar form) */
static inline v4f v4_max(v4f a, v4f b)
{
    v4i m = a > b;
    return (v4f)((m & (v4i)a) | (~m & (v4i)b));
}
static inline v4f v4_abs(v4f a) { return (v4f)((v4i)a & 0x7fffffff); }

/* RT: meters with a 300 ms peak fall-off and a 300 ms RMS window. Returns
 * the block's peak. */
static float meter_update(meter *m, const float *x, int frames, double rate)
{
    /* eight lanes of partial peaks and sums, which the compiler keeps in
     * one vector register (a single running sum would be a chain of
     * dependent adds) */
    v4f p0 = {0}, p1 = {0}, s0 = {0}, s1 = {0};
    int i = 0;
    for (; i + 8 <= frames; i += 8) {
        v4f a = v4_load(x + i), b = v4_load(x + i + 4);
        p0 = v4_max(v4_abs(a), p0);
        p1 = v4_max(v4_abs(b), p1);
        s0 += a * a;
        s1 += b * b;
    }
    float pk[8], sq[8];
    memcpy(pk, &p0, sizeof p0), memcpy(pk + 4, &p1, sizeof p1);
    memcpy(sq, &s0, sizeof s0), memcpy(sq + 4, &s1, sizeof s1);
    for (; i < frames; i++) {
        float a = fabsf(x[i]);
        pk[0] = a > pk[0] ? a : pk[0];
        sq[0] += x[i] * x[i];
    }
    float peak = 0.0f, sum = 0.0f;
    for (int k = 0; k < 8; k++) {
        peak = pk[k] > peak ? pk[k] : peak;
        sum += sq[k];
    }
    if (m->decay_frames != frames) { /* the block size changes rarely */
        m->decay = expf(-(float)frames / (float)(0.3 * rate));
        m->decay_frames = frames;
    }
    float decay = m->decay;
    if (!isfinite(peak)) peak = 0.0f, sum = 0.0f;
    m->peak = peak > m->peak * decay ? peak : m->peak * decay;
    m->ms = m->ms * decay + (1.0f - decay) * (sum / (float)frames);
    atomic_store_explicit(&m->peak_bits, float_bits(m->peak), memory_order_relaxed);
    atomic_store_explicit(&m->rms_bits, float_bits(sqrtf(m->ms)), memory_order_relaxed);
    return peak;
}

/* RT: raise the held input maximum to `peak`. Lock-free: the control thread
 * only ever swaps it back to 0, so the loop retries at most once per take. */
static void hold_max(atomic_uint *bits, float peak)
{
    unsigned cur = atomic_load_explicit(bits, memory_order_relaxed);
    while (peak > bits_float(cur) &&
           !atomic_compare_exchange_weak_explicit(bits, &cur, float_bits(peak), memory_order_relaxed,
                                                  memory_order_relaxed)) {
    }
}

float pt_engine_take_input_max(pt_engine *e)
{
    return bits_float(atomic_exchange_explicit(&e->in_max_bits, 0u, memory_order_relaxed));
}

/* RT: hand a finished program back to the control thread. */
static void retire(pt_engine *e, pt_program *p)
{
    if (!pt_spsc_push(&e->retired, &p)) e->retire_wait = p;
    e->tr.retired++;
}

void pt_engine_set_trace(pt_engine *e, pt_engine_trace *t) { e->trace = t; }

static pt_program *by_gen(pt_engine *e, uint64_t gen)
{
    if (e->cur && pt_program_generation(e->cur) == gen) return e->cur;
    return NULL; /* commands for an outgoing or unknown program are dropped */
}

/* RT: apply queued commands due at frame `pos` of a device block of
 * `frames`. A swap waits while a crossfade is running; a timed parameter
 * command waits for its frame (later ones queue behind it, in order).
 * Returns the frame the next waiting command is due at (INT_MAX: none). */
static int drain(pt_engine *e, int pos, int frames)
{
    cmd c;
    while (pt_spsc_peek(&e->cmds, &c)) {
        if (c.kind == CMD_PARAM && c.frame > pos && c.frame < frames) return c.frame;
        if (c.kind == CMD_SWAP) {
            if (e->old || e->retire_wait) break; /* finish the running fade first */
            if (e->cur) {
                e->old = e->cur;
                e->fade_pos = 0;
            }
            e->cur = c.prog;
            e->tr.swaps++;
        } else {
            pt_program *p = by_gen(e, c.gen);
            if (p) {
                if (c.kind == CMD_PARAM) {
                    pt_node *n = pt_program_node(p, c.a);
                    if (n) pt_node_set_param(n, c.b, c.x);
                } else if (c.kind == CMD_BYPASS) {
                    pt_program_set_bypass(p, c.a, c.b);
                } else if (c.kind == CMD_BRANCH) {
                    pt_program_set_branch(p, c.a, c.b, c.x, c.y);
                }
            }
        }
        pt_spsc_drop(&e->cmds);
        atomic_fetch_add_explicit(&e->taken, 1, memory_order_release);
    }
    return INT_MAX;
}

/* RT: run a program and leave its output as two channel pointers. */
static void run_program(pt_program *p, const float *in, int frames, const float **l,
                        const float **r)
{
    pt_program_run(p, in, frames);
    int ch;
    const float *const *out = pt_program_output(p, &ch);
    *l = out[0];
    *r = ch > 1 ? out[1] : out[0];
}

/* RT */
static void process_chunk(pt_engine *e, const float *in, float *out_l, float *out_r, int frames)
{
    bool tracing = e->trace != NULL;
    uint64_t t0 = tracing ? pt_rt_now_ns() : 0, t1 = 0, t2 = 0;
    hold_max(&e->in_max_bits, meter_update(&e->in, in, frames, e->cfg.rate));

    const float *l = e->silence, *r = e->silence;
    if (e->cur) run_program(e->cur, in, frames, &l, &r);
    if (tracing) t1 = pt_rt_now_ns();
    if (e->old) {
        e->tr.fading = 1;
        /* keep the new program's output, then blend the old one out */
        memcpy(e->mix[0], l, (size_t)frames * sizeof(float));
        memcpy(e->mix[1], r, (size_t)frames * sizeof(float));
        const float *ol, *or_;
        run_program(e->old, in, frames, &ol, &or_);
        float inv = 1.0f / (float)e->fade_len;
        for (int i = 0; i < frames; i++) {
            float a = e->fade_pos < e->fade_len ? (float)e->fade_pos * inv : 1.0f;
            if (e->fade_pos < e->fade_len) e->fade_pos++;
            e->mix[0][i] = a * e->mix[0][i] + (1.0f - a) * ol[i];
            e->mix[1][i] = a * e->mix[1][i] + (1.0f - a) * or_[i];
        }
        l = e->mix[0];
        r = e->mix[1];
        if (e->fade_pos >= e->fade_len) {
            retire(e, e->old);
            e->old = NULL;
        }
    }
    if (tracing) t2 = pt_rt_now_ns();

    /* The last guards before the speakers: nothing non-finite leaves; the
     * safety limiter holds the true peak under -1 dBTP (when on); and for a
     * real-time device nothing beyond full scale is sent. */
    unsigned bad = 0;
    /* x - x is 0 for every finite x and NaN for infinities and NaNs: eight
     * lanes of such sums (vectorised) tell whether the block is all finite,
     * the usual case, which is then copied as it is */
    v4f n0 = {0}, n1 = {0};
    int i0 = 0;
    for (; i0 + 4 <= frames; i0 += 4) {
        v4f a = v4_load(l + i0), b = v4_load(r + i0);
        n0 += a - a;
        n1 += b - b;
    }
    float nf[8];
    memcpy(nf, &n0, sizeof n0), memcpy(nf + 4, &n1, sizeof n1);
    for (; i0 < frames; i0++) nf[0] += (l[i0] - l[i0]) + (r[i0] - r[i0]);
    bool finite = true;
    for (int k = 0; k < 8; k++) finite = finite && nf[k] == 0.0f;
    if (finite) {
        memmove(out_l, l, (size_t)frames * sizeof(float)); /* l may be the input */
        if (out_r) memmove(out_r, r, (size_t)frames * sizeof(float));
    } else {
        for (int i = 0; i < frames; i++) {
            float a = l[i], b = r[i];
            if (!isfinite(a)) a = 0.0f, bad++;
            if (!isfinite(b)) b = 0.0f, bad++;
            out_l[i] = a;
            if (out_r) out_r[i] = b;
        }
    }
    if (bad) atomic_fetch_add_explicit(&e->out_faults, bad, memory_order_relaxed);
    pt_limiter_process(&e->limiter, out_l, out_r, frames);
    if (e->cfg.clip_output)
        for (int i = 0; i < frames; i++) {
            out_l[i] = out_l[i] > 1.0f ? 1.0f : (out_l[i] < -1.0f ? -1.0f : out_l[i]);
            if (out_r) out_r[i] = out_r[i] > 1.0f ? 1.0f : (out_r[i] < -1.0f ? -1.0f : out_r[i]);
        }
    meter_update(&e->out, out_l, frames, e->cfg.rate);
    if (tracing) {
        uint64_t t3 = pt_rt_now_ns();
        e->tr.cur_ns += t1 - t0;
        e->tr.old_ns += t2 - t1;
        e->tr.guard_ns += t3 - t2;
    }
}

_Thread_local int pt_rt_in_callback;

/* RT: this thread's CPU time. A system call that neither blocks nor
 * allocates (1 to 3 us in this project's VM: 0.1-0.2 % of a 64-frame
 * period), made once per callback and once more after an overrun: it tells
 * an overrun caused by our work from one where the thread was kept off its
 * CPU. */
static uint64_t thread_cpu_ns(void)
{
    return pt_thread_cpu_ns();
}

/* The thread's CPU clock is a system call (about 1 us here, most of the
 * engine's own work in a 64-frame block), so a block reads it at its start
 * only every CPU_SAMPLE_BLOCKS blocks, and every block for CPU_EXACT_BLOCKS
 * blocks after an overrun (overruns come in clusters). An overrun block
 * that did not read it reads it at its end and takes off the wall time of
 * the whole blocks since the last read: each of those used at most its
 * wall time of CPU, so the estimate can only err towards counting the
 * overrun as ours (by the backend's few microseconds between blocks), never
 * hide our own work as preemption. */
enum { CPU_SAMPLE_BLOCKS = 16, CPU_EXACT_BLOCKS = 64 };

/* RT: read the CPU clock at the top of this block when it is this block's
 * turn; returns the reading or 0 */
static uint64_t thread_cpu_at_start(pt_engine *e)
{
    if (e->cpu_exact > 0) e->cpu_exact--;
    else if (--e->cpu_countdown > 0) return 0;
    e->cpu_countdown = CPU_SAMPLE_BLOCKS;
    uint64_t c = thread_cpu_ns();
    e->cpu_mark = c;
    e->wall_since_mark = 0;
    return c;
}

/* RT: CPU time of this overrun block (0: not known) */
static uint64_t overrun_block_cpu(pt_engine *e, uint64_t c0)
{
    uint64_t mark = c0 ? c0 : e->cpu_mark;
    e->cpu_exact = CPU_EXACT_BLOCKS;
    if (!mark) return 0;
    uint64_t now = thread_cpu_ns();
    if (!now) return 0;
    uint64_t used = now - mark;
    if (!c0) used = used > e->wall_since_mark ? used - e->wall_since_mark : 0;
    return used ? used : 1;
}

/* RT: hand an overrun to the monitor; a full queue loses it (it then counts
 * as unknown). */
static void report_overrun(pt_engine *e, const pt_overrun_record *r)
{
    (void)pt_spsc_push(&e->overruns, r);
}

/* RT: read the instruction counter once, at the top of a block. The count
 * since the previous read belongs to the previous block: it completes an
 * overrun record waiting for it, or adds to the normal blocks' totals. */
static void count_instructions(pt_engine *e)
{
    pid_t tid = pt_gettid();
    if (atomic_load_explicit(&e->audio_tid, memory_order_relaxed) != tid)
        atomic_store_explicit(&e->audio_tid, tid, memory_order_relaxed);
    pt_perf_counter *c = atomic_load_explicit(&e->counter, memory_order_acquire);
    if (c && pt_perf_tid(c) != tid) c = NULL; /* opened for a thread that is gone */
    if (c != e->counting) {
        e->counting = c;
        e->have_count = false;
    }
    uint64_t v = c ? pt_perf_read(c) : 0;
    if (e->pending) {
        if (c && e->have_count) {
            e->pending_rec.instructions = v - e->last_count;
            e->pending_rec.has_instructions = 1;
        }
        report_overrun(e, &e->pending_rec);
        e->pending = false;
    } else if (c && e->have_count && e->last_ns) {
        uint64_t n = atomic_load_explicit(&e->normal_instructions, memory_order_relaxed);
        uint64_t t = atomic_load_explicit(&e->normal_ns, memory_order_relaxed);
        atomic_store_explicit(&e->normal_instructions, n + (v - e->last_count), memory_order_relaxed);
        atomic_store_explicit(&e->normal_ns, t + e->last_ns, memory_order_relaxed);
    }
    e->last_count = v;
    e->have_count = c != NULL;
}

void pt_engine_process(pt_engine *e, const float *in, float *out_l, float *out_r, int frames)
{
    /* volatile: the compiler may assume malloc & co. read no globals and
     * drop a store it sees overwritten after them; the trap must see it */
    *(volatile int *)&pt_rt_in_callback = 1;
    pt_rt_flush_denormals();
    count_instructions(e);
    uint64_t t0 = pt_rt_now_ns();
    uint64_t c0 = thread_cpu_at_start(e);
    for (int off = 0; off < frames;) {
        int n = frames - off;
        if (n > e->cfg.max_frames) n = e->cfg.max_frames;
        if (e->retire_wait && pt_spsc_push(&e->retired, &e->retire_wait)) e->retire_wait = NULL;
        uint64_t td = e->trace ? pt_rt_now_ns() : 0;
        int next = drain(e, off, frames);
        if (e->trace) e->tr.drain_ns += pt_rt_now_ns() - td;
        if (next - off < n) n = next - off; /* split the block where a command is due */
        process_chunk(e, in ? in + off : e->silence, out_l + off, out_r ? out_r + off : NULL, n);
        off += n;
    }
    pt_engine_tap *tap = atomic_load_explicit(&e->tap, memory_order_acquire);
    if (tap) pt_engine_tap_run(tap, in, out_l, out_r, frames);
    atomic_fetch_add_explicit(&e->blocks, 1, memory_order_release);
    uint64_t t1 = pt_rt_now_ns();
    uint64_t period_ns = (uint64_t)((double)frames * 1e9 / e->cfg.rate);
    pt_load_stats_record(&e->load, t1 - t0, period_ns);
    e->last_ns = t1 - t0;
    if (t1 - t0 > period_ns) {
        pt_overrun_record r = {.t0_ns = t0, .t1_ns = t1, .period_ns = period_ns};
        /* no CPU clock (0): count nothing as preempted rather than hide ours */
        uint64_t cpu = overrun_block_cpu(e, c0);
        if (cpu) {
            r.cpu_ns = cpu;
            pt_load_stats_overrun_cpu(&e->load, cpu, period_ns);
            if (cpu <= period_ns) pt_load_stats_preempted(&e->load);
        }
        e->last_ns = 0;
        /* with a counter, the block's instructions are known at the next read */
        if (e->counting) {
            e->pending_rec = r;
            e->pending = true;
        } else {
            report_overrun(e, &r);
        }
        e->cpu_mark = 0; /* the next estimate starts from a fresh reading */
    } else {
        e->wall_since_mark += t1 - t0;
    }
    if (e->trace) *e->trace = e->tr;
    memset(&e->tr, 0, sizeof e->tr);
    *(volatile int *)&pt_rt_in_callback = 0;
}
