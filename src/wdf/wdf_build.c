/* wdf_build.c — compile a circuit description into flat arrays, and
 * recompute port resistances and scattering matrices when a control moves.
 *
 * Compilation walks each stage's tree once: every child gets an edge (a port
 * shared with its parent), leaves and adaptors go into arrays in post-order,
 * and the root is classified. Everything is allocated here; the update and
 * run paths only write into it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "wdf_impl.h"

const char *const pt_wdf_control_names[PT_WDF_N_CONTROLS] = {
    "drive", "tone", "level", "gain", "bass", "mid", "treble", "volume",
    "presence", "master", "cut", "bright", "volume2", "resonance"};

/* ---- allocation: one list, freed together ---- */

static void *zalloc(pt_wdf_circuit *c, size_t n, size_t size)
{
    if (n == 0) n = 1;
    if (c->n_allocs == c->cap_allocs) {
        int cap = c->cap_allocs ? 2 * c->cap_allocs : 64;
        void **a = realloc(c->allocs, (size_t)cap * sizeof *a);
        if (!a) return NULL;
        c->allocs = a;
        c->cap_allocs = cap;
    }
    void *p = calloc(n, size);
    if (p) c->allocs[c->n_allocs++] = p;
    return p;
}

void pt_wdf_free(pt_wdf_circuit *c)
{
    if (!c) return;
    for (int i = 0; i < c->n_allocs; i++) free(c->allocs[i]);
    free(c->allocs);
    free(c);
}

/* ---- dense LU with partial pivoting (small systems: a few to ~20) ---- */

/* RT: factor a (n x n, row-major) in place. -1 if (numerically) singular. */
static int lu_factor(double *a, int *piv, int n)
{
    double scale = 0;
    for (int i = 0; i < n * n; i++) scale = fmax(scale, fabs(a[i]));
    if (!(scale > 0)) return n ? -1 : 0;
    for (int k = 0; k < n; k++) {
        int p = k;
        double best = fabs(a[k * n + k]);
        for (int i = k + 1; i < n; i++)
            if (fabs(a[i * n + k]) > best) best = fabs(a[i * n + k]), p = i;
        if (!(best > 1e-13 * scale)) return -1;
        piv[k] = p;
        if (p != k)
            for (int j = 0; j < n; j++) {
                double t = a[k * n + j];
                a[k * n + j] = a[p * n + j];
                a[p * n + j] = t;
            }
        double inv = 1.0 / a[k * n + k];
        for (int i = k + 1; i < n; i++) {
            double f = a[i * n + k] *= inv;
            if (f != 0)
                for (int j = k + 1; j < n; j++) a[i * n + j] -= f * a[k * n + j];
        }
    }
    return 0;
}

/* RT: solve with a factored matrix; b is overwritten by x. */
static void lu_solve(const double *a, const int *piv, int n, double *b)
{
    /* the factorisation swapped whole rows (multipliers included), so all
       the swaps apply to b before the forward substitution */
    for (int k = 0; k < n; k++)
        if (piv[k] != k) {
            double t = b[k];
            b[k] = b[piv[k]];
            b[piv[k]] = t;
        }
    /* forward substitution along rows, from the first nonzero of b (a
       port's right-hand side has two): what is above it stays 0 */
    int first = 0;
    while (first < n && b[first] == 0) first++;
    for (int i = first + 1; i < n; i++) {
        const double *ai = a + i * n;
        double s = b[i];
        for (int k = first; k < i; k++) s -= ai[k] * b[k];
        b[i] = s;
    }
    for (int k = n - 1; k >= 0; k--) {
        double s = b[k];
        for (int j = k + 1; j < n; j++) s -= a[k * n + j] * b[j];
        b[k] = s / a[k * n + k];
    }
}

/* ---- modified nodal analysis of an R-type adaptor ---- */

static void stamp_g(double *Y, int m, int p, int n, double g)
{
    if (p > 0) Y[(p - 1) * m + p - 1] += g;
    if (n > 0) Y[(n - 1) * m + n - 1] += g;
    if (p > 0 && n > 0) {
        Y[(p - 1) * m + n - 1] -= g;
        Y[(n - 1) * m + p - 1] -= g;
    }
}

/* RT: the node-admittance matrix with conductance g[k] on linear port k
 * (0 leaves a port open), internal resistors and ideal op-amps (nullors:
 * v+ = v-, the output supplies whatever current it must). Factored in mna->lu. */
static int mna_factor(wdf_mna *x, const double *g)
{
    int m = x->m;
    memset(x->Y, 0, sizeof(double) * (size_t)(m * m));
    for (int k = 0; k < x->n_port; k++) stamp_g(x->Y, m, x->pp[k], x->pn[k], g[k]);
    for (int k = 0; k < x->n_res; k++) stamp_g(x->Y, m, x->rp[k], x->rn[k], x->rg[k]);
    for (int j = 0; j < x->n_op; j++) {
        int col = x->n_nodes - 1 + j;
        if (x->op_o[j] > 0) x->Y[(x->op_o[j] - 1) * m + col] -= 1.0;
        if (x->op_p[j] > 0) x->Y[col * m + x->op_p[j] - 1] += 1.0;
        if (x->op_m[j] > 0) x->Y[col * m + x->op_m[j] - 1] -= 1.0;
    }
    /* ideal transformers: unknown j = the current into winding 2 at p2;
       winding 1 carries -j/a into p1 (power in = power out), and
       v(p2) - v(n2) = (v(p1) - v(n1)) / a */
    for (int j = 0; j < x->n_xf; j++) {
        int col = x->n_nodes - 1 + x->n_op + j;
        double ia = 1.0 / x->xf_a[j];
        const int nd[4] = {x->xf_p2[j], x->xf_n2[j], x->xf_p1[j], x->xf_n1[j]};
        const double kcl[4] = {1.0, -1.0, -ia, ia};
        for (int q = 0; q < 4; q++)
            if (nd[q] > 0) {
                x->Y[(nd[q] - 1) * m + col] += kcl[q];
                x->Y[col * m + nd[q] - 1] += kcl[q];
            }
    }
    memcpy(x->lu, x->Y, sizeof(double) * (size_t)(m * m));
    return lu_factor(x->lu, x->piv, m);
}

