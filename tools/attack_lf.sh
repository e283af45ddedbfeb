#!/usr/bin/env bash
# The LF attack against APGD-CE on the analytic chain defence (BENCHMARKS.md, "Attacks of 2023-2026"): t* = 0.1, 100
# steps, 1000 samples, the same Linf ball eps 0.1 for both. The analytic defence has no perceptual network, so LF's
# bound is measured by the pixel Linf distance exported as a perceptual model (tools/export_model.py pixel-distance):
# this compares LF's search (guided-filter reparametrisation, Adam, penalty, plurality early stop) with APGD-CE's on
# one threat model, not LF's perceptual threat model. Each LF run has the model calls of APGD-CE's 150 iterations x
# EOT 4 as its budget (per iteration N gradient rows and N fresh votes, 4 N_d model calls per copy, against APGD's
# 3 N_d per copy): N = 4 copies for 113 iterations with DiffBreak's plurality early stop (ties count as lost) and with
# the success-fraction rule (every fresh copy wrong), and N = 16 for 28 iterations with plurality. An early stop ends
# a sample's attack, so a run may spend less. One CSV row per sample in OUT; a run whose CSV exists is skipped.
# Usage: tools/attack_lf.sh OUT [THREADS]
set -euo pipefail
OUT=${1:?usage: tools/attack_lf.sh OUT [THREADS]}
THREADS=${2:-1}
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mkdir -p "$OUT"
[[ -f $OUT/pixel-linf.pt ]] || /usr/bin/python3 "$ROOT/tools/export_model.py" pixel-distance --norm linf \
  --shape 1,1,2 --out "$OUT/pixel-linf.pt" > "$OUT/pixel-linf.log"
source "$ROOT/tools/attack_run.sh"
run() { analytic_run "$@"; }
run apgd-ce-150 --attack apgd-ce --eot 4 --iterations 150
lf=(--attack lf --norm lpips --perceptual "$OUT/pixel-linf.pt")
run lf-plurality-113 "${lf[@]}" --eot 4 --iterations 113 --early-stop plurality
run lf-fraction-113 "${lf[@]}" --eot 4 --iterations 113 --early-stop success-fraction
run lf-n16-28 "${lf[@]}" --eot 16 --iterations 28 --early-stop plurality
printf "lf-plurality-113 apgd-ce-150\nlf-fraction-113 apgd-ce-150\nlf-n16-28 apgd-ce-150\n" \
  | python3 "$ROOT/tools/attack_budget_pairs.py" "$OUT"
