#!/usr/bin/env bash
# DiffHammer against APGD-CE on the analytic chain defence (BENCHMARKS.md, "Attacks of 2023-2026"): t* = 0.1, 100
# steps, 1000 samples, Linf eps 0.1. DiffHammer as published (3 restarts CW/CE/DLR of 50 iterations, N = 10 copies,
# EM weighting, t^-1/2 momentum) grafted on the defence's own grid (exact) and on a 20-step grid with both grafting
# variants; APGD-CE with exact gradients, EOT 4, 150 iterations. One CSV row per sample in OUT; a run whose CSV exists
# is skipped. The paired figures: tools/attack_budget_pairs.py's McNemar and Wald interval on the CSVs.
# Usage: tools/attack_diffhammer.sh OUT [THREADS]
set -euo pipefail
OUT=${1:?usage: tools/attack_diffhammer.sh OUT [THREADS]}
THREADS=${2:-1}
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mkdir -p "$OUT"
source "$ROOT/tools/attack_run.sh"
run() { analytic_run "$@"; }
run dh-exact --attack diffhammer --eot 1
run dh-sur20-coarse --attack diffhammer --eot 1 --gradient-mode surrogate --surrogate-steps 20 --grafting coarse
run dh-sur20-authors --attack diffhammer --eot 1 --gradient-mode surrogate --surrogate-steps 20 --grafting authors
run apgd-ce-150 --attack apgd-ce --eot 4 --iterations 150
printf "dh-exact apgd-ce-150\ndh-sur20-coarse dh-exact\ndh-sur20-authors dh-sur20-coarse\n" \
  | python3 "$ROOT/tools/attack_budget_pairs.py" "$OUT"
