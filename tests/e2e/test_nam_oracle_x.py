"""The `nam` node on .nam formats 0.6/0.7 against the numpy oracle
(tests/e2e/nam_oracle_x.py), on random models of every option: each gating
mode with each activation, bottleneck, grouped input / mixin / layer1x1 /
head1x1 convolutions, head1x1, layer1x1 off, FiLM at each of its eight
places with and without shift, per-layer kernel sizes and activation lists,
head objects with kernel and dilation, a post-stack head, a conditioning
WaveNet, and a SlimmableContainer. Pass: relative RMS error <= 1e-5.

The oracle is first checked against the reference player's outputs in
tests/data/nam/v07 (so it is not just our reading of the format twice).
Runs build/nam_render in 64-frame blocks (and 37/1000 for some)."""
import copy
import json
import os
import sys

import numpy as np
import scipy.io.wavfile as wavfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import nam_oracle_x as ox  # noqa: E402
from test_nam_oracle import TOOL, SRC, rel_rms, render, test_input  # noqa: E402

TOL = 1e-5
failures = []


def check(name, doc, x, blocks=(64,)):
    want = ox.run(doc, x.astype(np.float32))
    path = os.path.join("/tmp", "pt_namx_%d.nam" % os.getpid())
    with open(path, "w") as f:
        json.dump(doc, f)
    try:
        for block in blocks:
            try:
                got = render(path, x, 48000, block)
            except RuntimeError as e:
                print("%-52s FAIL %s" % (name, e))
                failures.append(name)
                continue
            err = rel_rms(got, want)
            ok = err <= TOL and np.all(np.isfinite(got))
            print("%-52s block %4d  rel rms %.2e  (rms %.3g)  %s"
                  % (name, block, err, np.sqrt(np.mean(want ** 2)), "ok" if ok else "FAIL"))
            if not ok:
                failures.append(name)
    finally:
        os.unlink(path)


def layer(**kw):
    la = {"input_size": 1, "condition_size": 1, "head": {"out_channels": 1, "kernel_size": 1, "bias": True},
          "channels": 4, "kernel_sizes": [3, 2, 3], "dilations": [1, 2, 5], "activation": "Tanh"}
    la.update(kw)
    return la


def doc_for(layers, rng, head=None, condition=None, scale=0.4):
    cfg = {"layers": layers, "head": head, "head_scale": 0.5}
    if condition is not None:
        cfg["condition_dsp"] = condition
    n = ox.count_weights(cfg)
    w = rng.normal(0.0, scale, n)
    w[-1] = rng.uniform(0.3, 1.0)
    return {"version": "0.6.0", "architecture": "WaveNet", "config": cfg, "weights": [float(v) for v in w],
            "sample_rate": 48000, "metadata": {"name": "oracle x"}}


