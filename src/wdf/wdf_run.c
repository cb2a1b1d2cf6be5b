/* wdf_run.c — running a compiled circuit.
 *
 * One pass of a stage's tree (tree_pass) does what a wave digital filter
 * does each sample:
 *   1. every leaf reflects  b = ks * a[n-1] + kin * x + kc
 *      (resistor 0; capacitor a[n-1]; inductor -a[n-1]; source its value)
 *   2. adaptors in post-order send up  b0 = sum_k S[0][k] a_k
 *   3. the root reflects
 *   4. adaptors in reverse order send down  b_k = S[k][0] a0 + sum_j S[k][j] a_j
 *   5. the output is a fixed linear combination of waves
 * Steps 1, 2, 4 and 5 are linear, so wdf_flatten drives the tree with unit
 * inputs once per coefficient change and keeps the affine map around the
 * root; the per-sample loops (run_one_port, run_rtype) then apply that map
 * and solve the root: in closed form for diodes and sources, by
 * Newton-Raphson on the device ports for an R-type root. */
#include <math.h>
#include <string.h>

#include "wdf_impl.h"

/* RT: SPICE's junction-voltage limiting (pnjlim): a Newton step on an
 * exponential may not jump far into forward conduction at once. */
static inline double pnjlim(double vnew, double vold, double vt, double vcrit)
{
    if (vnew > vcrit && fabs(vnew - vold) > 2.0 * vt) {
        if (vold > 0) {
            double arg = 1.0 + (vnew - vold) / vt;
            vnew = arg > 0 ? vold + vt * log(arg) : vcrit;
        } else {
            vnew = vt * log(vnew / vt);
        }
    }
    return vnew;
}


/* RT: Dempwolf's cathode current G (ln(1 + e^u) / C)^gamma for
 * u = C (vpk/mu + vgk), and its derivative by u/C. */
static inline void triode_cathode(const pt_wdf_part *p, double u, double *ik, double *dik)
{
    *ik = 0, *dik = 0;
    if (u > -700) {
        /* softplus(u) = ln(1 + e^u) and its derivative e^u / (1 + e^u) */
        double eu = u > 30 ? 0 : exp(u);
        double sp = (u > 30 ? u : log1p(eu)) / p->tr_c;
        double sig = u > 30 ? 1.0 : eu / (1.0 + eu);
        double pw = exp((p->tr_gamma - 1.0) * log(sp)); /* sp^(gamma-1) */
        *ik = p->tr_g * pw * sp;
        *dik = p->tr_g * p->tr_gamma * pw * sig;
    }
}

/* RT: grid current Gg (ln(1 + e^(Cg vgk)) / Cg)^xi + Ig0 and its derivative
 * (triodes and pentodes alike). */
static inline void grid_current(const wdf_device *dv, const pt_wdf_part *p, double vg, double *ig,
                                double *dig)
{
    double ug = p->tr_cg * vg;
    *ig = p->tr_ig0, *dig = 0;
    if (ug > dv->grid_off) { /* below, the grid's diode-like current is under 1e-13 A */
        double eg = ug > 30 ? 0 : exp(ug);
        double spg = (ug > 30 ? ug : log1p(eg)) / p->tr_cg;
        double sig = ug > 30 ? 1.0 : eg / (1.0 + eg);
        double pw = exp((p->tr_xi - 1.0) * log(spg));
        *ig += p->tr_gg * pw * spg;
        *dig = p->tr_gg * p->tr_xi * pw * sig;
    }
}

/* The number of ports a device occupies in the root. */
static inline int device_ports(const wdf_device *dv)
{
    return dv->kind == DEV_JUNCTION ? 1 : dv->kind == DEV_PENTODE ? 3 : 2;
}

/* RT: device currents i (along each device port, + to -) and their
 * Jacobian D = di/dv at port voltages v. */
