#!/usr/bin/python3
"""Train and export the demo models (Fashion-MNIST, 28x28x1) as TorchScript + manifest.

Writes into OUT (default models/demo):
  eps.pt, eps.json                 small U-Net noise predictor for the VP-SDE (beta 0.1..20)
  classifier.pt, classifier.json   small CNN with BatchNorm, trained on clean images only
  data/t10k-*.gz                   the Fashion-MNIST test split the demo and the tests read
  training.json                    the quality figures BENCHMARKS.md quotes

Both models follow the project's calling convention (the one every exported model follows):
  eps:        (x float32[N,1,28,28] in [-1,1], t float32[N] in (0,1]) -> eps_hat float32[N,1,28,28]
  classifier: (x float32[N,1,28,28] in [0,1]) -> logits float32[N,10]

Run with Debian's python3-torch and dataset-fashion-mnist:
  /usr/bin/python3 tools/demo_models.py --minutes 20
The Java side never needs Python: the exported files are committed.
"""
import argparse
import gzip
import hashlib
import json
import math
import os
import shutil
import struct
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

BETA_MIN, BETA_MAX = 0.1, 20.0
FMNIST_MEAN, FMNIST_STD = 0.2860, 0.3530


# Probe inputs: SplitMix64, the same generator diffpure.model.ProbeInputs implements in Java (tools/export/probe.py).
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from export.probe import golden_probe as probe_record, probe_input  # noqa: E402


# ---------------------------------------------------------------------------------------------
# Models


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    # sinusoidal embedding of the DDPM step label 1000*t
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    args = (1000.0 * t)[:, None] * freqs[None, :]
    return torch.cat([torch.sin(args), torch.cos(args)], dim=1)


