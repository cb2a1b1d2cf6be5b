/* wdf_op.c — the DC operating point of a compiled circuit, and reading node
 * voltages out of it.
 *
 * A circuit at rest with no input sits at a fixed point of its discretised
 * equations: with the trapezoidal rule, a state that does not change from
 * one sample to the next means no current in any capacitor and no voltage
 * across any inductor, which is SPICE's `.op` (capacitors open, inductors
 * shorted) on the same device equations. So instead of simulating seconds
 * of silence until the supplies have charged every coupling and filter
 * capacitor (the old `settle`), we solve for that fixed point directly:
 *
 *   u = [s; x; 1],  p = Pp u,  v + Z i(v) = p (the root's devices),
 *   s' = Qs u + Qi i(p)          (wdf_impl.h's flattened form)
 *   G(s) = s' - s = 0
 *
 * by Newton-Raphson on the K reactive states, with the Jacobian
 *   dG/ds = Qs_s + Qi D (I + Z D)^-1 Pp_s - I.
 * The supplies are stepped up from 0 to their full value (the constant
 * column of u scales every DC source), each step starting from the last
 * solution: SPICE's source stepping, which keeps tubes and junctions in
 * reach of Newton from a cold start. Off the audio thread: it allocates. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "wdf_impl.h"

typedef struct op_work {
    double *u, *s1, *g, *J, *dv, *T, *T0, *col, *ds;
} op_work;

/* The device currents for drive p = Pp u (r->p, r->i), by the root's own
 * Newton-Raphson from its last solution. Returns 0 when it converged. */
static int solve_root(pt_wdf_circuit *c, wdf_stage *s, const double *u)
{
    wdf_root *r = &s->root;
    const int K2 = s->K + 2, M = r->M;
    for (int m = 0; m < M; m++) {
        double acc = 0;
        for (int k = 0; k < K2; k++) acc += s->Pp[m * K2 + k] * u[k];
        r->p[m] = acc;
    }
    if (M == 0) return 0;
    r->last_iter = c->max_iter + 1; /* start from the last solution, no extrapolation */
    int save = c->max_iter;
    c->max_iter = 200;
    int it = wdf_root_newton(c, r);
    c->max_iter = save;
    return it > 200 || !isfinite(r->v[0]) ? -1 : 0;
}

/* The next state s' and output y for state u (root solved already). */
static void next_state(const wdf_stage *s, const double *u, double *s1, double *y)
{
    const wdf_root *r = &s->root;
    const int K = s->K, K2 = K + 2, M = r->M, Mx = M ? M : 1;
    for (int k = 0; k <= K; k++) {
        double acc = 0;
        for (int j = 0; j < K2; j++) acc += s->Qu[k * K2 + j] * u[j];
        for (int m = 0; m < M; m++) acc += s->Qi[k * Mx + m] * r->i[m];
        if (k < K) s1[k] = acc;
        else if (y) *y = acc;
    }
}

/* Solve T X = B for the M x M matrix T and the K right-hand sides B, stored
 * side by side as the rows of A = [T | B] (M x (M+K)); X (M x K, row-major)
 * goes to x. Gaussian elimination with partial pivoting. -1 if singular. */
static int op_solve_multi(double *A, int M, int K, double *x)
{
    const int W = M + K;
    for (int k = 0; k < M; k++) {
        int p = k;
        for (int i = k + 1; i < M; i++)
            if (fabs(A[i * W + k]) > fabs(A[p * W + k])) p = i;
        if (A[p * W + k] == 0 || !isfinite(A[p * W + k])) return -1;
        if (p != k)
            for (int j = 0; j < W; j++) {
                double t = A[k * W + j];
                A[k * W + j] = A[p * W + j];
                A[p * W + j] = t;
            }
        double inv = 1.0 / A[k * W + k];
        for (int i = k + 1; i < M; i++) {
            double f = A[i * W + k] * inv;
            if (f != 0)
                for (int j = k; j < W; j++) A[i * W + j] -= f * A[k * W + j];
        }
    }
    for (int c = 0; c < K; c++)
        for (int k = M - 1; k >= 0; k--) {
            double s = A[k * W + M + c];
            for (int j = k + 1; j < M; j++) s -= A[k * W + j] * x[j * K + c];
            x[k * K + c] = s / A[k * W + k];
        }
    return 0;
}

/* Newton on G(s) = s' - s at supply scale lambda, from the state in u.
 * Returns the iterations, or -1 when it did not converge. */