static void device_eval(const wdf_root *r, const double *v, double *i, double *D)
{
    const int M = r->M;
    /* D is block-diagonal; entries outside the blocks stay 0 from compile
       time, and each block is written whole (its structural zeros never) */
    for (int k = 0; k < r->n_dev; k++) {
        const wdf_device *dv = &r->dev[k];
        int q = dv->port;
        if (dv->kind == DEV_JUNCTION) {
            double e = exp(v[q] / dv->nvt);
            i[q] = dv->is * (e - 1.0);
            D[q * M + q] = dv->is * e / dv->nvt;
        } else if (dv->kind == DEV_BJT) {
            /* Ebers-Moll (transport form); ports v1 = v_be, v2 = v_bc (NPN),
               i1 = emitter current Ib + Ic, i2 = -Ic */
            double ef = exp(v[q] / dv->nvt), er = exp(v[q + 1] / dv->nvt);
            double is = dv->is, bf = 1.0 / dv->beta_f, br = 1.0 / dv->beta_r;
            i[q] = is * ((1.0 + bf) * ef - er - bf);
            i[q + 1] = is * (-ef + (1.0 + br) * er - br);
            D[q * M + q] = is * (1.0 + bf) * ef / dv->nvt;
            D[q * M + q + 1] = -is * er / dv->nvt;
            D[(q + 1) * M + q] = -is * ef / dv->nvt;
            D[(q + 1) * M + q + 1] = is * (1.0 + br) * er / dv->nvt;
        } else if (dv->kind == DEV_TRIODE) { /* Dempwolf & Zolzer */
            const pt_wdf_part *p = dv->p;
            double vg = v[q], vp = v[q + 1];
            double ik, dik, ig, dig;
            triode_cathode(p, p->tr_c * (vp / p->tr_mu + vg), &ik, &dik);
            grid_current(dv, p, vg, &ig, &dig);
            const double sc = dv->scale;
            i[q] = sc * ig;
            i[q + 1] = sc * (ik - ig);
            D[q * M + q] = sc * dig;
            D[(q + 1) * M + q] = sc * (dik - dig);
            D[(q + 1) * M + q + 1] = sc * dik / p->tr_mu;
        } else { /* DEV_PENTODE, Koren; ports g1k, g2k, pk */
            const pt_wdf_part *p = dv->p;
            double vg = v[q], vs = v[q + 1], vp = v[q + 2];
            double ig, dig;
            grid_current(dv, p, vg, &ig, &dig);
            /* the screen voltage divides: keep it off zero (a screen at
               0 V passes no current anyway) */
            const double vs_min = 1e-3;
            int vs_low = vs < vs_min;
            double vsx = vs_low ? vs_min : vs;
            double kp = p->pt_kp, mu = p->pt_mu, ex = p->pt_ex;
            double u = kp * (1.0 / mu + vg / vsx);
            double eu = u > 30 ? 0 : exp(u);
            double sp = u > 30 ? u : log1p(eu);          /* ln(1 + e^u) */
            double sig = u > 30 ? 1.0 : eu / (1.0 + eu);
            double e1 = vsx / kp * sp;
            double de1_dvg = sig;
            double de1_dvs = vs_low ? 0 : sp / kp - sig * vg / vsx;
            double ip = 0, dip_de1 = 0, dip_dvp = 0;
            if (e1 > 1e-300) {
                double pw = exp((ex - 1.0) * log(e1));  /* e1^(ex-1) */
                double at = atan(vp / p->pt_kvb);
                double k1 = 2.0 / p->pt_kg1;
                ip = k1 * pw * e1 * at;
                dip_de1 = k1 * ex * pw * at;
                dip_dvp = k1 * pw * e1 / (p->pt_kvb * (1.0 + (vp / p->pt_kvb) * (vp / p->pt_kvb)));
            }
            double w = vsx / mu + vg, is2 = 0, dis2 = 0;
            if (w > 0) {
                double pw = exp((ex - 1.0) * log(w));
                is2 = pw * w / p->pt_kg2;
                dis2 = ex * pw / p->pt_kg2;
            }
            const double sc = dv->scale;
            i[q] = sc * ig;
            i[q + 1] = sc * is2;
            i[q + 2] = sc * ip;
            D[q * M + q] = sc * dig;
            D[(q + 1) * M + q] = sc * dis2;
            D[(q + 1) * M + q + 1] = vs_low ? 0 : sc * dis2 / mu;
            D[(q + 2) * M + q] = sc * dip_de1 * de1_dvg;
            D[(q + 2) * M + q + 1] = sc * dip_de1 * de1_dvs;
            D[(q + 2) * M + q + 2] = sc * dip_dvp;
        }
    }
}

/* RT: solve J x = b (M x M, small) by Gaussian elimination with partial
 * pivoting, in place. -1 if singular. */
static inline __attribute__((always_inline)) int small_solve_n(double *J, double *b, const int M)
{
    for (int k = 0; k < M; k++) {
        int p = k;
        double best = fabs(J[k * M + k]);
        for (int i = k + 1; i < M; i++)
            if (fabs(J[i * M + k]) > best) best = fabs(J[i * M + k]), p = i;
        if (best == 0) return -1;
        if (p != k) {
            for (int j = k; j < M; j++) {
                double t = J[k * M + j];
                J[k * M + j] = J[p * M + j];
                J[p * M + j] = t;
            }
            double t = b[k];
            b[k] = b[p];
            b[p] = t;
        }
        /* one division per column; rows with nothing to eliminate skipped */
        const double inv = 1.0 / J[k * M + k];
        const double *restrict rk = J + k * M;
        for (int i = k + 1; i < M; i++) {
            double *restrict ri = J + i * M;
            double f = ri[k] * inv;
            if (f == 0) continue;
            for (int j = k + 1; j < M; j++) ri[j] -= f * rk[j];
            b[i] -= f * b[k];
        }
        J[k * M + k] = inv; /* kept for the back substitution */
    }
    for (int k = M - 1; k >= 0; k--) {
        double s = b[k];
        for (int j = k + 1; j < M; j++) s -= J[k * M + j] * b[j];
        b[k] = s * J[k * M + k];
    }
    return 0;
}

int wdf_small_solve(double *J, double *b, int M)
{
    /* a copy for each small size, which the compiler unrolls */
    switch (M) {
    case 3: return small_solve_n(J, b, 3);
    case 4: return small_solve_n(J, b, 4);
    case 5: return small_solve_n(J, b, 5);
    case 6: return small_solve_n(J, b, 6);
    case 7: return small_solve_n(J, b, 7);
    case 8: return small_solve_n(J, b, 8);
    default: return small_solve_n(J, b, M);
    }
}

/* RT: LU factorisation with partial pivoting of the n x n matrix A, in
 * place (each pivot's reciprocal kept on the diagonal), so that the next
 * sample's predictor can solve with it again. -1 if singular. */
