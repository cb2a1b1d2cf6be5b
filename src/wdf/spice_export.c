/* spice_export.c — a circuit description as an ngspice netlist.
 *
 * The WDF tree is undone back into a plain network: a leaf is its part
 * between the two terminals of its port; a series adaptor chains its
 * children through generated nodes (_n1, _n2, ...); a parallel adaptor puts
 * them all between its terminals; a polarity inverter swaps them; an R-type
 * adaptor keeps the file's node names, and its port facing up is the two
 * nodes `up:` names. Each stage is one connected network; one node of it is
 * SPICE's ground 0 (the `gnd` of its topmost R-type, else the minus terminal
 * of its root's port), which changes no voltage the model reads. Stage k's
 * input source follows stage k-1's output through an ideal buffer (an E
 * source), as the WDF couples stages. The output goes through E sources too:
 * _y<k> is stage k's output times its scale, _out the circuit's output times
 * output_scale, in the units `pytone render` writes.
 *
 * One emitter function per part kind (the table `emitters`); a part kind
 * without one is refused at the part's file:line:col. */
#include "spice_export.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "wdf_impl.h"

#define NAME 128

/* Where a part sits: its terminals, and what else its emitter needs. */
typedef enum { AT_LEAF, AT_ROOT, AT_DEVICE } at_role;

typedef struct spice_at {
    at_role role;
    const char *node[8];   /* one-port: plus, minus; device: its terminals in file order */
    int n_node;
    int segment;           /* a pot's segment: 0 whole, 1 = a, 2 = b */
    const char *ref;       /* device: the datum of its R-type (an op-amp's output returns there) */
} spice_at;

typedef struct rtype_names {
    const pt_wdf_tree *t;
    char (*name)[NAME];
} rtype_names;

typedef struct spice_ctx {
    FILE *f;
    const pt_wdf_desc *d;
    const pt_spice_opts *o;
    pt_error *err;
    int stage;
    char prefix[56];       /* stage prefix of node names ("" for one stage) */
    char drive[NAME];      /* the node whose voltage the stage's input source adds */
    int n_gen;             /* generated nodes so far */
    int n_rtype;           /* R-types seen in this stage */
    char (*across)[3][2][NAME]; /* per part and segment: plus and minus terminals */
    rtype_names rt[64];    /* this stage's R-types, the root one (if any) first, then post-order */
    int n_rt;
    char (*nodes)[NAME];   /* every node, for the operating-point file */
    int n_nodes, cap_nodes;
} spice_ctx;

typedef int (*spice_emit_fn)(spice_ctx *x, const pt_wdf_part *p, const spice_at *at);

