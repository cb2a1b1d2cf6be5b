/* circuit_file.c — read a circuit file (YAML) into a pt_wdf_desc.
 *
 * The format is described in docs/circuits.md. We load the whole document
 * with libyaml's document API so every node keeps its start mark, and every
 * error names file:line:col of the part, adaptor or node at fault. This file
 * only checks what can be checked from the text (names, values, port counts,
 * dangling nodes); wdf_build.c says why a well-formed circuit cannot be
 * realised (an ideal source below the root, a singular network...). One
 * part's reading is circuit_parts.c's. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "../core/regfile.h"
#include "circuit_file_internal.h"

/* ---- trees ---- */

static pt_wdf_tree *tree_new(const yaml_node_t *n, pt_wdf_tree_kind kind)
{
    pt_wdf_tree *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->kind = kind;
    t->line = PT_YD_LINE(n);
    t->col = PT_YD_COL(n);
    t->part = -1;
    t->up_p = t->up_n = -1;
    return t;
}

static void tree_free(pt_wdf_tree *t)
{
    if (!t) return;
    for (int i = 0; i < t->n_child; i++) tree_free(t->child[i]);
    free(t->child);
    for (int i = 0; i < t->n_port; i++) tree_free(t->port[i].child);
    free(t->port);
    free(t->dev);
    free(t->node_name);
    free(t->node_line);
    free(t->node_col);
    free(t);
}

static int parse_tree(loader *L, yaml_node_t *n, pt_wdf_tree **out);

/* A part reference: "R1", or "P1.a" / "P1.b" for one segment of a pot. */
static int parse_ref(loader *L, yaml_node_t *n, int *part, int *seg)
{
    pt_ydoc *y = &L->y;
    const char *s = pt_yd_scalar(n);
    char name[64];
    snprintf(name, sizeof name, "%s", s);
    *seg = 0;
    char *dot = strchr(name, '.');
    if (dot) {
        *dot = 0;
        if (!strcmp(dot + 1, "a")) *seg = 1;
        else if (!strcmp(dot + 1, "b")) *seg = 2;
        else
            return pt_yd_problem(y, n,
                                 "'%s': a pot's segments are .a (terminal 1 to wiper) and .b "
                                 "(wiper to terminal 3)",
                                 s);
    }
    int p = pt_cf_find_part(L->d, name);
    if (p < 0) {
        const char *near = pt_cf_nearest_part(L->d, name);
        if (near) return pt_yd_problem(y, n, "unknown part '%s' (did you mean '%s'?)", name, near);
        return pt_yd_problem(y, n, "unknown part '%s': declare it under `parts:`", name);
    }
    if (*seg && L->d->part[p].kind != PT_WDF_POT)
        return pt_yd_problem(y, n, "'%s' is not a pot: only pots have segments .a and .b", name);
    int bit = 1 << *seg;
    if ((L->uses[p] & bit) || (*seg == 0 && L->uses[p]) || (*seg && (L->uses[p] & 1)))
        return pt_yd_problem(y, n,
                             "part '%s' is connected twice; every part sits at exactly one place",
                             s);
    L->uses[p] |= bit;
    *part = p;
    return 0;
}

static int node_index(pt_wdf_tree *t, const char *name, const yaml_node_t *at)
{
    for (int i = 0; i < t->n_nodes; i++)
        if (strcmp(t->node_name[i], name) == 0) return i;
    int i = t->n_nodes++;
    t->node_name = realloc(t->node_name, sizeof *t->node_name * (size_t)t->n_nodes);
    t->node_line = realloc(t->node_line, sizeof(int) * (size_t)t->n_nodes);
    t->node_col = realloc(t->node_col, sizeof(int) * (size_t)t->n_nodes);
    if (!t->node_name || !t->node_line || !t->node_col) return -1;
    snprintf(t->node_name[i], sizeof t->node_name[i], "%s", name);
    t->node_line[i] = PT_YD_LINE(at);
    t->node_col[i] = PT_YD_COL(at);
    return i;
}

