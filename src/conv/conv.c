/* conv.c — zero-latency non-uniform partitioned convolution; see conv.h for
 * the scheme and the hand-off with the worker thread. */
#include "conv.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "../core/rt.h"
#include "fft.h"
#include "kernels.h"
#include "mac.h"
#include "../platform/platform.h"

#define MAX_LEVELS 16
#define N_SLOTS 3 /* async output slots per level (2 are in use at most) */
#define EPOCH_SHIFT 40
#define POS_MASK ((1ull << EPOCH_SHIFT) - 1)
#define OFFLINE_SYNC_MAX 65536 /* above any partition the plan search tries */

typedef struct level {
    int P, K, start; /* partition frames, partition count, offset in the IR */
    bool async;
    int bins;        /* P + 1 */
    int stride;      /* floats from one partition's spectrum to the next:
                        bins rounded up to 64 bytes, so that every vector
                        load of the multiply-accumulate is aligned (with
                        P + 1 floats each one straddled two cache lines,
                        and the loop ran at about half the speed) */
    pt_fft *fft;     /* 2P points; used by exactly one thread */
    float *fdl_re, *fdl_im;            /* K * stride: input spectra, newest at head */
    int head;
    float *h_re[PT_CONV_MAX_OUT], *h_im[PT_CONV_MAX_OUT]; /* K * stride, scaled 1/2P */
    float *acc_re, *acc_im;            /* bins */
    float *win;                        /* 2P: time-domain scratch */
    float *out[PT_CONV_MAX_OUT];       /* sync: P; async: N_SLOTS * P */
    /* async, worker side */
    int64_t next_block;
    _Atomic int64_t taken; /* next_block as the other threads may see it */
    /* async, shared: (epoch << 40) | (block + 1) of the last finished block,
     * and the same tag for the block each output slot holds */
    _Atomic uint64_t done;
    _Atomic uint64_t slot_tag[N_SLOTS];
    /* async, audio side: is the block now playing available, and which */
    bool playing;
    int64_t play_block;
} level;

struct pt_conv {
    const pt_conv_kernels *k;
    pt_conv_mac_fn mac; /* the delay line's multiply-accumulate (mac.h) */
    int n_out, base, head_len, ir_frames;
    float *h_head[PT_CONV_MAX_OUT]; /* head_len taps */
    float *hist;                    /* 2 * base: previous and current base block */
    int n_levels, n_sync;
    level lv[MAX_LEVELS];
    float *ring;                    /* input history for the FFT windows */
    uint64_t ring_mask;
    uint64_t pos;                   /* samples since reset (audio thread) */
    uint64_t epoch;                 /* audio thread's copy */
    bool offline;
    _Atomic uint64_t published;     /* (epoch << 40) | pos, audio -> worker */
    _Atomic uint64_t late;          /* written by the audio thread only */
    /* worker */
    pthread_t thread;
    bool thread_started;
    pt_sem *wake; /* platform.h: no unnamed sem_t on macOS */
    _Atomic bool quit;
    uint64_t worker_epoch;
    void (*hook)(void *);
    void *hook_ctx;
};

static atomic_bool g_offline_default;

static _Thread_local bool t_offline;

void pt_conv_set_offline_default(bool offline) { atomic_store(&g_offline_default, offline); }
void pt_conv_set_offline_thread(bool offline) { t_offline = offline; }
bool pt_conv_offline_default(void) { return t_offline || atomic_load(&g_offline_default); }

static float *falloc(size_t n)
{
    /* 64-byte aligned, zeroed */
    size_t bytes = (n * sizeof(float) + 63) & ~(size_t)63;
    float *p = pt_aligned_alloc(64, bytes ? bytes : 64);
    if (p) memset(p, 0, bytes ? bytes : 64);
    return p;
}

/* ---- Planning ---- */

typedef struct plan {
    int n;
    int P[MAX_LEVELS], K[MAX_LEVELS], s[MAX_LEVELS];
    bool async[MAX_LEVELS];
} plan;

