"""Runs the reference DiffPure harness (ref_diffpure.py: the official flow, torchsde sdeint_adjoint) in attack mode and then writes one CSV
row per attacked image, so the project's PGD-EOT can be compared with it sample by sample (McNemar).

The harness reports only an aggregate robust accuracy; its adversarial images are still in its globals after the
run, so this wrapper classifies them once more through the same defended model (one fresh purification draw, torch
seeded) and writes id,label,adv_pred. Its own aggregate is printed too.

Run: PYTHONPATH=../shared/reference/pyshim:/tmp/torchsde /usr/bin/python3 tools/ref_diffpure_per_sample.py \
       ../shared/reference/ref_diffpure.py OUT.csv MODELDIR --mode attack --dt 5e-3 --attack_n 256 --steps 10 --eot 4 --eps 0.1
"""
import csv, json, os, runpy, sys

import torch

harness, out_csv, harness_args = sys.argv[1], sys.argv[2], sys.argv[3:]
sys.argv = [harness] + harness_args
g = runpy.run_path(harness, run_name="__main__")
if "xadv" not in g:
    sys.exit("the harness did not run its attack: pass --mode attack")
torch.manual_seed(g["a"].seed + 1)
with torch.no_grad():
    pred = g["defended_logits"](g["xadv"]).argmax(1)
labels = g["ys"]
tmp = out_csv + ".tmp"
with open(tmp, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["id", "label", "adv_pred"])
    for i in range(len(labels)):
        w.writerow([i, int(labels[i]), int(pred[i])])
os.replace(tmp, out_csv)
print(json.dumps({"per_sample_csv": out_csv, "per_sample_robust_acc": (pred == labels).float().mean().item()}))