static inline __attribute__((always_inline)) int small_lu_n(double *A, int *piv, const int n)
{
    for (int k = 0; k < n; k++) {
        int p = k;
        double best = fabs(A[k * n + k]);
        for (int i = k + 1; i < n; i++)
            if (fabs(A[i * n + k]) > best) best = fabs(A[i * n + k]), p = i;
        if (!(best > 0)) return -1;
        piv[k] = p;
        if (p != k)
            for (int j = 0; j < n; j++) {
                double t = A[k * n + j];
                A[k * n + j] = A[p * n + j];
                A[p * n + j] = t;
            }
        const double inv = 1.0 / A[k * n + k];
        const double *restrict rk = A + k * n;
        for (int i = k + 1; i < n; i++) {
            double *restrict ri = A + i * n;
            const double f = ri[k] *= inv;
            for (int j = k + 1; j < n; j++) ri[j] -= f * rk[j];
        }
        A[k * n + k] = inv;
    }
    return 0;
}

/* RT: solve with small_lu_n's factors; b is overwritten by the solution. */
static inline __attribute__((always_inline)) void small_lu_solve_n(const double *A, const int *piv,
                                                                   const int n, double *b)
{
    for (int k = 0; k < n; k++)
        if (piv[k] != k) {
            double t = b[k];
            b[k] = b[piv[k]];
            b[piv[k]] = t;
        }
    for (int i = 1; i < n; i++) {
        double s = b[i];
        for (int k = 0; k < i; k++) s -= A[i * n + k] * b[k];
        b[i] = s;
    }
    for (int k = n - 1; k >= 0; k--) {
        double s = b[k];
        for (int j = k + 1; j < n; j++) s -= A[k * n + j] * b[j];
        b[k] = s * A[k * n + k];
    }
}

/* RT: factor and solve A x = b, keeping the factors (copies per small size). */
static int small_lu_solve(double *A, int *piv, int n, double *b, int factor)
{
#define PT_SMALL_LU(N)                                                      \
    if (factor && small_lu_n(A, piv, N)) return -1;                       \
    small_lu_solve_n(A, piv, N, b);                                        \
    return 0
    switch (n) {
    case 3: PT_SMALL_LU(3);
    case 4: PT_SMALL_LU(4);
    case 5: PT_SMALL_LU(5);
    case 6: PT_SMALL_LU(6);
    case 7: PT_SMALL_LU(7);
    case 8: PT_SMALL_LU(8);
    case 9: PT_SMALL_LU(9);
    case 10: PT_SMALL_LU(10);
    case 11: PT_SMALL_LU(11);
    case 12: PT_SMALL_LU(12);
    case 13: PT_SMALL_LU(13);
    case 14: PT_SMALL_LU(14);
    default: PT_SMALL_LU(n);
    }
#undef PT_SMALL_LU
}

/* RT: the predictor: the step J^-1 dp that the drive's change dp = p - p_prev
 * asks of the last sample's solution, through the last sample's reduced
 * factorisation (the Jacobian where its Newton iteration ended). Since the
 * last solution satisfied v + Z (i + D dv) = p_prev exactly in the Newton
 * model, this is the first Newton step of the new sample with a Jacobian one
 * iteration old, without evaluating the devices. In r->F. */
static void predict_step(wdf_root *r)
{
    const int M = r->M, nr = r->n_act;
    const double *restrict Zt = r->Zt, *restrict Dold = r->Dold;
    double *restrict F = r->F, *restrict h = r->h, *restrict dz = r->dz;
    for (int a = 0; a < nr; a++) {
        const double *drow = Dold + r->act[a] * M;
        const int q0 = r->act_q0[a], q1 = q0 + r->act_nq[a];
        double g = 0;
        for (int q = q0; q < q1; q++) g += drow[q] * F[q];
        h[a] = g;
    }
    small_lu_solve(r->J, r->piv, nr, h, 0);
    for (int m = 0; m < M; m++) dz[m] = 0;
    for (int b = 0; b < nr; b++) {
        const double hb = h[b], *zc = Zt + r->act[b] * M;
        for (int m = 0; m < M; m++) dz[m] += zc[m] * hb;
    }
    for (int m = 0; m < M; m++) F[m] -= dz[m];
}

/* RT: the Newton step F = -(I + Z D)^-1 (v - p + Z i) for M > 2, in r->F.
 * D is block-diagonal and most of its rows are zero: a triode's grid passes
 * no current until it nears its cathode, so its row is zero and its plate
 * row is the only one that moves; a pentode's likewise. With Dr the r
 * nonzero rows of D and Zc the matching columns of Z, Z D = Zc Dr, and by
 * the Woodbury identity
 *   (I + Zc Dr)^-1 f = f - Zc (I_r + Dr Zc)^-1 Dr f,
 * so the dense solve is r x r (r = 10 of M = 18 in a Plexi with its grids
 * off) and building the small matrix costs r^2 times a device's port count,
 * not M^2. It is the Newton step of the M x M solve, to rounding. (Rows
 * that are merely tiny are kept: dropping grids whose slope times Z is
 * under 1e-6 saved no measurable time and moved the Plexi's saturated
 * output by 0.7 %, the solver's tolerance band amplified by its gain.) When most rows are active, or junctions (whose D is huge, so
 * the Woodbury form would cancel) are present, it solves the full system.
 * -1 if the system is singular. */
