/* wdf_impl.h — the compiled form of a circuit, shared by wdf_build.c (which
 * lays it out and recomputes coefficients) and wdf_run.c (the per-sample
 * loops). Not a public header. */
#ifndef PT_WDF_IMPL_H
#define PT_WDF_IMPL_H

#include "wdf.h"
#include "wdf_math_inline.h"

enum { ROOT_VSOURCE, ROOT_ISOURCE, ROOT_SWITCH, ROOT_DIODE, ROOT_DIODE_PAIR, ROOT_RTYPE };
enum { DEV_JUNCTION, DEV_BJT, DEV_TRIODE, DEV_PENTODE };

#define PT_WDF_ROOT_MAX_PORTS 128
/* A predicted start (wdf_run.c) whose first Newton step is longer than this
 * many times a port's tolerance is dropped for the last solution: 2 V on a
 * grid, 100 V on a plate. (20, 0.04 V on a grid, dropped three samples in
 * four of the Plexi's, whose output transformer rings its plates hundreds of
 * volts a sample, and cost it an iteration each: 3.93 -> 3.60 a sample on
 * the DI at 2x, the output the same within 1.4e-6 of its 3.2 peak) */
#define PT_WDF_PREDICT_MAX 1000.0
/* the most a pentode's plate may move in one Newton step (V): its current is
 * atan-bounded, so this only stops a step that runs away (wdf_root_newton) */
#define PT_WDF_PLATE_STEP 1000.0
#define PT_WDF_SWITCH_ON_OHM 1e-2   /* a switch below the root, closed */
#define PT_WDF_SWITCH_OFF_OHM 1e9   /* and open */

/* The linear network inside an R-type adaptor, for modified nodal analysis. */
typedef struct wdf_mna {
    int n_nodes;          /* including node 0, the datum */
    int n_op;             /* ideal op-amps: one extra unknown each */
    int m;                /* unknowns: n_nodes - 1 + n_op + n_xf */
    int n_port;           /* linear ports (wave ports) */
    int *pp, *pn;
    int n_dport;          /* nonlinear device ports (root only) */
    int *dp, *dn;
    int n_res;            /* internal resistors (diode series resistance) */
    int *rp, *rn;
    double *rg;
    int *op_p, *op_m, *op_o;
    int n_xf;             /* ideal transformer windings pairs: one extra unknown each */
    int *xf_p1, *xf_n1, *xf_p2, *xf_n2;
    double *xf_a;         /* turns ratio N1/N2 of each pair */
    double *Y, *lu;       /* m*m */
    int *piv;             /* m */
    double *x;            /* m*(n_port + n_dport): solutions, one column each */
    double *q;            /* m */
    double *yi;           /* m*m: Y^-1 by columns (the root, when it has more
                             ports than unknowns: see wdf_stage_update) */
} wdf_mna;

typedef struct wdf_adaptor {
    pt_wdf_tree_kind kind;
    int n;                /* ports; port 0 faces up */
    int port_off;         /* into stage->port_edge */
    int s_off;            /* into stage->S: n*n, row-major */
    wdf_mna *mna;         /* R-type only */
    const pt_wdf_tree *t;
} wdf_adaptor;

typedef struct wdf_device {
    int kind;             /* DEV_* */
    int port;             /* first device port */
    int part;
    double is, nvt, beta_f, beta_r, vcrit;
    double grid_off;      /* triode, pentode: Cg vgk below which Gg (ln(1+e^u)/Cg)^xi < 1e-13 A */
    double scale;         /* triode, pentode: tubes in parallel */
    const pt_wdf_part *p;
} wdf_device;