static int op_newton(pt_wdf_circuit *c, wdf_stage *s, op_work *w, double x, double lambda)
{
    wdf_root *r = &s->root;
    const int K = s->K, K2 = K + 2, M = r->M;
    double *u = w->u;
    u[K] = x;
    u[K + 1] = lambda;
    for (int it = 1; it <= 60; it++) {
        if (solve_root(c, s, u)) return -1;
        next_state(s, u, w->s1, NULL);
        double gmax = 0, smax = 1;
        for (int k = 0; k < K; k++) {
            w->g[k] = w->s1[k] - u[k];
            gmax = fmax(gmax, fabs(w->g[k]));
            smax = fmax(smax, fabs(u[k]));
        }
        if (gmax < 1e-9 * smax) return it;
        /* T = I + Z D, built once; dv/ds = T^-1 Pp_s (M x K): all K
           columns through one factorisation (the solver works in place, so
           the right-hand sides ride along as extra columns of [T | Pp_s]) */
        const int W = M + K;
        for (int m = 0; m < M; m++) {
            for (int q = 0; q < M; q++) {
                double t = (m == q);
                for (int j = 0; j < M; j++) t += r->Z[m * M + j] * r->D[j * M + q];
                w->T[m * W + q] = t;
            }
            for (int k = 0; k < K; k++) w->T[m * W + M + k] = s->Pp[m * K2 + k];
        }
        if (M && op_solve_multi(w->T, M, K, w->dv)) return -1;
        /* DV = D dv (M x K), then J = Qs_s + Qi DV - I; solve J ds = -g */
        const int Mx = M ? M : 1;
        for (int m = 0; m < M; m++)
            for (int k = 0; k < K; k++) {
                double di = 0;
                for (int q = 0; q < M; q++) di += r->D[m * M + q] * w->dv[q * K + k];
                w->T0[m * K + k] = di;
            }
        for (int i = 0; i < K; i++)
            for (int k = 0; k < K; k++) {
                double acc = s->Qu[i * K2 + k] - (i == k);
                for (int m = 0; m < M; m++) acc += s->Qi[i * Mx + m] * w->T0[m * K + k];
                w->J[i * K + k] = acc;
            }
        for (int k = 0; k < K; k++) w->ds[k] = -w->g[k];
        if (wdf_small_solve(w->J, w->ds, K)) return -1;
        /* damp steps that would move a state by more than 50 V at once */
        double big = 0;
        for (int k = 0; k < K; k++) big = fmax(big, fabs(w->ds[k]));
        double f = big > 50.0 ? 50.0 / big : 1.0;
        for (int k = 0; k < K; k++) u[k] += f * w->ds[k];
    }
    return -1;
}

static int stage_op(pt_wdf_circuit *c, wdf_stage *s, double x, double *y, int *iters)
{
    const int K = s->K, M = s->root.M, Mx = M ? M : 1;
    op_work w;
    double *mem = calloc((size_t)(4 * (K + 2) + K * K + Mx * (Mx + K) + Mx + 2 * Mx * K + 8),
                         sizeof(double));
    if (!mem) return -1;
    w.u = mem;
    w.s1 = w.u + K + 2;
    w.g = w.s1 + K + 2;
    w.ds = w.g + K + 2;
    w.J = w.ds + K + 2;
    w.T = w.J + K * K;          /* M x (M + K) */
    w.col = w.T + Mx * (Mx + K);
    w.dv = w.col + Mx;          /* M x K */
    w.T0 = w.dv + Mx * K;       /* M x K */
    /* from a cold circuit: every state 0, supplies off, devices at 0 V */
    memset(s->root.v, 0, sizeof(double) * (size_t)Mx);
    double lambda = 0, step = 0.05;
    int rc = 0;
    double *good = calloc((size_t)(K + 2 + Mx), sizeof(double));
    if (!good) {
        free(mem);
        return -1;
    }
    while (lambda < 1.0) {
        double next = fmin(1.0, lambda + step);
        memcpy(good, w.u, sizeof(double) * (size_t)K);
        memcpy(good + K + 2, s->root.v, sizeof(double) * (size_t)Mx);
        int it = op_newton(c, s, &w, x * next, next);
        if (it < 0) {
            /* back to the last good point with a smaller step */
            memcpy(w.u, good, sizeof(double) * (size_t)K);
            memcpy(s->root.v, good + K + 2, sizeof(double) * (size_t)Mx);
            step *= 0.25;
            if (step < 1e-4) {
                rc = -1;
                break;
            }
            continue;
        }
        *iters += it;
        lambda = next;
        if (it < 8) step = fmin(0.5, step * 2.0);
    }
    if (rc == 0) {
        w.u[K] = x;
        w.u[K + 1] = 1.0;
        if (solve_root(c, s, w.u)) rc = -1;
        next_state(s, w.u, w.s1, y);
        memcpy(s->sv, w.u, sizeof(double) * (size_t)K);
        memcpy(s->sv_rest, w.u, sizeof(double) * (size_t)K);
        wdf_root *r = &s->root;
        for (int m = 0; m < M; m++) r->v_rest[m] = r->v_prev[m] = r->v_prev2[m] = r->v[m];
        for (int m = 0; m < M; m++) r->p_prev[m] = r->p[m];
        r->lu_valid = 0; /* the first sample starts as one after a reset does */
    }
    free(good);
    free(mem);
    return rc;
}

