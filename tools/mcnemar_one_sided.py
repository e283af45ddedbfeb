"""Paired comparison of two attacks on the same images: exact one-sided McNemar test of H1 "attack A is weaker than
attack B" (A leaves more images robust). Each CSV needs columns id, label, adv_pred.

Run: python3 tools/mcnemar_one_sided.py A.csv B.csv
Prints both robust accuracies, the discordant counts and the p-value. p < 0.05 means A is significantly weaker.
"""
import csv, json, math, sys


def robust(path):
    with open(path) as f:
        return {int(r["id"]): int(r["adv_pred"]) == int(r["label"]) for r in csv.DictReader(f)}


a, b = robust(sys.argv[1]), robust(sys.argv[2])
if a.keys() != b.keys():
    sys.exit(f"{sys.argv[1]} and {sys.argv[2]} do not cover the same image ids")
only_a = sum(1 for i in a if a[i] and not b[i])  # A failed to break it, B broke it
only_b = sum(1 for i in a if b[i] and not a[i])
n = only_a + only_b
# P(X >= only_a) for X ~ Binomial(n, 1/2): how surprising A's surplus of robust images is if both are equally strong.
p = sum(math.comb(n, k) for k in range(only_a, n + 1)) / 2 ** n if n else 1.0
print(json.dumps({"images": len(a), "robust_acc_a": sum(a.values()) / len(a), "robust_acc_b": sum(b.values()) / len(b),
                  "robust_only_under_a": only_a, "robust_only_under_b": only_b, "p_a_weaker_one_sided": p}))