def main():
    if not os.path.exists(TOOL):
        print("skip: %s not built" % TOOL)
        return 77
    rng = np.random.default_rng(20261202)

    # 0. the oracle reproduces the reference player (first 0.25 s)
    data = os.path.join(SRC, "tests", "data", "nam", "v07")
    rate, ref_in = wavfile.read(os.path.join(data, "..", "input.wav"))
    for m in ("wavenet_a2_max", "wavenet_condition_dsp", "slimmable_wavenet", "a2_small", "a2"):
        doc = json.load(open(os.path.join(data, m + ".nam")))
        n = 12000
        want = wavfile.read(os.path.join(data, m + ".reference.wav"))[1][:n]
        err = rel_rms(ox.run(doc, ref_in[:n]), want)
        ok = err <= 1e-5
        print("oracle vs reference player %-24s rel rms %.2e  %s" % (m, err, "ok" if ok else "FAIL"))
        if not ok:
            failures.append("oracle " + m)

    x = test_input(48000, 4800, rng)
    acts = ["Tanh", "ReLU", "Sigmoid", "SiLU", "Hardswish", "Softsign", "Hardtanh", "Fasttanh",
            {"type": "LeakyReLU", "negative_slope": 0.2},
            {"type": "PReLU", "negative_slopes": [0.1, -0.2, 0.3, 0.05]},
            {"type": "PReLU", "negative_slope": 0.3},
            {"type": "LeakyHardtanh", "min_val": -0.5, "max_val": 0.7, "min_slope": 0.1, "max_slope": 0.05}]

    # 1. every gating mode with every activation (the secondary one too)
    for i, act in enumerate(acts):
        for gate in ("none", "gated", "blended"):
            sec = acts[(i + 3) % len(acts)] if gate != "none" else None
            la = layer(activation=act, gating_mode=gate, secondary_activation=sec)
            name = act if isinstance(act, str) else act["type"]
            check("%s %s" % (name, gate), doc_for([la], rng), x)

    # 2. bottleneck, groups, head1x1, layer1x1 off, per-layer lists
    check("bottleneck 2, layer1x1 groups 2", doc_for([layer(bottleneck=2, layer1x1={"active": True, "groups": 2})], rng), x)
    check("groups_input 2, mixin 1", doc_for([layer(groups_input=2)], rng), x)
    check("groups_input 4 (depthwise)", doc_for([layer(groups_input=4)], rng), x)
    check("head1x1 6 groups 2", doc_for([layer(head1x1={"active": True, "out_channels": 6, "groups": 2})], rng), x)
    check("layer1x1 off", doc_for([layer(layer1x1={"active": False, "groups": 1})], rng), x)
    check("per-layer activations and gates", doc_for([layer(
        activation=["Tanh", {"type": "PReLU", "negative_slopes": [0.1, 0.2, 0.3, 0.4]}, "Softsign"],
        gating_mode=["blended", "none", "gated"], secondary_activation=["Sigmoid", None, "Hardswish"])], rng), x,
        blocks=(64, 37, 1000))

    # 3. FiLM at each place, with and without shift, grouped
    for key in ox.FILMS:
        for shift in (True, False):
            kw = {key: {"active": True, "shift": shift, "groups": 1}}
            if key == "head1x1_post_film":
                kw["head1x1"] = {"active": True, "out_channels": 4, "groups": 1}
            gm = "blended" if key == "layer1x1_post_film" else "gated"
            check("FiLM %s shift=%s (%s)" % (key, shift, gm), doc_for([layer(gating_mode=gm, **kw)], rng), x)

    # 4. head objects, two arrays, a post-stack head
    two = [layer(channels=4, head={"out_channels": 3, "kernel_size": 4, "bias": True, "head_dilation": 2}),
           layer(input_size=4, channels=3, bottleneck=3, head={"out_channels": 1, "kernel_size": 3, "bias": False})]
    check("2 arrays, head kernels 4 (dilation 2) and 3", doc_for(two, rng), x, blocks=(64, 37, 1000))
    post = {"channels": 3, "out_channels": 1, "kernel_sizes": [3, 1], "activation": "SiLU"}
    one = [layer(head={"out_channels": 2, "kernel_size": 2, "bias": True})]
    check("post-stack head", doc_for(one, rng, head=post), x, blocks=(64, 1000))

    # 5. a conditioning WaveNet (3 channels out) feeding FiLMs and the mixin
    cond = doc_for([layer(head={"out_channels": 3, "kernel_size": 1, "bias": True})], rng)
    main_l = layer(condition_size=3, channels=3, conv_post_film={"active": True, "shift": True, "groups": 3},
                   input_mixin_pre_film={"active": True, "shift": False, "groups": 1}, groups_input_mixin=1)
    check("condition_dsp + grouped FiLM", doc_for([main_l], rng, condition=cond), x, blocks=(64, 1000))

    # 6. a container plays its largest sub-model
    big = doc_for([layer(channels=5)], rng)
    small = doc_for([layer(channels=2)], rng)
    cont = {"version": "0.7.0", "architecture": "SlimmableContainer",
            "config": {"submodels": [{"max_value": 0.5, "model": small}, {"max_value": 1.0, "model": big}]},
            "weights": []}
    check("SlimmableContainer", cont, x)

    if failures:
        print("FAILED:", ", ".join(failures))
        return 1
    print("all 0.6/0.7 models agree with the oracle within %g" % TOL)
    return 0


if __name__ == "__main__":
    sys.exit(main())