static int reduced_step(wdf_root *r)
{
    const int M = r->M;
    const double *restrict Z = r->Z, *restrict D = r->D, *restrict i = r->i;
    double *restrict F = r->F;
    const double *restrict Zt = r->Zt;
    for (int m = 0; m < M; m++) F[m] = r->v[m] - r->p[m];
    for (int k = 0; k < M; k++) { /* + Z i, column by column */
        const double ik = i[k], *zc = Zt + k * M;
        for (int m = 0; m < M; m++) F[m] += zc[m] * ik;
    }
    for (int m = 0; m < M; m++) F[m] = -F[m];
    /* the active rows (all of a junction's or BJT's: their D is e^(v/vt)
       large, and f - Zc h would cancel to nothing, so they go the full way) */
    int nr = 0;
    for (int d = 0; d < r->n_dev; d++) {
        const wdf_device *dv = &r->dev[d];
        const int q0 = dv->port, nq = device_ports(dv);
        for (int q = q0; q < q0 + nq; q++) {
            int any = r->has_junction;
            for (int k = q0; k < q0 + nq; k++) any |= D[q * M + k] != 0;
            if (any) r->act[nr] = q, r->act_q0[nr] = q0, r->act_nq[nr] = nq, nr++;
        }
    }
    r->lu_valid = 0;
    if (nr == 0) return 0; /* nothing conducts on a slope: the step is F */
    if (r->has_junction || r->full_newton || nr == M) {
        /* J = I + Z D in full, with D block-diagonal: M^2 times the block
           size, not M^3 */
        double *restrict J = r->J;
        for (int d = 0; d < r->n_dev; d++) {
            const wdf_device *dv = &r->dev[d];
            const int q0 = dv->port, nq = device_ports(dv);
            for (int m = 0; m < M; m++)
                for (int k = q0; k < q0 + nq; k++) {
                    double jj = (m == k);
                    for (int q = q0; q < q0 + nq; q++) jj += Z[m * M + q] * D[q * M + k];
                    J[m * M + k] = jj;
                }
        }
        return wdf_small_solve(J, F, M);
    }
    r->reduced_steps++;
    double *restrict C = r->J, *restrict h = r->h, *restrict dz = r->dz;
    for (int a = 0; a < nr; a++) {
        const double *drow = D + r->act[a] * M;
        const int q0 = r->act_q0[a], q1 = q0 + r->act_nq[a];
        double g = 0;
        for (int q = q0; q < q1; q++) g += drow[q] * F[q];
        h[a] = g;
        /* row a of Dr Z (whole rows of Z), then its active columns */
        for (int m = 0; m < M; m++) dz[m] = 0;
        for (int q = q0; q < q1; q++) {
            const double dq = drow[q], *zr = Z + q * M;
            for (int m = 0; m < M; m++) dz[m] += dq * zr[m];
        }
        for (int b = 0; b < nr; b++) C[a * nr + b] = (a == b) + dz[r->act[b]];
    }
    if (small_lu_solve(C, r->piv, nr, h, 1)) return -1;
    /* the factors stay in J for the next sample's predictor */
    for (int a = 0; a < nr; a++) {
        const int row = r->act[a], q0 = r->act_q0[a], q1 = q0 + r->act_nq[a];
        for (int q = q0; q < q1; q++) r->Dold[row * M + q] = D[row * M + q];
    }
    r->n_act = nr;
    r->lu_valid = 1;
    for (int m = 0; m < M; m++) dz[m] = 0; /* Zc h, column by column */
    for (int b = 0; b < nr; b++) {
        const double hb = h[b], *zc = Zt + r->act[b] * M;
        for (int m = 0; m < M; m++) dz[m] += zc[m] * hb;
    }
    for (int m = 0; m < M; m++) F[m] -= dz[m];
    return 0;
}

/* RT: device port voltages v solving  v + Z i(v) = p (p = E a, set by the
 * caller in r->p), by Newton-Raphson.
 * First guess: the last solution moved by the predictor (predict_step: the
 * step the drive's change asks through the last sample's factorisation,
 * dropped for the last solution when the first Newton step from it is long,
 * PT_WDF_PREDICT_MAX); without a kept factorisation, the last three samples'
 * solutions extrapolated (a parabola) while the solution moves smoothly, else
 * the last solution. Each
 * iteration evaluates the devices once; a step is accepted when it moves no
 * port voltage by more than its tolerance (1e-5 V on a junction, 2e-3 V on a
 * triode's grid, 0.1 V on its plate; Newton converging quadratically, the
 * error left after it is of the order of the step squared times the port's
 * curvature: ~1e-9 V, ~1e-5 V and ~3e-4 V on a plate swinging tens of volts),
 * and the currents
 * are then taken from the Newton model at the accepted point, which keeps
 * the linear ports exactly consistent with it. SPICE's junction limiting
 * guards the exponentials. Returns the iterations used; more than
 * c->max_iter means it did not converge. */
