"""Export tools: turn the official checkpoints of the DiffPure paper into TorchScript files that follow the
project's calling convention (DESIGN.md section 3), each with the manifest the Java loader verifies.

Run: /usr/bin/python3 tools/export_model.py FAMILY --repo CHECKOUT --checkpoint FILE --out models/.../name.pt
"""
