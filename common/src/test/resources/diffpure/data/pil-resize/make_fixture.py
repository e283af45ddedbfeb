"""Regenerates the Pillow resize fixture that AntialiasResizeTest compares against.

Run with the system Python that has Pillow (Debian python3-pil 9.4.0 made these files):
    /usr/bin/python3 make_fixture.py
input-97x61.rgb is a deterministic 97x61 RGB image (raw bytes, interleaved, row by row): a smooth gradient
plus noise, so that both filtering and rounding are exercised. Each pil-WxH.rgb is
Image.resize((W, H), Image.BILINEAR), which is what torchvision.transforms.Resize runs on PIL images.
"""
import numpy as np
from PIL import Image

W, H = 97, 61
rng = np.random.RandomState(20240229)
y, x = np.mgrid[0:H, 0:W]
base = np.stack([x * 255.0 / W, y * 255.0 / H, (x + y) * 127.0 / (W + H)], axis=-1)
img = np.clip(base + rng.normal(0, 40, size=(H, W, 3)), 0, 255).astype(np.uint8)
open("input-97x61.rgb", "wb").write(img.tobytes())
pil = Image.fromarray(img, "RGB")
for w, h in [(41, 26), (150, 100), (97, 30), (60, 61), (32, 32), (7, 5)]:
    out = np.asarray(pil.resize((w, h), Image.BILINEAR))
    open("pil-%dx%d.rgb" % (w, h), "wb").write(out.tobytes())