/* A sequence of node names of exactly `count` entries. */
static int parse_nodes(loader *L, pt_wdf_tree *t, yaml_node_t *n, int count, const char *what,
                       int *out, int *conn)
{
    pt_ydoc *y = &L->y;
    if (!n || n->type != YAML_SEQUENCE_NODE)
        return pt_yd_problem(y, n, "%s needs `nodes:` as a list of %d node names", what, count);
    int len = pt_yd_len(n);
    if (len != count)
        return pt_yd_problem(y, n, "%s connects %d terminals but %d nodes are listed", what, count,
                             len);
    for (int i = 0; i < count; i++) {
        yaml_node_t *e = pt_yd_item(y, n, i);
        const char *s = pt_yd_scalar(e);
        if (!s || !*s || strlen(s) >= 32)
            return pt_yd_problem(y, e, "a node name must be a short name");
        int k = node_index(t, s, e);
        if (k < 0) return pt_yd_nomem(y);
        if (k >= 256) return pt_yd_problem(y, e, "too many nodes");
        if (k == 0 && conn[0] == 0) { /* gnd exists from the start: mark its first use */
            t->node_line[0] = PT_YD_LINE(e);
            t->node_col[0] = PT_YD_COL(e);
        }
        out[i] = k;
        conn[k]++;
    }
    return 0;
}

static int parse_rtype(loader *L, yaml_node_t *n, yaml_node_t *body, pt_wdf_tree **out)
{
    pt_ydoc *y = &L->y;
    static const char *const keys[] = {"up", "ports", "devices", NULL};
    if (!body || body->type != YAML_MAPPING_NODE)
        return pt_yd_problem(y, n, "`rtype:` takes a mapping with ports:, and up: or devices:");
    if (pt_yd_check_keys(y, body, "an R-type adaptor", keys)) return y->err->code;
    pt_wdf_tree *t = tree_new(n, PT_WDF_T_RTYPE);
    if (!t) return pt_yd_nomem(y);
    *out = t;
    int conn[256] = {0};
    if (node_index(t, "gnd", body) != 0) return pt_yd_nomem(y);
    conn[0] = 0;
    yaml_node_t *up = pt_yd_get(y, body, "up");
    if (up) {
        int nd[2];
        if (parse_nodes(L, t, up, 2, "the port facing up", nd, conn)) return y->err->code;
        t->up_p = nd[0], t->up_n = nd[1];
    }
    yaml_node_t *ports = pt_yd_get(y, body, "ports");
    if (!ports || ports->type != YAML_SEQUENCE_NODE)
        return pt_yd_problem(y, body,
                             "an R-type adaptor needs `ports:`, a list of "
                             "{nodes: [p, n], child: ...}");
    int np = pt_yd_len(ports);
    int need = up ? 2 : 1;
    if (np < need)
        return pt_yd_problem(y, ports,
                             "an R-type adaptor %s needs at least %d port%s below it; it has %d",
                             up ? "with a port facing up" : "at the root", need,
                             need > 1 ? "s" : "", np);
    t->port = calloc((size_t)np, sizeof *t->port);
    if (!t->port) return pt_yd_nomem(y);
    for (int i = 0; i < np; i++) {
        yaml_node_t *pn = pt_yd_item(y, ports, i);
        static const char *const pk[] = {"nodes", "child", NULL};
        if (pn->type != YAML_MAPPING_NODE)
            return pt_yd_problem(y, pn, "a port is a mapping {nodes: [p, n], child: ...}");
        if (pt_yd_check_keys(y, pn, "a port", pk)) return y->err->code;
        pt_wdf_rport *p = &t->port[t->n_port++];
        p->line = PT_YD_LINE(pn), p->col = PT_YD_COL(pn);
        int nd[2];
        if (parse_nodes(L, t, pt_yd_get(y, pn, "nodes"), 2, "a port", nd, conn))
            return y->err->code;
        if (nd[0] == nd[1])
            return pt_yd_problem(y, pn, "this port connects node '%s' to itself",
                                 t->node_name[nd[0]]);
        p->node_p = nd[0], p->node_n = nd[1];
        yaml_node_t *ch = pt_yd_get(y, pn, "child");
        if (!ch) return pt_yd_problem(y, pn, "this port has no `child:`");
        if (parse_tree(L, ch, &p->child)) return y->err->code;
    }
    yaml_node_t *devs = pt_yd_get(y, body, "devices");
    if (devs) {
        if (devs->type != YAML_SEQUENCE_NODE)
            return pt_yd_problem(y, devs, "`devices:` is a list of {part: NAME, nodes: [...]}");
        int nd = pt_yd_len(devs);
        t->dev = calloc((size_t)(nd ? nd : 1), sizeof *t->dev);
        if (!t->dev) return pt_yd_nomem(y);
        for (int i = 0; i < nd; i++) {
            yaml_node_t *dn = pt_yd_item(y, devs, i);
            static const char *const dk[] = {"part", "nodes", NULL};
            if (dn->type != YAML_MAPPING_NODE)
                return pt_yd_problem(y, dn, "a device is a mapping {part: NAME, nodes: [...]}");
            if (pt_yd_check_keys(y, dn, "a device", dk)) return y->err->code;
            pt_wdf_rdevice *dv = &t->dev[t->n_dev++];
            dv->line = PT_YD_LINE(dn), dv->col = PT_YD_COL(dn);
            yaml_node_t *pn = pt_yd_get(y, dn, "part");
            if (!pt_yd_scalar(pn)) return pt_yd_problem(y, dn, "this device has no `part:`");
            int seg;
            if (parse_ref(L, pn, &dv->part, &seg)) return y->err->code;
            const pt_wdf_part *pp = &L->d->part[dv->part];
            int count;
            const char *what;
            switch (pp->kind) {
            case PT_WDF_DIODE: count = 2, what = "a diode [anode, cathode]"; break;
            case PT_WDF_DIODE_PAIR: count = 2, what = "a diode pair [anode of the first, cathode of the first]"; break;
            case PT_WDF_BJT: count = 3, what = "a BJT [collector, base, emitter]"; break;
            case PT_WDF_TRIODE: count = 3, what = "a triode [plate, grid, cathode]"; break;
            case PT_WDF_OPAMP: count = 3, what = "an op-amp [plus, minus, out]"; break;
            default:
                return pt_yd_problem(y, pn,
                                     "'%s' is a linear one-port part: connect it through a port, "
                                     "not as a device",
                                     pp->name);
            }
            if (parse_nodes(L, t, pt_yd_get(y, dn, "nodes"), count, what, dv->node, conn))
                return y->err->code;
        }
    }
    for (int i = 0; i < t->n_nodes; i++)
        if (conn[i] < 2 && !(i == 0 && conn[i] == 0))
            return pt_error_set(y->err, PT_ERR_INVALID, y->file, t->node_line[i], t->node_col[i],
                                "node '%s' is dangling: only one terminal connects to it",
                                t->node_name[i]);
    return 0;
}