/* Lay out levels for an IR of L samples: sizes base, base*r, base*r^2, ...
 * capped at pmax. A sync level starts at s = P, an async one at s = 2P; each
 * level takes just enough partitions to bring the next one to its start,
 * and the last one takes whatever is left. */
static void make_plan(plan *pl, int L, int base, int sync_max, int pmax, int r)
{
    pl->n = 0;
    int s = base, P = base;
    while (s < L && pl->n < MAX_LEVELS) {
        int K;
        int Pn = P * r < pmax ? P * r : pmax; /* next size, never above pmax */
        if (P >= pmax || pl->n == MAX_LEVELS - 1) {
            K = (L - s + P - 1) / P;
        } else {
            int need = Pn <= sync_max ? Pn : 2 * Pn; /* next level's start */
            K = (need - s) / P;
            int rest = (L - s + P - 1) / P;
            if (K > rest) K = rest;
        }
        pl->P[pl->n] = P;
        pl->K[pl->n] = K;
        pl->s[pl->n] = s;
        pl->async[pl->n] = P > sync_max;
        pl->n++;
        s += K * P;
        P = Pn;
    }
}

/* Estimated cost of a plan in ms of CPU per second of 48 kHz audio: a
 * non-negative least-squares fit over 519 measured plans (IRs of 0.05 to
 * 10 s, the project's FFT and multiply-accumulate kernels, AVX-512; 16 %
 * rms error on the loaded development machine). A head FIR tap costs
 * 0.00166; a level costs a forward and n_out inverse FFTs of 2P points per
 * P samples, plus one complex multiply-accumulate per bin, partition and
 * output, dearer once the spectra no longer fit in cache. Not refitted
 * since the aligned delay line (about half the multiply-accumulate time)
 * and the radix-4 small FFT stages: for the 2 s IR of make bench, the
 * plan it picks measured as fast as the best of the other candidates
 * timed beside it (least of 3 runs: 1.10 ms/s against 1.11-1.16, within
 * the noise of the loaded machine). */
static double plan_cost(const plan *pl, int base, int n_out)
{
    double c = 0.00166 * base * n_out;
    for (int i = 0; i < pl->n; i++) {
        double P = pl->P[i];
        double big = P > 2048 ? log2(P / 2048) : 0.0; /* spectra out of cache */
        c += 0.00978 * log2(2 * P) * (1 + n_out);
        c += (0.01585 + 0.01107 * big) * pl->K[i] * n_out * (P + 1) / P;
    }
    return c;
}

/* The cheapest plan by plan_cost over head lengths (unless given), growth
 * ratios and largest partitions. Sync levels stay at or below sync_max, so
 * the work done inside one callback stays small. */
static void choose_plan(plan *pl, int *base_out, int L, int n_out, const pt_conv_config *cfg,
                        int sync_max)
{
    double best = INFINITY;
    for (int base = 64; base <= 256; base *= 2) {
        if (cfg->base_frames && base != cfg->base_frames) continue;
        if (base > sync_max) break;
        for (int r = 2; r <= 16; r *= 2) {
            if (cfg->ratio && r != cfg->ratio) continue;
            for (int pmax = base; pmax <= 16384; pmax *= 2) { /* larger FFTs lose to cache */
                if (cfg->max_partition && pmax != cfg->max_partition) continue;
                plan t;
                make_plan(&t, L, base, sync_max, pmax, r);
                double c = plan_cost(&t, base, n_out);
                if (c < best - 1e-9) {
                    best = c;
                    *pl = t;
                    *base_out = base;
                }
            }
        }
    }
    if (best == INFINITY) { /* a configuration outside the search: take it as it is */
        *base_out = cfg->base_frames ? cfg->base_frames : 64;
        make_plan(pl, L, *base_out, sync_max, cfg->max_partition ? cfg->max_partition : 65536,
                  cfg->ratio ? cfg->ratio : 16);
    }
}

