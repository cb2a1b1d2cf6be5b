"""Write the feature_*.nam models: small 0.6 WaveNets with random weights for
the options no NAM example model has (a post-stack head; head kernels with a
head dilation across two arrays; grouped convolutions with blended gating and
configured LeakyReLU / LeakyHardtanh; layer1x1 off with an activation FiLM).
Run from the repository root: /usr/bin/python3 tests/data/nam/v07/gen_feature_models.py"""
import json
import sys

import numpy as np

sys.path.insert(0, "tests/e2e")
import test_nam_oracle_x as T  # noqa: E402

rng = np.random.default_rng(5)
L = T.layer
post = {"channels": 3, "out_channels": 1, "kernel_sizes": [3, 1], "activation": "SiLU"}
cases = {
    "posthead": T.doc_for([L(head={"out_channels": 2, "kernel_size": 2, "bias": True})], rng, head=post),
    "two_arrays": T.doc_for([
        L(channels=4, head={"out_channels": 3, "kernel_size": 4, "bias": True, "head_dilation": 2}),
        L(input_size=4, channels=3, bottleneck=3, head={"out_channels": 1, "kernel_size": 3, "bias": False})], rng),
    "groups": T.doc_for([L(groups_input=2, bottleneck=2, layer1x1={"active": True, "groups": 2},
                           head1x1={"active": True, "out_channels": 6, "groups": 2}, gating_mode="blended",
                           activation={"type": "LeakyReLU", "negative_slope": 0.2},
                           secondary_activation={"type": "LeakyHardtanh", "min_val": -0.5, "max_val": 0.7,
                                                 "min_slope": 0.1, "max_slope": 0.05},
                           head={"out_channels": 1, "kernel_size": 1, "bias": True})], rng),
    "layer1x1off": T.doc_for([L(layer1x1={"active": False, "groups": 1},
                                activation_post_film={"active": True, "shift": True, "groups": 1})], rng),
}
for k, d in cases.items():
    with open("tests/data/nam/v07/feature_%s.nam" % k, "w") as f:
        json.dump(d, f)