static int nomem(spice_ctx *x) { return pt_error_set(x->err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory"); }

/* A SPICE-safe copy of a name: letters, digits and _ (ngspice folds case). */
static void clean(char *dst, size_t n, const char *src)
{
    size_t k = 0;
    for (; *src && k + 1 < n; src++) {
        char c = *src;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        dst[k++] = ok ? c : '_';
    }
    dst[k] = 0;
}

static int add_node(spice_ctx *x, const char *name)
{
    if (!strcmp(name, "0")) return 0;
    for (int i = 0; i < x->n_nodes; i++)
        if (!strcmp(x->nodes[i], name)) return 0;
    if (x->n_nodes == x->cap_nodes) {
        int cap = x->cap_nodes ? 2 * x->cap_nodes : 64;
        char (*nn)[NAME] = realloc(x->nodes, sizeof *nn * (size_t)cap);
        if (!nn) return nomem(x);
        x->nodes = nn;
        x->cap_nodes = cap;
    }
    snprintf(x->nodes[x->n_nodes++], NAME, "%s", name);
    return 0;
}

/* A fresh internal node (between the parts of a series adaptor, inside a
 * resistive source). */
static int gen_node(spice_ctx *x, char *out)
{
    snprintf(out, NAME, "_n%d", ++x->n_gen);
    return add_node(x, out);
}

static const char *part_name(const pt_wdf_part *p, char *buf)
{
    clean(buf, NAME, p->name);
    return buf;
}

/* ---- one emitter per part kind ---- */

static int emit_resistor(spice_ctx *x, const pt_wdf_part *p, const spice_at *at)
{
    char n[NAME];
    fprintf(x->f, "R_%s %s %s %.10g\n", part_name(p, n), at->node[0], at->node[1], p->r_ohm);
    return 0;
}

static int emit_capacitor(spice_ctx *x, const pt_wdf_part *p, const spice_at *at)
{
    char n[NAME];
    fprintf(x->f, "C_%s %s %s %.10g\n", part_name(p, n), at->node[0], at->node[1], p->c_farad);
    return 0;
}

static int emit_inductor(spice_ctx *x, const pt_wdf_part *p, const spice_at *at)
{
    char n[NAME];
    fprintf(x->f, "L_%s %s %s %.10g\n", part_name(p, n), at->node[0], at->node[1], p->l_henry);
    return 0;
}

static int is_input(const spice_ctx *x, const pt_wdf_part *p)
{
    return x->d->stage[x->stage].input_part == (int)(p - x->d->part);
}

/* v(plus, minus) = V (+ the drive when it is the stage input) + R i: the
 * resistance, then the signal (an ideal buffer of the drive node), then the
 * DC value, in series. */
static int emit_voltage_source(spice_ctx *x, const pt_wdf_part *p, const spice_at *at)
{
    char n[NAME], a[NAME], b[NAME];
    part_name(p, n);
    const char *top = at->node[0];
    if (p->r_ohm > 0) {
        if (gen_node(x, a)) return x->err->code;
        fprintf(x->f, "R_%s %s %s %.10g\n", n, top, a, p->r_ohm);
        top = a;
    }
    if (is_input(x, p)) {
        const char *bot = at->node[1];
        if (p->v_volt != 0) {
            if (gen_node(x, b)) return x->err->code;
            bot = b;
        }
        fprintf(x->f, "E_%s %s %s %s 0 1\n", n, top, bot, x->drive);
        if (p->v_volt != 0) fprintf(x->f, "V_%s %s %s DC %.10g\n", n, bot, at->node[1], p->v_volt);
    } else {
        fprintf(x->f, "V_%s %s %s DC %.10g\n", n, top, at->node[1], p->v_volt);
    }
    return 0;
}

/* Norton: I (+ the drive, in amps, when it is the stage input) pushed into
 * the plus terminal, R across. */
static int emit_current_source(spice_ctx *x, const pt_wdf_part *p, const spice_at *at)
{
    char n[NAME];
    part_name(p, n);
    if (p->r_ohm > 0) fprintf(x->f, "R_%s %s %s %.10g\n", n, at->node[0], at->node[1], p->r_ohm);
    if (is_input(x, p)) fprintf(x->f, "G_%s %s %s %s 0 1\n", n, at->node[1], at->node[0], x->drive);
    if (!is_input(x, p) || p->i_amp != 0)
        fprintf(x->f, "I_%s %s %s DC %.10g\n", n, at->node[1], at->node[0], p->i_amp);
    return 0;
}

/* A pot is its segment's resistance at the control position, through the
 * same taper the WDF uses (wdf_pot_fraction). */
static int emit_pot(spice_ctx *x, const pt_wdf_part *p, const spice_at *at)
{
    char n[NAME];
    double f = wdf_pot_fraction(p, x->o->ctl);
    double r = p->r_ohm * (at->segment == 2 ? 1.0 - f : f);
    static const char *const seg[] = {"", "_a", "_b"};
    fprintf(x->f, "R_%s%s %s %s %.10g\n", part_name(p, n), seg[at->segment], at->node[0],
            at->node[1], r);
    return 0;
}

/* Closed: a 0 V source (a short, as the WDF's b = -a). Open: 1 Tohm, so
 * every node keeps a DC path for the operating point. */
static int emit_switch(spice_ctx *x, const pt_wdf_part *p, const spice_at *at)
{
    char n[NAME];
    int closed = (p->control >= 0 ? x->o->ctl[p->control] : 1.0) >= 0.5;
    if (p->invert) closed = !closed;
    if (closed) fprintf(x->f, "V_%s %s %s DC 0 ; closed\n", part_name(p, n), at->node[0], at->node[1]);
    else fprintf(x->f, "R_%s %s %s 1e12 ; open\n", part_name(p, n), at->node[0], at->node[1]);
    return 0;
}

/* Shockley with series resistance: SPICE's diode with only IS, N and RS set
 * is exactly that (no junction capacitance, no breakdown); its junction
 * limiting is the one the WDF's Newton uses. */
static void diode_model(spice_ctx *x, const char *model, double is, double n, double rs)
{
    fprintf(x->f, ".model %s D(IS=%.10g N=%.10g RS=%.10g CJO=0)\n", model, is, n, rs);
}

static int emit_diode(spice_ctx *x, const pt_wdf_part *p, const spice_at *at)
{
    char n[NAME];
    part_name(p, n);
    fprintf(x->f, "D_%s %s %s DM_%s\n", n, at->node[0], at->node[1], n);
    char m[NAME + 8];
    snprintf(m, sizeof m, "DM_%s", n);
    diode_model(x, m, p->is_a, p->n, p->rs_ohm);
    return 0;
}

/* The first diode forward from the first terminal, the second one back. */
static int emit_diode_pair(spice_ctx *x, const pt_wdf_part *p, const spice_at *at)
{
    char n[NAME], m[NAME + 8];
    part_name(p, n);
    fprintf(x->f, "D_%s_1 %s %s DM_%s_1\n", n, at->node[0], at->node[1], n);
    fprintf(x->f, "D_%s_2 %s %s DM_%s_2\n", n, at->node[1], at->node[0], n);
    snprintf(m, sizeof m, "DM_%s_1", n);
    diode_model(x, m, p->is_a, p->n, p->rs_ohm);
    snprintf(m, sizeof m, "DM_%s_2", n);
    diode_model(x, m, p->is2_a, p->n2, p->rs2_ohm);
    return 0;
}

/* Ebers-Moll (transport form): SPICE's Gummel-Poon with only IS, BF, BR,
 * NF = NR = n reduces to it (no Early effect, no high injection, no
 * capacitances). Terminals: collector, base, emitter. */
static int emit_bjt(spice_ctx *x, const pt_wdf_part *p, const spice_at *at)
{
    char n[NAME];
    part_name(p, n);
    fprintf(x->f, "Q_%s %s %s %s QM_%s\n", n, at->node[0], at->node[1], at->node[2], n);
    fprintf(x->f, ".model QM_%s %s(IS=%.10g BF=%.10g BR=%.10g NF=%.10g NR=%.10g)\n", n,
            p->pnp ? "PNP" : "NPN", p->is_a, p->beta_f, p->beta_r, p->n, p->n);
    return 0;
}

/* softplus ln(1 + e^u), written so no exponential overflows at Newton's
 * trial points */
static void softplus(char *out, size_t n, const char *u)
{
    snprintf(out, n, "(max(%s,0)+ln(1+exp(-abs(%s))))", u, u);
}

/* Dempwolf & Zolzer as two behavioural current sources: the grid current
 * Ig = Gg (ln(1 + e^(Cg vgk)) / Cg)^xi + Ig0 from grid to cathode, and the
 * plate current Ik - Ig from plate to cathode, Ik = G (ln(1 +
 * e^(C (vpk / mu + vgk))) / C)^gamma. Terminals: plate, grid, cathode. */
static int emit_triode(spice_ctx *x, const pt_wdf_part *p, const spice_at *at)
{
    char n[NAME], ug[3 * NAME], uk[4 * NAME], sg[8 * NAME], sk[9 * NAME], grid[10 * NAME];
    part_name(p, n);
    const char *P = at->node[0], *G = at->node[1], *K = at->node[2];
    snprintf(ug, sizeof ug, "%.10g*v(%s,%s)", p->tr_cg, G, K);
    snprintf(uk, sizeof uk, "%.10g*(v(%s,%s)/%.10g+v(%s,%s))", p->tr_c, P, K, p->tr_mu, G, K);
    softplus(sg, sizeof sg, ug);
    softplus(sk, sizeof sk, uk);
    double sc = p->n_parallel > 0 ? p->n_parallel : 1.0;
    snprintf(grid, sizeof grid, "(%.10g*pow(%s/%.10g,%.10g)+%.10g)", sc * p->tr_gg, sg, p->tr_cg,
             p->tr_xi, sc * p->tr_ig0);
    fprintf(x->f, "B_%s_g %s %s I=%s\n", n, G, K, grid);
    fprintf(x->f, "B_%s_p %s %s I=%.10g*pow(%s/%.10g,%.10g)-%s\n", n, P, K, sc * p->tr_g, sk,
            p->tr_c, p->tr_gamma, grid);
    return 0;
}

/* Koren's pentode / beam tetrode as behavioural sources, the equations of
 * wdf_run.c: a helper node _e1 holds E1 = Vs/kp ln(1 + e^(kp (1/mu +
 * vgk/Vs))) (Vs = v(screen, cathode) kept above 1 mV as there), then the
 * plate current 2 E1^ex / kg1 atan(vpk / kvb), the screen current
 * max(0, Vs/mu + vgk)^ex / kg2 and the control grid's current as a
 * triode's. Terminals: plate, screen, grid, cathode. */
static int emit_pentode(spice_ctx *x, const pt_wdf_part *p, const spice_at *at)
{
    char n[NAME], ug[3 * NAME], sg[8 * NAME], vs[3 * NAME], u[6 * NAME], sp[14 * NAME], e1[NAME + 8];
    part_name(p, n);
    const char *P = at->node[0], *S = at->node[1], *G = at->node[2], *K = at->node[3];
    double sc = p->n_parallel > 0 ? p->n_parallel : 1.0;
    snprintf(ug, sizeof ug, "%.10g*v(%s,%s)", p->tr_cg, G, K);
    softplus(sg, sizeof sg, ug);
    fprintf(x->f, "B_%s_g %s %s I=(%.10g*pow(%s/%.10g,%.10g)+%.10g)\n", n, G, K, sc * p->tr_gg, sg,
            p->tr_cg, p->tr_xi, sc * p->tr_ig0);
    snprintf(vs, sizeof vs, "max(v(%s,%s),1e-3)", S, K);
    snprintf(u, sizeof u, "%.10g*(%.10g+v(%s,%s)/%s)", p->pt_kp, 1.0 / p->pt_mu, G, K, vs);
    softplus(sp, sizeof sp, u);
    snprintf(e1, sizeof e1, "_e1_%s", n);
    if (add_node(x, e1)) return x->err->code;
    fprintf(x->f, "B_%s_e1 %s 0 V=%s/%.10g*%s\n", n, e1, vs, p->pt_kp, sp);
    fprintf(x->f, "R_%s_e1 %s 0 1e12\n", n, e1);
    fprintf(x->f, "B_%s_p %s %s I=%.10g*pow(max(v(%s),1e-300),%.10g)*atan(v(%s,%s)/%.10g)\n", n, P,
            K, 2.0 * sc / p->pt_kg1, e1, p->pt_ex, P, K, p->pt_kvb);
    fprintf(x->f, "B_%s_s %s %s I=%.10g*pow(max(%s/%.10g+v(%s,%s),0),%.10g)\n", n, S, K,
            sc / p->pt_kg2, vs, p->pt_mu, G, K, p->pt_ex);
    return 0;
}

/* An ideal transformer, written so that no loop of voltage sources forms
 * (a centre-tapped primary is two windings on one secondary): each primary
 * winding is a voltage source a * v(secondary) in series with a 0 V sense
 * source, and the secondary takes the current sum(i_w / a) from a current
 * source. The same equations as wdf_build.c's: v1 = a v2, i2 = -i1 a...
 * with a = the turns ratio of each primary winding to the secondary.
 * Terminals: p+, p-, s+, s- (or plate a, tap, plate b, s+, s-). */
static int emit_transformer(spice_ctx *x, const pt_wdf_part *p, const spice_at *at)
{
    char n[NAME], mid[NAME + 8];
    part_name(p, n);
    int ct = at->n_node == 5;
    const char *sp = at->node[ct ? 3 : 2], *sm = at->node[ct ? 4 : 3];
    int windings = ct ? 2 : 1;
    double a = ct ? 0.5 * p->xf_ratio : p->xf_ratio;
    for (int w = 0; w < windings; w++) {
        const char *pp = at->node[w], *pm = at->node[w + 1];
        snprintf(mid, sizeof mid, "_x%d_%s", w, n);
        if (add_node(x, mid)) return x->err->code;
        fprintf(x->f, "E_%s_%d %s %s %s %s %.10g\n", n, w, pp, mid, sp, sm, a);
        fprintf(x->f, "V_%s_%d %s %s 0\n", n, w, mid, pm);
        fprintf(x->f, "F_%s_%d %s %s V_%s_%d %.10g\n", n, w, sm, sp, n, w, a);
    }
    return 0;
}

/* An ideal op-amp (a nullor: v+ = v-, the output supplies what it must,
 * returning through the R-type's datum) as a voltage-controlled source of
 * gain 1e8: closed-loop errors of the order of the loop gain / 1e8. */
static int emit_opamp(spice_ctx *x, const pt_wdf_part *p, const spice_at *at)
{
    char n[NAME];
    fprintf(x->f, "E_%s %s %s %s %s 1e8\n", part_name(p, n), at->node[2], at->ref, at->node[0],
            at->node[1]);
    return 0;
}

static const spice_emit_fn emitters[PT_WDF_N_PART_KINDS] = {
    [PT_WDF_RESISTOR] = emit_resistor,
    [PT_WDF_CAPACITOR] = emit_capacitor,
    [PT_WDF_INDUCTOR] = emit_inductor,
    [PT_WDF_VOLTAGE_SOURCE] = emit_voltage_source,
    [PT_WDF_CURRENT_SOURCE] = emit_current_source,
    [PT_WDF_POT] = emit_pot,
    [PT_WDF_SWITCH] = emit_switch,
    [PT_WDF_DIODE] = emit_diode,
    [PT_WDF_DIODE_PAIR] = emit_diode_pair,
    [PT_WDF_BJT] = emit_bjt,
    [PT_WDF_TRIODE] = emit_triode,
    [PT_WDF_OPAMP] = emit_opamp,
    [PT_WDF_PENTODE] = emit_pentode,
    [PT_WDF_TRANSFORMER] = emit_transformer,
};

static int emit_part(spice_ctx *x, int part, const spice_at *at)
{
    const pt_wdf_part *p = &x->d->part[part];
    spice_emit_fn fn = (unsigned)p->kind < PT_WDF_N_PART_KINDS ? emitters[p->kind] : NULL;
    if (!fn)
        return pt_error_set(x->err, PT_ERR_UNSUPPORTED, x->d->file, p->line, p->col,
                            "part '%s' is of a kind (%d) that pytone spice cannot write as a SPICE "
                            "element yet (add an emitter in src/wdf/spice_export.c)",
                            p->name, (int)p->kind);
    if (at->role != AT_DEVICE) {
        /* what an `across:` output of this part (segment) reads */
        snprintf(x->across[part][at->segment][0], NAME, "%s", at->node[0]);
        snprintf(x->across[part][at->segment][1], NAME, "%s", at->node[1]);
    }
    return fn(x, p, at);
}

/* ---- trees ---- */

static int emit_tree(spice_ctx *x, const pt_wdf_tree *t, const char *plus, const char *minus);

/* Does anything in this R-type connect to its datum, node 0? */
static int uses_gnd(const spice_ctx *x, const pt_wdf_tree *t)
{
    if (t->up_p == 0 || t->up_n == 0) return 1;
    for (int i = 0; i < t->n_port; i++)
        if (t->port[i].node_p == 0 || t->port[i].node_n == 0) return 1;
    for (int j = 0; j < t->n_dev; j++) {
        if (x->d->part[t->dev[j].part].kind == PT_WDF_OPAMP) return 1;
        for (int k = 0; k < (int)(sizeof t->dev[j].node / sizeof t->dev[j].node[0]); k++)
            if (t->dev[j].node[k] == 0) return 1;
    }
    return 0;
}

/* How many terminals a device has (file order). */
static int device_terminals(const pt_wdf_part *p)
{
    switch (p->kind) {
    case PT_WDF_PENTODE: return 4;
    case PT_WDF_TRANSFORMER: return p->xf_center_tap ? 5 : 4;
    case PT_WDF_DIODE:
    case PT_WDF_DIODE_PAIR: return 2;
    case PT_WDF_BJT:
    case PT_WDF_TRIODE:
    case PT_WDF_OPAMP: return 3;
    default: return (int)(sizeof ((pt_wdf_rdevice *)0)->node / sizeof(int));
    }
}

/* An R-type adaptor: name its nodes, then its ports' children and its
 * devices. `plus`/`minus` name the port facing up (NULL at the top of a
 * stage, where the R-type's own names are kept); `top` says this R-type's
 * names are the stage's own (no r<k>_ prefix) and its gnd may be ground. */
static int emit_rtype(spice_ctx *x, const pt_wdf_tree *t, const char *plus, const char *minus,
                      int top, int is_root)
{
    char (*name)[NAME] = calloc((size_t)t->n_nodes, sizeof *name);
    if (!name) return nomem(x);
    int k = ++x->n_rtype;
    int gnd_ground = top && uses_gnd(x, t);
    for (int i = 0; i < t->n_nodes; i++) {
        char c[32];
        clean(c, sizeof c, t->node_name[i]);
        if (i == t->up_p && plus) snprintf(name[i], NAME, "%s", plus);
        else if (i == t->up_n && minus) snprintf(name[i], NAME, "%s", minus);
        else if (i == 0 && gnd_ground) snprintf(name[i], NAME, "0");
        else if (top) snprintf(name[i], NAME, "%s%s", x->prefix, c);
        else snprintf(name[i], NAME, "%sr%d_%s", x->prefix, k, c);
    }
    /* nothing tied to gnd: the port facing up's minus terminal is ground */
    if (top && !gnd_ground && t->up_n >= 0) snprintf(name[t->up_n], NAME, "0");
    if (is_root) x->rt[x->n_rt++] = (rtype_names){t, name}; /* emit_stage frees it */
    for (int i = 0; i < t->n_nodes; i++)
        if (add_node(x, name[i])) goto fail;
    for (int i = 0; i < t->n_port; i++)
        if (emit_tree(x, t->port[i].child, name[t->port[i].node_p], name[t->port[i].node_n]))
            goto fail;
    for (int j = 0; j < t->n_dev; j++) {
        const pt_wdf_rdevice *dv = &t->dev[j];
        spice_at at = {.role = AT_DEVICE, .ref = name[0]};
        at.n_node = device_terminals(&x->d->part[dv->part]);
        for (int q = 0; q < at.n_node; q++) at.node[q] = name[dv->node[q]];
        if (emit_part(x, dv->part, &at)) goto fail;
    }
    if (!is_root) {
        if (x->n_rt == (int)(sizeof x->rt / sizeof x->rt[0])) {
            pt_error_set(x->err, PT_ERR_INVALID, x->d->file, t->line, t->col,
                         "too many R-type adaptors in one stage for pytone spice");
            goto fail;
        }
        x->rt[x->n_rt++] = (rtype_names){t, name};
    }
    return 0;
fail:
    if (!is_root) free(name);
    return x->err->code ? x->err->code : PT_ERR;
}

static int emit_tree(spice_ctx *x, const pt_wdf_tree *t, const char *plus, const char *minus)
{
    switch (t->kind) {
    case PT_WDF_T_LEAF: {
        spice_at at = {.role = AT_LEAF, .node = {plus, minus}, .n_node = 2, .segment = t->segment};
        return emit_part(x, t->part, &at);
    }
    case PT_WDF_T_SERIES: {
        /* v = sum of the children's voltages: a chain from plus to minus */
        char cur[NAME], next[NAME];
        snprintf(cur, sizeof cur, "%s", plus);
        for (int i = 0; i < t->n_child; i++) {
            if (i == t->n_child - 1) snprintf(next, sizeof next, "%s", minus);
            else if (gen_node(x, next)) return x->err->code;
            if (emit_tree(x, t->child[i], cur, next)) return x->err->code;
            snprintf(cur, sizeof cur, "%s", next);
        }
        return 0;
    }
    case PT_WDF_T_PARALLEL:
        for (int i = 0; i < t->n_child; i++)
            if (emit_tree(x, t->child[i], plus, minus)) return x->err->code;
        return 0;
    case PT_WDF_T_INVERT: return emit_tree(x, t->child[0], minus, plus);
    case PT_WDF_T_RTYPE: return emit_rtype(x, t, plus, minus, 0, 0);
    default:
        return pt_error_set(x->err, PT_ERR_INVALID, x->d->file, t->line, t->col,
                            "a root can only be at the top of a tree");
    }
}

/* The two nodes a stage's output reads, as the WDF's probe does. */
static int stage_probe(spice_ctx *x, const pt_wdf_stage_desc *sd, const char **p, const char **m)
{
    const pt_wdf_desc *d = x->d;
    if (sd->out_kind == PT_WDF_PROBE_ACROSS) {
        int seg = sd->out_seg;
        if (x->across[sd->out_part][seg][0][0]) {
            *p = x->across[sd->out_part][seg][0];
            *m = x->across[sd->out_part][seg][1];
            return 0;
        }
        /* a device of the root R-type: its first two terminals */
        for (int r = 0; r < x->n_rt; r++) {
            const pt_wdf_tree *t = x->rt[r].t;
            for (int j = 0; j < t->n_dev; j++)
                if (t->dev[j].part == sd->out_part) {
                    *p = x->rt[r].name[t->dev[j].node[0]];
                    *m = x->rt[r].name[t->dev[j].node[1]];
                    return 0;
                }
        }
    } else {
        for (int r = 0; r < x->n_rt; r++) {
            const pt_wdf_tree *t = x->rt[r].t;
            for (int i = 1; i < t->n_nodes; i++)
                if (!strcmp(t->node_name[i], sd->out_node)) {
                    *p = x->rt[r].name[i];
                    *m = x->rt[r].name[0];
                    return 0;
                }
        }
    }
    return pt_error_set(x->err, PT_ERR_INVALID, d->file, sd->out_line, sd->out_col,
                        "pytone spice cannot find what this output reads");
}

static int emit_stage(spice_ctx *x, int k)
{
    const pt_wdf_desc *d = x->d;
    const pt_wdf_stage_desc *sd = &d->stage[k];
    const pt_wdf_tree *t = sd->tree;
    x->stage = k;
    x->n_rtype = 0;
    x->n_rt = 0;
    if (d->n_stage > 1) {
        char c[48];
        if (sd->name[0]) clean(c, sizeof c, sd->name);
        else snprintf(c, sizeof c, "s%d", k + 1);
        snprintf(x->prefix, sizeof x->prefix, "%s_", c);
    }
    fprintf(x->f, "\n* ---- stage %d%s%s (input %s)\n", k + 1, sd->name[0] ? ": " : "", sd->name,
            d->part[sd->input_part].name);
    int rc = 0;
    if (t->kind == PT_WDF_T_RTYPE) {
        rc = emit_rtype(x, t, NULL, NULL, 1, 1);
    } else if (t->kind == PT_WDF_T_ROOT) {
        const pt_wdf_tree *ch = t->child[0];
        char p[NAME], m[NAME];
        if (ch->kind == PT_WDF_T_RTYPE) {
            rc = emit_rtype(x, ch, NULL, NULL, 1, 0);
            if (!rc) {
                const rtype_names *rn = &x->rt[x->n_rt - 1];
                snprintf(p, sizeof p, "%s", rn->name[ch->up_p]);
                snprintf(m, sizeof m, "%s", rn->name[ch->up_n]);
            }
        } else {
            snprintf(m, sizeof m, "0");
            rc = gen_node(x, p);
            if (!rc) rc = emit_tree(x, ch, p, m);
        }
        spice_at at = {.role = AT_ROOT, .node = {p, m}, .n_node = 2, .segment = t->segment};
        if (!rc) rc = emit_part(x, t->part, &at);
    } else {
        rc = pt_error_set(x->err, PT_ERR_INVALID, d->file, t->line, t->col,
                          "the top of a tree must be a root or an R-type adaptor without `up`");
    }
    const char *pp = NULL, *pm = NULL;
    if (!rc) rc = stage_probe(x, sd, &pp, &pm);
    if (!rc) {
        fprintf(x->f, "* the stage's output: %s %s, times %.10g\n",
                sd->out_kind == PT_WDF_PROBE_ACROSS ? "across" : "node",
                sd->out_kind == PT_WDF_PROBE_ACROSS ? d->part[sd->out_part].name : sd->out_node,
                sd->out_scale);
        fprintf(x->f, "E_y%d _y%d 0 %s %s %.10g\n", k + 1, k + 1, pp, pm, sd->out_scale);
        snprintf(x->drive, sizeof x->drive, "_y%d", k + 1);
        rc = add_node(x, x->drive);
    }
    for (int r = 0; r < x->n_rt; r++) free(x->rt[r].name);
    x->n_rt = 0;
    return rc;
}

int pt_spice_export(FILE *f, const pt_wdf_desc *d, const pt_spice_opts *o, pt_error *err)
{
    pt_error local = {0};
    spice_ctx x = {.f = f, .d = d, .o = o, .err = err ? err : &local};
    x.across = calloc((size_t)(d->n_part ? d->n_part : 1), sizeof *x.across);
    if (!x.across) return nomem(&x);
    const double step = 1.0 / (o->rate * o->oversample);
    fprintf(f, "* %s\n", d->name);
    fprintf(f, "* written by `pytone spice` from %s: the WDF model's parts and device\n"
               "* equations (docs/circuits.md, \"Checking a model in ngspice\")\n", d->file);
    fprintf(f, "* controls:");
    for (int k = 0; k < PT_WDF_N_CONTROLS; k++)
        if (d->controls_used & (1u << k)) fprintf(f, " %s=%.6g", pt_wdf_control_names[k], o->ctl[k]);
    fprintf(f, "%s\n", d->controls_used ? "" : " (none)");
    fprintf(f, "* rate %.10g Hz x %d oversampling: one step is %.10g s\n", o->rate, o->oversample, step);
    if (o->substeps > 1) fprintf(f, "* the output written %d times a step\n", o->substeps);
    add_node(&x, "_x1");
    if (o->input_file) {
        fprintf(f, "* the input: what `pytone render` feeds the circuit (oversampled), times\n"
                   "* input_scale = %.10g, in volts\n", d->input_scale);
        fprintf(f, "A_in %%vd([_x1 0]) ptinput\n");
        fprintf(f, ".model ptinput filesource(file=\"%s\" amploffset=[0] amplscale=[%.10g])\n",
                o->input_file, d->input_scale);
    } else {
        fprintf(f, "* no input file: 0 V, and AC 1 for a small-signal analysis\n");
        fprintf(f, "V_x1 _x1 0 DC 0 AC %.10g\n", d->input_scale);
    }
    snprintf(x.drive, sizeof x.drive, "_x1");
    int rc = 0;
    for (int k = 0; k < d->n_stage && !rc; k++) rc = emit_stage(&x, k);
    if (!rc) {
        fprintf(f, "\n* the circuit's output, times output_scale (%.10g) and the output gain\n",
                d->output_scale);
        fprintf(f, "E_out _out 0 %s 0 %.10g\n", x.drive, d->output_scale * o->output_gain);
        add_node(&x, "_out");
        /* Tolerances: a circuit with tubes swings hundreds of volts and
           carries milliamps, where ngspice's transient gives up ("timestep
           too small") at 1 pA / 1 nV / 1e-5 (and a saturated amp even at
           0.1 nA / 0.1 uV); 1 nA / 1e-4 keep its error far below what the
           tests compare (0.5 dB, 1 %). A push-pull power stage (more than one
           power pentode: a few hundred mA through the output transformer)
           takes 1 uA: the AC30's decks, whose node voltages had converged,
           failed their first time step at 1 nA to 0.1 uA while the current
           check chased rounding in the branch currents. Nodes are converged
           to 100 uV: at 1 uV the Plexi's deck (tests/data/amps_wip/) stops at
           its first time step ("timestep too small" down to 1e-17 s); the
           Champ's checks pass at 100 uV with harmonics within 0.3 dB and the
           DI excerpt within 0.5 % */
        int tubes = 0, pentodes = 0;
        for (int i = 0; i < d->n_part; i++) {
            tubes |= d->part[i].kind == PT_WDF_TRIODE || d->part[i].kind == PT_WDF_PENTODE;
            if (d->part[i].kind == PT_WDF_PENTODE) pentodes++;
        }
        fprintf(f, "\n.options method=trap reltol=%s abstol=%s vntol=%s\n", tubes ? "1e-4" : "1e-5",
                pentodes > 1 ? "1e-6" : tubes ? "1e-9" : "1e-12", tubes ? "1e-4" : "1e-9");
        fprintf(f, ".control\nset noaskquit\nop\n");
        for (int i = 0; i < x.n_nodes; i++)
            fprintf(f, "echo \"%s $&v(%s)\" %s %s\n", x.nodes[i], x.nodes[i], i ? ">>" : ">",
                    o->op_file);
        if (o->input_file) {
            /* keep only the output through the transient: an amp's nodes at
               8x over seconds would otherwise hold hundreds of MB */
            /* the output grid: one point a step, or `substeps` points (the
               solution sampled finer than the model runs, for a reader that
               band-limits it before decimating: where a clipped edge puts
               energy above the oversampled Nyquist frequency, ngspice's
               solution read once a step aliases it into the audio band) */
            int sub = o->substeps > 1 ? o->substeps : 1;
            /* an XSPICE device (the input's filesource) makes ngspice cut
               trtol from 7 to 1, unless xtrtol says otherwise */
            if (o->trtol > 0) fprintf(f, "set xtrtol=%d\n", o->trtol);
            fprintf(f, "save _out\n");
            fprintf(f, "tran %.10g %.10g 0 %.10g\n", step / sub, o->seconds, step);
            fprintf(f, "linearize v(_out)\n");
        } else {
            fprintf(f, "ac dec 50 10 %.10g\n", o->rate / 2);
        }
        fprintf(f, "wrdata %s v(_out)\nquit\n.endc\n.end\n", o->output_file);
    }
    free(x.across);
    free(x.nodes);
    return rc;
}