static int parse_children(loader *L, yaml_node_t *seq, pt_wdf_tree *t, const char *what, int min,
                          int max)
{
    pt_ydoc *y = &L->y;
    int len = 1;
    if (seq->type == YAML_SEQUENCE_NODE) len = pt_yd_len(seq);
    else if (min > 1)
        return pt_yd_problem(y, seq, "a %s adaptor takes a list of children", what);
    if (len < min || len > max) {
        if (min == max)
            return pt_yd_problem(y, seq,
                                 "a %s adaptor has exactly %d child port%s; this one has %d", what,
                                 min, min > 1 ? "s" : "", len);
        return pt_yd_problem(y, seq, "a %s adaptor joins at least %d children; this one has %d",
                             what, min, len);
    }
    t->child = calloc((size_t)len, sizeof *t->child);
    if (!t->child) return pt_yd_nomem(y);
    for (int i = 0; i < len; i++) {
        yaml_node_t *c = seq->type == YAML_SEQUENCE_NODE ? pt_yd_item(y, seq, i) : seq;
        if (parse_tree(L, c, &t->child[t->n_child++])) return y->err->code;
    }
    return 0;
}

static int parse_tree(loader *L, yaml_node_t *n, pt_wdf_tree **out)
{
    pt_ydoc *y = &L->y;
    *out = NULL;
    if (!n) return pt_yd_problem(y, n, "empty tree");
    if (n->type == YAML_SCALAR_NODE) {
        pt_wdf_tree *t = tree_new(n, PT_WDF_T_LEAF);
        if (!t) return pt_yd_nomem(y);
        *out = t;
        return parse_ref(L, n, &t->part, &t->segment);
    }
    if (n->type != YAML_MAPPING_NODE)
        return pt_yd_problem(y, n,
                             "a tree node is a part name or a mapping with one of series, "
                             "parallel, invert, rtype, or root + child");
    yaml_node_t *x;
    if ((x = pt_yd_get(y, n, "series")) || (x = pt_yd_get(y, n, "parallel"))) {
        int series = pt_yd_get(y, n, "series") != NULL;
        static const char *const ks[] = {"series", NULL}, *const kp[] = {"parallel", NULL};
        if (pt_yd_check_keys(y, n, series ? "a series adaptor" : "a parallel adaptor",
                             series ? ks : kp))
            return y->err->code;
        pt_wdf_tree *t = tree_new(n, series ? PT_WDF_T_SERIES : PT_WDF_T_PARALLEL);
        if (!t) return pt_yd_nomem(y);
        *out = t;
        return parse_children(L, x, t, series ? "series" : "parallel", 2, 63);
    }
    if ((x = pt_yd_get(y, n, "invert"))) {
        static const char *const k[] = {"invert", NULL};
        if (pt_yd_check_keys(y, n, "a polarity inverter", k)) return y->err->code;
        pt_wdf_tree *t = tree_new(n, PT_WDF_T_INVERT);
        if (!t) return pt_yd_nomem(y);
        *out = t;
        return parse_children(L, x, t, "polarity-inverter", 1, 1);
    }
    if ((x = pt_yd_get(y, n, "rtype"))) {
        static const char *const k[] = {"rtype", NULL};
        if (pt_yd_check_keys(y, n, "an R-type adaptor", k)) return y->err->code;
        return parse_rtype(L, n, x, out);
    }
    if ((x = pt_yd_get(y, n, "root"))) {
        static const char *const k[] = {"root", "child", NULL};
        if (pt_yd_check_keys(y, n, "a root", k)) return y->err->code;
        if (!pt_yd_scalar(x)) return pt_yd_problem(y, x, "`root:` names a part");
        pt_wdf_tree *t = tree_new(n, PT_WDF_T_ROOT);
        if (!t) return pt_yd_nomem(y);
        *out = t;
        if (parse_ref(L, x, &t->part, &t->segment)) return y->err->code;
        yaml_node_t *ch = pt_yd_get(y, n, "child");
        if (!ch) return pt_yd_problem(y, n, "a root needs exactly one `child:`");
        return parse_children(L, ch, t, "root", 1, 1);
    }
    return pt_yd_problem(y, n,
                         "a tree node is a part name or a mapping with one of series, parallel, "
                         "invert, rtype, or root + child");
}