class ResBlock(nn.Module):
    def __init__(self, cin: int, cout: int, temb: int):
        super().__init__()
        self.norm1 = nn.GroupNorm(8, cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.temb = nn.Linear(temb, cout)
        self.norm2 = nn.GroupNorm(8, cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.temb(emb)[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return self.skip(x) + h


class EpsUNet(nn.Module):
    """Noise predictor: two resolutions down (28 -> 14 -> 7) and back, time-conditioned."""

    def __init__(self, ch: int = 32, temb: int = 128):
        super().__init__()
        self.emb_dim = 64
        self.emb1 = nn.Linear(self.emb_dim, temb)
        self.emb2 = nn.Linear(temb, temb)
        self.conv_in = nn.Conv2d(1, ch, 3, padding=1)
        self.down1 = ResBlock(ch, ch, temb)
        self.pool1 = nn.Conv2d(ch, 2 * ch, 3, stride=2, padding=1)
        self.down2 = ResBlock(2 * ch, 2 * ch, temb)
        self.pool2 = nn.Conv2d(2 * ch, 2 * ch, 3, stride=2, padding=1)
        self.mid1 = ResBlock(2 * ch, 2 * ch, temb)
        self.mid2 = ResBlock(2 * ch, 2 * ch, temb)
        self.up2 = ResBlock(4 * ch, 2 * ch, temb)
        self.up1 = ResBlock(3 * ch, ch, temb)
        self.norm_out = nn.GroupNorm(8, ch)
        self.conv_out = nn.Conv2d(ch, 1, 3, padding=1)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        emb = self.emb2(F.silu(self.emb1(timestep_embedding(t, self.emb_dim))))
        h0 = self.down1(self.conv_in(x), emb)  # 28x28
        h1 = self.down2(self.pool1(h0), emb)  # 14x14
        h = self.pool2(h1)  # 7x7
        h = self.mid2(self.mid1(h, emb), emb)
        h = F.interpolate(h, scale_factor=2.0, mode="nearest")
        h = self.up2(torch.cat([h, h1], dim=1), emb)
        h = F.interpolate(h, scale_factor=2.0, mode="nearest")
        h = self.up1(torch.cat([h, h0], dim=1), emb)
        return self.conv_out(F.silu(self.norm_out(h)))


class Classifier(nn.Module):
    """Small CNN with BatchNorm; takes [0,1] images and normalises inside."""

    def __init__(self):
        super().__init__()
        self.mean = FMNIST_MEAN
        self.std = FMNIST_STD
        self.c1 = nn.Conv2d(1, 32, 3, padding=1)
        self.b1 = nn.BatchNorm2d(32)
        self.c2 = nn.Conv2d(32, 64, 3, padding=1)
        self.b2 = nn.BatchNorm2d(64)
        self.c3 = nn.Conv2d(64, 64, 3, padding=1)
        self.b3 = nn.BatchNorm2d(64)
        self.fc1 = nn.Linear(64 * 7 * 7, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = (x - self.mean) / self.std
        x = F.relu(self.b1(self.c1(x)))
        x = F.max_pool2d(F.relu(self.b2(self.c2(x))), 2)
        x = F.max_pool2d(F.relu(self.b3(self.c3(x))), 2)
        x = F.relu(self.fc1(x.flatten(1)))
        return self.fc2(x)


# ---------------------------------------------------------------------------------------------
# Data and schedule


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack(">I", data[:4])[0]
    if magic == 2051:
        n, h, w = struct.unpack(">III", data[4:16])
        return torch.frombuffer(bytearray(data[16:]), dtype=torch.uint8).reshape(n, 1, h, w).float() / 255.0
    if magic == 2049:
        n = struct.unpack(">I", data[4:8])[0]
        return torch.frombuffer(bytearray(data[8:]), dtype=torch.uint8).long()
    raise ValueError(f"{path}: unknown IDX magic {magic}")


def alpha_bar(t):
    return torch.exp(-BETA_MIN * t - 0.5 * (BETA_MAX - BETA_MIN) * t * t)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def train_eps(model, images, t_max, seconds, batch):
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    ema = {k: v.detach().clone() for k, v in model.state_dict().items()}
    start, step = time.time(), 0
    g = torch.Generator().manual_seed(1)
    while time.time() - start < seconds:
        frac = (time.time() - start) / seconds
        for group in opt.param_groups:
            group["lr"] = 2e-3 * 0.5 * (1 + math.cos(math.pi * frac))
        idx = torch.randint(0, images.shape[0], (batch,), generator=g)
        x = images[idx] * 2 - 1
        t = torch.rand(batch, generator=g) * (t_max - 1e-5) + 1e-5
        ab = alpha_bar(t)[:, None, None, None]
        z = torch.randn(x.shape, generator=g)
        y = ab.sqrt() * x + (1 - ab).sqrt() * z
        loss = F.mse_loss(model(y, t), z)
        opt.zero_grad()
        loss.backward()
        opt.step()
        step += 1
        with torch.no_grad():
            decay = min(0.999, (1 + step) / (10 + step))
            for k, v in model.state_dict().items():
                ema[k].mul_(decay).add_(v.detach(), alpha=1 - decay) if v.dtype.is_floating_point else ema[k].copy_(v)
        if step % 100 == 0:
            print(f"eps step {step} loss {loss.item():.4f} {time.time() - start:.0f}s", flush=True)
    model.load_state_dict(ema)
    return step


def train_classifier(model, images, labels, epochs, batch):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(2)
    for epoch in range(epochs):
        perm = torch.randperm(images.shape[0], generator=g)
        for i in range(0, images.shape[0], batch):
            idx = perm[i : i + batch]
            loss = F.cross_entropy(model(images[idx]), labels[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        print(f"classifier epoch {epoch} loss {loss.item():.4f}", flush=True)


@torch.no_grad()
def eps_mse(model, images, t_value, seed=3):
    g = torch.Generator().manual_seed(seed)
    x = images * 2 - 1
    t = torch.full((x.shape[0],), t_value)
    ab = alpha_bar(t)[:, None, None, None]
    z = torch.randn(x.shape, generator=g)
    y = ab.sqrt() * x + (1 - ab).sqrt() * z
    return F.mse_loss(model(y, t), z).item()


def count_macs(module, inputs):
    """Analytic multiply-adds of one forward pass per image: convolutions and linear layers (the rest is
    element-wise and below 1%). Conv: out_elems * in_ch/groups * kh * kw; linear: out_elems * in_features."""
    total = [0]

    def conv_hook(m, inp, out):
        total[0] += out.numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]

    def linear_hook(m, inp, out):
        total[0] += out.numel() * m.in_features

    handles = []
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            handles.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, nn.Linear):
            handles.append(m.register_forward_hook(linear_hook))
    with torch.no_grad():
        module(*inputs)
    for h in handles:
        h.remove()
    return total[0] // inputs[0].shape[0]


def add_macs(out_dir):
    """Records macs-per-image in existing manifests (the .pt files, and so their sha256, are unchanged)."""
    x = torch.zeros(1, 1, 28, 28)
    for name, module, inputs in (("eps", EpsUNet(), (x, torch.full((1,), 0.1))), ("classifier", Classifier(), (x,))):
        path = os.path.join(out_dir, name + ".json")
        with open(path) as f:
            manifest = json.load(f)
        manifest["macs-per-image"] = count_macs(module.eval(), inputs)
        with open(path, "w") as f:
            json.dump(manifest, f, indent=2)
            f.write("\n")


def golden_probe(module, inputs, out_path_seed):
    return probe_record(module(*inputs), out_path_seed, 1e-3)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--out", default="models/demo")
    ap.add_argument("--minutes", type=float, default=20.0, help="wall-clock budget for the score model")
    ap.add_argument("--t-max", type=float, default=0.5, help="largest diffusion time trained on")
    ap.add_argument("--classifier-epochs", type=int, default=2)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--macs-only", action="store_true", help="only add macs-per-image to existing manifests")
    args = ap.parse_args()
    if args.macs_only:
        add_macs(args.out)
        return
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    train_x = read_idx(os.path.join(args.data, "train-images-idx3-ubyte.gz"))
    train_y = read_idx(os.path.join(args.data, "train-labels-idx1-ubyte.gz"))
    test_x = read_idx(os.path.join(args.data, "t10k-images-idx3-ubyte.gz"))
    test_y = read_idx(os.path.join(args.data, "t10k-labels-idx1-ubyte.gz"))
    os.makedirs(os.path.join(args.out, "data"), exist_ok=True)
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        shutil.copyfile(os.path.join(args.data, name), os.path.join(args.out, "data", name))

    clf = Classifier()
    train_classifier(clf, train_x, train_y, args.classifier_epochs, 128)
    clf.eval()
    with torch.no_grad():
        clean_acc = (clf(test_x).argmax(1) == test_y).float().mean().item()
    print(f"classifier test accuracy {clean_acc:.4f}", flush=True)

    score_model = EpsUNet()
    steps = train_eps(score_model, train_x, args.t_max, args.minutes * 60, 128)
    score_model.eval()
    mse = {str(t): eps_mse(score_model, test_x[:2000], t) for t in (0.01, 0.05, 0.1, 0.3)}
    print(f"eps mse {mse} (trivial predictor 0 has mse ~1.0)", flush=True)

    eps_params = sum(p.numel() for p in score_model.parameters())
    clf_params = sum(p.numel() for p in clf.parameters())

    # Export: scripted so BatchNorm keeps reading module.training at run time.
    eps_ts = torch.jit.script(score_model)
    clf_ts = torch.jit.script(clf)
    eps_path = os.path.join(args.out, "eps.pt")
    clf_path = os.path.join(args.out, "classifier.pt")
    eps_ts.save(eps_path)
    clf_ts.save(clf_path)

    eps_probe_x = probe_input(20221, (2, 1, 28, 28), -1.0, 1.0)
    eps_probe_t = torch.tensor([0.05, 0.3], dtype=torch.float32)
    clf_probe_x = probe_input(20222, (2, 1, 28, 28), 0.0, 1.0)
    reloaded_eps = torch.jit.load(eps_path).eval()
    reloaded_clf = torch.jit.load(clf_path).eval()
    with torch.no_grad():
        eps_probe = golden_probe(reloaded_eps, (eps_probe_x, eps_probe_t), 20221)
        eps_probe["t"] = [0.05, 0.3]
        clf_probe = golden_probe(reloaded_clf, (clf_probe_x,), 20222)

    source = "tools/demo_models.py (Fashion-MNIST train split, Debian dataset-fashion-mnist)"
    eps_manifest = {
        "kind": "score-model",
        "name": "fmnist-unet-eps",
        "input-shape": [1, 28, 28],
        "beta-min": BETA_MIN,
        "beta-max": BETA_MAX,
        "t-min": 1e-5,
        "t-max": args.t_max,
        "time-label": "continuous t in (0,1], embedded inside as 1000*t",
        "source": source,
        "parameters": eps_params,
        "sha256": sha256(eps_path),
        "probe": eps_probe,
    }
    clf_manifest = {
        "kind": "classifier",
        "name": "fmnist-cnn",
        "input-shape": [1, 28, 28],
        "classes": 10,
        "source": source,
        "parameters": clf_params,
        "sha256": sha256(clf_path),
        "probe": clf_probe,
    }
    for path, manifest in ((eps_path, eps_manifest), (clf_path, clf_manifest)):
        with open(path[:-3] + ".json", "w") as f:
            json.dump(manifest, f, indent=2)
            f.write("\n")
    add_macs(args.out)
    with open(os.path.join(args.out, "training.json"), "w") as f:
        json.dump(
            {
                "classifier_test_accuracy": clean_acc,
                "eps_training_steps": steps,
                "eps_training_minutes": args.minutes,
                "eps_mse_vs_trivial_1.0": mse,
                "eps_parameters": eps_params,
                "classifier_parameters": clf_params,
                "torch": torch.__version__,
            },
            f,
            indent=2,
        )
        f.write("\n")
    print("done", flush=True)


if __name__ == "__main__":
    main()
