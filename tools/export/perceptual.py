"""Perceptual models (kind perceptual): forward(a, b), two image batches in [0, 1], -> one distance per row.

lpips-vgg   LPIPS v0.1 with the VGG-16 trunk (Zhang et al. 2018), as the `lpips` package computes lpips.LPIPS(
            net='vgg', version='0.1')(a, b, normalize=True): the calibrated linear layers come from the user's
            checkout of richzhang/PerceptualSimilarity (lpips/weights/v0.1/vgg.pth), the trunk from a torchvision
            VGG-16 ImageNet checkpoint the user has (keys features.N.*; vgg16-397923af.pth). Nothing is downloaded and
            neither the lpips package nor torchvision is imported: the trunk is rebuilt here layer for layer (the
            indices match torchvision's vgg16().features, so its state dict loads as is).
pixel-distance  the Linf or L2 distance of the pixels, as a perceptual model: no weights. With it `--attack lf`
            searches inside the same pixel ball as the other attacks (its filter reparametrisation and optimiser
            against theirs, on one threat model), e.g. on the analytic defence, which has no perceptual network.

The head (LpipsHead) is the same for any trunk: [0, 1] -> [-1, 1] (what LPIPS calls normalize=True), an optional
per-channel scaling layer, each tap's features divided by their channel norm (+ 1e-10), squared differences, a
1x1 convolution without bias per tap, the spatial mean, the sum over taps. tools/export/make_fixtures.py uses it
with a two-stage trunk as the small stand-in the Java tests load.
"""
import os

import torch
import torch.nn as nn

from . import common
from .common import ExportError, Spec

# LPIPS v0.1's ScalingLayer: (x - shift) / scale on the [-1, 1] input, per RGB channel.
LPIPS_SHIFT = (-0.030, -0.088, -0.188)
LPIPS_SCALE = (0.458, 0.448, 0.450)

# torchvision vgg16().features up to relu5_3 (index 29): convolution output channels, 'M' for a 2x2 max pool.
VGG16_LAYERS = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512]
# The ReLU outputs LPIPS reads (relu1_2, relu2_2, relu3_3, relu4_3, relu5_3), as indices into features.
VGG16_TAPS = [3, 8, 15, 22, 29]
VGG16_TAP_CHANNELS = [64, 128, 256, 512, 512]
LPIPS_WEIGHTS = os.path.join("lpips", "weights", "v0.1", "vgg.pth")


class TappedTrunk(nn.Module):
    """A Sequential whose outputs at the given indices are returned as a list (after that index's module)."""

    def __init__(self, features: nn.Sequential, taps):
        super().__init__()
        self.features = features
        self.taps = list(taps)

    def forward(self, x: torch.Tensor):
        out = []
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in self.taps:
                out.append(x)
        return out


def vgg16_trunk():
    layers = []
    channels = 3
    for v in VGG16_LAYERS:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            layers.append(nn.Conv2d(channels, v, kernel_size=3, padding=1))
            layers.append(nn.ReLU(inplace=False))
            channels = v
    return TappedTrunk(nn.Sequential(*layers), VGG16_TAPS)


class LpipsHead(nn.Module):
    """forward(a, b) in [0, 1] -> float32[N]: the LPIPS distance with the given trunk and linear layers."""

    def __init__(self, trunk: nn.Module, tap_channels, shift=None, scale=None):
        super().__init__()
        self.trunk = trunk
        self.lins = nn.ModuleList([nn.Conv2d(c, 1, kernel_size=1, bias=False) for c in tap_channels])
        scaled = shift is not None
        self.register_buffer("shift", torch.tensor(shift if scaled else [0.0]).view(1, -1, 1, 1))
        self.register_buffer("scale", torch.tensor(scale if scaled else [1.0]).view(1, -1, 1, 1))

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        fa = self.trunk(((2 * a - 1) - self.shift) / self.scale)
        fb = self.trunk(((2 * b - 1) - self.shift) / self.scale)
        total = torch.zeros(a.shape[0], dtype=a.dtype, device=a.device)
        for k, lin in enumerate(self.lins):
            na = fa[k] / (torch.sqrt(torch.sum(fa[k] ** 2, dim=1, keepdim=True)) + 1e-10)
            nb = fb[k] / (torch.sqrt(torch.sum(fb[k] ** 2, dim=1, keepdim=True)) + 1e-10)
            total = total + lin((na - nb) ** 2).mean(dim=(1, 2, 3))
        return total