/* The netlist form: every part lists its `nodes:`, and the circuit is one
 * R-type adaptor at the root holding them all: each linear one-port part (a
 * pot: each of its two segments) a port with that part as its leaf, each
 * nonlinear part or transformer a device. This is how a whole amplifier is
 * written: the schematic's parts and nodes, nothing about trees. */
static int build_netlist(loader *L, yaml_node_t *at, pt_wdf_tree **out)
{
    pt_ydoc *y = &L->y;
    pt_wdf_desc *d = L->d;
    pt_wdf_tree *t = tree_new(at, PT_WDF_T_RTYPE);
    if (!t) return pt_yd_nomem(y);
    *out = t;
    if (node_index(t, "gnd", at) != 0) return pt_yd_nomem(y);
    int np = 0, ndev = 0;
    for (int i = 0; i < d->n_part; i++) {
        const pt_wdf_part *p = &d->part[i];
        if (!p->n_nodes)
            return pt_error_set(y->err, PT_ERR_INVALID, y->file, p->line, p->col,
                                "part '%s' has no `nodes:`: in a circuit without `tree:` every "
                                "part lists the nodes it connects",
                                p->name);
        if (p->kind == PT_WDF_POT) np += p->n_nodes == 3 ? 2 : 1;
        else if (p->kind <= PT_WDF_SWITCH) np++;
        else ndev++;
    }
    t->port = calloc((size_t)(np ? np : 1), sizeof *t->port);
    t->dev = calloc((size_t)(ndev ? ndev : 1), sizeof *t->dev);
    int *conn = calloc(256, sizeof(int));
    if (!t->port || !t->dev || !conn) {
        free(conn);
        return pt_yd_nomem(y);
    }
    int rc = 0;
    for (int i = 0; i < d->n_part && !rc; i++) {
        pt_wdf_part *p = &d->part[i];
        yaml_node_t *nl = L->nodes_at[i];
        int want = 2;
        const char *what = "a two-terminal part [p, n]";
        switch (p->kind) {
        case PT_WDF_POT:
            want = p->n_nodes == 2 ? 2 : 3;
            what = "a pot [terminal 1, wiper, terminal 3] (or [p, n] as a variable resistor)";
            break;
        case PT_WDF_BJT: want = 3, what = "a BJT [collector, base, emitter]"; break;
        case PT_WDF_TRIODE: want = 3, what = "a triode [plate, grid, cathode]"; break;
        case PT_WDF_OPAMP: want = 3, what = "an op-amp [plus, minus, out]"; break;
        case PT_WDF_PENTODE: want = 4, what = "a pentode [plate, screen, grid, cathode]"; break;
        case PT_WDF_TRANSFORMER:
            want = p->n_nodes == 5 ? 5 : 4;
            what = "a transformer [primary +, primary -, secondary +, secondary -] or, "
                   "centre-tapped, [plate a, centre tap, plate b, secondary +, secondary -]";
            p->xf_center_tap = want == 5;
            break;
        default: break;
        }
        if (p->n_nodes != want) {
            rc = pt_yd_problem(y, nl, "'%s' is %s: it connects %d terminals but %d nodes are "
                               "listed", p->name, what, want, p->n_nodes);
            break;
        }
        if ((p->kind == PT_WDF_VOLTAGE_SOURCE || p->kind == PT_WDF_CURRENT_SOURCE) &&
            !(p->r_ohm > 0)) {
            rc = pt_yd_problem(y, nl, "source '%s' needs its internal resistance R in a netlist "
                               "(a supply's, a pickup's or a signal generator's)", p->name);
            break;
        }
        int nd[5];
        for (int k = 0; k < want; k++) {
            yaml_node_t *e = pt_yd_item(y, nl, k);
            nd[k] = node_index(t, p->node[k], e);
            if (nd[k] < 0) {
                rc = pt_yd_nomem(y);
                break;
            }
            if (nd[k] >= 256) {
                rc = pt_yd_problem(y, e, "too many nodes");
                break;
            }
            conn[nd[k]]++;
        }
        if (rc) break;
        if (p->kind <= PT_WDF_SWITCH) {
            int segs = p->kind == PT_WDF_POT && want == 3 ? 2 : 1;
            for (int g = 0; g < segs; g++) {
                pt_wdf_rport *pp = &t->port[t->n_port++];
                pp->line = p->line, pp->col = p->col;
                pp->node_p = segs == 2 ? nd[g] : nd[0];
                pp->node_n = segs == 2 ? nd[g + 1] : nd[1];
                if (pp->node_p == pp->node_n) {
                    rc = pt_yd_problem(y, nl, "'%s' connects node '%s' to itself", p->name,
                                       t->node_name[pp->node_p]);
                    break;
                }
                pt_wdf_tree *leaf = tree_new(nl, PT_WDF_T_LEAF);
                if (!leaf) {
                    rc = pt_yd_nomem(y);
                    break;
                }
                leaf->part = i;
                leaf->segment = segs == 2 ? g + 1 : 0;
                leaf->line = p->line, leaf->col = p->col;
                pp->child = leaf;
            }
            L->uses[i] |= p->kind == PT_WDF_POT && want == 3 ? 6 : 1;
        } else {
            pt_wdf_rdevice *dv = &t->dev[t->n_dev++];
            dv->part = i;
            dv->line = p->line, dv->col = p->col;
            for (int k = 0; k < want; k++) dv->node[k] = nd[k];
            L->uses[i] |= 1;
        }
    }
    for (int i = 0; i < t->n_nodes && !rc; i++)
        if (conn[i] < 2 && !(i == 0 && conn[i] == 0))
            rc = pt_error_set(y->err, PT_ERR_INVALID, y->file, t->node_line[i], t->node_col[i],
                              "node '%s' is dangling: only one terminal connects to it",
                              t->node_name[i]);
    free(conn);
    return rc;
}