/* q . v for a port between nodes p and n */
static inline double port_dot(int p, int n, const double *v)
{
    return (p > 0 ? v[p - 1] : 0.0) - (n > 0 ? v[n - 1] : 0.0);
}

/* RT: column j of the solution: Y^-1 (s * q_port) */
static void mna_solve_port(wdf_mna *x, int p, int n, double s, double *out)
{
    memset(out, 0, sizeof(double) * (size_t)x->m);
    if (p > 0) out[p - 1] += s;
    if (n > 0) out[n - 1] -= s;
    lu_solve(x->lu, x->piv, x->m, out);
}

/* RT: the same column from Y^-1 (x->yi, by columns): s (Y^-1 e_p - Y^-1 e_n) */
static void mna_port_from_inverse(const wdf_mna *x, int p, int n, double s, double *out)
{
    const int m = x->m;
    const double *cp = p > 0 ? x->yi + (size_t)(p - 1) * m : NULL;
    const double *cn = n > 0 ? x->yi + (size_t)(n - 1) * m : NULL;
    for (int i = 0; i < m; i++) out[i] = s * ((cp ? cp[i] : 0.0) - (cn ? cn[i] : 0.0));
}

/* ---- pots ---- */

/* The fraction of a pot's resistance between terminal 1 and the wiper. A log
 * (audio, "A") taper gives 10 % at half travel: (81^pos - 1) / 80. Kept
 * inside [1e-4, 1 - 1e-4] so no segment is a short. RT */
double wdf_pot_fraction(const pt_wdf_part *p, const double *ctl)
{
    double pos = p->control >= 0 ? ctl[p->control] : 0.5;
    if (pos < 0) pos = 0;
    if (pos > 1) pos = 1;
    if (p->invert) pos = 1.0 - pos;
    double x = p->taper == PT_WDF_TAPER_LOG ? (pow(81.0, pos) - 1.0) / 80.0 : pos;
    if (x < 1e-4) x = 1e-4;
    if (x > 1.0 - 1e-4) x = 1.0 - 1e-4;
    return x;
}

static double leaf_resistance(const pt_wdf_circuit *c, const pt_wdf_part *p, int seg)
{
    switch (p->kind) {
    case PT_WDF_CAPACITOR: return c->T / (2.0 * p->c_farad);
    case PT_WDF_INDUCTOR: return 2.0 * p->l_henry / c->T;
    case PT_WDF_SWITCH: { /* a switch below the root: a resistor, nearly a short or open */
        int closed = (p->control >= 0 ? c->ctl[p->control] : 1.0) >= 0.5;
        if (p->invert) closed = !closed;
        return closed ? PT_WDF_SWITCH_ON_OHM : PT_WDF_SWITCH_OFF_OHM;
    }
    case PT_WDF_POT: {
        double x = wdf_pot_fraction(p, c->ctl);
        return p->r_ohm * (seg == 2 ? 1.0 - x : x);
    }
    default: return p->r_ohm;
    }
}

/* ---- recomputing coefficients ---- */

/* RT (bounded, no allocation): port resistances from the leaves up, the
 * scattering matrix of every adaptor, and the root's solution matrices.
 * On failure (a control made the network singular) returns non-zero and the
 * caller keeps the previous coefficients where it can. */