def lpips_vgg():
    """The LPIPS-VGG architecture with untrained weights (load_vgg16 and load_lins fill them)."""
    return LpipsHead(vgg16_trunk(), VGG16_TAP_CHANNELS, LPIPS_SHIFT, LPIPS_SCALE)


def load_vgg16(head, state, path):
    """Loads a torchvision VGG-16 state dict (features.N.weight/bias; the classifier's keys are ignored)."""
    features = {k: v for k, v in state.items() if k.startswith("features.")}
    common.load_strict(head.trunk, features, path)


def load_lins(head, state, path):
    """Loads LPIPS's linear layers: lin{k}.model.1.weight in the package's weights file (model.1 because the
    package puts a Dropout before each 1x1 convolution; dropout is off in eval mode)."""
    mapped = {}
    for k in range(len(head.lins)):
        key = f"lin{k}.model.1.weight"
        if key not in state:
            raise ExportError(f"{path}: no {key} (found {sorted(state)[:8]}): is it lpips/weights/v0.1/vgg.pth?")
        mapped[f"{k}.weight"] = state[key]
    common.load_strict(head.lins, mapped, path)


def build_lpips_vgg(args):
    head = lpips_vgg()
    if args.random_weights is not None:
        common.randomize(head, args.random_weights)
        weights = common.RANDOM_WEIGHTS_NOTE.format(seed=args.random_weights)
    else:
        repo = common.add_repo(args.repo, LPIPS_WEIGHTS)
        lins_path = os.path.join(repo, LPIPS_WEIGHTS)
        load_lins(head, common.load_checkpoint(lins_path), lins_path)
        load_vgg16(head, common.state_dict_of(common.load_checkpoint(args.checkpoint), args.checkpoint),
                   args.checkpoint)
        weights = f"linear layers {LPIPS_WEIGHTS} of {repo} (revision {common.repo_revision(repo)}), trunk " \
                  f"{os.path.basename(args.checkpoint)}"
    size = args.image_size
    spec = Spec("perceptual", args.name or "lpips-vgg", [3, size, size], "script",
                source=f"LPIPS v0.1 VGG-16, inputs [0,1] mapped to [-1,1] inside: {weights}")
    return head.eval(), spec


class PixelDistance(nn.Module):
    """forward(a, b) -> float32[N]: max |a - b| (linf) or the Euclidean norm of a - b (l2) per row."""

    def __init__(self, norm: str):
        super().__init__()
        self.linf = norm == "linf"

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        d = (a - b).flatten(1)
        if self.linf:
            return d.abs().amax(dim=1)
        return torch.sqrt(torch.sum(d * d, dim=1))


def build_pixel_distance(args):
    for given, flag in ((args.repo, "--repo"), (args.checkpoint, "--checkpoint"),
                        (args.random_weights, "--random-weights")):
        if given is not None:
            raise ExportError(f"pixel-distance has no weights: drop {flag}")
    try:
        shape = [int(v) for v in args.shape.split(",")]
    except ValueError:
        shape = []
    if len(shape) != 3 or min(shape) < 1:
        raise ExportError(f"--shape must be C,H,W of positive sizes, found '{args.shape}'")
    spec = Spec("perceptual", args.name or f"pixel-{args.norm}", shape, "script",
                source=f"tools/export/perceptual.py pixel-distance: the {args.norm} distance of the pixels, no weights")
    return PixelDistance(args.norm).eval(), spec


def register(sub, add_common):
    p = sub.add_parser("pixel-distance", help="the Linf or L2 pixel distance as a perceptual model (no weights): "
                                              "--attack lf inside a pixel ball")
    add_common(p, "not used (no weights)")
    p.add_argument("--norm", choices=["linf", "l2"], required=True, help="which pixel distance")
    p.add_argument("--shape", required=True, help="C,H,W of the images it compares (1,1,2 for the analytic defence)")
    p.set_defaults(build=build_pixel_distance)
    p = sub.add_parser("lpips-vgg", help="LPIPS v0.1 with the VGG-16 trunk (perceptual distance, DiffBreak's bound)")
    add_common(p, "a checkout of richzhang/PerceptualSimilarity (for lpips/weights/v0.1/vgg.pth); --checkpoint is "
                  "a torchvision VGG-16 ImageNet state dict (vgg16-397923af.pth)")
    p.add_argument("--image-size", type=int, default=32, help="H = W of the images it compares (32 for CIFAR-10)")
    p.set_defaults(build=build_lpips_vgg)
