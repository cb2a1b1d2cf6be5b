/* circuit_parts.c — read one part of a circuit file: its type, its values
 * (with SI suffixes), a tube type's preset, a pot's control and taper. The
 * document around it (trees, netlists, stages) is circuit_file.c's. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "circuit_file_internal.h"

/* Tube types a file may name with `tube:`. Triodes in Dempwolf & Zolzer's
 * form (a = G, b = gamma, c = C), pentodes and beam tetrodes in Koren's
 * (a = kg1, b = ex, c = kp). Sources, and what is a reconstruction:
 *   12AX7/ECC83  Dempwolf & Zolzer's published fit (DAFx 2011).
 *   12AY7        mu 44 and the 12AX7's shape (gamma, C); G set so that
 *                Ip = 3.0 mA at Vp 250 V, Vg -4 V (the RCA data sheet's
 *                typical point). Reconstruction.
 *   12AT7/ECC81  mu 60, G for Ip = 10 mA at 250 V, -2 V. Reconstruction.
 *   EL34, 6L6GC  Koren's published parameters ("Improved vacuum tube models
 *                for SPICE simulations", 1996/2003).
 *   6V6GT        mu 9.6 (cut-off near -26 V at 250 V on the screen), kg1 and
 *                kg2 set for Ip 45 mA, Ig2 4.5 mA at Vp = Vg2 = 250 V,
 *                Vg1 -12.5 V (data sheet class A). Reconstruction.
 *   EL84         mu 19 (g2-g1 mu of the data sheet), kg1 and kg2 for Ip 48 mA,
 *                Ig2 5.5 mA at 250 V / 250 V / -7.3 V. Reconstruction.
 * Grid current (Dempwolf's form): the 12AX7 fit for the small triodes,
 * Gg = 1.5 mA/V^xi for power tubes (a reconstruction). */
typedef struct pt_tube_preset {
    const char *name;
    int pentode;
    double mu, a, b, c, gg, ig0, kg2, kvb;
} pt_tube_preset;

static const pt_tube_preset tube_presets[] = {
    {"12AX7", 0, 103.2, 2.242e-3, 1.26, 3.4, 6.177e-4, 8.025e-8, 0, 0},
    {"ECC83", 0, 103.2, 2.242e-3, 1.26, 3.4, 6.177e-4, 8.025e-8, 0, 0},
    {"12AY7", 0, 44.0, 1.557e-3, 1.26, 3.4, 6.177e-4, 8.025e-8, 0, 0},
    {"12AT7", 0, 60.0, 3.774e-3, 1.26, 3.4, 6.177e-4, 8.025e-8, 0, 0},
    {"ECC81", 0, 60.0, 3.774e-3, 1.26, 3.4, 6.177e-4, 8.025e-8, 0, 0},
    {"EL34", 1, 11.0, 650, 1.35, 60, 1.5e-3, 0, 4200, 24},
    {"6CA7", 1, 11.0, 650, 1.35, 60, 1.5e-3, 0, 4200, 24},
    {"6L6GC", 1, 8.7, 1460, 1.35, 48, 1.5e-3, 0, 4500, 12},
    {"6V6GT", 1, 9.6, 2333, 1.35, 45, 1.5e-3, 0, 7470, 20},
    {"EL84", 1, 19.0, 670, 1.35, 200, 1.5e-3, 0, 1980, 24},
    {"6BQ5", 1, 19.0, 670, 1.35, 200, 1.5e-3, 0, 1980, 24},
};

/* `tube: NAME` of a triode (pentode = 0) or pentode part: the preset, or
 * NULL when the key is absent; an unknown name is a problem at its line. */