int wdf_stage_update(pt_wdf_circuit *c, wdf_stage *s, pt_error *err)
{
    const pt_wdf_desc *d = c->d;
    for (int l = 0; l < s->n_leaf; l++) {
        const pt_wdf_part *p = &d->part[s->leaf_part[l]];
        double R = leaf_resistance(c, p, s->leaf_seg[l]);
        s->R[s->leaf_edge[l]] = R;
        if (p->kind == PT_WDF_CURRENT_SOURCE) {
            /* Norton I || R is Thevenin I*R in series with R */
            s->kin[l] = s->kin[l] != 0 ? R * s->in_scale : 0;
            s->kc[l] = p->i_amp * R;
        }
    }
    for (int k = 0; k < s->n_ad; k++) {
        wdf_adaptor *a = &s->ad[k];
        const int n = a->n;
        const int *e = s->port_edge + a->port_off;
        double *S = s->S + a->s_off;
        if (a->kind == PT_WDF_T_SERIES) {
            /* outer port 0: v0 = sum v_k, one current through all */
            double R0 = 0;
            for (int j = 1; j < n; j++) R0 += s->R[e[j]];
            for (int j = 0; j < n * n; j++) S[j] = 0;
            for (int j = 1; j < n; j++) S[j] = 1.0;
            for (int i = 1; i < n; i++) {
                double g = s->R[e[i]] / R0;
                S[i * n] = g;
                for (int j = 1; j < n; j++) S[i * n + j] = (i == j) - g;
            }
            s->R[e[0]] = R0;
        } else if (a->kind == PT_WDF_T_PARALLEL) {
            double G0 = 0;
            for (int j = 1; j < n; j++) G0 += 1.0 / s->R[e[j]];
            S[0] = 0;
            for (int j = 1; j < n; j++) S[j] = (1.0 / s->R[e[j]]) / G0;
            for (int i = 1; i < n; i++) {
                S[i * n] = 1.0;
                for (int j = 1; j < n; j++) S[i * n + j] = S[j] - (i == j);
            }
            s->R[e[0]] = 1.0 / G0;
        } else if (a->kind == PT_WDF_T_INVERT) {
            S[0] = 0, S[1] = -1, S[2] = -1, S[3] = 0;
            s->R[e[0]] = s->R[e[1]];
        } else { /* R-type */
            wdf_mna *x = a->mna;
            double g[64];
            g[0] = 0;
            for (int j = 1; j < n; j++) g[j] = 1.0 / s->R[e[j]];
            if (mna_factor(x, g) != 0) goto singular_up;
            mna_solve_port(x, x->pp[0], x->pn[0], 1.0, x->q);
            double R0 = port_dot(x->pp[0], x->pn[0], x->q);
            if (!(R0 > 0) || !isfinite(R0)) goto singular_up;
            g[0] = 1.0 / R0;
            if (mna_factor(x, g) != 0) goto singular_up;
            for (int j = 0; j < n; j++) {
                double *col = x->x + (size_t)j * x->m;
                mna_solve_port(x, x->pp[j], x->pn[j], g[j], col);
                for (int i = 0; i < n; i++)
                    S[i * n + j] = 2.0 * port_dot(x->pp[i], x->pn[i], col) - (i == j);
            }
            S[0] = 0; /* adapted: exactly, not to rounding */
            s->R[e[0]] = R0;
            if (s->out_ad == k) {
                /* node voltage = sum_j x_j[node] * a_j; a_0 is a down wave */
                for (int j = 0; j < n; j++) {
                    s->out_coef[j] = s->d->out_scale * x->x[(size_t)j * x->m + s->out_node - 1];
                    s->out_idx[j] = j == 0 ? s->E + e[0] : e[j];
                }
            }
            continue;
        singular_up:
            return pt_error_set(err, PT_ERR_INVALID, d->file, a->t->line, a->t->col,
                                "the R-type adaptor cannot be realised: its network is singular "
                                "(a node is floating, or reached only through the port facing up, "
                                "or op-amps are wired without feedback)");
        }
    }
    wdf_root *r = &s->root;
    if (r->kind == ROOT_DIODE_PAIR || r->kind == ROOT_DIODE) {
        const pt_wdf_part *p = &d->part[r->part];
        double R = s->R[r->edge];
        if (r->kind == ROOT_DIODE)
            wdf_diode_k_init(&r->dk, R, p->is_a, p->n * PT_WDF_VT_27C, p->rs_ohm);
        else
            wdf_pair_init(&r->pk, R, p->is_a, p->n * PT_WDF_VT_27C, p->rs_ohm, p->is2_a,
                          p->n2 * PT_WDF_VT_27C, p->rs2_ohm);
    }
    if (r->kind == ROOT_RTYPE) {
        wdf_mna *x = r->mna;
        double g[PT_WDF_ROOT_MAX_PORTS];
        for (int j = 0; j < r->N; j++) g[j] = 1.0 / s->R[r->edges[j]];
        if (mna_factor(x, g) != 0)
            return pt_error_set(err, PT_ERR_INVALID, d->file, s->d->tree->line, s->d->tree->col,
                                "the root R-type adaptor cannot be realised: its linear network "
                                "is singular (a node connects only to nonlinear devices or is "
                                "floating, or an op-amp has no feedback path)");
        const int N = r->N, M = r->M, m = x->m;
        /* with more ports than unknowns (an amp: 94 ports on 52 nodes),
           Y^-1 column by column, and each port's solution a difference of
           two of its columns, is fewer solves than one solve per port: what
           a knob move costs on the audio thread */
        const int by_inverse = m < N + M;
        if (by_inverse)
            for (int k = 0; k < m; k++) {
                double *col = x->yi + (size_t)k * m;
                memset(col, 0, sizeof(double) * (size_t)m);
                col[k] = 1.0;
                lu_solve(x->lu, x->piv, m, col);
            }
        for (int j = 0; j < N; j++) {
            double *col = x->x + (size_t)j * m;
            if (by_inverse) mna_port_from_inverse(x, x->pp[j], x->pn[j], g[j], col);
            else mna_solve_port(x, x->pp[j], x->pn[j], g[j], col);
            for (int i = 0; i < N; i++) r->F1[i * N + j] = port_dot(x->pp[i], x->pn[i], col);
            for (int i = 0; i < M; i++) r->E[i * N + j] = port_dot(x->dp[i], x->dn[i], col);
        }
        for (int j = 0; j < M; j++) {
            double *col = x->x + (size_t)(N + j) * m;
            if (by_inverse) mna_port_from_inverse(x, x->dp[j], x->dn[j], 1.0, col);
            else mna_solve_port(x, x->dp[j], x->dn[j], 1.0, col);
            for (int i = 0; i < N; i++) r->F2[i * M + j] = port_dot(x->pp[i], x->pn[i], col);
            for (int i = 0; i < M; i++) {
                r->Z[i * M + j] = port_dot(x->dp[i], x->dn[i], col);
                r->Zt[j * M + i] = r->Z[i * M + j];
            }
        }
        r->lu_valid = 0; /* the kept factorisation was of the old Z */
        for (int k = 0; k < r->n_probe; k++) {
            for (int j = 0; j < N; j++)
                r->probe_x[k * N + j] =
                    port_dot(r->probe_p[k], r->probe_n[k], x->x + (size_t)j * m);
            for (int j = 0; j < M; j++)
                r->probe_y[k * (M ? M : 1) + j] =
                    port_dot(r->probe_p[k], r->probe_n[k], x->x + (size_t)(N + j) * m);
        }
    }
    if (s->Pa) wdf_flatten(s);
    return 0;
}

/* ---- compiling ---- */

typedef struct counts {
    int nodes, ports, s_size;
} counts;

static void count_tree(const pt_wdf_tree *t, counts *k)
{
    k->nodes++;
    int n = 0;
    switch (t->kind) {
    case PT_WDF_T_LEAF: return;
    case PT_WDF_T_SERIES:
    case PT_WDF_T_PARALLEL:
    case PT_WDF_T_INVERT:
    case PT_WDF_T_ROOT:
        for (int i = 0; i < t->n_child; i++) count_tree(t->child[i], k);
        n = t->n_child + 1;
        break;
    case PT_WDF_T_RTYPE:
        for (int i = 0; i < t->n_port; i++) count_tree(t->port[i].child, k);
        n = t->n_port + 1;
        break;
    }
    k->ports += n;
    k->s_size += n * n;
}

static const char *kind_name(pt_wdf_part_kind k)
{
    static const char *const names[] = {"resistor",  "capacitor",  "inductor", "voltage source",
                                        "current source", "pot", "switch", "diode",
                                        "diode pair", "BJT", "triode", "op-amp", "pentode",
                                        "transformer"};
    return (unsigned)k < PT_WDF_N_PART_KINDS ? names[k] : "part";
}

