#!/usr/bin/python3
"""Exports an official checkpoint of the DiffPure paper to TorchScript + manifest, in the
project's calling convention (score model: x in [-1,1], t in (0,1] -> predicted noise; classifier: x in [0,1] ->
logits; perceptual model: two images in [0,1] -> one distance per row; time labels and normalisation inside the
wrapper).

  /usr/bin/python3 tools/export_model.py --help
  /usr/bin/python3 tools/export_model.py score-sde-cifar10 --repo ~/src/DiffPure \
      --checkpoint ~/ckpt/checkpoint_8.pth --out models/cifar10/ddpmpp-deep-eps.pt

Needs PyTorch (Debian: python3-torch, python3-torchvision) and the user's checkout of the official code; it reads the
checkpoint and writes the .pt and its .json manifest, nothing else. docs/paper-settings.md lists every family.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from export.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