static int tube_preset(loader *L, const yaml_node_t *map, const char *what, int pentode,
                       const pt_tube_preset **out)
{
    pt_ydoc *y = &L->y;
    *out = NULL;
    yaml_node_t *n = pt_yd_get(y, map, "tube");
    if (!n) return 0;
    const char *s = pt_yd_scalar(n);
    const char *names[sizeof tube_presets / sizeof tube_presets[0] + 1];
    int k = 0;
    for (size_t i = 0; i < sizeof tube_presets / sizeof tube_presets[0]; i++) {
        if (tube_presets[i].pentode != pentode) continue;
        names[k++] = tube_presets[i].name;
        if (s && strcasecmp(s, tube_presets[i].name) == 0) {
            *out = &tube_presets[i];
            return 0;
        }
    }
    names[k] = NULL;
    for (size_t i = 0; s && i < sizeof tube_presets / sizeof tube_presets[0]; i++)
        if (strcasecmp(s, tube_presets[i].name) == 0)
            return pt_yd_problem(y, n, "%s: '%s' is a %s, not a %s", what, s,
                                 pentode ? "triode" : "power pentode",
                                 pentode ? "pentode" : "triode");
    char list[256] = "";
    pt_yd_join(list, sizeof list, names);
    return pt_yd_problem(y, n, "%s: unknown tube type '%s'; known: %s", what,
                         s ? s : "(not a name)", list);
}

/* "10k", "2.2u", "4.7nF", "1M" (mega), "1Meg", "0.568", "100 ohm", "2.52e-9".
 * Multipliers: p n u (or µ) m k M G; an optional unit (F H V A s Ω ohm) may
 * follow. Unlike SPICE, M is mega: schematics write 1M for a megohm. */
int pt_cf_parse_value(const char *s, double *out)
{
    if (!s) return -1;
    char *end;
    double v = strtod(s, &end);
    if (end == s) return -1;
    while (*end == ' ') end++;
    double mul = 1;
    if (strncmp(end, "Meg", 3) == 0 || strncmp(end, "meg", 3) == 0) mul = 1e6, end += 3;
    else if (strncmp(end, "\xc2\xb5", 2) == 0) mul = 1e-6, end += 2;
    else if (*end) {
        switch (*end) {
        case 'p': mul = 1e-12; break;
        case 'n': mul = 1e-9; break;
        case 'u': mul = 1e-6; break;
        case 'm': mul = 1e-3; break;
        case 'k': case 'K': mul = 1e3; break;
        case 'M': mul = 1e6; break;
        case 'G': mul = 1e9; break;
        default: mul = 0;
        }
        if (mul != 0) end++;
        else mul = 1;
    }
    static const char *const units[] = {"", "F", "H", "V", "A", "s", "\xce\xa9", "ohm", "Ohm", NULL};
    for (int i = 0; units[i]; i++)
        if (strcmp(end, units[i]) == 0) {
            *out = v * mul;
            return isfinite(*out) ? 0 : -1;
        }
    return -1;
}

int pt_cf_get_value(loader *L, const yaml_node_t *map, const char *key, const char *what,
                     int required, double def, double *out, int positive)
{
    pt_ydoc *y = &L->y;
    yaml_node_t *n = pt_yd_get(y, map, key);
    if (!n) {
        if (required) return pt_yd_problem(y, map, "%s is missing its value: add `%s:`", what, key);
        *out = def;
        return 0;
    }
    if (pt_cf_parse_value(pt_yd_scalar(n), out) != 0)
        return pt_yd_problem(y, n,
                             "%s: '%s' is not a value (write e.g. 10k, 4.7n, 2.2u, 1M, 0.568)",
                             what, pt_yd_scalar(n) ? pt_yd_scalar(n) : "(not a scalar)");
    if (positive && !(*out > 0)) return pt_yd_problem(y, n, "%s: %s must be positive", what, key);
    return 0;
}

int pt_cf_find_part(const pt_wdf_desc *d, const char *name)
{
    for (int i = 0; i < d->n_part; i++)
        if (strcmp(d->part[i].name, name) == 0) return i;
    return -1;
}