int wdf_root_newton(pt_wdf_circuit *c, wdf_root *r)
{
    const int M = r->M;
    /* extrapolate only while the solution moves smoothly (the last solve
       was quick and the drive did not jump); else start from the last
       solution */
    double jump = 0;
    for (int m = 0; m < M; m++) {
        double d = fabs(r->p[m] - r->p_prev[m]);
        if (d > jump) jump = d;
        r->dp_base[m] = r->p_prev[m];
        r->p_prev[m] = r->p[m];
    }
    /* with the last sample's factorisation at hand (a reduced step that
       converged), start from its prediction (predict_step); else
       extrapolate only while the solution moves smoothly (the last solve
       was quick and the drive did not jump); else start from the last
       solution */
    int predict = r->lu_valid && r->last_iter <= c->max_iter && !r->full_newton &&
                  !r->no_predict;
    if (predict) {
        for (int m = 0; m < M; m++) r->F[m] = r->p[m] - r->dp_base[m];
        predict_step(r);
        for (int m = 0; m < M && predict; m++)
            if (!isfinite(r->F[m])) predict = 0;
    }
    const int extrapolate = !predict && r->last_iter <= 2 && jump < 0.25;
    for (int m = 0; m < M; m++) {
        double v1 = r->v[m], v2 = r->v_prev[m], v3 = r->v_prev2[m];
        if (extrapolate) r->v[m] = 3.0 * (v1 - v2) + v3; /* quadratic through the last three */
        r->v_prev2[m] = v2;
        r->v_prev[m] = v1;
    }
    if (predict)
        for (int m = 0; m < M; m++) r->v[m] += r->F[m];
    int restarted = !extrapolate && !predict;
    for (int it = 1; it <= c->max_iter; it++) {
        if (it == 6 && !restarted) {
        restart: /* the extrapolated or predicted guess failed: start again from the last solution */
            memcpy(r->v, r->v_prev, sizeof(double) * (size_t)M);
            restarted = 1;
        }
        device_eval(r, r->v, r->i, r->D);
        if (M == 2) { /* the common case (one BJT or triode): written out */
            const double *Z = r->Z, *D = r->D, *i = r->i;
            double f0 = r->v[0] - r->p[0] + Z[0] * i[0] + Z[1] * i[1];
            double f1 = r->v[1] - r->p[1] + Z[2] * i[0] + Z[3] * i[1];
            double j00 = 1.0 + Z[0] * D[0] + Z[1] * D[2], j01 = Z[0] * D[1] + Z[1] * D[3];
            double j10 = Z[2] * D[0] + Z[3] * D[2], j11 = 1.0 + Z[2] * D[1] + Z[3] * D[3];
            double det = j00 * j11 - j01 * j10;
            if (det == 0 || !isfinite(det)) {
                if (!restarted) goto restart;
                break;
            }
            double inv = 1.0 / det;
            r->F[0] = -(j11 * f0 - j01 * f1) * inv;
            r->F[1] = -(j00 * f1 - j10 * f0) * inv;
        } else if (reduced_step(r)) {
            if (!restarted) goto restart;
            break;
        }
        if (it > 16) /* still not there: damped steps */
            for (int m = 0; m < M; m++) r->F[m] *= 0.5;
        for (int m = 0; m < M; m++) r->vsave[m] = r->v[m] + r->F[m];
        int limited = 0;
        for (int k = 0; k < r->n_dev; k++) {
            const wdf_device *dv = &r->dev[k];
            if (dv->kind >= DEV_TRIODE) {
                /* tubes: a grid conducts like a diode (e^(9.9 v)), so a
                   step may take a grid at most 0.5 V above where it was (or
                   above 0 V, whichever is higher); a triode's plate or a
                   screen moves at most 100 V a step. Far below conduction
                   the grid moves freely. */
                int q = dv->port, nq = 2;
                double gmax = (r->v[q] > 0 ? r->v[q] : 0) + 0.5;
                if (r->vsave[q] > gmax) limited = 1, r->vsave[q] = gmax;
                if (dv->kind == DEV_PENTODE) {
                    /* a pentode's plate current goes as atan(vp / kvb): flat
                       away from the knee, so the plate may move far in one
                       step (an output transformer's plate swings hundreds of
                       volts a sample), but Newton on an atan overshoots
                       across its knee into a two-cycle; a step that crosses
                       0 V stops kvb past it */
                    double vo = r->v[q + 2], vn = r->vsave[q + 2], kvb = dv->p->pt_kvb;
                    if (vo * vn < 0 && fabs(vn) > kvb) limited = 1, vn = vn > 0 ? kvb : -kvb;
                    else if (vn - vo > PT_WDF_PLATE_STEP) limited = 1, vn = vo + PT_WDF_PLATE_STEP;
                    else if (vn - vo < -PT_WDF_PLATE_STEP) limited = 1, vn = vo - PT_WDF_PLATE_STEP;
                    r->vsave[q + 2] = vn;
                }
                for (int j = q + 1; j < q + nq; j++) {
                    double st = r->vsave[j] - r->v[j];
                    if (st > 100.0) limited = 1, r->vsave[j] = r->v[j] + 100.0;
                    else if (st < -100.0) limited = 1, r->vsave[j] = r->v[j] - 100.0;
                }
                continue;
            }
            int q = dv->port, nq = dv->kind == DEV_BJT ? 2 : 1;
            for (int j = q; j < q + nq; j++) {
                double lim = pnjlim(r->vsave[j], r->v[j], dv->nvt, dv->vcrit);
                if (lim != r->vsave[j]) limited = 1, r->vsave[j] = lim;
            }
        }
        /* each port's step against its tolerance (see above); inv_tol = 1/tol */
        double step = 0;
        for (int m = 0; m < M; m++) {
            double d = fabs(r->vsave[m] - r->v[m]) * r->inv_tol[m];
            if (d > step || d != d) step = d;
        }
        if (!(step == step)) {
            if (!restarted) goto restart;
            break;
        }
        if (predict && it == 1 && !restarted && (limited || step > PT_WDF_PREDICT_MAX)) {
            /* the prediction was poor: where the solution turns sharply (a
               tube snapping into cut-off or grid conduction) a tangent can
               reach past a fold towards another solution, so the iteration
               starts again from the last solution, as it always did */
            goto restart;
        }
        if (!limited && step < 1.0) {
            /* accept: currents from the Newton model, i + D dv (D is
               block-diagonal: each device's currents move with its own ports) */
            for (int d = 0; d < r->n_dev; d++) {
                const wdf_device *dv = &r->dev[d];
                const int q0 = dv->port, nq = device_ports(dv);
                for (int m = q0; m < q0 + nq; m++) {
                    double di = 0;
                    for (int k = q0; k < q0 + nq; k++) di += r->D[m * M + k] * r->F[k];
                    r->i[m] += di;
                }
            }
            for (int m = 0; m < M; m++) r->v[m] = r->vsave[m];
            r->last_iter = it;
            return it;
        }
        for (int m = 0; m < M; m++) r->v[m] = r->vsave[m];
    }
    if (!isfinite(r->v[0])) memcpy(r->v, r->v_rest, sizeof(double) * (size_t)M);
    device_eval(r, r->v, r->i, r->D);
    r->last_iter = c->max_iter + 1;
    return c->max_iter + 1;
}

