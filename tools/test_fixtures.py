#!/usr/bin/python3
"""Regenerates the tiny TorchScript fixtures the Java tests load.

  /usr/bin/python3 tools/test_fixtures.py           # writes common/src/test/resources/fixtures/
  /usr/bin/python3 tools/test_fixtures.py masking   # only the gradient-masking triggers (below)

Broken models, each with a manifest whose sha256 is right, so loading gets past the sha256 check to the output
checks:
  nan-eps.pt                 a score model whose output is NaN everywhere
  wrong-shape-eps.pt         a score model that returns half the image rows
Models without a manifest, for `diffpure model manifest`, which must refuse them:
  bn-traced-train-classifier.pt    BatchNorm traced in train mode: its output depends on the batch it sits in
  bn-scripted-train-classifier.pt  BatchNorm scripted and saved in train mode (the loader must run it in eval mode,
                                   where it does not depend on the batch)
Stand-ins at the paper's shapes (tiny networks, smooth so that finite differences work), with manifests written here
by the same rules as `diffpure model manifest` (golden probe from tools/demo_models.py's SplitMix64 inputs):
  standin-eps-3x32.pt                  eps, 3x32x32 (CIFAR-10)
  standin-classifier-3x32-c10.pt       classifier, 3x32x32, 10 classes
  standin-eps-3x256.pt                 eps, 3x256x256 (ImageNet guided diffusion, CelebA-HQ DDPM)
  standin-classifier-3x224-c1000.pt    classifier, 3x224x224, 1000 classes (ImageNet)
  standin-classifier-3x256-c2.pt       classifier, 3x256x256, 2 classes (CelebA-HQ attributes)
Models built to trip one gradient-masking check each inside an evaluation run (jobs SanityChecksJobTest; docs/protocol.md
"Sanity checks"), all 1x28x28 with 10 classes, with manifests by the same rules:
  zero-score-model-1x28.pt     a score model predicting noise 0 * x: purification is the VP chain without a score, so
                               the purified image is the input plus Gaussian noise (a noise defence whose randomness
                               is known exactly)
  quantized-demo-classifier.pt the demo CNN (models/demo/classifier.pt) behind a 4-bit input quantizer: zero input
                               gradients everywhere, so gradient attacks cannot move and Square can
  shell-classifier.pt          wrong only where the mean brightness a of the purified image (pixels 2.. minus the gray
                               128/255) lies within 0.01 of 0.06, right elsewhere, with a margin rising with a: a
                               fixed-step PGD (step 0.04) reaches that shell only by its projection onto eps = 0.06
                               and steps over it at eps = 0.12
  heavy-tail-classifier.pt     wrong where 0.01 <= a < 0.25 (every draw, modest loss); at a >= 0.25 wrong only when
                               pixel 0 of the purified image is brighter than pixel 1 (half the draws, noise the
                               attacker cannot steer: those pixels get no gradient) with a much larger loss: an
                               attack that keeps its best iterate by the copies fooled, ties by loss, takes such a
                               point once every EOT copy of one evaluation was fooled, though fresh votes are right
                               there half the time
TorchScript saves are not byte-reproducible: a rerun rewrites each .pt and its manifest (sha256) together.
"""
import hashlib
import json
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from demo_models import Classifier, count_macs, golden_probe, probe_input  # noqa: E402

OUT = os.path.join(os.path.dirname(__file__), "..", "common", "src", "test", "resources", "fixtures")

# The probe conventions of diffpure.model.ModelManifests: seeds and eps probe times.
SCORE_MODEL_PROBE_SEED, CLASSIFIER_PROBE_SEED = 20221, 20222
SCORE_MODEL_PROBE_TIMES = [0.05, 0.3]


class NanEps(torch.nn.Module):
    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return x * float("nan") + t[:, None, None, None]


