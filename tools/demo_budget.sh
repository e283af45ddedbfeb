#!/usr/bin/env bash
# Surrogate against exact gradients on the defended demo models (BENCHMARKS.md, "Attack budget on the analytic
# defence", the demo comparison): t* = 0.1 at dt 2e-3 (a 50-step chain), N samples (default 64), PGD-EOT x EOT 4,
# Linf 8/255, one CSV row per sample in OUT, then the paired analysis. exact runs 20 iterations; each surrogate
# (N_s = 25, 10, 5: 1/2, 1/5, 1/10 of the steps) runs the iterations that cost exact's model calls, 20 x 3N_d /
# (3N_s + N_d), with a budget checkpoint at 20: PGD's checkpoint b is the run with budget b (same iterates, same
# votes), so one run per surrogate gives the equal-iteration (RUN@20) and the equal-model-calls figure. A run whose
# CSV exists is skipped, so an interrupted sweep resumes. Accuracy figures are valid on a loaded machine; the
# wall times in the logs are not.
# Usage: tools/demo_budget.sh OUT [N] [THREADS]
set -euo pipefail
OUT=${1:?usage: tools/demo_budget.sh OUT [N] [THREADS]}
N=${2:-64}
THREADS=${3:-2}
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mkdir -p "$OUT"
source "$ROOT/tools/attack_run.sh"
run() { demo_run "$1" --attack pgd-eot --eot 4 "${@:2}"; }
run pgd-exact-20 --iterations 20
run pgd-sur25-24 --iterations 24 --checkpoints 20 --gradient-mode surrogate --surrogate-steps 25
run pgd-sur10-38 --iterations 38 --checkpoints 20 --gradient-mode surrogate --surrogate-steps 10
run pgd-sur5-46 --iterations 46 --checkpoints 20 --gradient-mode surrogate --surrogate-steps 5
N_D=50 python3 "$ROOT/tools/attack_budget_pairs.py" "$OUT" <<'PAIRS'
pgd-sur25-24@20 pgd-exact-20
pgd-sur10-38@20 pgd-exact-20
pgd-sur5-46@20 pgd-exact-20
pgd-sur25-24 pgd-exact-20
pgd-sur10-38 pgd-exact-20
pgd-sur5-46 pgd-exact-20
PAIRS