/* ---- One block of one level ---- */

/* RT: copy ring positions [from, from + n) into dst; positions before 0
 * (before the reset) read as zeros. */
static void ring_read(const pt_conv *c, int64_t from, float *dst, int n)
{
    int i = 0;
    for (; i < n && from + i < 0; i++) dst[i] = 0.0f;
    for (; i < n;) {
        uint64_t p = (uint64_t)(from + i) & c->ring_mask;
        int run = (int)(c->ring_mask + 1 - p);
        if (run > n - i) run = n - i;
        memcpy(dst + i, c->ring + p, (size_t)run * sizeof(float));
        i += run;
    }
}

/* RT: the input block `m` of level `l` (inputs [mP, (m+1)P)) has completed:
 * push its spectrum into the delay line; if `compute`, also produce the
 * level's outputs for that block into dst[o] (P samples each). */
static void level_block(pt_conv *c, level *l, int64_t m, float *const *dst, bool compute)
{
    int P = l->P, bins = l->bins;
    size_t stride = (size_t)l->stride;
    /* the window straight from the ring where it lies in one piece (all
     * but the first block and one in ring/P), else copied out of it */
    int64_t from = (m - 1) * P;
    const float *w = l->win;
    uint64_t at = (uint64_t)from & c->ring_mask;
    if (from >= 0 && at + 2 * (uint64_t)P <= c->ring_mask + 1)
        w = c->ring + at;
    else
        ring_read(c, from, l->win, 2 * P);
    l->head = l->head + 1 == l->K ? 0 : l->head + 1;
    pt_fft_forward(l->fft, w, l->fdl_re + (size_t)l->head * stride,
                   l->fdl_im + (size_t)l->head * stride);
    if (!compute) return;
    for (int o = 0; o < c->n_out; o++) {
        c->mac(l->acc_re, l->acc_im, l->fdl_re, l->fdl_im, l->head, l->h_re[o], l->h_im[o], l->K,
               stride, bins);
        pt_fft_inverse(l->fft, l->acc_re, l->acc_im, l->win);
        memcpy(dst[o], l->win + P, (size_t)P * sizeof(float));
    }
}

/* RT: empty a level's delay line */
static void level_clear(level *l)
{
    memset(l->fdl_re, 0, (size_t)l->K * l->stride * sizeof(float));
    memset(l->fdl_im, 0, (size_t)l->K * l->stride * sizeof(float));
    l->head = 0;
}

/* RT: an async level's block m is finished (computed into its slot or, if
 * the audio thread went past it, only pushed into the delay line). */
static void level_publish(level *l, uint64_t epoch, int64_t m, bool computed)
{
    uint64_t tag = (epoch << EPOCH_SHIFT) | (uint64_t)(m + 1);
    if (computed) atomic_store_explicit(&l->slot_tag[m % N_SLOTS], tag, memory_order_release);
    atomic_store_explicit(&l->done, tag, memory_order_release);
}

/* RT: compute (or only absorb) block m of an async level into its slot and
 * publish it: on the worker, or in line in offline mode. */
static void async_block(pt_conv *c, level *l, int64_t m, uint64_t epoch, bool compute)
{
    float *dst[PT_CONV_MAX_OUT];
    for (int o = 0; o < c->n_out; o++) dst[o] = l->out[o] + (size_t)(m % N_SLOTS) * l->P;
    level_block(c, l, m, dst, compute);
    /* also when not computed: the audio thread has already passed block m */
    level_publish(l, epoch, m, compute);
}

/* ---- Worker ---- */