static wdf_mna *mna_new(pt_wdf_circuit *c, int n_nodes, int n_op, int n_port, int n_dport,
                        int n_res, int n_xf)
{
    wdf_mna *x = zalloc(c, 1, sizeof *x);
    if (!x) return NULL;
    x->n_nodes = n_nodes;
    x->n_op = n_op;
    x->n_xf = n_xf;
    x->m = n_nodes - 1 + n_op + n_xf;
    x->xf_p1 = zalloc(c, (size_t)n_xf, sizeof(int));
    x->xf_n1 = zalloc(c, (size_t)n_xf, sizeof(int));
    x->xf_p2 = zalloc(c, (size_t)n_xf, sizeof(int));
    x->xf_n2 = zalloc(c, (size_t)n_xf, sizeof(int));
    x->xf_a = zalloc(c, (size_t)n_xf, sizeof(double));
    if (!x->xf_p1 || !x->xf_n1 || !x->xf_p2 || !x->xf_n2 || !x->xf_a) return NULL;
    x->n_port = n_port;
    x->n_dport = n_dport;
    x->n_res = n_res;
    int m = x->m;
    x->pp = zalloc(c, (size_t)n_port, sizeof(int));
    x->pn = zalloc(c, (size_t)n_port, sizeof(int));
    x->dp = zalloc(c, (size_t)n_dport, sizeof(int));
    x->dn = zalloc(c, (size_t)n_dport, sizeof(int));
    x->rp = zalloc(c, (size_t)n_res, sizeof(int));
    x->rn = zalloc(c, (size_t)n_res, sizeof(int));
    x->rg = zalloc(c, (size_t)n_res, sizeof(double));
    x->op_p = zalloc(c, (size_t)n_op, sizeof(int));
    x->op_m = zalloc(c, (size_t)n_op, sizeof(int));
    x->op_o = zalloc(c, (size_t)n_op, sizeof(int));
    x->Y = zalloc(c, (size_t)(m * m), sizeof(double));
    x->lu = zalloc(c, (size_t)(m * m), sizeof(double));
    x->piv = zalloc(c, (size_t)m, sizeof(int));
    x->x = zalloc(c, (size_t)(m * (n_port + n_dport)), sizeof(double));
    x->q = zalloc(c, (size_t)m, sizeof(double));
    x->yi = zalloc(c, (size_t)(m * m), sizeof(double));
    if (!x->pp || !x->pn || !x->dp || !x->dn || !x->rp || !x->rn || !x->rg || !x->op_p ||
        !x->op_m || !x->op_o || !x->Y || !x->lu || !x->piv || !x->x || !x->q || !x->yi)
        return NULL;
    return x;
}

#define NOMEM() pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory")

static int compile_node(pt_wdf_circuit *c, wdf_stage *s, const pt_wdf_tree *t, int up_edge,
                        pt_error *err)
{
    const pt_wdf_desc *d = c->d;
    if (t->kind == PT_WDF_T_LEAF) {
        const pt_wdf_part *p = &d->part[t->part];
        switch (p->kind) {
        case PT_WDF_RESISTOR:
        case PT_WDF_CAPACITOR:
        case PT_WDF_INDUCTOR:
        case PT_WDF_POT: break;
        case PT_WDF_SWITCH: break;
        case PT_WDF_VOLTAGE_SOURCE:
        case PT_WDF_CURRENT_SOURCE:
            if (p->r_ohm > 0) break;
            return pt_error_set(err, PT_ERR_INVALID, d->file, t->line, t->col,
                                "ideal %s '%s' (no R) can only be the root of a tree; give it "
                                "a series (voltage) or parallel (current) resistance R to use "
                                "it as a leaf",
                                kind_name(p->kind), p->name);
        default:
            return pt_error_set(err, PT_ERR_INVALID, d->file, t->line, t->col,
                                "%s '%s' is not a one-port linear part; it can only be the root "
                                "of a tree or a device of the root R-type adaptor",
                                kind_name(p->kind), p->name);
        }
        int l = s->n_leaf++;
        s->leaf_edge[l] = up_edge;
        s->leaf_part[l] = t->part;
        s->leaf_seg[l] = t->segment;
        s->ks[l] = p->kind == PT_WDF_CAPACITOR ? 1.0 : p->kind == PT_WDF_INDUCTOR ? -1.0 : 0.0;
        s->kin[l] = 0;
        s->kc[l] = p->kind == PT_WDF_VOLTAGE_SOURCE ? p->v_volt : 0.0;
        if (t->part == s->d->input_part) s->kin[l] = 1.0; /* current sources: scaled by R in update */
        if (p->kind == PT_WDF_VOLTAGE_SOURCE && t->part == s->d->input_part) s->kin[l] = s->in_scale;
        return 0;
    }
    if (t->kind == PT_WDF_T_ROOT || (t->kind == PT_WDF_T_RTYPE && t->up_p < 0))
        return pt_error_set(err, PT_ERR_INVALID, d->file, t->line, t->col,
                            "a root can only be at the top of a tree");
    int n = t->kind == PT_WDF_T_RTYPE ? t->n_port + 1 : t->n_child + 1;
    int *edges = s->port_edge + 0; /* filled below at this adaptor's offset */
    int child_edges[64];
    if (n > 64)
        return pt_error_set(err, PT_ERR_INVALID, d->file, t->line, t->col,
                            "an adaptor can join at most 63 children");
    for (int i = 1; i < n; i++) {
        child_edges[i] = s->E++;
        const pt_wdf_tree *ch = t->kind == PT_WDF_T_RTYPE ? t->port[i - 1].child : t->child[i - 1];
        if (compile_node(c, s, ch, child_edges[i], err)) return err ? err->code : 1;
    }
    int k = s->n_ad++;
    wdf_adaptor *a = &s->ad[k];
    a->kind = t->kind;
    a->n = n;
    a->t = t;
    a->port_off = k == 0 ? 0 : s->ad[k - 1].port_off + s->ad[k - 1].n;
    a->s_off = k == 0 ? 0 : s->ad[k - 1].s_off + s->ad[k - 1].n * s->ad[k - 1].n;
    edges = s->port_edge + a->port_off;
    edges[0] = up_edge;
    for (int i = 1; i < n; i++) edges[i] = child_edges[i];
    if (t->kind == PT_WDF_T_RTYPE) {
        int n_op = 0;
        for (int j = 0; j < t->n_dev; j++) {
            const pt_wdf_part *p = &d->part[t->dev[j].part];
            if (p->kind != PT_WDF_OPAMP)
                return pt_error_set(err, PT_ERR_INVALID, d->file, t->dev[j].line, t->dev[j].col,
                                    "%s '%s' is nonlinear: only the root R-type adaptor (the one "
                                    "without `up`) can hold nonlinear devices",
                                    kind_name(p->kind), p->name);
            n_op++;
        }
        a->mna = mna_new(c, t->n_nodes, n_op, n, 0, 0, 0);
        if (!a->mna) return NOMEM();
        a->mna->pp[0] = t->up_p, a->mna->pn[0] = t->up_n;
        for (int i = 1; i < n; i++)
            a->mna->pp[i] = t->port[i - 1].node_p, a->mna->pn[i] = t->port[i - 1].node_n;
        for (int j = 0; j < t->n_dev; j++) {
            a->mna->op_p[j] = t->dev[j].node[0];
            a->mna->op_m[j] = t->dev[j].node[1];
            a->mna->op_o[j] = t->dev[j].node[2];
        }
    }
    return 0;
}

