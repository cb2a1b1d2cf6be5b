/* wdf.h — Wave Digital Filters: circuits built from parts named after circuit
 * theory, compiled into flat arrays and run sample by sample.
 *
 * Vocabulary (as in Fettweis, Werner and chowdsp_wdf):
 *   port      a pair of terminals with a port resistance R; the signals on it
 *             are the waves a = v + R i (incident) and b = v - R i (reflected)
 *   leaf      a one-port part at the bottom of the tree: resistor, capacitor
 *             and inductor (trapezoidal rule), resistive voltage and current
 *             sources, one half of a potentiometer
 *   adaptor   joins its children's ports: series, parallel, polarity
 *             inverter, or an R-type adaptor (any topology, from modified
 *             nodal analysis). Its first port faces up the tree and is
 *             adapted (reflection-free), so waves flow up without a loop.
 *   root      the one element that may reflect instantaneously: an ideal
 *             voltage or current source, a switch, a diode or diode pair
 *             (closed form via the Wright omega function), or an R-type root
 *             holding nonlinear devices (diodes, BJTs, triodes, ideal op-amps)
 *             solved jointly by Newton-Raphson.
 *
 * A circuit is one or more stages. Each stage is one WDF tree; stage k is
 * driven by the output of stage k-1, which models an ideal op-amp output
 * (a zero-impedance voltage source) between them exactly.
 *
 * Every adaptor, whatever its kind, is stored as an N x N scattering matrix
 * with port 0 adapted (S[0][0] = 0), and every leaf as b = ks*a[n-1] + kin*x
 * + c. The structure is resolved once, when the circuit is loaded; moving a
 * control recomputes port resistances from the leaves upward and the
 * matrices they feed (a bounded, allocation-free computation that may run on
 * the audio thread). Since everything but the root is linear, the tree is
 * then driven once per unit input to get the affine map around the root
 * (see wdf_impl.h): the per-sample path is two small matrix-vector products
 * and the root, with no branching on part type. */
#ifndef PT_WDF_H
#define PT_WDF_H

#include "../core/error.h"

/* ---- Numerics (wdf_math.c) ---- */

/* Wright omega: the w with w + ln(w) = x, for real x. RT */
double pt_wright_omega(double x);
/* The same to a relative error below 1e-8 (one iteration instead of two). RT */
double pt_wright_omega_fast(double x);
/* The same from a cubic table on [-2, 64) (relative error below 1e-8), the
 * one iteration elsewhere; what the diode roots use. RT */
double pt_wright_omega_table(double x);

/* Shockley diode (ideality n, saturation current is_a, series resistance
 * rs_ohm) seen through a port of resistance r_ohm: the reflected wave for
 * incident wave a, exact, via the Wright omega function. RT */
double pt_wdf_diode_reflect(double a, double r_ohm, double is_a, double n_vt, double rs_ohm);
/* An antiparallel pair (first diode forward for a > 0). RT, but slow: it
 * builds the pair's small-signal table (wdf_math_inline.h) on every call */
double pt_wdf_diode_pair_reflect(double a, double r_ohm, double is1_a, double n1_vt, double rs1_ohm,
                                 double is2_a, double n2_vt, double rs2_ohm);

/* ---- Parts ---- */

typedef enum pt_wdf_part_kind {
    PT_WDF_RESISTOR,
    PT_WDF_CAPACITOR,
    PT_WDF_INDUCTOR,
    PT_WDF_VOLTAGE_SOURCE, /* ideal when r_ohm == 0 (root only) */
    PT_WDF_CURRENT_SOURCE, /* ideal when r_ohm == 0 (root only); else Norton */
    PT_WDF_POT,
    PT_WDF_SWITCH,
    PT_WDF_DIODE,
    PT_WDF_DIODE_PAIR,
    PT_WDF_BJT,
    PT_WDF_TRIODE,
    PT_WDF_OPAMP,
    PT_WDF_PENTODE,     /* pentode or beam tetrode (Koren's equations), R-type device */
    PT_WDF_TRANSFORMER, /* ideal transformer (2 windings, or a centre-tapped primary) */
    PT_WDF_N_PART_KINDS
} pt_wdf_part_kind;

typedef enum pt_wdf_taper { PT_WDF_TAPER_LINEAR, PT_WDF_TAPER_LOG } pt_wdf_taper;

/* The controls a circuit can map its pots and switches to; the `circuit` node
 * has one parameter for each, 0..1. */
enum {
    PT_WDF_CTL_DRIVE, PT_WDF_CTL_TONE, PT_WDF_CTL_LEVEL, PT_WDF_CTL_GAIN,
    PT_WDF_CTL_BASS, PT_WDF_CTL_MID, PT_WDF_CTL_TREBLE, PT_WDF_CTL_VOLUME,
    PT_WDF_CTL_PRESENCE, PT_WDF_CTL_MASTER, PT_WDF_CTL_CUT, PT_WDF_CTL_BRIGHT,
    PT_WDF_CTL_VOLUME2, PT_WDF_CTL_RESONANCE, /* a second channel's volume; a resonance/depth */
    PT_WDF_N_CONTROLS
};
extern const char *const pt_wdf_control_names[PT_WDF_N_CONTROLS];