static void *worker_main(void *arg)
{
    pt_conv *c = arg;
    pt_rt_flush_denormals();
    for (;;) {
        if (atomic_load_explicit(&c->quit, memory_order_acquire)) break;
        uint64_t pub = atomic_load_explicit(&c->published, memory_order_acquire);
        uint64_t epoch = pub >> EPOCH_SHIFT;
        int64_t pos = (int64_t)(pub & POS_MASK);
        if (epoch != c->worker_epoch) {
            c->worker_epoch = epoch;
            for (int i = c->n_sync; i < c->n_levels; i++) {
                level_clear(&c->lv[i]);
                c->lv[i].next_block = 0;
                atomic_store_explicit(&c->lv[i].taken, 0, memory_order_release);
            }
        }
        /* earliest deadline first among the due blocks */
        level *best = NULL;
        int64_t best_deadline = 0;
        for (int i = c->n_sync; i < c->n_levels; i++) {
            level *l = &c->lv[i];
            if ((l->next_block + 1) * l->P > pos) continue;
            int64_t deadline = (l->next_block + 2) * l->P;
            if (!best || deadline < best_deadline) best = l, best_deadline = deadline;
        }
        if (!best) {
            pt_sem_wait(c->wake);
            continue;
        }
        if (c->hook) c->hook(c->hook_ctx);
        int64_t m = best->next_block++;
        atomic_store_explicit(&best->taken, best->next_block, memory_order_release);
        /* Too far behind: the ring no longer holds the window. Start this
         * level over from the newest block (its tail misses what was lost). */
        uint64_t now = atomic_load_explicit(&c->published, memory_order_acquire);
        if ((now >> EPOCH_SHIFT) != epoch) continue;
        int64_t now_pos = (int64_t)(now & POS_MASK);
        if (now_pos - (m - 1) * best->P > (int64_t)c->ring_mask + 1 - best->P) {
            level_clear(best);
            best->next_block = now_pos / best->P - 1;
            atomic_store_explicit(&best->taken, best->next_block, memory_order_release);
            continue;
        }
        /* The audio thread decides at (m + 2)P whether block m is there; if
         * it has gone past that, only the delay line needs this block. */
        bool compute = now_pos <= (m + 2) * best->P;
        async_block(c, best, m, epoch, compute);
        /* the window may have been overwritten while we read it */
        now = atomic_load_explicit(&c->published, memory_order_acquire);
        if ((now >> EPOCH_SHIFT) == epoch &&
            (int64_t)(now & POS_MASK) - (m - 1) * best->P > (int64_t)c->ring_mask + 1) {
            level_clear(best);
            best->next_block = (int64_t)(now & POS_MASK) / best->P - 1;
            atomic_store_explicit(&best->taken, best->next_block, memory_order_release);
        }
    }
    return NULL;
}

/* ---- Life cycle ---- */

void pt_conv_free(pt_conv *c)
{
    if (!c) return;
    if (c->thread_started) {
        atomic_store_explicit(&c->quit, true, memory_order_release);
        pt_sem_post(c->wake);
        pthread_join(c->thread, NULL);
        pt_sem_destroy(c->wake);
    }
    for (int i = 0; i < c->n_levels; i++) {
        level *l = &c->lv[i];
        pt_fft_free(l->fft);
        pt_aligned_free(l->fdl_re);
        pt_aligned_free(l->fdl_im);
        pt_aligned_free(l->acc_re);
        pt_aligned_free(l->acc_im);
        pt_aligned_free(l->win);
        for (int o = 0; o < PT_CONV_MAX_OUT; o++) {
            pt_aligned_free(l->h_re[o]);
            pt_aligned_free(l->h_im[o]);
            pt_aligned_free(l->out[o]);
        }
    }
    for (int o = 0; o < PT_CONV_MAX_OUT; o++) pt_aligned_free(c->h_head[o]);
    pt_aligned_free(c->hist);
    pt_aligned_free(c->ring);
    free(c);
}

static int is_pow2(int x) { return x > 0 && (x & (x - 1)) == 0; }

