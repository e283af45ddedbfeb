#!/usr/bin/python3
"""Regenerates bilinear.json: PyTorch's F.interpolate(mode='bilinear', align_corners=False) outputs and
vector-Jacobian products that diffpure.purify.BilinearResizeTest compares the Java resize against.

  /usr/bin/python3 common/src/test/resources/diffpure/purify/bilinear/make_fixture.py

Inputs and cotangents are SplitMix64 uniforms (tools/demo_models.py's probe_input) so that Java builds the same
arrays from the seeds. Small cases record every value; the ImageNet sizes (224 <-> 256) record selected elements,
the sum and the L2 norm.
"""
import json
import os
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "..", "..", "..", "..", "tools"))
from demo_models import probe_input  # noqa: E402

CASES = [
    # name, input shape [N, C, H, W], output size (H', W'), full record
    ("up-7x5-to-11x13", (1, 2, 7, 5), (11, 13), True),
    ("down-11x13-to-4x6", (1, 2, 11, 13), (4, 6), True),
    ("mixed-6x9-to-9x4", (2, 1, 6, 9), (9, 4), True),
    ("imagenet-224-to-256", (2, 3, 224, 224), (256, 256), False),
    ("imagenet-256-to-224", (2, 3, 256, 256), (224, 224), False),
]
INDICES = [0, 1, 7, 100, 333, 391, 500, 783, 784, 1000, 1234, 1567, 65535, 150000, 300000]


def record(t, full):
    flat = t.detach().flatten()
    if full:
        return {"values": [float(v) for v in flat]}
    idx = [i for i in INDICES if i < flat.numel()]
    return {"indices": idx, "values": [float(flat[i]) for i in idx], "sum": float(flat.double().sum()),
            "l2": float(flat.double().norm())}


def main():
    out = []
    for i, (name, shape, size, full) in enumerate(CASES):
        x_seed, a_seed = 1000 + 2 * i, 1001 + 2 * i
        x = probe_input(x_seed, shape, 0.0, 1.0).requires_grad_(True)
        y = F.interpolate(x, size=size, mode="bilinear", align_corners=False)
        a = probe_input(a_seed, tuple(y.shape), -1.0, 1.0)
        (g,) = torch.autograd.grad(y, x, a)
        out.append({"name": name, "input-shape": list(shape), "output-size": list(size), "input-seed": x_seed,
                    "cotangent-seed": a_seed, "output": record(y, full), "vjp": record(g, full)})
    with open(os.path.join(HERE, "bilinear.json"), "w") as f:
        json.dump({"torch": torch.__version__, "cases": out}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
