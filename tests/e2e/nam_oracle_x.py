"""nam_oracle_x.py - the numpy (float64) oracle for the WaveNet of .nam
formats 0.6 and 0.7 and the 0.7 SlimmableContainer, written from the format
(see src/neural/nam_wavenet_x.c for the equations): whole-signal, no blocks.

Each convolution is computed from its definition: out[o, t] = b[o] + sum over
the group's inputs i and taps k of W[o, i, k] * in[i, t - (K-1-k) * d].
"""
import numpy as np

from nam_oracle import Weights, delayed


def act_config(a):
    """An activation as the format writes it -> (name, params)."""
    if a is None:
        return ("Sigmoid", {})
    if isinstance(a, str):
        return ("LeakyHardtanh" if a == "LeakyHardTanh" else a, {})
    p = dict(a)
    name = p.pop("type")
    return ("LeakyHardtanh" if name == "LeakyHardTanh" else name, p)


def activate(act, x):
    """x: (rows, T)."""
    name, p = act
    if name == "Tanh":
        return np.tanh(x)
    if name == "Hardtanh":
        return np.clip(x, -1.0, 1.0)
    if name == "ReLU":
        return np.maximum(x, 0.0)
    if name == "LeakyReLU":
        s = p.get("negative_slope", 0.01)
        return np.where(x > 0, x, s * x)
    if name == "PReLU":
        if "negative_slopes" in p:
            s = np.asarray(p["negative_slopes"])[:, None]
        else:
            s = p.get("negative_slope", 0.01)
        return np.where(x > 0, x, s * x)
    if name == "Sigmoid":
        return 1.0 / (1.0 + np.exp(-x))
    if name == "SiLU":
        return x / (1.0 + np.exp(-x))
    if name == "Hardswish":
        return x * np.clip(x + 3.0, 0.0, 6.0) / 6.0
    if name == "Softsign":
        return x / (1.0 + np.abs(x))
    if name == "LeakyHardtanh":
        lo, hi = p.get("min_val", -1.0), p.get("max_val", 1.0)
        ls, hs = p.get("min_slope", 0.01), p.get("max_slope", 0.01)
        return np.where(x < lo, (x - lo) * ls + lo, np.where(x > hi, (x - hi) * hs + hi, x))
    if name == "Fasttanh":
        ax = np.abs(x)
        x2 = x * x
        return (x * (2.45550750702956 + 2.45550750702956 * ax
                     + (0.893229853513558 + 0.821226666969744 * ax) * x2)
                / (2.44506634652299 + (2.44506634652299 + x2)
                   * np.abs(x + 0.814642734961073 * x * ax)))
    raise ValueError("unknown activation " + name)


def conv(w, x, cout, K=1, d=1, groups=1, bias=True):
    """A grouped dilated causal convolution of x (cin, T), weights taken from w."""
    cin = x.shape[0]
    opg, ipg = cout // groups, cin // groups
    y = np.zeros((cout, x.shape[1]))
    for g in range(groups):
        W = w.take(opg, ipg, K)
        xs = x[g * ipg:(g + 1) * ipg]
        for k in range(K):
            y[g * opg:(g + 1) * opg] += W[:, :, k] @ delayed(xs, (K - 1 - k) * d)
    if bias:
        y += w.take(cout)[:, None]
    return y


FILMS = ("conv_pre_film", "conv_post_film", "input_mixin_pre_film", "input_mixin_post_film",
         "activation_pre_film", "activation_post_film", "layer1x1_post_film", "head1x1_post_film")


def film_on(la, key):
    f = la.get(key)
    return bool(f) and f.get("active", True)


def per_layer(v, n):
    return list(v) if isinstance(v, list) else [v] * n


def array_params(la):
    n = len(la["dilations"])
    if "head" in la and la["head"] is not None:
        h = la["head"]
        head = (h["out_channels"], h["kernel_size"], h["bias"], h.get("head_dilation", 1))
    else:
        head = (la["head_size"], 1, la["head_bias"], 1)
    ks = la["kernel_sizes"] if "kernel_sizes" in la else [la["kernel_size"]] * n
    acts = [act_config(a) for a in per_layer(la["activation"], n)]
    if "gating_mode" in la:
        gates = per_layer(la["gating_mode"], n)
    else:
        gates = ["gated" if la.get("gated") else "none"] * n
    sec = per_layer(la.get("secondary_activation"), n)
    acts2 = [act_config(s) for s in sec]
    return n, head, ks, acts, gates, acts2


def out_rows(cfg):
    if cfg.get("head"):
        return cfg["head"]["out_channels"]
    la = cfg["layers"][-1]
    return la["head"]["out_channels"] if la.get("head") else la["head_size"]


class _Counter(Weights):
    def done(self):
        pass


def count_weights(cfg):
    """How many weights a config needs (by running it on a few samples)."""
    w = _Counter(np.zeros(10_000_000))
    c = None
    if cfg.get("condition_dsp"):
        c = np.zeros((out_rows(cfg["condition_dsp"]["config"]), 4))
    xwavenet(cfg, None, np.zeros(4), c, w)
    return w.i