pt_conv *pt_conv_new(const float *const *ir, int n_out, int ir_frames,
                     const pt_conv_config *cfg_in, pt_error *err)
{
    pt_conv_config cfg = cfg_in ? *cfg_in : (pt_conv_config){0};
    /* Offline, nothing waits on a level's block: every level may start at
     * s = P (as sync levels do) instead of 2P, so each level needs fewer
     * partitions of the one before it to reach its start. */
    if (!cfg.sync_max) cfg.sync_max = cfg.offline ? OFFLINE_SYNC_MAX : 1024;
    if (n_out < 1 || n_out > PT_CONV_MAX_OUT || ir_frames < 1 ||
        (cfg.base_frames && !is_pow2(cfg.base_frames)) || !is_pow2(cfg.sync_max) ||
        cfg.sync_max < cfg.base_frames ||
        (cfg.max_partition && !is_pow2(cfg.max_partition)) ||
        (cfg.ratio && (cfg.ratio < 2 || cfg.ratio > 16 || !is_pow2(cfg.ratio)))) {
        pt_error_set(err, PT_ERR_INVALID, NULL, 0, 0,
                     "convolver: bad configuration (outputs %d, IR frames %d, base %d)", n_out,
                     ir_frames, cfg.base_frames);
        return NULL;
    }
    pt_conv *c = calloc(1, sizeof *c);
    if (!c) goto nomem;
    c->k = pt_conv_kernels_best();
    c->mac = pt_conv_mac_best(NULL);
    c->n_out = n_out;
    c->ir_frames = ir_frames;
    plan pl = {0};
    choose_plan(&pl, &c->base, ir_frames, n_out, &cfg, cfg.sync_max);
    c->head_len = ir_frames < c->base ? ir_frames : c->base;
    c->offline = cfg.offline;
    c->hist = falloc((size_t)2 * c->base);
    if (!c->hist) goto nomem;
    for (int o = 0; o < n_out; o++) {
        c->h_head[o] = falloc((size_t)c->head_len);
        if (!c->h_head[o]) goto nomem;
        memcpy(c->h_head[o], ir[o], (size_t)c->head_len * sizeof(float));
    }

    int pmax = c->base;
    c->n_levels = pl.n;
    c->n_sync = 0;
    for (int i = 0; i < pl.n; i++) {
        level *l = &c->lv[i];
        l->P = pl.P[i];
        l->K = pl.K[i];
        l->start = pl.s[i];
        l->async = pl.async[i];
        if (!l->async) c->n_sync = i + 1;
        l->bins = l->P + 1;
        l->stride = (l->bins + 15) & ~15;
        if (l->P > pmax) pmax = l->P;
        size_t spec = (size_t)l->K * l->stride;
        l->fft = pt_fft_new(2 * l->P);
        l->fdl_re = falloc(spec);
        l->fdl_im = falloc(spec);
        l->acc_re = falloc((size_t)l->bins);
        l->acc_im = falloc((size_t)l->bins);
        l->win = falloc((size_t)2 * l->P);
        if (!l->fft || !l->fdl_re || !l->fdl_im || !l->acc_re || !l->acc_im || !l->win)
            goto nomem;
        l->head = l->K - 1;
        float scale = 1.0f / (float)(2 * l->P);
        for (int o = 0; o < n_out; o++) {
            l->h_re[o] = falloc(spec);
            l->h_im[o] = falloc(spec);
            l->out[o] = falloc((size_t)(l->async ? N_SLOTS : 1) * l->P);
            if (!l->h_re[o] || !l->h_im[o] || !l->out[o]) goto nomem;
            for (int k = 0; k < l->K; k++) {
                memset(l->win, 0, (size_t)2 * l->P * sizeof(float));
                int from = l->start + k * l->P;
                int n = ir_frames - from < l->P ? ir_frames - from : l->P;
                for (int j = 0; j < n; j++) l->win[j] = ir[o][from + j] * scale;
                pt_fft_forward(l->fft, l->win, l->h_re[o] + (size_t)k * l->stride,
                               l->h_im[o] + (size_t)k * l->stride);
            }
        }
        /* The inverse transform's scratch (KissFFT's plan buffer and the
         * split-to-interleaved buffer) is first written by an inverse; do
         * one here so that its pages are not first touched, and kiss_fftri
         * not first bound (lazy PLT binding), on the audio thread. */
        pt_fft_inverse(l->fft, l->acc_re, l->acc_im, l->win);
        memset(l->win, 0, (size_t)2 * l->P * sizeof(float));
    }
    /* the ring holds the largest window (2 pmax) with room for a worker that
     * is several blocks late */
    uint64_t ring = 1024;
    while (ring < (uint64_t)8 * pmax) ring *= 2;
    c->ring = falloc(ring);
    if (!c->ring) goto nomem;
    c->ring_mask = ring - 1;
    pt_conv_reset(c);

    if (!c->offline && c->n_levels > c->n_sync) {
        if (!(c->wake = pt_sem_create())) goto nomem;
        if (pthread_create(&c->thread, NULL, worker_main, c) != 0) {
            pt_sem_destroy(c->wake);
            pt_conv_free(c);
            pt_error_set(err, PT_ERR, NULL, 0, 0, "convolver: cannot start its worker thread");
            return NULL;
        }
        c->thread_started = true;
        /* Just below a real-time audio thread if we may; otherwise normal. */
        pt_thread_set_realtime(c->thread, 1);
    }
    return c;
nomem:
    pt_conv_free(c);
    pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
    return NULL;
}

