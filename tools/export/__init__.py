"""Export tools: turn the official checkpoints of the DiffPure paper into TorchScript files that follow the
project's calling convention (score model: x in [-1,1], t in (0,1] -> predicted noise; classifier: x in
[0,1] -> logits), each with the manifest the Java loader verifies.

Run: /usr/bin/python3 tools/export_model.py FAMILY --repo CHECKOUT --checkpoint FILE --out models/.../name.pt
"""