#define PT_WDF_VT_27C 0.025864186 /* thermal voltage kT/q at 27 degC (SPICE's default) */

typedef struct pt_wdf_part {
    char name[48];
    pt_wdf_part_kind kind;
    int line, col;          /* where the file declares it */
    double r_ohm;           /* resistor, sources (0 = ideal), pot (total) */
    double c_farad;
    double l_henry;
    double v_volt;          /* voltage source: DC value */
    double i_amp;           /* current source: DC value */
    /* pot and switch */
    int control;            /* PT_WDF_CTL_*, or -1 */
    pt_wdf_taper taper;
    int invert;             /* the control turns the other way */
    /* diode, diode pair (second diode: is2/n2/rs2; equal to the first when
       symmetric), bjt */
    double is_a, n, rs_ohm;
    double is2_a, n2, rs2_ohm;
    double beta_f, beta_r;
    int pnp;
    /* triode (Dempwolf & Zolzer 2011): Ik = g*(ln(1+e^(c*(vpk/mu+vgk)))/c)^gamma,
       Ig = gg*(ln(1+e^(cg*vgk))/cg)^xi + ig0, Ip = Ik - Ig */
    double tr_g, tr_mu, tr_gamma, tr_c, tr_gg, tr_xi, tr_cg, tr_ig0;
    /* pentode / beam tetrode (Koren): with Vs = v_g2k,
         E1  = Vs/kp * ln(1 + e^(kp (1/mu + v_gk/Vs)))
         Ip  = 2 E1^ex / kg1 * atan(v_pk / kvb)
         Ig2 = max(0, Vs/mu + v_gk)^ex / kg2
       grid current as the triode's (tr_gg, tr_xi, tr_cg, tr_ig0) */
    double pt_mu, pt_ex, pt_kg1, pt_kg2, pt_kp, pt_kvb;
    double n_parallel;      /* triode, pentode: identical tubes in parallel (currents scale) */
    char tube[16];          /* the tube type named in the file ("12AX7", "EL34"), or "" */
    /* transformer: primary to secondary turns ratio (the whole primary) */
    double xf_ratio;
    int xf_center_tap;      /* nodes [plate a, centre tap, plate b, sec +, sec -] */
    /* netlist form: the nodes the part connects (see pt_wdf_desc.netlist) */
    int n_nodes;
    char node[5][32];
} pt_wdf_part;

/* ---- The circuit description the loader builds (wdf_build.c compiles it) ---- */

typedef enum pt_wdf_tree_kind {
    PT_WDF_T_LEAF,     /* part (and segment for a pot: 0 whole, 1 = a, 2 = b) */
    PT_WDF_T_SERIES,
    PT_WDF_T_PARALLEL,
    PT_WDF_T_INVERT,
    PT_WDF_T_RTYPE,
    PT_WDF_T_ROOT      /* one-port root part over one child */
} pt_wdf_tree_kind;

typedef struct pt_wdf_tree pt_wdf_tree;

typedef struct pt_wdf_rport {
    int node_p, node_n;      /* indices into the R-type's node names */
    pt_wdf_tree *child;
    int line, col;
} pt_wdf_rport;

typedef struct pt_wdf_rdevice {
    int part;
    int node[5];             /* diode/pair: anode, cathode; bjt: c, b, e;
                                triode: plate, grid, cathode; opamp: +, -, out;
                                pentode: plate, screen, grid, cathode;
                                transformer: p1, p2, s1, s2 (or pa, ct, pb, s1, s2) */
    int line, col;
} pt_wdf_rdevice;

struct pt_wdf_tree {
    pt_wdf_tree_kind kind;
    int line, col;
    int part, segment;       /* LEAF, ROOT */
    pt_wdf_tree **child;     /* SERIES, PARALLEL, INVERT, ROOT */
    int n_child;
    /* RTYPE */
    char (*node_name)[32];
    int *node_line, *node_col;
    int n_nodes;             /* node 0 is "gnd", the datum */
    int up_p, up_n;          /* the port facing up; -1 when this is the root */
    pt_wdf_rport *port;
    int n_port;
    pt_wdf_rdevice *dev;
    int n_dev;
};

typedef enum pt_wdf_probe_kind {
    PT_WDF_PROBE_ACROSS,     /* voltage across a part */
    PT_WDF_PROBE_NODE        /* voltage of an R-type node against its "gnd" */
} pt_wdf_probe_kind;