void pt_conv_set_worker_hook(pt_conv *c, void (*hook)(void *), void *ctx)
{
    c->hook_ctx = ctx;
    c->hook = hook;
}

/* RT: clear the callback's state; the worker clears its own when it sees
 * the new epoch. */
void pt_conv_reset(pt_conv *c)
{
    memset(c->hist, 0, (size_t)2 * c->base * sizeof(float));
    for (int i = 0; i < c->n_levels; i++) {
        level *l = &c->lv[i];
        l->playing = false;
        if (!l->async || c->offline) {
            level_clear(l);
            l->next_block = 0;
        }
        if (!l->async)
            for (int o = 0; o < c->n_out; o++) memset(l->out[o], 0, (size_t)l->P * sizeof(float));
    }
    c->pos = 0;
    c->epoch++;
    atomic_store_explicit(&c->published, c->epoch << EPOCH_SHIFT, memory_order_release);
    if (c->thread_started) pt_sem_post(c->wake);
}

/* RT: y[0..n) += g * x[0..n) */
static inline void axpy(float *restrict y, float g, const float *restrict x, int n)
{
    for (int i = 0; i < n; i++) y[i] += g * x[i];
}

/* RT: see conv.h. The block is cut at every `base` boundary; at each, the
 * sync levels whose block completed run here and the worker is told. */