const char *pt_cf_nearest_part(const pt_wdf_desc *d, const char *name)
{
    const char *best = NULL;
    int bd = 3;
    for (int i = 0; i < d->n_part; i++) {
        int dist = pt_edit_distance(name, d->part[i].name);
        if (dist < bd) bd = dist, best = d->part[i].name;
    }
    return best;
}

static int parse_control(loader *L, const yaml_node_t *map, pt_wdf_part *p)
{
    pt_ydoc *y = &L->y;
    p->control = -1;
    yaml_node_t *n = pt_yd_get(y, map, "control");
    if (!n) return 0;
    const char *s = pt_yd_scalar(n);
    for (int k = 0; s && k < PT_WDF_N_CONTROLS; k++)
        if (strcmp(s, pt_wdf_control_names[k]) == 0) {
            p->control = k;
            L->d->controls_used |= 1u << k;
            yaml_node_t *label = pt_yd_get(y, map, "label");
            const char *ls = label ? pt_yd_scalar(label) : NULL;
            if (label && (!ls || !*ls || strlen(ls) >= sizeof L->d->control_label[k]))
                return pt_yd_problem(y, label, "a control's `label:` is a name of 1 to %d characters",
                                     (int)sizeof L->d->control_label[k] - 1);
            if (ls) snprintf(L->d->control_label[k], sizeof L->d->control_label[k], "%s", ls);
            return 0;
        }
    const char *names[PT_WDF_N_CONTROLS + 1]; /* pt_yd_join wants a NULL at the end */
    for (int k = 0; k < PT_WDF_N_CONTROLS; k++) names[k] = pt_wdf_control_names[k];
    names[PT_WDF_N_CONTROLS] = NULL;
    char list[256] = "";
    pt_yd_join(list, sizeof list, names);
    return pt_yd_problem(y, n, "'%s' is not a control; a circuit's controls are %s",
                         s ? s : "(not a name)", list);
}

static int parse_bool(loader *L, const yaml_node_t *map, const char *key, int *out)
{
    pt_ydoc *y = &L->y;
    yaml_node_t *n = pt_yd_get(y, map, key);
    *out = 0;
    if (!n) return 0;
    const char *s = pt_yd_scalar(n);
    if (s && (!strcmp(s, "true") || !strcmp(s, "yes"))) *out = 1;
    else if (!s || (strcmp(s, "false") && strcmp(s, "no")))
        return pt_yd_problem(y, n, "%s must be true or false", key);
    return 0;
}

