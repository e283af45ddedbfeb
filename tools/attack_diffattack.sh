#!/usr/bin/env bash
# DiffAttack against APGD on the analytic chain defence (BENCHMARKS.md, "Attacks of 2023-2026"): t* = 0.1, 100
# steps, 1000 samples, Linf eps 0.1, EOT 4; APGD-CE then APGD-DLR (AutoAttack's schedule, ITERATIONS each) with
# DiffAttack's deviated-reconstruction term at lambda = 0 (that is `rand`, bit for bit), 0.1, 1 and 10. The term
# costs no model call, so equal iterations are equal model calls. One CSV row per sample in OUT, then the paired
# analysis (tools/attack_budget_pairs.py). A run whose CSV exists is skipped, so an interrupted sweep resumes.
# Usage: tools/attack_diffattack.sh OUT [ITERATIONS] [THREADS]
set -euo pipefail
OUT=${1:?usage: tools/attack_diffattack.sh OUT [ITERATIONS] [THREADS]}
ITERATIONS=${2:-20}
THREADS=${3:-1}
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mkdir -p "$OUT"
source "$ROOT/tools/attack_run.sh"
for lambda in 0 0.1 1 10; do
  analytic_run "diffattack-l$lambda-$ITERATIONS" --eot 4 --attack diffattack --deviation-weight "$lambda" \
    --iterations "$ITERATIONS"
done
python3 "$ROOT/tools/attack_budget_pairs.py" "$OUT" <<PAIRS
diffattack-l0.1-$ITERATIONS diffattack-l0-$ITERATIONS
diffattack-l1-$ITERATIONS diffattack-l0-$ITERATIONS
diffattack-l10-$ITERATIONS diffattack-l0-$ITERATIONS
PAIRS
