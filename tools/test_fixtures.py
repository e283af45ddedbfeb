#!/usr/bin/python3
"""Regenerates the tiny TorchScript fixtures the Java tests load to prove that broken models are refused.

  /usr/bin/python3 tools/test_fixtures.py   # writes common/src/test/resources/fixtures/

nan-eps.pt          an eps model whose output is NaN everywhere
wrong-shape-eps.pt  an eps model that returns half the image rows
Each gets a manifest with the correct sha256, so loading gets past the sha256 check to the output checks.
"""
import hashlib
import json
import os

import torch

OUT = os.path.join(os.path.dirname(__file__), "..", "common", "src", "test", "resources", "fixtures")


class NanEps(torch.nn.Module):
    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return x * float("nan") + t[:, None, None, None]


class WrongShapeEps(torch.nn.Module):
    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return x[:, :, : x.shape[2] // 2, :] * t[:, None, None, None]


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, module in (("nan-eps", NanEps()), ("wrong-shape-eps", WrongShapeEps())):
        path = os.path.join(OUT, name + ".pt")
        torch.jit.script(module).save(path)
        with open(path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        manifest = {
            "kind": "eps",
            "name": name,
            "input-shape": [1, 28, 28],
            "beta-min": 0.1,
            "beta-max": 20.0,
            "t-min": 1e-05,
            "t-max": 0.5,
            "source": "tools/test_fixtures.py",
            "sha256": digest,
            "probe": {"seed": 20221, "t": [0.05, 0.3], "indices": [0], "values": [0.0], "sum": 0.0, "l2": 0.0,
                      "tolerance": 1e-3},
        }
        with open(os.path.join(OUT, name + ".json"), "w") as f:
            json.dump(manifest, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