/* The R-type root: linear ports become waves, nonlinear devices become
 * device ports solved by Newton-Raphson (wdf_run.c). A diode's series
 * resistance becomes an internal resistor to a hidden node. */
static int compile_rtype_root(pt_wdf_circuit *c, wdf_stage *s, const pt_wdf_tree *t,
                              pt_error *err)
{
    const pt_wdf_desc *d = c->d;
    wdf_root *r = &s->root;
    r->kind = ROOT_RTYPE;
    r->N = t->n_port;
    if (r->N > PT_WDF_ROOT_MAX_PORTS)
        return pt_error_set(err, PT_ERR_INVALID, d->file, t->line, t->col,
                            "the root R-type adaptor can have at most %d ports (linear parts)",
                            PT_WDF_ROOT_MAX_PORTS);
    r->edges = zalloc(c, (size_t)r->N, sizeof(int));
    if (!r->edges) return NOMEM();
    for (int i = 0; i < t->n_port; i++) {
        r->edges[i] = s->E++;
        if (compile_node(c, s, t->port[i].child, r->edges[i], err)) return err ? err->code : 1;
    }
    int M = 0, n_op = 0, n_res = 0, n_dev = 0, extra_nodes = 0, n_xf = 0;
    for (int j = 0; j < t->n_dev; j++) {
        const pt_wdf_part *p = &d->part[t->dev[j].part];
        switch (p->kind) {
        case PT_WDF_OPAMP: n_op++; break;
        case PT_WDF_DIODE:
            M += 1, n_dev += 1;
            if (p->rs_ohm > 0) n_res++, extra_nodes++;
            break;
        case PT_WDF_DIODE_PAIR:
            M += 2, n_dev += 2;
            if (p->rs_ohm > 0) n_res++, extra_nodes++;
            if (p->rs2_ohm > 0) n_res++, extra_nodes++;
            break;
        case PT_WDF_BJT:
        case PT_WDF_TRIODE: M += 2, n_dev += 1; break;
        case PT_WDF_PENTODE: M += 3, n_dev += 1; break;
        case PT_WDF_TRANSFORMER: n_xf += p->xf_center_tap ? 2 : 1; break;
        default:
            return pt_error_set(err, PT_ERR_INVALID, d->file, t->dev[j].line, t->dev[j].col,
                                "%s '%s' cannot be a device of an R-type adaptor; connect it "
                                "through a port instead",
                                kind_name(p->kind), p->name);
        }
    }
    r->M = M;
    r->mna = mna_new(c, t->n_nodes + extra_nodes, n_op, r->N, M, n_res, n_xf);
    r->dev = zalloc(c, (size_t)n_dev, sizeof(wdf_device));
    int N = r->N, Mx = M ? M : 1;
    r->F1 = zalloc(c, (size_t)(N * N), sizeof(double));
    r->F2 = zalloc(c, (size_t)(N * Mx), sizeof(double));
    r->E = zalloc(c, (size_t)(Mx * N), sizeof(double));
    r->Z = zalloc(c, (size_t)(Mx * Mx), sizeof(double));
    r->v = zalloc(c, (size_t)Mx, sizeof(double));
    r->vsave = zalloc(c, (size_t)Mx, sizeof(double));
    r->v_rest = zalloc(c, (size_t)Mx, sizeof(double));
    r->v_prev = zalloc(c, (size_t)Mx, sizeof(double));
    r->inv_tol = zalloc(c, (size_t)Mx, sizeof(double));
    r->v_prev2 = zalloc(c, (size_t)Mx, sizeof(double));
    r->p_prev = zalloc(c, (size_t)Mx, sizeof(double));
    if (!r->inv_tol || !r->v_prev2 || !r->p_prev) return NOMEM();
    for (int m = 0; m < Mx; m++) r->inv_tol[m] = 1.0 / 1e-5; /* junctions: 1e-5 V */
    r->i = zalloc(c, (size_t)Mx, sizeof(double));
    r->D = zalloc(c, (size_t)(Mx * Mx), sizeof(double));
    r->J = zalloc(c, (size_t)(Mx * Mx), sizeof(double));
    r->act = zalloc(c, (size_t)Mx, sizeof(int));
    r->act_q0 = zalloc(c, (size_t)Mx, sizeof(int));
    r->act_nq = zalloc(c, (size_t)Mx, sizeof(int));
    r->h = zalloc(c, (size_t)Mx, sizeof(double));
    r->Zt = zalloc(c, (size_t)(Mx * Mx), sizeof(double));
    r->dz = zalloc(c, (size_t)Mx, sizeof(double));
    r->piv = zalloc(c, (size_t)Mx, sizeof(int));
    r->Dold = zalloc(c, (size_t)(Mx * Mx), sizeof(double));
    r->dp_base = zalloc(c, (size_t)Mx, sizeof(double));
    r->F = zalloc(c, (size_t)Mx, sizeof(double));
    r->p = zalloc(c, (size_t)Mx, sizeof(double));
    r->a = zalloc(c, (size_t)N, sizeof(double));
    if (!r->mna || !r->dev || !r->F1 || !r->F2 || !r->E || !r->Z || !r->v || !r->vsave || !r->v_rest || !r->v_prev ||
        !r->i || !r->D || !r->J || !r->act || !r->act_q0 || !r->act_nq || !r->h || !r->Zt || !r->dz || !r->piv || !r->Dold || !r->dp_base || !r->F || !r->p || !r->a)
        return NOMEM();
    wdf_mna *x = r->mna;
    for (int i = 0; i < N; i++) x->pp[i] = t->port[i].node_p, x->pn[i] = t->port[i].node_n;
    int port = 0, node = t->n_nodes, res = 0, op = 0, xf = 0;
    for (int j = 0; j < t->n_dev; j++) {
        const pt_wdf_part *p = &d->part[t->dev[j].part];
        const int *nd = t->dev[j].node;
        if (p->kind == PT_WDF_OPAMP) {
            x->op_p[op] = nd[0], x->op_m[op] = nd[1], x->op_o[op] = nd[2];
            op++;
            continue;
        }
        if (p->kind == PT_WDF_TRANSFORMER) {
            if (!p->xf_center_tap) {
                x->xf_p1[xf] = nd[0], x->xf_n1[xf] = nd[1];
                x->xf_p2[xf] = nd[2], x->xf_n2[xf] = nd[3];
                x->xf_a[xf++] = p->xf_ratio;
            } else {
                /* two half primaries (plate a to tap, tap to plate b) on
                   one secondary: the ideal three-winding transformer */
                for (int h = 0; h < 2; h++) {
                    x->xf_p1[xf] = h ? nd[1] : nd[0], x->xf_n1[xf] = h ? nd[2] : nd[1];
                    x->xf_p2[xf] = nd[3], x->xf_n2[xf] = nd[4];
                    x->xf_a[xf++] = 0.5 * p->xf_ratio;
                }
            }
            continue;
        }
        int nj = p->kind == PT_WDF_DIODE ? 1 : p->kind == PT_WDF_DIODE_PAIR ? 2 : 0;
        for (int q = 0; q < nj; q++) {
            /* diode q of the part: the pair's second diode points the other way */
            double is = q ? p->is2_a : p->is_a, n = q ? p->n2 : p->n, rs = q ? p->rs2_ohm : p->rs_ohm;
            int an = q ? nd[1] : nd[0], ca = q ? nd[0] : nd[1];
            if (rs > 0) {
                x->rp[res] = an, x->rn[res] = node, x->rg[res] = 1.0 / rs;
                res++;
                an = node++;
            }
            wdf_device *dv = &r->dev[r->n_dev++];
            r->has_junction = 1;
            dv->kind = DEV_JUNCTION;
            dv->port = port;
            dv->part = t->dev[j].part;
            dv->p = p;
            dv->is = is;
            dv->nvt = n * PT_WDF_VT_27C;
            dv->vcrit = dv->nvt * log(dv->nvt / (sqrt(2.0) * is));
            x->dp[port] = an, x->dn[port] = ca;
            port++;
        }
        if (p->kind == PT_WDF_BJT) {
            wdf_device *dv = &r->dev[r->n_dev++];
            r->has_junction = 1;
            dv->kind = DEV_BJT;
            dv->port = port;
            dv->part = t->dev[j].part;
            dv->p = p;
            dv->is = p->is_a;
            dv->nvt = p->n * PT_WDF_VT_27C;
            dv->beta_f = p->beta_f, dv->beta_r = p->beta_r;
            dv->vcrit = dv->nvt * log(dv->nvt / (sqrt(2.0) * p->is_a));
            int cn = nd[0], bn = nd[1], en = nd[2];
            if (!p->pnp) {
                x->dp[port] = bn, x->dn[port] = en;         /* v_be */
                x->dp[port + 1] = bn, x->dn[port + 1] = cn; /* v_bc */
            } else {
                x->dp[port] = en, x->dn[port] = bn;         /* v_eb */
                x->dp[port + 1] = cn, x->dn[port + 1] = bn; /* v_cb */
            }
            port += 2;
        } else if (p->kind == PT_WDF_TRIODE) {
            wdf_device *dv = &r->dev[r->n_dev++];
            dv->kind = DEV_TRIODE;
            dv->port = port;
            dv->part = t->dev[j].part;
            dv->p = p;
            /* ln(1+e^u) ~ e^u there: Gg (e^u / Cg)^xi < 1e-13 */
            dv->grid_off = log(p->tr_cg * pow(1e-13 / p->tr_gg, 1.0 / p->tr_xi));
            r->inv_tol[port] = 1.0 / 2e-3;    /* grid: curvature ~C = 3.4 /V */
            r->inv_tol[port + 1] = 1.0 / 0.1; /* plate: curvature ~C/mu = 0.03 /V */
            x->dp[port] = nd[1], x->dn[port] = nd[2];         /* v_gk, grid current */
            x->dp[port + 1] = nd[0], x->dn[port + 1] = nd[2]; /* v_pk, plate current */
            dv->scale = p->n_parallel > 0 ? p->n_parallel : 1.0;
            port += 2;
        } else if (p->kind == PT_WDF_PENTODE) {
            wdf_device *dv = &r->dev[r->n_dev++];
            dv->kind = DEV_PENTODE;
            dv->port = port;
            dv->part = t->dev[j].part;
            dv->p = p;
            dv->scale = p->n_parallel > 0 ? p->n_parallel : 1.0;
            dv->grid_off = log(p->tr_cg * pow(1e-13 / p->tr_gg, 1.0 / p->tr_xi));
            r->inv_tol[port] = 1.0 / 2e-3;    /* control grid */
            r->inv_tol[port + 1] = 1.0 / 0.1; /* screen */
            r->inv_tol[port + 2] = 1.0 / 0.1; /* plate */
            /* nodes: plate, screen, grid, cathode */
            x->dp[port] = nd[2], x->dn[port] = nd[3];         /* v_g1k, grid current */
            x->dp[port + 1] = nd[1], x->dn[port + 1] = nd[3]; /* v_g2k, screen current */
            x->dp[port + 2] = nd[0], x->dn[port + 2] = nd[3]; /* v_pk, plate current */
            port += 3;
        }
    }
    return 0;
}