typedef struct pt_wdf_stage_desc {
    char name[48];
    pt_wdf_tree *tree;
    int input_part;          /* the source the stage input drives */
    pt_wdf_probe_kind out_kind;
    int out_part, out_seg;   /* ACROSS (out_seg: a pot's segment, 0 whole) */
    char out_node[32];       /* NODE */
    double out_scale;
    int line, col;           /* of the stage, for errors */
    int out_line, out_col;
} pt_wdf_stage_desc;

typedef struct pt_wdf_desc {
    char name[128];
    char file[512];
    pt_wdf_part *part;
    int n_part;
    pt_wdf_stage_desc *stage;
    int n_stage;
    double input_scale, output_scale;
    int oversample;          /* default factor: 1, 2, 4 or 8 */
    double settle_ms;        /* silence run at prepare to reach the DC operating point; <0 = auto */
    int max_iter;            /* Newton-Raphson bound per sample */
    unsigned controls_used;  /* bit per PT_WDF_CTL_* */
    /* the front panel's name for a control (the part's `label:`, e.g. "Volume I"); "" = the
       circuit node's own label */
    char control_label[PT_WDF_N_CONTROLS][32];
    int netlist;             /* parts list their nodes; the loader built one R-type root */
    /* DC voltages printed on the published schematic (node: volts), checked
       by the tests against the operating point */
    int n_printed;
    char (*printed_node)[32];
    double *printed_volts;
} pt_wdf_desc;

void pt_wdf_desc_free(pt_wdf_desc *d);

/* ---- Loading (circuit_file.c) ---- */

/* Parse a circuit file into a description. Errors carry file:line:col. */
int pt_circuit_load(const char *path, pt_wdf_desc **out, pt_error *err);
/* Same, from a string (tests); `name` is used as the file name in errors. */
int pt_circuit_parse(const char *text, const char *name, pt_wdf_desc **out, pt_error *err);

/* 1 if the file at path looks like a circuit file (a top-level `circuit:`
 * key), 0 if not (e.g. a rig), -1 if it cannot be read. */
int pt_circuit_file_sniff(const char *path);

/* ---- A compiled, runnable circuit (wdf_build.c, wdf_run.c) ---- */

typedef struct pt_wdf_circuit pt_wdf_circuit;

/* Compile a description for a sample rate (the rate the WDF runs at, i.e.
 * already multiplied by any oversampling). Says why when the circuit cannot
 * be realised. The description must outlive the circuit. */
pt_wdf_circuit *pt_wdf_compile(const pt_wdf_desc *d, double rate, pt_error *err);
void pt_wdf_free(pt_wdf_circuit *c);

/* RT: set control k (0..1); takes effect at the next pt_wdf_update(). */
void pt_wdf_set_control(pt_wdf_circuit *c, int k, double value);
/* RT: recompute port resistances and matrices if a control moved. Bounded
 * work, no allocation. */
void pt_wdf_update(pt_wdf_circuit *c);
/* RT: run n samples (input in volts at the circuit's terminals after
 * input_scale is applied by the caller or not: x is multiplied by the file's
 * input_scale here, and y by its output_scale). */
void pt_wdf_process(pt_wdf_circuit *c, const double *x, double *y, int n);
/* RT: back to the DC operating point found at compile time. */
void pt_wdf_reset(pt_wdf_circuit *c);
/* Off the audio thread: run silence for `seconds` and store the state as the
 * one pt_wdf_reset returns to. */
void pt_wdf_settle(pt_wdf_circuit *c, double seconds);

/* Off the audio thread: find the DC operating point (capacitors open,
 * inductors shorted: the fixed point of the discretised circuit with no
 * input) by Newton-Raphson on the reactive parts' states, stepping the
 * supplies up from zero, and store it as the state pt_wdf_reset returns to.
 * 0 on success; on failure the circuit is left settled by simulation and
 * the reason is in err. Writes the Newton iterations used to *iters. */
int pt_wdf_operating_point(pt_wdf_circuit *c, int *iters, pt_error *err);

/* The voltage of a named node of the root R-type adaptor of the last stage
 * (against gnd) in the circuit's present state, or NAN when there is no
 * such node. Off the audio thread (tests, `pytone circuit-op`). */
double pt_wdf_node_voltage(pt_wdf_circuit *c, const char *node);
/* The number of such nodes and the name of node k (1..n; 0 is gnd). */
int pt_wdf_node_count(const pt_wdf_circuit *c);
const char *pt_wdf_node_name(const pt_wdf_circuit *c, int k);

typedef struct pt_wdf_stats {
    int max_iter;            /* most Newton iterations any sample took */
    long long not_converged; /* samples that hit the bound */
    long long samples;
    long long iterations;    /* Newton iterations in all (mean = iterations / solves) */
    long long solves;        /* samples that needed a Newton solve */
    int nonfinite;           /* 1 if a non-finite value was ever seen (and cleared) */
} pt_wdf_stats;
void pt_wdf_get_stats(const pt_wdf_circuit *c, pt_wdf_stats *s);
void pt_wdf_clear_stats(pt_wdf_circuit *c);

#endif
