/* nam_model.c — what every architecture shares: building, prewarm, the
 * saved state that reset() restores, and the history buffers. */
#include <stdlib.h>
#include <string.h>

#include "nam_internal.h"

float *pt_nn_alloc(size_t n)
{
    /* 64-byte aligned so vector loads of a row start on a cache line, and
     * PT_NN_PAD floats of slack so a matrix product may read past the last
     * row's end (nn_math.h) */
    size_t bytes = ((n + PT_NN_PAD) * sizeof(float) + 63) & ~(size_t)63;
    float *p = aligned_alloc(64, bytes);
    if (p) memset(p, 0, bytes);
    return p;
}

int pt_nn_add_state(pt_nam_model *m, void *ptr, size_t bytes)
{
    if (m->n_state == m->cap_state) {
        int cap = m->cap_state ? 2 * m->cap_state : 32;
        pt_nn_state_ref *s = realloc(m->state, (size_t)cap * sizeof *s);
        if (!s) return -1;
        m->state = s;
        m->cap_state = cap;
    }
    m->state[m->n_state++] = (pt_nn_state_ref){ptr, bytes};
    return 0;
}

int pt_nn_hist_init(pt_nam_model *m, pt_nn_hist *h, int rows, int keep, int max_frames)
{
    h->rows = rows;
    h->keep = keep;
    /* room for several blocks between moves (each move copies `keep`
     * frames), and at least the history again */
    int room = 4 * max_frames;
    if (room < keep) room = keep;
    if (room < 1024) room = 1024;
    h->cap = keep + room;
    h->pos = keep;
    h->data = pt_nn_alloc((size_t)rows * h->cap);
    if (!h->data) return -1;
    if (pt_nn_add_state(m, h->data, (size_t)rows * h->cap * sizeof(float)) ||
        pt_nn_add_state(m, &h->pos, sizeof h->pos))
        return -1;
    return 0;
}

void pt_nn_hist_free(pt_nn_hist *h)
{
    free(h->data);
    h->data = NULL;
}

/* RT: make room for `frames` new frames (moves history if needed). */
void pt_nn_hist_prepare(pt_nn_hist *h, int frames)
{
    if (h->pos + frames <= h->cap) return;
    for (int r = 0; r < h->rows; r++) {
        float *row = h->data + (size_t)r * h->cap;
        memmove(row, row + h->pos - h->keep, (size_t)h->keep * sizeof(float));
    }
    h->pos = h->keep;
}

pt_nam_model *pt_nam_model_create(const pt_nam_file *f, int max_frames, pt_error *err)
{
    if (max_frames < 1) max_frames = 1;
    f = pt_nam_file_pick(f, -1); /* a container plays its largest sub-model */
    pt_nam_model *m = calloc(1, sizeof *m);
    if (!m) {
        pt_error_set(err, PT_ERR_NOMEM, f->path, 0, 0, "out of memory");
        return NULL;
    }
    m->arch = f->arch;
    m->max_frames = max_frames;
    m->io_tmp = pt_nn_alloc((size_t)max_frames);
    int rc = m->io_tmp ? 0 : -1;
    if (rc == 0) {
        switch (f->arch) {
        case PT_NAM_WAVENET: rc = pt_nam_wavenet_create(m, f, err); break;
        case PT_NAM_LSTM: rc = pt_nam_lstm_create(m, f, err); break;
        case PT_NAM_CONVNET: rc = pt_nam_convnet_create(m, f, err); break;
        case PT_NAM_LINEAR: rc = pt_nam_linear_create(m, f, err); break;
        case PT_NAM_XWAVENET: rc = pt_nam_xwavenet_create(m, f, err); break;
        case PT_NAM_CONTAINER: rc = -1; break;
        }
    }
    if (rc == 0) {
        size_t total = 0;
        for (int i = 0; i < m->n_state; i++) total += m->state[i].bytes;
        m->saved = malloc(total ? total : 1);
        m->saved_bytes = total;
        if (!m->saved) rc = -1;
    }
    if (rc != 0) {
        if (!err || err->code == 0 || !err->msg[0])
            pt_error_set(err, PT_ERR_NOMEM, f->path, 0, 0, "out of memory building the model");
        pt_nam_model_free(m);
        return NULL;
    }
    pt_nam_model_save(m);
    return m;
}

void pt_nam_model_free(pt_nam_model *m)
{
    if (!m) return;
    if (m->ops && m->ops->destroy) m->ops->destroy(m);
    free(m->state);
    free(m->saved);
    free(m->io_tmp);
    free(m);
}

void pt_nam_model_save(pt_nam_model *m)
{
    unsigned char *p = m->saved;
    for (int i = 0; i < m->n_state; i++) {
        memcpy(p, m->state[i].ptr, m->state[i].bytes);
        p += m->state[i].bytes;
    }
}

/* RT: copy the saved (prewarmed) state back. */
void pt_nam_model_reset(pt_nam_model *m)
{
    const unsigned char *p = m->saved;
    for (int i = 0; i < m->n_state; i++) {
        memcpy(m->state[i].ptr, p, m->state[i].bytes);
        p += m->state[i].bytes;
    }
}

long pt_nam_model_prewarm_samples(const pt_nam_model *m) { return m->prewarm_samples; }
int pt_nam_model_max_frames(const pt_nam_model *m) { return m->max_frames; }

void pt_nam_model_prewarm(pt_nam_model *m)
{
    float *zeros = m->io_tmp;
    long done = 0;
    /* exactly the count, so the settled state does not depend on the block
     * size the node was prepared for */
    while (done < m->prewarm_samples) {
        long left = m->prewarm_samples - done;
        int n = left < m->max_frames ? (int)left : m->max_frames;
        memset(zeros, 0, (size_t)n * sizeof(float));
        m->ops->process(m, zeros, zeros, n);
        done += n;
    }
    pt_nam_model_save(m);
}

/* RT: run the model, in pieces of at most max_frames. */
void pt_nam_model_process(pt_nam_model *m, const float *in, float *out, int frames)
{
    while (frames > 0) {
        int n = frames < m->max_frames ? frames : m->max_frames;
        m->ops->process(m, in, out, n);
        in += n, out += n, frames -= n;
    }
}