static int find_leaf(const wdf_stage *s, int part, int seg)
{
    for (int l = 0; l < s->n_leaf; l++)
        if (s->leaf_part[l] == part && (seg < 0 || s->leaf_seg[l] == seg)) return l;
    return -1;
}

static int compile_stage(pt_wdf_circuit *c, wdf_stage *s, const pt_wdf_stage_desc *sd,
                         pt_error *err)
{
    const pt_wdf_desc *d = c->d;
    const pt_wdf_tree *t = sd->tree;
    s->d = sd;
    counts k = {0};
    count_tree(t, &k);
    int E = k.nodes; /* at most one edge per tree node */
    s->R = zalloc(c, (size_t)E, sizeof(double));
    s->leaf_edge = zalloc(c, (size_t)k.nodes, sizeof(int));
    s->leaf_part = zalloc(c, (size_t)k.nodes, sizeof(int));
    s->leaf_seg = zalloc(c, (size_t)k.nodes, sizeof(int));
    s->ks = zalloc(c, (size_t)k.nodes, sizeof(double));
    s->kin = zalloc(c, (size_t)k.nodes, sizeof(double));
    s->kc = zalloc(c, (size_t)k.nodes, sizeof(double));
    s->ad = zalloc(c, (size_t)k.nodes, sizeof(wdf_adaptor));
    s->port_edge = zalloc(c, (size_t)k.ports, sizeof(int));
    s->S = zalloc(c, (size_t)k.s_size, sizeof(double));
    s->out_idx = zalloc(c, 72, sizeof(int));
    s->out_coef = zalloc(c, 72, sizeof(double));
    if (!s->R || !s->leaf_edge || !s->leaf_part || !s->leaf_seg || !s->ks || !s->kin || !s->kc ||
        !s->ad || !s->port_edge || !s->S || !s->out_idx || !s->out_coef)
        return NOMEM();
    s->out_ad = -1;
    s->in_scale = 1.0;
    wdf_root *r = &s->root;
    r->part = -1;
    if (t->kind == PT_WDF_T_ROOT) {
        const pt_wdf_part *p = &d->part[t->part];
        r->part = t->part;
        switch (p->kind) {
        case PT_WDF_VOLTAGE_SOURCE:
            if (p->r_ohm > 0) goto not_root;
            r->kind = ROOT_VSOURCE;
            r->kc = p->v_volt;
            break;
        case PT_WDF_CURRENT_SOURCE:
            if (p->r_ohm > 0) goto not_root;
            r->kind = ROOT_ISOURCE;
            r->kc = p->i_amp;
            break;
        case PT_WDF_SWITCH: r->kind = ROOT_SWITCH; break;
        case PT_WDF_DIODE: r->kind = ROOT_DIODE; break;
        case PT_WDF_DIODE_PAIR: r->kind = ROOT_DIODE_PAIR; break;
        default:
        not_root:
            return pt_error_set(err, PT_ERR_INVALID, d->file, t->line, t->col,
                                "%s '%s' cannot be a root: a root must be an ideal source (no R), "
                                "a switch, a diode or a diode pair, or an R-type adaptor "
                                "without `up`",
                                kind_name(p->kind), p->name);
        }
        if (t->part == sd->input_part) r->kin = 1.0;
        r->edge = s->E++;
        if (compile_node(c, s, t->child[0], r->edge, err)) return err ? err->code : 1;
    } else if (t->kind == PT_WDF_T_RTYPE && t->up_p < 0) {
        if (compile_rtype_root(c, s, t, err)) return err ? err->code : 1;
    } else {
        return pt_error_set(err, PT_ERR_INVALID, d->file, t->line, t->col,
                            "the top of a tree must be a root (`root: PART` with `child:`) or an "
                            "R-type adaptor without `up`: series and parallel adaptors have a "
                            "port facing up that nothing would connect to");
    }
    if (sd->input_part >= 0 && r->part != sd->input_part && find_leaf(s, sd->input_part, -1) < 0)
        return pt_error_set(err, PT_ERR_INVALID, d->file, sd->line, sd->col,
                            "the input '%s' is not a part of this stage's tree",
                            d->part[sd->input_part].name);
    if (sd->input_part >= 0) {
        pt_wdf_part_kind ik = d->part[sd->input_part].kind;
        if (ik != PT_WDF_VOLTAGE_SOURCE && ik != PT_WDF_CURRENT_SOURCE)
            return pt_error_set(err, PT_ERR_INVALID, d->file, sd->line, sd->col,
                                "the input '%s' must be a voltage or current source",
                                d->part[sd->input_part].name);
    }
    /* the output */
    s->n_w = 2 * s->E;
    if (sd->out_kind == PT_WDF_PROBE_ACROSS) {
        int part = sd->out_part;
        int l = find_leaf(s, part, sd->out_seg);
        int e = l >= 0 ? s->leaf_edge[l] : r->part == part ? r->edge : -1;
        if (e >= 0) {
            s->n_out = 2;
            s->out_idx[0] = e, s->out_idx[1] = s->E + e;
            s->out_coef[0] = s->out_coef[1] = 0.5 * sd->out_scale;
        } else if (r->kind == ROOT_RTYPE) {
            const pt_wdf_rdevice *dv = NULL;
            for (int j = 0; j < t->n_dev; j++)
                if (t->dev[j].part == part) dv = &t->dev[j];
            pt_wdf_part_kind pk = d->part[part].kind;
            if (!dv || (pk != PT_WDF_DIODE && pk != PT_WDF_DIODE_PAIR))
                goto no_probe;
            r->n_probe = 1;
            r->probe_p = zalloc(c, 1, sizeof(int));
            r->probe_n = zalloc(c, 1, sizeof(int));
            if (!r->probe_p || !r->probe_n) return NOMEM();
            r->probe_p[0] = dv->node[0], r->probe_n[0] = dv->node[1];
        } else {
        no_probe:
            return pt_error_set(err, PT_ERR_INVALID, d->file, sd->out_line, sd->out_col,
                                "cannot take the output across '%s': it must be a one-port part "
                                "of this stage's tree, or a diode of its root R-type adaptor "
                                "(for other devices name a node with `node:`)",
                                d->part[part].name);
        }
    } else {
        int found = 0;
        if (r->kind == ROOT_RTYPE)
            for (int i = 1; i < t->n_nodes; i++)
                if (strcmp(t->node_name[i], sd->out_node) == 0) {
                    r->n_probe = 1;
                    r->probe_p = zalloc(c, 1, sizeof(int));
                    r->probe_n = zalloc(c, 1, sizeof(int));
                    if (!r->probe_p || !r->probe_n) return NOMEM();
                    r->probe_p[0] = i, r->probe_n[0] = 0;
                    found = 1;
                }
        for (int a = 0; a < s->n_ad && !found; a++) {
            const pt_wdf_tree *at = s->ad[a].t;
            if (at->kind != PT_WDF_T_RTYPE) continue;
            for (int i = 1; i < at->n_nodes; i++)
                if (strcmp(at->node_name[i], sd->out_node) == 0) {
                    s->out_ad = a, s->out_node = i, s->n_out = s->ad[a].n;
                    found = 1;
                }
        }
        if (!found)
            return pt_error_set(err, PT_ERR_INVALID, d->file, sd->out_line, sd->out_col,
                                "no R-type adaptor in this stage has a node named '%s' (other "
                                "than gnd)",
                                sd->out_node);
    }
    if (r->n_probe) {
        int N = r->N, M = r->M ? r->M : 1;
        r->probe_x = zalloc(c, (size_t)N, sizeof(double));
        r->probe_y = zalloc(c, (size_t)M, sizeof(double));
        if (!r->probe_x || !r->probe_y) return NOMEM();
        s->n_out = 1;
        s->out_idx[0] = s->n_w;
        s->out_coef[0] = sd->out_scale;
        s->n_w += 1;
    }
    s->w = zalloc(c, (size_t)s->n_w, sizeof(double));
    s->w_rest = zalloc(c, (size_t)s->n_w, sizeof(double));
    if (!s->w || !s->w_rest) return NOMEM();
    /* the flattened form */
    s->K = 0;
    for (int l = 0; l < s->n_leaf; l++) s->K += s->ks[l] != 0;
    s->st_edge = zalloc(c, (size_t)s->K, sizeof(int));
    s->K = 0;
    for (int l = 0; l < s->n_leaf; l++)
        if (s->ks[l] != 0) s->st_edge[s->K++] = s->leaf_edge[l];
    s->NR = r->kind == ROOT_RTYPE ? r->N : 1;
    s->root_edge = r->kind == ROOT_RTYPE ? r->edges : &r->edge;
    int K = s->K, NR = s->NR;
    s->sv = zalloc(c, (size_t)K, sizeof(double));
    s->sv_rest = zalloc(c, (size_t)K, sizeof(double));
    s->Pa = zalloc(c, (size_t)(NR * (K + 2)), sizeof(double));
    s->Ps = zalloc(c, (size_t)((K + 1) * (K + 2 + NR)), sizeof(double));
    s->u = zalloc(c, (size_t)(K + 2 + NR), sizeof(double));
    s->tmp = zalloc(c, (size_t)(K + 1 + NR), sizeof(double));
    if (!s->st_edge || !s->sv || !s->sv_rest || !s->Pa || !s->Ps || !s->u || !s->tmp)
        return NOMEM();
    if (r->kind == ROOT_RTYPE) {
        int M = r->M ? r->M : 1;
        s->Pp = zalloc(c, (size_t)(M * (K + 2)), sizeof(double));
        s->Qu = zalloc(c, (size_t)((K + 1) * (K + 2)), sizeof(double));
        s->Qi = zalloc(c, (size_t)((K + 1) * M), sizeof(double));
        s->B = zalloc(c, (size_t)(NR * (K + 2)), sizeof(double));
        s->PpT = zalloc(c, (size_t)(M * (K + 2)), sizeof(double));
        s->QT = zalloc(c, (size_t)((K + 1) * (K + 2 + M)), sizeof(double));
        if (!s->Pp || !s->Qu || !s->Qi || !s->B || !s->PpT || !s->QT) return NOMEM();
    }
    s->out_from_root = s->n_out == 1 && s->out_idx[0] >= 2 * s->E;
    return 0;
}

