"""nam_oracle.py - a plain numpy (float64) player for .nam models, written
from the file format for the tests: the weights are consumed from the flat
list in the format's order and each architecture is computed over the whole
signal at once, with no blocks, buffers or approximations.

prewarm: the reference player runs a model on silence before the first
sample (WaveNet/ConvNet: their receptive field; LSTM: half a second at the
model rate), so `run` feeds that much silence first and drops it.
"""
import numpy as np


def activation(name, x):
    if name == "Tanh":
        return np.tanh(x)
    if name == "Hardtanh":
        return np.clip(x, -1.0, 1.0)
    if name == "ReLU":
        return np.maximum(x, 0.0)
    if name == "LeakyReLU":
        return np.where(x > 0, x, 0.01 * x)
    if name == "Sigmoid":
        return 1.0 / (1.0 + np.exp(-x))
    if name == "Fasttanh":  # the format's rational approximation of tanh
        ax = np.abs(x)
        x2 = x * x
        return (x * (2.45550750702956 + 2.45550750702956 * ax
                     + (0.893229853513558 + 0.821226666969744 * ax) * x2)
                / (2.44506634652299 + (2.44506634652299 + x2)
                   * np.abs(x + 0.814642734961073 * x * ax)))
    raise ValueError("unknown activation " + name)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


class Weights:
    def __init__(self, w):
        self.w = np.asarray(w, dtype=np.float64)
        self.i = 0

    def take(self, *shape):
        n = int(np.prod(shape))
        v = self.w[self.i:self.i + n].reshape(shape)
        self.i += n
        return v

    def done(self):
        assert self.i == len(self.w), "used %d of %d weights" % (self.i, len(self.w))


def delayed(x, lag):
    """x (rows, T) delayed by lag samples, silence before the start."""
    if lag == 0:
        return x
    y = np.zeros_like(x)
    y[:, lag:] = x[:, :-lag]
    return y


def wavenet(cfg, weights, x):
    w = Weights(weights)
    cond = x[None, :]
    layer_in = cond
    head = None
    for la in cfg["layers"]:
        C, K = la["channels"], la["kernel_size"]
        Cz = 2 * C if la["gated"] else C
        R = w.take(C, la["input_size"])
        h = R @ layer_in
        s = np.zeros_like(h) if head is None else head
        for d in la["dilations"]:
            Wc = w.take(Cz, C, K)
            bc = w.take(Cz)
            mix = w.take(Cz, la["condition_size"])
            V = w.take(C, C)
            c = w.take(C)
            z = bc[:, None] + mix @ cond
            for k in range(K):
                z = z + Wc[:, :, k] @ delayed(h, (K - 1 - k) * d)
            if la["gated"]:
                z = activation(la["activation"], z[:C]) * sigmoid(z[C:])
            else:
                z = activation(la["activation"], z)
            s = s + z
            h = h + V @ z + c[:, None]
        G = w.take(la["head_size"], C)
        head = G @ s
        if la["head_bias"]:
            head = head + w.take(la["head_size"])[:, None]
        layer_in = h
    head_scale = w.take(1)[0]
    w.done()
    return head_scale * head[0]


def wavenet_rf(cfg):
    return 1 + sum((la["kernel_size"] - 1) * d for la in cfg["layers"] for d in la["dilations"])


def lstm(cfg, weights, x):
    w = Weights(weights)
    H, n_layers = cfg["hidden_size"], cfg["num_layers"]
    layers = []
    for l in range(n_layers):
        n_in = cfg["input_size"] if l == 0 else H
        W = w.take(4 * H, n_in + H)
        b = w.take(4 * H)
        h = w.take(H).copy()
        c = w.take(H).copy()
        layers.append([W, b, h, c])
    head_w = w.take(H)
    head_b = w.take(1)[0]
    w.done()
    y = np.empty(len(x))
    for t in range(len(x)):
        inp = x[t:t + 1]
        for L in layers:
            W, b, h, c = L
            g = W @ np.concatenate([inp, h]) + b
            i, f, gg, o = sigmoid(g[:H]), sigmoid(g[H:2 * H]), np.tanh(g[2 * H:3 * H]), sigmoid(g[3 * H:])
            c = f * c + i * gg
            h = o * np.tanh(c)
            L[2], L[3] = h, c
            inp = h
        y[t] = head_w @ inp + head_b
    return y