void pt_conv_process(pt_conv *c, const float *in, float *const *out, int frames)
{
    const int base = c->base;
    bool post = false;
    for (int done = 0; done < frames;) {
        int j = (int)(c->pos & (uint64_t)(base - 1));
        int n = frames - done < base - j ? frames - done : base - j;
        /* inputs first, so that out may alias in */
        memcpy(c->hist + base + j, in + done, (size_t)n * sizeof(float));
        {
            uint64_t p = c->pos & c->ring_mask; /* base divides the ring size */
            memcpy(c->ring + p, in + done, (size_t)n * sizeof(float));
        }
        for (int o = 0; o < c->n_out; o++) {
            float *y = out[o] + done;
            /* head FIR: y[i] = sum_k h[k] x[pos + i - k] */
            c->k->fir(y, c->h_head[o], c->head_len, c->hist + base + j, n);
        }
        for (int i = 0; i < c->n_levels; i++) {
            level *l = &c->lv[i];
            int off = (int)(c->pos % (uint64_t)l->P);
            if (!l->async) {
                for (int o = 0; o < c->n_out; o++) axpy(out[o] + done, 1.0f, l->out[o] + off, n);
                continue;
            }
            if (off == 0) { /* a new output block starts: is it there? */
                int64_t m = (int64_t)(c->pos / (uint64_t)l->P) - 2;
                l->play_block = m;
                l->playing = false;
                if (m >= 0) {
                    uint64_t tag = atomic_load_explicit(&l->slot_tag[m % N_SLOTS],
                                                        memory_order_acquire);
                    l->playing = tag == ((c->epoch << EPOCH_SHIFT) | (uint64_t)(m + 1));
                    if (!l->playing)
                        atomic_store_explicit(&c->late, atomic_load_explicit(
                                                  &c->late, memory_order_relaxed) + 1,
                                              memory_order_relaxed);
                }
            }
            if (l->playing) {
                size_t so = (size_t)(l->play_block % N_SLOTS) * l->P + (size_t)off;
                for (int o = 0; o < c->n_out; o++) axpy(out[o] + done, 1.0f, l->out[o] + so, n);
            }
        }
        c->pos += (uint64_t)n;
        done += n;
        if ((c->pos & (uint64_t)(base - 1)) == 0) {
            memcpy(c->hist, c->hist + base, (size_t)base * sizeof(float));
            for (int i = 0; i < c->n_levels; i++) {
                level *l = &c->lv[i];
                if (c->pos % (uint64_t)l->P) continue;
                int64_t m = (int64_t)(c->pos / (uint64_t)l->P) - 1;
                if (!l->async)
                    level_block(c, l, m, l->out, true);
                else if (c->offline)
                    async_block(c, l, m, c->epoch, true);
                else
                    post = true;
            }
            atomic_store_explicit(&c->published, (c->epoch << EPOCH_SHIFT) | c->pos,
                                  memory_order_release);
        }
    }
    if (post) pt_sem_post(c->wake);
}

int pt_conv_outputs(const pt_conv *c) { return c->n_out; }

uint64_t pt_conv_late_blocks(const pt_conv *c)
{
    return atomic_load_explicit(&((pt_conv *)c)->late, memory_order_relaxed);
}

int pt_conv_pending(const pt_conv *c)
{
    uint64_t pub = atomic_load_explicit(&((pt_conv *)c)->published, memory_order_acquire);
    uint64_t epoch = pub >> EPOCH_SHIFT;
    int64_t pos = (int64_t)(pub & POS_MASK);
    int pending = 0;
    for (int i = c->n_sync; i < c->n_levels; i++) {
        const level *l = &c->lv[i];
        int64_t due = pos / l->P; /* blocks 0 .. due-1 are complete */
        /* taken counts the block being computed; done says it finished */
        uint64_t d = atomic_load_explicit(&((level *)l)->done, memory_order_acquire);
        int64_t taken = atomic_load_explicit(&((level *)l)->taken, memory_order_acquire);
        int64_t finished = (d >> EPOCH_SHIFT) == epoch ? (int64_t)(d & POS_MASK) : 0;
        if (finished < taken - 1) finished = taken - 1; /* skipped or dropped blocks */
        if (due > finished) pending += (int)(due - finished);
    }
    return pending;
}

int pt_conv_callback_frames(const pt_conv *c)
{
    if (c->n_sync == c->n_levels) return c->ir_frames;
    return c->lv[c->n_sync].start;
}

int pt_conv_max_partition(const pt_conv *c)
{
    return c->n_levels ? c->lv[c->n_levels - 1].P : c->head_len;
}

void pt_conv_describe(const pt_conv *c, char *buf, size_t size)
{
    size_t k = 0;
    k += (size_t)snprintf(buf + k, size - k, "FIR %d", c->head_len);
    for (int i = 0; i < c->n_levels && k < size; i++)
        k += (size_t)snprintf(buf + k, size - k, " | %dx%d%s", c->lv[i].P, c->lv[i].K,
                              c->lv[i].async ? " async" : "");
}