pt_wdf_circuit *pt_wdf_compile(const pt_wdf_desc *d, double rate, pt_error *err)
{
    pt_wdf_omega_table_init();
    pt_wdf_circuit *c = calloc(1, sizeof *c);
    if (!c) {
        NOMEM();
        return NULL;
    }
    c->d = d;
    c->rate = rate;
    c->T = 1.0 / rate;
    c->max_iter = d->max_iter > 0 ? d->max_iter : 100;
    for (int k = 0; k < PT_WDF_N_CONTROLS; k++) c->ctl[k] = c->ctl_applied[k] = 0.5;
    c->n_stage = d->n_stage;
    c->st = zalloc(c, (size_t)d->n_stage, sizeof(wdf_stage));
    if (!c->st) {
        NOMEM();
        goto fail;
    }
    for (int i = 0; i < d->n_stage; i++) {
        if (compile_stage(c, &c->st[i], &d->stage[i], err)) goto fail;
        if (wdf_stage_update(c, &c->st[i], err)) goto fail;
    }
    return c;
fail:
    pt_wdf_free(c);
    return NULL;
}

/* RT */
void pt_wdf_set_control(pt_wdf_circuit *c, int k, double value)
{
    if (k < 0 || k >= PT_WDF_N_CONTROLS) return;
    c->ctl[k] = value;
    if (fabs(value - c->ctl_applied[k]) > 1e-7) c->dirty = 1;
}

/* RT */
void pt_wdf_update(pt_wdf_circuit *c)
{
    if (!c->dirty) return;
    c->dirty = 0;
    if (!(c->d->controls_used)) return;
    for (int k = 0; k < PT_WDF_N_CONTROLS; k++) c->ctl_applied[k] = c->ctl[k];
    for (int i = 0; i < c->n_stage; i++) wdf_stage_update(c, &c->st[i], NULL);
}