static int parse_stage(loader *L, yaml_node_t *n, pt_wdf_stage_desc *s, int allow_name)
{
    pt_ydoc *y = &L->y;
    s->line = PT_YD_LINE(n), s->col = PT_YD_COL(n);
    s->input_part = -1;
    s->out_scale = 1.0;
    yaml_node_t *nm = pt_yd_get(y, n, "name");
    if (allow_name && pt_yd_scalar(nm)) snprintf(s->name, sizeof s->name, "%s", pt_yd_scalar(nm));
    yaml_node_t *in = pt_yd_get(y, n, "input");
    if (in) {
        if (!pt_yd_scalar(in))
            return pt_yd_problem(y, in, "`input:` names the source the signal drives");
        s->input_part = pt_cf_find_part(L->d, pt_yd_scalar(in));
        if (s->input_part < 0) {
            const char *near = pt_cf_nearest_part(L->d, pt_yd_scalar(in));
            return near ? pt_yd_problem(y, in, "unknown part '%s' (did you mean '%s'?)",
                                        pt_yd_scalar(in), near)
                        : pt_yd_problem(y, in, "unknown part '%s'", pt_yd_scalar(in));
        }
    } else {
        return pt_yd_problem(y, n, "missing `input:` (the source the signal drives)");
    }
    yaml_node_t *o = pt_yd_get(y, n, "output");
    if (!o || o->type != YAML_MAPPING_NODE)
        return pt_yd_problem(y, o ? o : n,
                             "`output:` is {across: PART} or {node: NAME}, with an "
                             "optional scale:");
    static const char *const ok[] = {"across", "node", "scale", NULL};
    if (pt_yd_check_keys(y, o, "output", ok)) return y->err->code;
    s->out_line = PT_YD_LINE(o), s->out_col = PT_YD_COL(o);
    yaml_node_t *ac = pt_yd_get(y, o, "across"), *nd = pt_yd_get(y, o, "node");
    if (ac && pt_yd_scalar(ac)) {
        s->out_kind = PT_WDF_PROBE_ACROSS;
        char nm[64];
        snprintf(nm, sizeof nm, "%s", pt_yd_scalar(ac));
        char *dot = strchr(nm, '.');
        s->out_seg = 0;
        if (dot) {
            *dot = 0;
            s->out_seg = !strcmp(dot + 1, "a") ? 1 : !strcmp(dot + 1, "b") ? 2 : -1;
            if (s->out_seg < 0) return pt_yd_problem(y, ac, "a pot's segments are .a and .b");
        }
        s->out_part = pt_cf_find_part(L->d, nm);
        if (s->out_part < 0) return pt_yd_problem(y, ac, "unknown part '%s'", nm);
    } else if (nd && pt_yd_scalar(nd)) {
        s->out_kind = PT_WDF_PROBE_NODE;
        snprintf(s->out_node, sizeof s->out_node, "%s", pt_yd_scalar(nd));
    } else {
        return pt_yd_problem(y, o, "`output:` needs across: PART or node: NAME");
    }
    if (pt_cf_get_value(L, o, "scale", "output", 0, 1.0, &s->out_scale, 0)) return y->err->code;
    yaml_node_t *tr = pt_yd_get(y, n, "tree");
    if (!tr && L->d->netlist) return build_netlist(L, n, &s->tree);
    if (!tr) return pt_yd_problem(y, n, "missing `tree:` (or `nodes:` on every part)");
    return parse_tree(L, tr, &s->tree);
}