/* RT: a one-port root's reflected wave for incident wave a (stage input x). */
static inline __attribute__((always_inline)) double
root_reflect1(const pt_wdf_circuit *c, const wdf_stage *s, double a, double x)
{
    const wdf_root *r = &s->root;
    const double R = s->R[r->edge];
    switch (r->kind) {
    case ROOT_VSOURCE: return 2.0 * (r->kin * x + r->kc) - a;
    case ROOT_ISOURCE: return a + 2.0 * R * (r->kin * x + r->kc);
    case ROOT_SWITCH: {
        const pt_wdf_part *p = &c->d->part[r->part];
        int closed = (p->control >= 0 ? c->ctl[p->control] : 1.0) >= 0.5;
        if (p->invert) closed = !closed;
        return closed ? -a : a;
    }
    case ROOT_DIODE: return a - 2.0 * R * wdf_diode_current(&r->dk, a);
    default: return wdf_pair_reflect(&r->pk, a);
    }
}

/* RT: one pass of the linear tree: states s (the reactive leaves' last
 * incident waves), input x, the constant `one` (DC sources), the root's
 * reflected waves b. Writes the waves into the root (a_out), the new states
 * and the output. Everything here is linear in (s, x, one, b). */
static void tree_pass(wdf_stage *s, const double *st, double x, double one, const double *b,
                      double *a_out, double *st_out, double *y_out)
{
    double *restrict w = s->w;
    const int E = s->E;
    const double *restrict S = s->S;
    const int *restrict pe = s->port_edge;
    for (int k = 0; k < s->K; k++) w[E + s->st_edge[k]] = st[k];
    for (int l = 0; l < s->n_leaf; l++) {
        int e = s->leaf_edge[l];
        w[e] = s->ks[l] * w[E + e] + s->kin[l] * x + s->kc[l] * one;
    }
    for (int k = 0; k < s->n_ad; k++) {
        const wdf_adaptor *a = &s->ad[k];
        const int *e = pe + a->port_off;
        const double *row = S + a->s_off;
        double acc = 0;
        for (int j = 1; j < a->n; j++) acc += row[j] * w[e[j]];
        w[e[0]] = acc;
    }
    for (int j = 0; j < s->NR; j++) {
        a_out[j] = w[s->root_edge[j]];
        w[E + s->root_edge[j]] = b[j];
    }
    for (int k = s->n_ad - 1; k >= 0; k--) {
        const wdf_adaptor *a = &s->ad[k];
        const int *e = pe + a->port_off;
        const int nn = a->n;
        const double *m = S + a->s_off;
        double in_w[64];
        in_w[0] = w[E + e[0]];
        for (int j = 1; j < nn; j++) in_w[j] = w[e[j]];
        for (int i = 1; i < nn; i++) {
            const double *row = m + i * nn;
            double acc = 0;
            for (int j = 0; j < nn; j++) acc += row[j] * in_w[j];
            w[E + e[i]] = acc;
        }
    }
    for (int k = 0; k < s->K; k++) st_out[k] = w[E + s->st_edge[k]];
    double y = 0;
    if (!s->out_from_root)
        for (int k = 0; k < s->n_out; k++) y += s->out_coef[k] * w[s->out_idx[k]];
    *y_out = y;
}

/* RT (bounded, no allocation): the matrices of the flattened form, column
 * by column, by driving the tree with unit vectors. Called whenever the
 * coefficients change. */