int pt_cf_parse_part(loader *L, yaml_node_t *key, yaml_node_t *val, pt_wdf_part *p)
{
    pt_ydoc *y = &L->y;
    const char *name = pt_yd_scalar(key);
    if (!name || !*name) return pt_yd_problem(y, key, "a part needs a name");
    if (strlen(name) >= sizeof p->name)
        return pt_yd_problem(y, key, "part name '%s' is too long", name);
    if (strchr(name, '.')) return pt_yd_problem(y, key, "part name '%s' may not contain '.'", name);
    snprintf(p->name, sizeof p->name, "%s", name);
    p->line = PT_YD_LINE(key);
    p->col = PT_YD_COL(key);
    p->control = -1;
    if (val->type != YAML_MAPPING_NODE)
        return pt_yd_problem(y, val, "part '%s' must be a mapping such as {type: resistor, R: 10k}",
                             name);
    yaml_node_t *tn = pt_yd_get(y, val, "type");
    const char *type = pt_yd_scalar(tn);
    if (!type) return pt_yd_problem(y, val, "part '%s' has no `type:`", name);
    static const char *const types[] = {"resistor", "capacitor", "inductor", "voltage_source",
                                        "current_source", "pot", "switch", "diode",
                                        "diode_pair", "bjt", "triode", "opamp", "pentode",
                                        "transformer", NULL};
    int kind = -1;
    for (int i = 0; types[i]; i++)
        if (strcmp(type, types[i]) == 0) kind = i;
    if (kind < 0) {
        const char *near = pt_yd_nearest(type, types, 4);
        if (near)
            return pt_yd_problem(y, tn, "unknown part type '%s' (did you mean '%s'?)", type, near);
        char list[256] = "";
        pt_yd_join(list, sizeof list, types);
        return pt_yd_problem(y, tn, "unknown part type '%s'; known: %s", type, list);
    }
    p->kind = (pt_wdf_part_kind)kind;
    p->n_parallel = 1;
    char what[96];
    snprintf(what, sizeof what, "%s '%s'", type, name);
    yaml_node_t *nl = pt_yd_get(y, val, "nodes");
    if (nl) {
        int len = nl->type == YAML_SEQUENCE_NODE ? pt_yd_len(nl) : -1;
        if (len < 2 || len > 5)
            return pt_yd_problem(y, nl, "%s: `nodes:` is a list of the node names its terminals "
                                 "connect to, such as [in, gnd]", what);
        for (int i = 0; i < len; i++) {
            const char *ns = pt_yd_scalar(pt_yd_item(y, nl, i));
            if (!ns || !*ns || strlen(ns) >= sizeof p->node[0])
                return pt_yd_problem(y, pt_yd_item(y, nl, i), "a node name must be a short name");
            snprintf(p->node[i], sizeof p->node[i], "%s", ns);
        }
        p->n_nodes = len;
        L->nodes_at[p - L->d->part] = nl;
    }
    int rc = 0;
    switch (p->kind) {
    case PT_WDF_RESISTOR: {
        static const char *const k[] = {"type", "nodes", "R", NULL};
        rc = pt_yd_check_keys(y, val, what, k) || pt_cf_get_value(L, val, "R", what, 1, 0, &p->r_ohm, 1);
        break;
    }
    case PT_WDF_CAPACITOR: {
        static const char *const k[] = {"type", "nodes", "C", NULL};
        rc = pt_yd_check_keys(y, val, what, k) ||
             pt_cf_get_value(L, val, "C", what, 1, 0, &p->c_farad, 1);
        break;
    }
    case PT_WDF_INDUCTOR: {
        static const char *const k[] = {"type", "nodes", "L", NULL};
        rc = pt_yd_check_keys(y, val, what, k) ||
             pt_cf_get_value(L, val, "L", what, 1, 0, &p->l_henry, 1);
        break;
    }
    case PT_WDF_VOLTAGE_SOURCE: {
        static const char *const k[] = {"type", "nodes", "V", "R", NULL};
        rc = pt_yd_check_keys(y, val, what, k) ||
             pt_cf_get_value(L, val, "V", what, 0, 0, &p->v_volt, 0) ||
             pt_cf_get_value(L, val, "R", what, 0, 0, &p->r_ohm, 0);
        if (!rc && p->r_ohm < 0) rc = pt_yd_problem(y, val, "%s: R may not be negative", what);
        break;
    }
    case PT_WDF_CURRENT_SOURCE: {
        static const char *const k[] = {"type", "nodes", "I", "R", NULL};
        rc = pt_yd_check_keys(y, val, what, k) ||
             pt_cf_get_value(L, val, "I", what, 0, 0, &p->i_amp, 0) ||
             pt_cf_get_value(L, val, "R", what, 0, 0, &p->r_ohm, 0);
        if (!rc && p->r_ohm < 0) rc = pt_yd_problem(y, val, "%s: R may not be negative", what);
        break;
    }
    case PT_WDF_POT: {
        static const char *const k[] = {"type", "nodes", "R", "taper", "control", "label", "invert", NULL};
        rc = pt_yd_check_keys(y, val, what, k) ||
             pt_cf_get_value(L, val, "R", what, 1, 0, &p->r_ohm, 1) || parse_control(L, val, p) ||
             parse_bool(L, val, "invert", &p->invert);
        if (rc) break;
        yaml_node_t *tp = pt_yd_get(y, val, "taper");
        const char *ts = pt_yd_scalar(tp);
        p->taper = PT_WDF_TAPER_LINEAR;
        if (ts && !strcmp(ts, "log")) p->taper = PT_WDF_TAPER_LOG;
        else if (tp && (!ts || strcmp(ts, "linear")))
            rc = pt_yd_problem(y, tp, "%s: taper must be linear or log", what);
        break;
    }
    case PT_WDF_SWITCH: {
        static const char *const k[] = {"type", "nodes", "control", "label", "invert", NULL};
        rc = pt_yd_check_keys(y, val, what, k) || parse_control(L, val, p) ||
             parse_bool(L, val, "invert", &p->invert);
        break;
    }
    case PT_WDF_DIODE:
    case PT_WDF_DIODE_PAIR: {
        static const char *const k[] = {"type", "nodes", "Is", "n", "Rs", "Is2", "n2", "Rs2", NULL};
        rc = pt_yd_check_keys(y, val, what, k) ||
             pt_cf_get_value(L, val, "Is", what, 1, 0, &p->is_a, 1) ||
             pt_cf_get_value(L, val, "n", what, 0, 1.0, &p->n, 1) ||
             pt_cf_get_value(L, val, "Rs", what, 0, 0.0, &p->rs_ohm, 0) ||
             pt_cf_get_value(L, val, "Is2", what, 0, p->is_a, &p->is2_a, 1) ||
             pt_cf_get_value(L, val, "n2", what, 0, p->n, &p->n2, 1) ||
             pt_cf_get_value(L, val, "Rs2", what, 0, p->rs_ohm, &p->rs2_ohm, 0);
        if (!rc && p->kind == PT_WDF_DIODE && (pt_yd_get(y, val, "Is2") || pt_yd_get(y, val, "n2")))
            rc = pt_yd_problem(y, val, "%s: Is2, n2 and Rs2 describe a diode pair's second diode",
                               what);
        break;
    }
    case PT_WDF_BJT: {
        static const char *const k[] = {"type", "nodes", "polarity", "Is", "bf", "br", "n", NULL};
        rc = pt_yd_check_keys(y, val, what, k) ||
             pt_cf_get_value(L, val, "Is", what, 1, 0, &p->is_a, 1) ||
             pt_cf_get_value(L, val, "bf", what, 0, 100, &p->beta_f, 1) ||
             pt_cf_get_value(L, val, "br", what, 0, 1, &p->beta_r, 1) ||
             pt_cf_get_value(L, val, "n", what, 0, 1, &p->n, 1);
        if (rc) break;
        yaml_node_t *pn = pt_yd_get(y, val, "polarity");
        const char *ps = pt_yd_scalar(pn);
        if (ps && !strcmp(ps, "pnp")) p->pnp = 1;
        else if (pn && (!ps || strcmp(ps, "npn")))
            rc = pt_yd_problem(y, pn, "%s: polarity must be npn or pnp", what);
        break;
    }
    case PT_WDF_TRIODE: {
        /* Dempwolf & Zolzer, "A physically-motivated triode model for circuit
           simulations", DAFx 2011: fitted 12AX7 values as defaults */
        static const char *const k[] = {"type", "nodes", "model", "tube", "parallel", "G", "mu",
                                        "gamma", "C", "Gg", "xi", "Cg", "Ig0", NULL};
        const pt_tube_preset *t = NULL;
        rc = pt_yd_check_keys(y, val, what, k) || tube_preset(L, val, what, 0, &t);
        if (rc) break;
        if (t) snprintf(p->tube, sizeof p->tube, "%s", t->name);
        rc = pt_cf_get_value(L, val, "G", what, 0, t ? t->a : 2.242e-3, &p->tr_g, 1) ||
             pt_cf_get_value(L, val, "mu", what, 0, t ? t->mu : 103.2, &p->tr_mu, 1) ||
             pt_cf_get_value(L, val, "gamma", what, 0, t ? t->b : 1.26, &p->tr_gamma, 1) ||
             pt_cf_get_value(L, val, "C", what, 0, t ? t->c : 3.4, &p->tr_c, 1) ||
             pt_cf_get_value(L, val, "Gg", what, 0, t ? t->gg : 6.177e-4, &p->tr_gg, 1) ||
             pt_cf_get_value(L, val, "xi", what, 0, 1.314, &p->tr_xi, 1) ||
             pt_cf_get_value(L, val, "Cg", what, 0, 9.901, &p->tr_cg, 1) ||
             pt_cf_get_value(L, val, "Ig0", what, 0, t ? t->ig0 : 8.025e-8, &p->tr_ig0, 0) ||
             pt_cf_get_value(L, val, "parallel", what, 0, 1, &p->n_parallel, 1);
        yaml_node_t *mn = pt_yd_get(y, val, "model");
        if (!rc && mn && (!pt_yd_scalar(mn) || strcmp(pt_yd_scalar(mn), "dempwolf")))
            rc = pt_yd_problem(y, mn, "%s: the only triode model is dempwolf", what);
        break;
    }
    case PT_WDF_OPAMP: {
        static const char *const k[] = {"type", "nodes", NULL};
        rc = pt_yd_check_keys(y, val, what, k);
        break;
    }
    case PT_WDF_PENTODE: {
        static const char *const k[] = {"type", "nodes", "model", "tube", "parallel", "mu",
                                        "ex", "kg1", "kg2", "kp", "kvb", "Gg", "xi", "Cg",
                                        "Ig0", NULL};
        const pt_tube_preset *t = NULL;
        rc = pt_yd_check_keys(y, val, what, k) || tube_preset(L, val, what, 1, &t);
        if (rc) break;
        if (!t && !pt_yd_get(y, val, "kg1")) {
            rc = pt_yd_problem(y, val, "%s: name its `tube:` (EL34, 6L6GC, 6V6GT, EL84) or give "
                               "Koren's mu, ex, kg1, kg2, kp and kvb", what);
            break;
        }
        if (t) snprintf(p->tube, sizeof p->tube, "%s", t->name);
        rc = pt_cf_get_value(L, val, "mu", what, !t, t ? t->mu : 0, &p->pt_mu, 1) ||
             pt_cf_get_value(L, val, "ex", what, !t, t ? t->b : 0, &p->pt_ex, 1) ||
             pt_cf_get_value(L, val, "kg1", what, !t, t ? t->a : 0, &p->pt_kg1, 1) ||
             pt_cf_get_value(L, val, "kg2", what, !t, t ? t->kg2 : 0, &p->pt_kg2, 1) ||
             pt_cf_get_value(L, val, "kp", what, !t, t ? t->c : 0, &p->pt_kp, 1) ||
             pt_cf_get_value(L, val, "kvb", what, !t, t ? t->kvb : 0, &p->pt_kvb, 1) ||
             pt_cf_get_value(L, val, "Gg", what, 0, t ? t->gg : 1.5e-3, &p->tr_gg, 1) ||
             pt_cf_get_value(L, val, "xi", what, 0, 1.314, &p->tr_xi, 1) ||
             pt_cf_get_value(L, val, "Cg", what, 0, 9.901, &p->tr_cg, 1) ||
             pt_cf_get_value(L, val, "Ig0", what, 0, 0, &p->tr_ig0, 0) ||
             pt_cf_get_value(L, val, "parallel", what, 0, 1, &p->n_parallel, 1);
        yaml_node_t *mn = pt_yd_get(y, val, "model");
        if (!rc && mn && (!pt_yd_scalar(mn) || strcmp(pt_yd_scalar(mn), "koren")))
            rc = pt_yd_problem(y, mn, "%s: the only pentode model is koren", what);
        break;
    }
    case PT_WDF_TRANSFORMER: {
        static const char *const k[] = {"type", "nodes", "ratio", NULL};
        rc = pt_yd_check_keys(y, val, what, k) ||
             pt_cf_get_value(L, val, "ratio", what, 1, 0, &p->xf_ratio, 1);
        break;
    }
    default: break;
    }
    return rc ? y->err->code : 0;
}