void pt_wdf_desc_free(pt_wdf_desc *d)
{
    if (!d) return;
    for (int i = 0; i < d->n_stage; i++) tree_free(d->stage[i].tree);
    free(d->stage);
    free(d->part);
    free(d->printed_node);
    free(d->printed_volts);
    free(d);
}

static int load_doc(loader *L)
{
    pt_ydoc *y = &L->y;
    yaml_node_t *root = yaml_document_get_root_node(&L->doc);
    if (!root || root->type != YAML_MAPPING_NODE)
        return pt_yd_problem(y, root,
                             "a circuit file is a mapping that starts with `circuit: NAME`");
    static const char *const keys[] = {"circuit", "source", "notes", "oversample",
                                       "input_scale", "output_scale", "settle_ms",
                                       "max_iterations", "parts", "input", "output", "tree",
                                       "stages", "schematic_voltages", NULL};
    if (pt_yd_check_keys(y, root, "a circuit file", keys)) return y->err->code;
    pt_wdf_desc *d = L->d;
    yaml_node_t *nm = pt_yd_get(y, root, "circuit");
    if (!pt_yd_scalar(nm))
        return pt_yd_problem(y, root, "a circuit file starts with `circuit: NAME`");
    snprintf(d->name, sizeof d->name, "%s", pt_yd_scalar(nm));
    double v;
    if (pt_cf_get_value(L, root, "oversample", "the circuit", 0, 1, &v, 1)) return y->err->code;
    d->oversample = (int)v;
    if (d->oversample != 1 && d->oversample != 2 && d->oversample != 4 && d->oversample != 8)
        return pt_yd_problem(y, pt_yd_get(y, root, "oversample"),
                             "oversample must be 1, 2, 4 or 8");
    if (pt_cf_get_value(L, root, "input_scale", "the circuit", 0, 1, &d->input_scale, 0) ||
        pt_cf_get_value(L, root, "output_scale", "the circuit", 0, 1, &d->output_scale, 0) ||
        pt_cf_get_value(L, root, "settle_ms", "the circuit", 0, -1, &d->settle_ms, 0) ||
        pt_cf_get_value(L, root, "max_iterations", "the circuit", 0, 100, &v, 1))
        return y->err->code;
    d->max_iter = (int)v;
    yaml_node_t *parts = pt_yd_get(y, root, "parts");
    if (!parts || parts->type != YAML_MAPPING_NODE)
        return pt_yd_problem(y, parts ? parts : root,
                             "missing `parts:`, a mapping of part names to "
                             "{type: ..., values}");
    int np = pt_yd_len(parts);
    d->part = calloc((size_t)(np ? np : 1), sizeof *d->part);
    L->uses = calloc((size_t)(np ? np : 1), sizeof *L->uses);
    L->nodes_at = calloc((size_t)(np ? np : 1), sizeof *L->nodes_at);
    if (!d->part || !L->uses || !L->nodes_at) return pt_yd_nomem(y);
    for (int i = 0; i < np; i++) {
        yaml_node_pair_t *p = &parts->data.mapping.pairs.start[i];
        yaml_node_t *k = pt_yd_node(y, p->key);
        if (pt_yd_scalar(k) && pt_cf_find_part(d, pt_yd_scalar(k)) >= 0)
            return pt_yd_problem(y, k, "part '%s' is declared twice", pt_yd_scalar(k));
        if (pt_cf_parse_part(L, k, pt_yd_node(y, p->value), &d->part[d->n_part])) return y->err->code;
        d->n_part++;
    }
    int with_nodes = 0;
    for (int i = 0; i < d->n_part; i++) with_nodes += d->part[i].n_nodes > 0;
    d->netlist = with_nodes > 0 && !pt_yd_get(y, root, "tree") && !pt_yd_get(y, root, "stages");
    if (with_nodes && !d->netlist)
        for (int i = 0; i < d->n_part; i++)
            if (d->part[i].n_nodes)
                return pt_error_set(y->err, PT_ERR_INVALID, y->file, d->part[i].line,
                                    d->part[i].col,
                                    "part '%s' lists `nodes:` but the file has a `tree:`: "
                                    "write the circuit either as a netlist (nodes on every part, "
                                    "no tree) or as a tree",
                                    d->part[i].name);
    yaml_node_t *sv = pt_yd_get(y, root, "schematic_voltages");
    if (sv) {
        if (sv->type != YAML_MAPPING_NODE)
            return pt_yd_problem(y, sv, "`schematic_voltages:` maps node names to the DC volts "
                                 "the published schematic prints there");
        int n = pt_yd_len(sv);
        d->printed_node = calloc((size_t)(n ? n : 1), sizeof *d->printed_node);
        d->printed_volts = calloc((size_t)(n ? n : 1), sizeof *d->printed_volts);
        if (!d->printed_node || !d->printed_volts) return pt_yd_nomem(y);
        for (int i = 0; i < n; i++) {
            yaml_node_pair_t *pr = &sv->data.mapping.pairs.start[i];
            yaml_node_t *k = pt_yd_node(y, pr->key);
            yaml_node_t *v = pt_yd_node(y, pr->value);
            const char *ks = pt_yd_scalar(k);
            if (!ks || strlen(ks) >= 32) return pt_yd_problem(y, k, "a node name");
            if (pt_cf_parse_value(pt_yd_scalar(v), &d->printed_volts[i]) != 0)
                return pt_yd_problem(y, v, "'%s' is not a voltage",
                                     pt_yd_scalar(v) ? pt_yd_scalar(v) : "(not a scalar)");
            snprintf(d->printed_node[i], sizeof d->printed_node[i], "%s", ks);
            d->n_printed++;
        }
    }
    yaml_node_t *stages = pt_yd_get(y, root, "stages");
    if (stages) {
        if (pt_yd_get(y, root, "tree") || pt_yd_get(y, root, "input") ||
            pt_yd_get(y, root, "output"))
            return pt_yd_problem(y, stages,
                                 "give either `stages:` or one `input:`, `output:` and "
                                 "`tree:`, not both");
        if (stages->type != YAML_SEQUENCE_NODE)
            return pt_yd_problem(y, stages, "`stages:` is a list of {name, input, output, tree}");
        int ns = pt_yd_len(stages);
        if (ns < 1) return pt_yd_problem(y, stages, "`stages:` is empty");
        d->stage = calloc((size_t)ns, sizeof *d->stage);
        if (!d->stage) return pt_yd_nomem(y);
        for (int i = 0; i < ns; i++) {
            yaml_node_t *sn = pt_yd_item(y, stages, i);
            static const char *const sk[] = {"name", "input", "output", "tree", NULL};
            if (sn->type != YAML_MAPPING_NODE) return pt_yd_problem(y, sn, "a stage is a mapping");
            if (pt_yd_check_keys(y, sn, "a stage", sk)) return y->err->code;
            d->n_stage++;
            if (parse_stage(L, sn, &d->stage[i], 1)) return y->err->code;
        }
    } else {
        d->stage = calloc(1, sizeof *d->stage);
        if (!d->stage) return pt_yd_nomem(y);
        d->n_stage = 1;
        if (parse_stage(L, root, &d->stage[0], 0)) return y->err->code;
    }
    for (int i = 0; i < d->n_part; i++) {
        const pt_wdf_part *p = &d->part[i];
        int u = L->uses[i];
        if (!u)
            return pt_error_set(y->err, PT_ERR_INVALID, y->file, p->line, p->col,
                                "part '%s' is declared but not connected in any tree", p->name);
        if (p->kind == PT_WDF_POT && u != 1 && u != 6)
            return pt_error_set(y->err, PT_ERR_INVALID, y->file, p->line, p->col,
                                "pot '%s' uses only one segment (.%s): connect both .a and .b, or "
                                "the whole pot as a variable resistor",
                                p->name, u == 2 ? "a" : "b");
    }
    return 0;
}

