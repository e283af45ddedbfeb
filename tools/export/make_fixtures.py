#!/usr/bin/python3
"""Regenerates the stand-in exports the Java tests load (common/src/test/resources/fixtures/exported/): small
modules with the official wrappers, exported and given manifests by the export tools' own code path, so that a Java
test can check that `diffpure model manifest` computes the same sha256, parameter count and golden probe.

  /usr/bin/python3 tools/export/make_fixtures.py

learned-sigma-eps.pt   a traced discrete-step score model: floor(1000 t) label, 6 output channels split to 3
bn-classifier.pt       a scripted classifier with BatchNorm (random running statistics), CIFAR mean/std inside
standin-perceptual.pt  a scripted perceptual model for 1 x 28 x 28 images (the demo data): the LPIPS head of
                       tools/export/perceptual.py on a smooth two-stage convolutional trunk with random weights
standin-perceptual-3x32.pt  the same for 3 x 32 x 32 (CIFAR-10 shape: the paper dry run of the LF preset)
"""
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from export import common  # noqa: E402
from export.common import Spec  # noqa: E402
from export.perceptual import LpipsHead, TappedTrunk  # noqa: E402
from export.wrappers import CIFAR10_MEAN, CIFAR10_STD, DiscreteStepEps, Normalized  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "common", "src", "test",
                   "resources", "fixtures", "exported")


class TinyLearnedSigmaNet(nn.Module):
    """Takes an integer step label like guided-diffusion's UNet and returns [eps, v] (6 channels)."""

    def __init__(self):
        super().__init__()
        self.emb = nn.Linear(16, 8)
        self.conv_in = nn.Conv2d(3, 8, 3, padding=1)
        self.norm = nn.GroupNorm(2, 8)
        self.conv_out = nn.Conv2d(8, 6, 3, padding=1)

    def forward(self, x: torch.Tensor, step: torch.Tensor) -> torch.Tensor:
        freqs = torch.exp(-torch.arange(8, dtype=torch.float32) * 1.15)
        args = step.float()[:, None] * freqs[None, :]
        emb = self.emb(torch.cat([torch.sin(args), torch.cos(args)], dim=1))
        h = self.conv_in(x) + emb[:, :, None, None]
        return self.conv_out(torch.nn.functional.silu(self.norm(h)))


class TinyBnNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.bn = nn.BatchNorm2d(8)
        self.fc = nn.Linear(8, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.relu(self.bn(self.conv(x))).mean(dim=(2, 3)))


def main():
    torch.manual_seed(0)
    os.makedirs(OUT, exist_ok=True)
    score_model = TinyLearnedSigmaNet()
    common.randomize(score_model, 1)
    common.export(DiscreteStepEps(score_model, 1000, keep_channels=3),
                  Spec("score-model", "learned-sigma-standin", [3, 16, 16], "trace", source="tools/export/make_fixtures.py",
                       t_min=0.0, t_max=0.999, time_label="discrete: eps_hat = net(x, floor(1000 t))[:, :3]"),
                  os.path.join(OUT, "learned-sigma-eps.pt"))
    clf = TinyBnNet()
    common.randomize(clf, 2)
    common.export(Normalized(clf, CIFAR10_MEAN, CIFAR10_STD),
                  Spec("classifier", "bn-standin", [3, 16, 16], "script", source="tools/export/make_fixtures.py",
                       classes=10),
                  os.path.join(OUT, "bn-classifier.pt"))
    # Softplus, not ReLU: with few channels a location where every ReLU is 0 is common, and LPIPS's channel
    # normalisation jumps there (0 -> a unit vector), which would make finite-difference checks meaningless.
    trunk = TappedTrunk(nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.Softplus(), nn.AvgPool2d(2),
                                      nn.Conv2d(4, 8, 3, padding=1), nn.Softplus()), [1, 4])
    perceptual = LpipsHead(trunk, [4, 8])
    common.randomize(perceptual, 3)
    with torch.no_grad():  # LPIPS's linear layers are non-negative, so a distance is >= 0
        for lin in perceptual.lins:
            lin.weight.abs_()
    common.export(perceptual,
                  Spec("perceptual", "perceptual-standin", [1, 28, 28], "script",
                       source="tools/export/make_fixtures.py: LPIPS head on a random two-stage trunk"),
                  os.path.join(OUT, "standin-perceptual.pt"))
    export_perceptual(3, 32, 4, "standin-perceptual-3x32.pt")


def export_perceptual(channels, size, seed, name):
    """A stand-in LPIPS (the head on a random smooth trunk) for channels x size x size images."""
    trunk = TappedTrunk(nn.Sequential(nn.Conv2d(channels, 4, 3, padding=1), nn.Softplus(), nn.AvgPool2d(2),
                                      nn.Conv2d(4, 8, 3, padding=1), nn.Softplus()), [1, 4])
    perceptual = LpipsHead(trunk, [4, 8])
    common.randomize(perceptual, seed)
    with torch.no_grad():
        for lin in perceptual.lins:
            lin.weight.abs_()
    common.export(perceptual,
                  Spec("perceptual", "perceptual-standin-%dx%d" % (channels, size), [channels, size, size], "script",
                       source="tools/export/make_fixtures.py: LPIPS head on a random two-stage trunk"),
                  os.path.join(OUT, name))


if __name__ == "__main__":
    main()