class WrongShapeEps(torch.nn.Module):
    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return x[:, :, : x.shape[2] // 2, :] * t[:, None, None, None]


class BnClassifier(nn.Module):
    """1x28x28 -> 10 logits with a BatchNorm, like the demo classifier but untrained."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, stride=2, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.fc = nn.Linear(4 * 14 * 14, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.tanh(self.bn(self.conv(x))).flatten(1))


class StandinEps(nn.Module):
    """eps(x, t) = conv(tanh(conv(x) + embedding(t))): time-dependent, smooth, batch-independent."""

    def __init__(self, channels: int, hidden: int = 8):
        super().__init__()
        self.conv1 = nn.Conv2d(channels, hidden, 3, padding=1)
        self.temb = nn.Linear(2, hidden)
        self.conv2 = nn.Conv2d(hidden, channels, 3, padding=1)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        e = torch.stack([torch.sin(6.0 * t), torch.cos(6.0 * t)], dim=1)
        h = torch.tanh(self.conv1(x) + self.temb(e)[:, :, None, None])
        return 0.5 * self.conv2(h)


class StandinClassifier(nn.Module):
    """Strided conv, tanh, 2x2 average pool, linear: smooth in its input, any size and class count."""

    def __init__(self, channels: int, classes: int, hidden: int = 4):
        super().__init__()
        self.conv = nn.Conv2d(channels, hidden, 5, stride=4, padding=2)
        self.fc = nn.Linear(hidden * 4, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = torch.tanh(self.conv((x - 0.5) / 0.25))
        return self.fc(F.adaptive_avg_pool2d(h, 2).flatten(1))


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


def broken_models():
    for name, module in (("nan-eps", NanEps()), ("wrong-shape-eps", WrongShapeEps())):
        path = os.path.join(OUT, name + ".pt")
        torch.jit.script(module).save(path)
        manifest = {
            "kind": "score-model",
            "name": name,
            "input-shape": [1, 28, 28],
            "beta-min": 0.1,
            "beta-max": 20.0,
            "t-min": 1e-05,
            "t-max": 0.5,
            "source": "tools/test_fixtures.py",
            "sha256": sha256(path),
            "probe": {"seed": 20221, "t": [0.05, 0.3], "indices": [0], "values": [0.0], "sum": 0.0, "l2": 0.0,
                      "tolerance": 1e-3},
        }
        write_json(os.path.join(OUT, name + ".json"), manifest)


def batch_norm_models():
    torch.manual_seed(3)
    clf = BnClassifier()
    with torch.no_grad():
        clf.bn.running_mean.uniform_(-0.2, 0.2)
        clf.bn.running_var.uniform_(0.5, 1.5)
    clf.train()
    # Tracing bakes training=True into the graph: batch statistics whatever mode the module is put in later.
    traced = torch.jit.trace(clf, torch.rand(4, 1, 28, 28))
    traced.save(os.path.join(OUT, "bn-traced-train-classifier.pt"))
    clf.train()
    torch.jit.script(clf).save(os.path.join(OUT, "bn-scripted-train-classifier.pt"))


def standins():
    specs = [
        ("standin-eps-3x32", "score-model", (3, 32, 32), None),
        ("standin-classifier-3x32-c10", "classifier", (3, 32, 32), 10),
        ("standin-eps-3x256", "score-model", (3, 256, 256), None),
        ("standin-classifier-3x224-c1000", "classifier", (3, 224, 224), 1000),
        ("standin-classifier-3x256-c2", "classifier", (3, 256, 256), 2),
    ]
    for i, (name, kind, shape, classes) in enumerate(specs):
        torch.manual_seed(100 + i)
        module = StandinEps(shape[0]) if kind == "score-model" else StandinClassifier(shape[0], classes)
        module.eval()
        path = os.path.join(OUT, name + ".pt")
        torch.jit.script(module).save(path)
        reloaded = torch.jit.load(path).eval()
        if kind == "score-model":
            seed = SCORE_MODEL_PROBE_SEED
            inputs = (probe_input(seed, (2,) + shape, -1.0, 1.0), torch.tensor(SCORE_MODEL_PROBE_TIMES))
        else:
            seed = CLASSIFIER_PROBE_SEED
            inputs = (probe_input(seed, (2,) + shape, 0.0, 1.0),)
        with torch.no_grad():
            probe = golden_probe(reloaded, inputs, seed)
        manifest = {"kind": kind, "name": name, "input-shape": list(shape)}
        if kind == "score-model":
            manifest.update({"beta-min": 0.1, "beta-max": 20.0, "t-min": 1e-05, "t-max": 1.0})
            probe["t"] = SCORE_MODEL_PROBE_TIMES
        else:
            manifest["classes"] = classes
        manifest.update({
            "source": "tools/test_fixtures.py (stand-in, random weights)",
            "parameters": sum(p.numel() for p in module.parameters()),
            "sha256": sha256(path),
            "probe": probe,
            "macs-per-image": count_macs(module, tuple(a[:1] for a in inputs)),
        })
        write_json(os.path.join(OUT, name + ".json"), manifest)


# The synthetic images of the masking triggers are uniform gray 128/255 = 0.5019607843137255 (written by the
# Java test); TorchScript takes the literal, not a global.


def ten_logits(m: torch.Tensor) -> torch.Tensor:
    """Class 0 (the synthetic label) at 0, class 1 at margin m, classes 2..9 far below."""
    zero = torch.zeros_like(m)[:, None]
    return torch.cat([zero, m[:, None], zero.expand(-1, 8) - 30.0], 1)


class ZeroScoreModel(nn.Module):
    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        # 0 * x, not zeros_like: the output must carry a graph for the chain's vector-Jacobian products
        return 0.0 * x


class QuantizedClassifier(nn.Module):
    def __init__(self, inner: nn.Module, levels: int):
        super().__init__()
        self.inner = inner
        self.levels = float(levels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # round() passes no gradient: the classic masked-gradient defence (input quantization)
        return self.inner(torch.round(x * self.levels) / self.levels)


class ShellClassifier(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a = x.flatten(1)[:, 2:].mean(1) - 0.5019607843137255
        shell = torch.where((a - 0.06).abs() < 0.01, torch.full_like(a, 8.0), torch.zeros_like(a))
        return ten_logits(-4.0 + a + shell)


class HeavyTailClassifier(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        flat = x.flatten(1)
        a = flat[:, 2:].mean(1) - 0.5019607843137255
        b = flat[:, 0] - flat[:, 1]
        late = torch.where(b > 0, 20.0 + 10.0 * a, -5.0 + a)
        m = torch.where(a < 0.01, -3.0 + a, torch.where(a < 0.25, 2.0 + a, late))
        return ten_logits(m)


def masking_triggers():
    demo = Classifier()
    demo.load_state_dict(torch.jit.load(os.path.join(os.path.dirname(__file__), "..", "models", "demo",
                                                     "classifier.pt")).state_dict())
    specs = [
        ("zero-score-model-1x28", "score-model", ZeroScoreModel(),
         "predicted noise 0: the VP chain without a score (Gaussian noise defence)"),
        ("quantized-demo-classifier", "classifier", QuantizedClassifier(demo, 15),
         "models/demo/classifier.pt behind round(15 x) / 15"),
        ("shell-classifier", "classifier", ShellClassifier(), "synthetic: wrong only on a thin brightness shell"),
        ("heavy-tail-classifier", "classifier", HeavyTailClassifier(),
         "synthetic: rare huge losses past a brightness threshold"),
    ]
    shape = (1, 28, 28)
    for name, kind, module, what in specs:
        module.eval()
        path = os.path.join(OUT, name + ".pt")
        torch.jit.script(module).save(path)
        reloaded = torch.jit.load(path).eval()
        if kind == "score-model":
            seed = SCORE_MODEL_PROBE_SEED
            inputs = (probe_input(seed, (2,) + shape, -1.0, 1.0), torch.tensor(SCORE_MODEL_PROBE_TIMES))
        else:
            seed = CLASSIFIER_PROBE_SEED
            inputs = (probe_input(seed, (2,) + shape, 0.0, 1.0),)
        with torch.no_grad():
            probe = golden_probe(reloaded, inputs, seed)
        manifest = {"kind": kind, "name": name, "input-shape": list(shape)}
        if kind == "score-model":
            manifest.update({"beta-min": 0.1, "beta-max": 20.0, "t-min": 1e-05, "t-max": 1.0})
            probe["t"] = SCORE_MODEL_PROBE_TIMES
        else:
            manifest["classes"] = 10
        manifest.update({
            "source": "tools/test_fixtures.py (gradient-masking trigger: " + what + ")",
            "parameters": sum(p.numel() for p in module.parameters()),
            "sha256": sha256(path),
            "probe": probe,
            "macs-per-image": count_macs(module, tuple(a[:1] for a in inputs)),
        })
        write_json(os.path.join(OUT, name + ".json"), manifest)


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    only = sys.argv[1:]
    if not only or "masking" in only:
        masking_triggers()
    if only:
        return
    broken_models()
    batch_norm_models()
    standins()


if __name__ == "__main__":
    main()