int pt_circuit_parse(const char *text, const char *name, pt_wdf_desc **out, pt_error *err)
{
    *out = NULL;
    loader L = {.y = {.file = name, .err = err, .keys = PT_YD_KEYS_NEAREST}};
    int rc = pt_yd_load(&L.y, &L.doc, text, strlen(text), 0);
    if (rc) return rc;
    L.d = calloc(1, sizeof *L.d);
    if (L.d) snprintf(L.d->file, sizeof L.d->file, "%s", name);
    rc = L.d ? load_doc(&L) : pt_yd_nomem(&L.y);
    yaml_document_delete(&L.doc);
    free(L.uses);
    free(L.nodes_at);
    if (rc) {
        pt_wdf_desc_free(L.d);
        return rc;
    }
    *out = L.d;
    return 0;
}

static char *read_file(const char *path, pt_error *err)
{
    FILE *f = pt_fopen_regular(path, 4LL << 20);
    if (!f) {
        pt_error_set(err, PT_ERR_IO, path, 0, 0, "cannot open the circuit file: %s",
                     errno == EINVAL ? "not a regular file (a folder, FIFO or device)"
                     : errno == EFBIG ? "larger than 4 MiB"
                                      : strerror(errno));
        return NULL;
    }
    size_t cap = 8192, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got = fread(buf + len, 1, cap - len - 1, f);
        len += got;
        if (got == 0) break;
        if (len + 1 >= cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) free(buf);
            buf = nb;
        }
    }
    fclose(f);
    if (!buf) {
        pt_error_set(err, PT_ERR_NOMEM, NULL, 0, 0, "out of memory");
        return NULL;
    }
    buf[len] = 0;
    return buf;
}

int pt_circuit_load(const char *path, pt_wdf_desc **out, pt_error *err)
{
    char *text = read_file(path, err);
    if (!text) return err ? err->code : PT_ERR_IO;
    int rc = pt_circuit_parse(text, path, out, err);
    free(text);
    return rc;
}

int pt_circuit_file_sniff(const char *path)
{
    FILE *f = pt_fopen_regular(path, 0);
    if (!f) return -1;
    char line[512];
    int found = 0;
    for (int n = 0; n < 2000 && fgets(line, sizeof line, f); n++)
        if (strncmp(line, "circuit:", 8) == 0) {
            found = 1;
            break;
        }
    fclose(f);
    return found;
}