def convnet(cfg, weights, x):
    w = Weights(weights)
    C = cfg["channels"]
    u = x[None, :]
    for b, d in enumerate(cfg["dilations"]):
        cin = 1 if b == 0 else C
        Wc = w.take(C, cin, 2)
        y = Wc[:, :, 0] @ delayed(u, d) + Wc[:, :, 1] @ u
        if cfg["batchnorm"]:
            mean, var, gamma, beta = w.take(C), w.take(C), w.take(C), w.take(C)
            eps = w.take(1)[0]
            y = (y - mean[:, None]) / np.sqrt(var[:, None] + eps) * gamma[:, None] + beta[:, None]
        else:
            y = y + w.take(C)[:, None]
        u = activation(cfg["activation"], y)
    head_w = w.take(C)
    head_b = w.take(1)[0]
    w.done()
    return head_w @ u + head_b


def linear(cfg, weights, x):
    w = Weights(weights)
    rf = cfg["receptive_field"]
    taps = w.take(rf)
    bias = w.take(1)[0] if cfg["bias"] else 0.0
    w.done()
    return np.convolve(x, taps)[:len(x)] + bias


def run(model, x):
    """The model's output for input x (float64), after the reference's prewarm."""
    x = np.asarray(x, dtype=np.float64)
    arch, cfg, weights = model["architecture"], model["config"], model["weights"]
    rate = model.get("sample_rate") or 48000
    if arch == "WaveNet":
        pre = wavenet_rf(cfg) + 1
        return wavenet(cfg, weights, np.concatenate([np.zeros(pre), x]))[pre:]
    if arch == "LSTM":
        pre = int(0.5 * rate)
        return lstm(cfg, weights, np.concatenate([np.zeros(pre), x]))[pre:]
    if arch == "ConvNet":
        pre = 2 + sum(cfg["dilations"])
        return convnet(cfg, weights, np.concatenate([np.zeros(pre), x]))[pre:]
    if arch == "Linear":
        return linear(cfg, weights, x)
    raise ValueError(arch)


# ---- random models -------------------------------------------------------

def count_weights(arch, cfg):
    if arch == "WaveNet":
        n = 0
        for la in cfg["layers"]:
            C = la["channels"]
            Cz = 2 * C if la["gated"] else C
            n += C * la["input_size"]
            n += len(la["dilations"]) * (Cz * C * la["kernel_size"] + Cz + Cz * la["condition_size"] + C * C + C)
            n += la["head_size"] * C + (la["head_size"] if la["head_bias"] else 0)
        return n + 1
    if arch == "LSTM":
        H = cfg["hidden_size"]
        n = 0
        for l in range(cfg["num_layers"]):
            n_in = cfg["input_size"] if l == 0 else H
            n += 4 * H * (n_in + H) + 4 * H + 2 * H
        return n + H + 1
    if arch == "ConvNet":
        C = cfg["channels"]
        n = 0
        for b in range(len(cfg["dilations"])):
            cin = 1 if b == 0 else C
            n += C * cin * 2 + (4 * C + 1 if cfg["batchnorm"] else C)
        return n + C + 1
    if arch == "Linear":
        return cfg["receptive_field"] + (1 if cfg["bias"] else 0)
    raise ValueError(arch)


def random_weights(arch, cfg, rng, scale=0.5):
    n = count_weights(arch, cfg)
    w = rng.normal(0.0, scale, n)
    if arch == "ConvNet" and cfg["batchnorm"]:
        # running variances and eps must be positive
        C = cfg["channels"]
        i = 0
        for b in range(len(cfg["dilations"])):
            cin = 1 if b == 0 else C
            i += C * cin * 2
            i += C  # mean
            w[i:i + C] = rng.uniform(0.5, 2.0, C)  # var
            i += 3 * C
            w[i] = 1e-5  # eps
            i += 1
    if arch == "WaveNet":
        w[-1] = rng.uniform(0.2, 1.0)  # head_scale
    return [float(v) for v in w]


def layer_array(input_size, channels, head_size, kernel_size, dilations, activation_name, gated, head_bias):
    return {"input_size": input_size, "condition_size": 1, "head_size": head_size, "channels": channels,
            "kernel_size": kernel_size, "dilations": dilations, "activation": activation_name,
            "gated": gated, "head_bias": head_bias}


def wavenet_config(arrays, head_scale=0.02):
    return {"layers": arrays, "head": None, "head_scale": head_scale}


def nam_document(arch, cfg, weights, sample_rate=48000, version="0.5.4", metadata=None):
    d = {"version": version, "architecture": arch, "config": cfg, "weights": weights,
         "metadata": metadata or {"name": "oracle test"}}
    if sample_rate is not None:
        d["sample_rate"] = sample_rate
    return d