int pt_wdf_operating_point(pt_wdf_circuit *c, int *iters, pt_error *err)
{
    int total = 0;
    double x = 0; /* the first stage's input: silence */
    for (int i = 0; i < c->n_stage; i++) {
        wdf_stage *s = &c->st[i];
        if (s->root.kind != ROOT_RTYPE) {
            /* a one-port root (a diode, a source): no supplies to step;
               settle by simulation below */
            pt_wdf_settle(c, 0.2);
            if (iters) *iters = total;
            return 0;
        }
        double y = 0;
        if (stage_op(c, s, x, &y, &total)) {
            if (iters) *iters = total;
            pt_wdf_settle(c, 1.0);
            return pt_error_set(err, PT_ERR_INVALID, c->d->file, s->d->line, s->d->col,
                                "no DC operating point found for stage %d (Newton-Raphson with "
                                "source stepping did not converge): check for a loop with no "
                                "solution, a node held only by capacitors, or a tube with no "
                                "DC path to its cathode",
                                i + 1);
        }
        /* stage k+1 sees stage k's output, scaled as pt_wdf_process does */
        x = y;
    }
    /* the extrapolation history and the tree's waves follow the fixed point */
    for (int i = 0; i < c->n_stage; i++) {
        wdf_stage *s = &c->st[i];
        memcpy(s->w_rest, s->w, sizeof(double) * (size_t)s->n_w);
    }
    if (iters) *iters = total;
    return 0;
}

/* ---- node voltages ---- */

static const pt_wdf_tree *last_root(const pt_wdf_circuit *c, wdf_stage **st)
{
    if (c->n_stage < 1) return NULL;
    wdf_stage *s = &c->st[c->n_stage - 1];
    if (s->root.kind != ROOT_RTYPE) return NULL;
    if (st) *st = s;
    return s->d->tree;
}

int pt_wdf_node_count(const pt_wdf_circuit *c)
{
    const pt_wdf_tree *t = last_root(c, NULL);
    return t ? t->n_nodes - 1 : 0;
}

const char *pt_wdf_node_name(const pt_wdf_circuit *c, int k)
{
    const pt_wdf_tree *t = last_root(c, NULL);
    return t && k >= 0 && k < t->n_nodes ? t->node_name[k] : NULL;
}

double pt_wdf_node_voltage(pt_wdf_circuit *c, const char *node)
{
    wdf_stage *s = NULL;
    const pt_wdf_tree *t = last_root(c, &s);
    if (!t) return NAN;
    int k = -1;
    for (int i = 1; i < t->n_nodes; i++)
        if (strcmp(t->node_name[i], node) == 0) k = i;
    if (k < 0) return NAN;
    wdf_root *r = &s->root;
    const int K = s->K, K2 = K + 2, N = r->N, M = r->M, m = r->mna->m;
    /* u as the next sample sees it, with no input */
    double *u = s->u;
    for (int j = 0; j < K; j++) u[j] = s->sv[j];
    u[K] = 0;
    u[K + 1] = 1.0;
    if (solve_root(c, s, u)) return NAN;
    /* node voltage = sum_j X[k][j] a_j - sum_m X[k][N + m] i_m, with the
       root's incident waves a = Pa u */
    double v = 0;
    for (int j = 0; j < N; j++) {
        double a = 0;
        for (int q = 0; q < K2; q++) a += s->Pa[j * K2 + q] * u[q];
        v += r->mna->x[(size_t)j * m + k - 1] * a;
    }
    for (int j = 0; j < M; j++) v -= r->mna->x[(size_t)(N + j) * m + k - 1] * r->i[j];
    return v;
}