void wdf_flatten(wdf_stage *s)
{
    const int K = s->K, NR = s->NR, nu = K + 2 + NR;
    double *u = s->u, *a = s->tmp, *st = s->tmp + NR, y;
    double save_w[1];
    (void)save_w;
    for (int col = 0; col < nu; col++) {
        for (int j = 0; j < nu; j++) u[j] = j == col;
        tree_pass(s, u, u[K], u[K + 1], u + K + 2, a, st, &y);
        if (col < K + 2)
            for (int j = 0; j < NR; j++) s->Pa[j * (K + 2) + col] = a[j];
        for (int k = 0; k < K; k++) s->Ps[k * nu + col] = st[k];
        s->Ps[K * nu + col] = y;
    }
    const wdf_root *r = &s->root;
    if (r->kind != ROOT_RTYPE) return;
    /* fold the root's linear maps in: b = (2 F1 - I) a - 2 F2 i, a = Pa u.
       Pa and the b columns of Ps are sparse (in a flat R-type root each
       port's wave comes from one leaf: a state, the input or a DC source),
       so the products skip their zeros and run along contiguous rows: this
       is what a knob move costs on the audio thread. */
    const int N = NR, M = r->M, K2 = K + 2, Mx = M ? M : 1;
    for (int j = 0; j < N; j++)
        for (int col = 0; col < K2; col++) s->B[j * K2 + col] = -s->Pa[j * K2 + col];
    for (int m = 0; m < M; m++)
        for (int col = 0; col < K2; col++) s->Pp[m * K2 + col] = 0;
    for (int q = 0; q < N; q++) {
        const double *pa = s->Pa + q * K2;
        for (int col = 0; col < K2; col++) {
            const double v = pa[col];
            if (v == 0) continue;
            for (int j = 0; j < N; j++) s->B[j * K2 + col] += 2.0 * r->F1[j * N + q] * v;
            for (int m = 0; m < M; m++) s->Pp[m * K2 + col] += r->E[m * N + q] * v;
        }
    }
    for (int k = 0; k <= K; k++) {
        const double *ps = s->Ps + k * nu;
        double *qu = s->Qu + k * K2, *qi = s->Qi + k * Mx;
        for (int col = 0; col < K2; col++) qu[col] = ps[col];
        for (int m = 0; m < M; m++) qi[m] = 0;
        for (int j = 0; j < N; j++) {
            const double w = ps[K2 + j];
            if (w == 0) continue;
            const double *b = s->B + j * K2, *f2 = r->F2 + j * M;
            for (int col = 0; col < K2; col++) qu[col] += w * b[col];
            for (int m = 0; m < M; m++) qi[m] -= 2.0 * w * f2[m];
        }
    }
    if (s->out_from_root) { /* y = scale (probe_x a - probe_y i) */
        double sc = s->out_coef[0];
        for (int col = 0; col < K2; col++) {
            double acc = 0;
            for (int q = 0; q < N; q++) acc += r->probe_x[q] * s->Pa[q * K2 + col];
            s->Qu[K * K2 + col] += sc * acc;
        }
        for (int m = 0; m < M; m++) s->Qi[K * Mx + m] -= sc * r->probe_y[m];
    }
    for (int m = 0; m < M; m++)
        for (int col = 0; col < K2; col++) s->PpT[col * M + m] = s->Pp[m * K2 + col];
    for (int k = 0; k <= K; k++) {
        for (int j = 0; j < K2; j++) s->QT[j * (K + 1) + k] = s->Qu[k * K2 + j];
        for (int m = 0; m < M; m++) s->QT[(K2 + m) * (K + 1) + k] = s->Qi[k * Mx + m];
    }
}

/* RT: a stage with a one-port root over n samples, in place in x; K is the
 * number of states (a constant where inlined). The states are in s->u. */
static inline __attribute__((always_inline)) void run_one_port(pt_wdf_circuit *c, wdf_stage *s,
                                                                double *x, int n, const int K)
{
    const int nu = K + 3;
    const double *restrict Pa = s->Pa, *restrict Ps = s->Ps;
    double *restrict u = s->u;
    double st[8], nx[8];
    const int small = K <= 8;
    for (int k = 0; k < K && small; k++) st[k] = u[k];
    for (int t = 0; t < n; t++) {
        double in = x[t];
        double *cur = small ? st : u;
        double a = Pa[K] * in + Pa[K + 1];
        for (int k = 0; k < K; k++) a += Pa[k] * cur[k];
        double b = root_reflect1(c, s, a, in);
        const double *row = Ps + K * nu;
        double y = row[K] * in + row[K + 1] + row[K + 2] * b;
        for (int k = 0; k < K; k++) y += row[k] * cur[k];
        double *next = small ? nx : s->tmp;
        for (int i = 0; i < K; i++) {
            row = Ps + i * nu;
            double acc = row[K] * in + row[K + 1] + row[K + 2] * b;
            for (int k = 0; k < K; k++) acc += row[k] * cur[k];
            next[i] = acc;
        }
        for (int i = 0; i < K; i++) cur[i] = next[i];
        x[t] = y;
    }
    for (int k = 0; k < K && small; k++) u[k] = st[k];
}

/* RT: a stage with an R-type root over n samples, in place in x; K states,
 * M device ports (constants where inlined). The states are in s->u. */
