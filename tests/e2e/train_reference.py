"""train_reference.py - the training loss and WaveNet of NAM's trainer written
in PyTorch from the .nam format, for the trainer's tests (float64):

  WaveNet  valid dilated convolutions as NAM's trainer runs them (a window of
           L inputs gives L - rf + 1 outputs), weights taken from the flat
           .nam weight list in the format's order (head_scale last, fixed)
  loss     MSE + 2e-4 * MRSTFT of the pre-emphasised (0.85) signals, with
           auraloss's default resolutions (FFT 1024/2048/512, hop
           120/240/50, Hann 600/1200/240), torch.stft's centred reflect
           padding, |X| = sqrt(max(|X|^2, 1e-8)), spectral convergence per
           batch item averaged plus mean |log X - log Y|, resolutions averaged
"""
import torch
import torch.nn.functional as F

RES = ((1024, 120, 600), (2048, 240, 1200), (512, 50, 240))


def wavenet(cfg, p, x):
    """p: flat tensor of the weights without head_scale; x: (B, L)."""
    i = 0

    def take(*shape):
        nonlocal i
        n = 1
        for s in shape:
            n *= s
        v = p[i:i + n].reshape(shape)
        i += n
        return v

    cond = x[:, None, :]
    layer_in = cond
    head = None
    for la in cfg["layers"]:
        C, K = la["channels"], la["kernel_size"]
        assert not la["gated"] and la["activation"] == "Tanh"
        h = F.conv1d(layer_in, take(C, la["input_size"], 1))
        s = head
        for d in la["dilations"]:
            Wc = take(C, C, K)
            bc = take(C)
            mix = take(C, 1, 1)
            V = take(C, C, 1)
            c = take(C)
            z = F.conv1d(h, Wc, bc, dilation=d)
            n = z.shape[2]
            z = torch.tanh(z + F.conv1d(cond[:, :, -n:], mix))
            s = z if s is None else s[:, :, -n:] + z
            h = h[:, :, -n:] + F.conv1d(z, V, c)
        G = take(la["head_size"], C, 1)
        g = take(la["head_size"]) if la["head_bias"] else None
        head = F.conv1d(s, G, g)
        layer_in = h
    assert i == p.numel()
    return cfg["head_scale_weight"] * head[:, 0, :]


def pre_emphasis(x, coef=0.85):
    return x[..., 1:] - coef * x[..., :-1]


def mrstft(y, t):
    total = 0.0
    for n_fft, hop, win in RES:
        w = torch.hann_window(win, dtype=y.dtype)
        mags = []
        for s in (y, t):
            X = torch.stft(s, n_fft, hop, win, w, center=True, pad_mode="reflect", return_complex=True)
            mags.append(torch.sqrt(torch.clamp(X.real ** 2 + X.imag ** 2, min=1e-8)))
        xm, ym = mags
        sc = (torch.linalg.norm(ym - xm, dim=(-2, -1)) / torch.linalg.norm(ym, dim=(-2, -1))).mean()
        lg = torch.mean(torch.abs(torch.log(xm) - torch.log(ym)))
        total = total + sc + lg
    return total / len(RES)


def loss(y, t):
    mse = torch.mean((y - t) ** 2)
    mr = mrstft(pre_emphasis(y), pre_emphasis(t))
    return mse + 2e-4 * mr, mse, mr


def esr(y, t):
    return torch.sum((y - t) ** 2) / torch.sum(t ** 2)