typedef struct wdf_root {
    int kind;
    int part;
    int edge;             /* one-port roots: the child's edge */
    double kin, kc;       /* sources: value = kin * x + kc */
    wdf_diode_k dk;       /* diode root: constants that depend on the port resistance */
    wdf_pair_k pk;        /* diode-pair root: likewise */
    /* R-type root */
    int N, M;             /* linear ports, device ports */
    int *edges;           /* N */
    wdf_mna *mna;
    double *F1, *F2, *E, *Z;   /* NxN, NxM, MxN, MxM */
    wdf_device *dev;
    int n_dev;
    int last_iter;        /* iterations the last sample took */
    double *v, *v_prev, *v_prev2, *p_prev, *v_rest, *inv_tol, *i, *D, *J, *F, *p, *a, *vsave; /* work, M or MxM or N */
    /* the Newton step in the devices' active dimension (see wdf_root_newton):
       the ports whose current depends on the port voltages this iteration,
       with the first port and port count of each one's device */
    int *act, *act_q0, *act_nq;
    double *h;            /* M: the reduced system's solution */
    int has_junction;     /* diodes or BJTs among the devices: no reduction */
    double *Zt, *dz;      /* M x M: Z transposed; M: scratch */
    /* the last reduced factorisation, kept in J for the next sample's
       predictor: its rows (act), pivots, the D rows it was made from */
    int n_act, lu_valid;
    int *piv;             /* M */
    double *Dold, *dp_base; /* M x M; M: the drive p of the last sample */
    int full_newton;      /* always solve M x M, never predict (tests compare) */
    int no_predict;       /* reduced steps without the predictor (tests) */
    long long reduced_steps; /* Newton steps taken in the reduced form */
    int n_probe;          /* node-pair read-outs, written to w[2E + k] */
    int *probe_p, *probe_n;
    double *probe_x, *probe_y; /* n_probe x N, n_probe x M */
} wdf_root;

typedef struct wdf_stage {
    const pt_wdf_stage_desc *d;
    int E;                /* edges */
    int n_w;              /* 2E + root read-outs */
    double *w;            /* up waves w[e], down waves w[E + e], read-outs */
    double *w_rest;       /* the state pt_wdf_reset returns to */
    double *R;            /* port resistance of each edge */
    int n_leaf;
    int *leaf_edge, *leaf_part, *leaf_seg;
    double *ks, *kin, *kc;
    int n_ad;
    wdf_adaptor *ad;      /* post-order: children before parents */
    int *port_edge;
    double *S;
    wdf_root root;
    /* output: y = scale * sum(coef[k] * w[idx[k]]) */
    int n_out;
    int *out_idx;
    double *out_coef;
    int out_ad, out_node; /* node probe in a non-root R-type: recomputed */
    double in_scale;      /* input source gain: volts per stage-input unit */
    /* The flattened linear part. The leaves and adaptors are linear, so one
       sample of the stage is an affine map around the root:
         a_root      = Pa [s; x; 1]
         b_root      = root(a_root)
         [s'; y]     = Ps [s; x; 1; b_root]
       where s are the reactive leaves' states (their last incident waves).
       Pa and Ps are found by driving the tree with unit inputs whenever the
       coefficients change (wdf_flatten). */
    int K;                /* reactive leaves */
    int *st_edge;         /* K: their edges */
    double *sv, *sv_rest; /* K: live state and the rest state */
    int NR;               /* root ports */
    const int *root_edge; /* NR */
    double *Pa, *Ps;      /* NR x (K+2), (K+1) x (K+2+NR) */
    double *u;            /* K+2+NR: [s; x; 1; b_root] */
    double *tmp;          /* K+1+NR scratch for flattening */
    int out_from_root;    /* the output is a root read-out, not in Ps */
    /* With an R-type root, the root's own linear maps fold in too:
         p        = Pp u            (device-port drive, M)
         i        = Newton(p)       (device currents)
         [s'; y]  = Qu u + Qi i
       so no per-sample work scales with the number of ports. */
    double *Pp, *Qu, *Qi, *B; /* M x (K+2), (K+1) x (K+2), (K+1) x M, N x (K+2) */
    /* The same maps column by column for the per-sample loops: PpT (K+2) x M
       and QT (K+2+M) x (K+1) = [Qu Qi] transposed, so every product is a
       sum of whole columns (vectorisable, in the same order of additions). */
    double *PpT, *QT;
} wdf_stage;

struct pt_wdf_circuit {
    const pt_wdf_desc *d;
    double rate, T;
    int n_stage;
    wdf_stage *st;
    double ctl[PT_WDF_N_CONTROLS];
    double ctl_applied[PT_WDF_N_CONTROLS];
    int dirty;
    int max_iter;
    pt_wdf_stats stats;
    void **allocs;        /* everything compile allocated, freed together */
    int n_allocs, cap_allocs;
};

/* wdf_run.c */
void wdf_flatten(wdf_stage *s);

/* wdf_build.c */
int wdf_stage_update(pt_wdf_circuit *c, wdf_stage *s, pt_error *err);
double wdf_pot_fraction(const pt_wdf_part *p, const double *ctl);

/* wdf_run.c */
int wdf_root_newton(pt_wdf_circuit *c, wdf_root *r);
int wdf_small_solve(double *J, double *b, int M);

#endif