def xwavenet(cfg, weights, x, cond_model=None, w=None):
    """Output rows (out_rows(cfg), T) of the WaveNet for input x (T,)."""
    w = w or Weights(weights)
    inp = x[None, :]
    cond = inp if cond_model is None else cond_model
    layer_in, head = inp, None
    for la in cfg["layers"]:
        n, (hs, hk, hb, hd), ks, acts, gates, acts2 = array_params(la)
        C = la["channels"]
        B = la.get("bottleneck", C)
        l1 = la.get("layer1x1", {"active": True, "groups": 1})
        h1 = la.get("head1x1", {"active": False, "out_channels": C, "groups": 1})
        gi, gm = la.get("groups_input", 1), la.get("groups_input_mixin", 1)
        h = conv(w, layer_in, C, bias=False)
        s = None
        for l in range(n):
            Bz = B if gates[l] == "none" else 2 * B
            films = {}

            def film(key, v, films=films):
                return v * films[key][0] + (films[key][1] if films[key][1] is not None else 0.0)

            # weights in file order: conv, mixin, layer1x1, head1x1, then FiLMs
            xin = h
            conv_w = w.take(Bz * C // gi * ks[l] + Bz)
            mix_w = w.take(Bz * la["condition_size"] // gm)
            l1_w = w.take(C * B // l1["groups"] + C) if l1["active"] else None
            h1_w = (w.take(h1["out_channels"] * B // h1["groups"] + h1["out_channels"])
                    if h1["active"] else None)
            dims = {"conv_pre_film": C, "conv_post_film": Bz, "input_mixin_pre_film": la["condition_size"],
                    "input_mixin_post_film": Bz, "activation_pre_film": Bz, "activation_post_film": B,
                    "layer1x1_post_film": C, "head1x1_post_film": h1["out_channels"]}
            for key in FILMS:
                if film_on(la, key):
                    f = la[key]
                    shift = f.get("shift", True)
                    rows = (2 if shift else 1) * dims[key]
                    ss = conv(w, cond, rows, groups=f.get("groups", 1))
                    films[key] = (ss[:dims[key]], ss[dims[key]:] if shift else None)
            cw = Weights(conv_w)
            a_in = film("conv_pre_film", xin) if "conv_pre_film" in films else xin
            z = conv(cw, a_in, Bz, ks[l], la["dilations"][l], gi)
            if "conv_post_film" in films:
                z = film("conv_post_film", z)
            mw = Weights(mix_w)
            c_in = film("input_mixin_pre_film", cond) if "input_mixin_pre_film" in films else cond
            m = conv(mw, c_in, Bz, groups=gm, bias=False)
            if "input_mixin_post_film" in films:
                m = film("input_mixin_post_film", m)
            z = z + m
            if "activation_pre_film" in films:
                z = film("activation_pre_film", z)
            if gates[l] == "none":
                a = activate(acts[l], z)
            elif gates[l] == "gated":
                a = activate(acts[l], z[:B]) * activate(acts2[l], z[B:])
            else:
                g = activate(acts2[l], z[B:])
                a = g * activate(acts[l], z[:B]) + (1.0 - g) * z[:B]
            if "activation_post_film" in films:
                a = film("activation_post_film", a)
            if l1_w is not None:
                y = conv(Weights(l1_w), a, C, groups=l1["groups"])
                if gates[l] == "blended" and "layer1x1_post_film" in films:
                    y = film("layer1x1_post_film", y)  # the reference applies it only when blended
                h = xin + y
            if h1_w is not None:
                o = conv(Weights(h1_w), a, h1["out_channels"], groups=h1["groups"])
                if "head1x1_post_film" in films:
                    o = film("head1x1_post_film", o)
            else:
                o = a
            s = o if s is None else s + o
        if head is not None:
            s = s + head
        head = conv(w, s, hs, hk, hd, bias=hb)
        layer_in = h
    post = cfg.get("head")
    if post:
        head_scale_at = None  # head_scale is after the post head's weights
        u = None
        convs = []
        cin = head.shape[0]
        for i, k in enumerate(post["kernel_sizes"]):
            cout = post["out_channels"] if i + 1 == len(post["kernel_sizes"]) else post["channels"]
            convs.append((cin, cout, k))
            cin = cout
        ws = [(w.take(cout * ci * k), w.take(cout)) for ci, cout, k in convs]
        head_scale = w.take(1)[0]
        u = head_scale * head
        act = act_config(post["activation"])
        for (ci, cout, k), (Wf, bf) in zip(convs, ws):
            u = conv(Weights(np.concatenate([Wf, bf])), activate(act, u), cout, k)
        del head_scale_at
        w.done()
        return u
    head_scale = w.take(1)[0]
    w.done()
    return head_scale * head


def receptive_field(doc):
    cfg = doc["config"]
    rf = receptive_field(cfg["condition_dsp"]) + 1 if cfg.get("condition_dsp") else 1
    for la in cfg["layers"]:
        n, (hs, hk, hb, hd), ks, *_ = array_params(la)
        rf += sum((k - 1) * d for k, d in zip(ks, la["dilations"])) + (hk - 1) * hd
    if cfg.get("head"):
        rf += sum(k - 1 for k in cfg["head"]["kernel_sizes"])
    return rf - 1


def run_rows(doc, x):
    cfg = doc["config"]
    c = run_rows(cfg["condition_dsp"], x) if cfg.get("condition_dsp") else None
    return xwavenet(cfg, doc["weights"], x, c)


def run(doc, x):
    """The output for x (T,), after the reference player's prewarm (silence)."""
    if doc["architecture"] == "SlimmableContainer":
        return run(doc["config"]["submodels"][-1]["model"], x)
    pre = receptive_field(doc) + 1
    xx = np.concatenate([np.zeros(pre), np.asarray(x, np.float64)])
    return run_rows(doc, xx)[0, pre:]
