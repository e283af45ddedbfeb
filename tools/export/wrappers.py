"""Wrappers that bring official models to the project's calling convention (below): time-label scaling, channel
splits and input normalisation all happen here, so the Java side sees one convention.

score models:   (x float32[N,C,H,W] in [-1,1], t float32[N] in (0,1]) -> eps_hat float32[N,C,H,W]
classifiers:  (x float32[N,C,H,W] in [0,1]) -> logits float32[N,K]

Every wrapper is TorchScript-compatible, so a scriptable official network can be scripted together with its
wrapper; networks that cannot be scripted are traced through the wrapper instead (common.export_module).
"""
from typing import List

import torch
import torch.nn as nn

CIFAR10_MEAN = [0.4914, 0.4822, 0.4465]
CIFAR10_STD = [0.2471, 0.2435, 0.2616]
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


class ContinuousTimeEps(nn.Module):
    """score_sde continuous-time VP models: eps_hat = net(x, scale * t), scale 999 (get_score_fn, continuous=True:
    'the maximum value of time embedding is assumed to 999'). The network's output is eps_hat itself."""

    def __init__(self, net: nn.Module, scale: float = 999.0):
        super().__init__()
        self.net = net
        self.scale = scale

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        return self.net(x, t * self.scale)


class DiscreteStepEps(nn.Module):
    """Discrete-step DDPM models (guided-diffusion, SDEdit): eps_hat = net(x, floor(steps * t)), as DiffPure's
    RevVPSDE._scale_timesteps computes it ((t.float() * N).long(), which is floor for t >= 0). With keep_channels
    > 0 only the first keep_channels output channels are returned (learned-sigma models output [eps, v])."""

    def __init__(self, net: nn.Module, steps: int = 1000, keep_channels: int = 0):
        super().__init__()
        self.net = net
        self.steps = steps
        self.keep_channels = keep_channels

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        step = (t.float() * self.steps).long()
        out = self.net(x, step)
        if self.keep_channels > 0:
            out = out[:, : self.keep_channels]
        return out


class Normalized(nn.Module):
    """Classifier trained on (x - mean) / std: takes [0,1] images and normalises inside."""

    def __init__(self, net: nn.Module, mean: List[float], std: List[float]):
        super().__init__()
        self.net = net
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net((x - self.mean) / self.std)


class LogitPair(nn.Module):
    """Single-logit attribute nets (gan-ensembling / DiffPure ClassifierWrapper): input (x - 0.5) / 0.5, output
    [logit, -logit] as two class scores."""

    def __init__(self, net: nn.Module):
        super().__init__()
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logit = self.net((x - 0.5) / 0.5)
        return torch.cat([logit, -logit], dim=1)