static inline __attribute__((always_inline)) void run_rtype(pt_wdf_circuit *c, wdf_stage *s,
                                                             double *x, int n, const int K,
                                                             const int M)
{
    wdf_root *r = &s->root;
    const int K2 = K + 2, Mx = M ? M : 1;
    const double *restrict PpT = s->PpT, *restrict QT = s->QT;
    double *restrict u = s->u, *restrict p = r->p, *restrict next = s->tmp;
    const double *restrict i = r->i;
    const int K1 = K + 1;
    (void)Mx;
    for (int t = 0; t < n; t++) {
        u[K] = x[t];
        /* p = Pp u, and below [s'; y] = Qu u + Qi i, as sums of columns */
        for (int m = 0; m < M; m++) p[m] = 0;
        for (int k = 0; k < K2; k++) {
            const double uk = u[k], *col = PpT + k * M;
            for (int m = 0; m < M; m++) p[m] += col[m] * uk;
        }
        if (M > 0) {
            int it = wdf_root_newton(c, r);
            c->stats.iterations += it;
            c->stats.solves++;
            if (it > c->stats.max_iter) c->stats.max_iter = it;
            if (it > c->max_iter) c->stats.not_converged++;
        }
        for (int k = 0; k < K1; k++) next[k] = 0;
        for (int j = 0; j < K2; j++) {
            const double uj = u[j], *col = QT + j * K1;
            for (int k = 0; k < K1; k++) next[k] += col[k] * uj;
        }
        for (int m = 0; m < M; m++) {
            const double im = i[m], *col = QT + (K2 + m) * K1;
            for (int k = 0; k < K1; k++) next[k] += col[k] * im;
        }
        for (int k = 0; k < K; k++) u[k] = next[k];
        x[t] = next[K];
    }
}

/* RT: one stage over n samples, in place in x, through the flattened form. */
static void stage_run(pt_wdf_circuit *c, wdf_stage *s, double *x, int n)
{
    const int K = s->K;
    double *restrict u = s->u;
    for (int k = 0; k < K; k++) u[k] = s->sv[k];
    u[K + 1] = 1.0;
    if (s->root.kind == ROOT_RTYPE) {
        const int M = s->root.M;
        if (K == 2 && M == 2) run_rtype(c, s, x, n, 2, 2); /* a triode or BJT stage */
        else if (K == 3 && M == 4) run_rtype(c, s, x, n, 3, 4); /* two BJTs */
        else run_rtype(c, s, x, n, K, M);
        for (int k = 0; k < K; k++) s->sv[k] = u[k];
        return;
    }
    /* one-port roots: the wave into the root and back stay in registers; a
       copy of the loop for each small state count lets the compiler unroll */
    switch (K) {
    case 0: run_one_port(c, s, x, n, 0); break;
    case 1: run_one_port(c, s, x, n, 1); break;
    case 2: run_one_port(c, s, x, n, 2); break;
    case 3: run_one_port(c, s, x, n, 3); break;
    default: run_one_port(c, s, x, n, K); break;
    }
    for (int k = 0; k < K; k++) s->sv[k] = u[k];
}

/* RT */
void pt_wdf_process(pt_wdf_circuit *c, const double *x, double *y, int n)
{
    if (y != x) memcpy(y, x, sizeof(double) * (size_t)n);
    double in_scale = c->d->input_scale, out_scale = c->d->output_scale;
    for (int t = 0; t < n; t++) y[t] *= in_scale;
    for (int i = 0; i < c->n_stage; i++) stage_run(c, &c->st[i], y, n);
    int bad = 0;
    for (int t = 0; t < n; t++) {
        y[t] *= out_scale;
        if (!isfinite(y[t])) bad = 1;
    }
    c->stats.samples += n;
    /* diode pairs whose R changed (a knob, or the first block) build their
       small-signal table a few pieces a block once R has settled: 512
       pieces in 16 blocks (wdf_math_inline.h) */
    for (int i = 0; i < c->n_stage; i++)
        if (c->st[i].root.kind == ROOT_DIODE_PAIR && !c->st[i].root.pk.tab_ok)
            wdf_pair_table_build(&c->st[i].root.pk, 32);
    if (bad) {
        /* never let a blown-up state keep ringing: back to rest */
        c->stats.nonfinite = 1;
        for (int t = 0; t < n; t++) y[t] = 0;
        pt_wdf_reset(c);
    }
}

/* RT */
void pt_wdf_reset(pt_wdf_circuit *c)
{
    for (int i = 0; i < c->n_stage; i++) {
        wdf_stage *s = &c->st[i];
        memcpy(s->w, s->w_rest, sizeof(double) * (size_t)s->n_w);
        memcpy(s->sv, s->sv_rest, sizeof(double) * (size_t)s->K);
        if (s->root.kind == ROOT_RTYPE) {
            memcpy(s->root.v, s->root.v_rest, sizeof(double) * (size_t)s->root.M);
            memcpy(s->root.v_prev, s->root.v_rest, sizeof(double) * (size_t)s->root.M);
            memcpy(s->root.v_prev2, s->root.v_rest, sizeof(double) * (size_t)s->root.M);
            s->root.lu_valid = 0;
        }
    }
}

void pt_wdf_settle(pt_wdf_circuit *c, double seconds)
{
    double buf[256] = {0};
    long n = (long)(seconds * c->rate);
    for (long k = 0; k < n; k += 256) {
        memset(buf, 0, sizeof buf);
        pt_wdf_process(c, buf, buf, 256);
    }
    for (int i = 0; i < c->n_stage; i++) {
        wdf_stage *s = &c->st[i];
        memcpy(s->w_rest, s->w, sizeof(double) * (size_t)s->n_w);
        memcpy(s->sv_rest, s->sv, sizeof(double) * (size_t)s->K);
        if (s->root.kind == ROOT_RTYPE)
            memcpy(s->root.v_rest, s->root.v, sizeof(double) * (size_t)s->root.M);
    }
}

void pt_wdf_get_stats(const pt_wdf_circuit *c, pt_wdf_stats *s) { *s = c->stats; }
void pt_wdf_clear_stats(pt_wdf_circuit *c) { memset(&c->stats, 0, sizeof c->stats); }
