#!/usr/bin/env bash
# The attack-budget runs of BENCHMARKS.md ("Attack budget"): the analytic chain defence (t* = 0.1, 100 steps),
# 1000 samples, Linf eps 0.1, EOT 4, one run per budget and gradient mode, one CSV row per sample in OUT, then the
# paired analysis. A run whose CSV exists is skipped, so an interrupted sweep resumes.
# Usage: tools/attack_budget.sh OUT [THREADS]
set -euo pipefail
OUT=${1:?usage: tools/attack_budget.sh OUT [THREADS]}
THREADS=${2:-1}
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mkdir -p "$OUT"
source "$ROOT/tools/attack_run.sh"
run() { analytic_run "$1" --eot 4 "${@:2}"; }
for a in pgd apgd; do
  attack=$([[ $a == pgd ]] && echo pgd-eot || echo apgd-ce)
  for it in 5 10 20 50; do run $a-exact-$it --attack $attack --iterations $it; done
  run $a-exact-100 --attack $attack --iterations 100 --checkpoints 5,10,20,50
  # 1/2, 1/5, 1/10 of the defence's steps at equal iterations (20) ...
  for ns in 50 20 10; do
    run $a-sur$ns-20 --attack $attack --iterations 20 --gradient-mode surrogate --surrogate-steps $ns
  done
done
# ... and at equal model calls with exact's 20 iterations: 20 x 300 / (3 N_s + 100) iterations
run pgd-sur50-24 --attack pgd-eot --iterations 24 --gradient-mode surrogate --surrogate-steps 50
run pgd-sur20-38 --attack pgd-eot --iterations 38 --gradient-mode surrogate --surrogate-steps 20
run pgd-sur10-46 --attack pgd-eot --iterations 46 --gradient-mode surrogate --surrogate-steps 10
run apgd-sur50-24 --attack apgd-ce --iterations 24 --gradient-mode surrogate --surrogate-steps 50
run apgd-sur20-38 --attack apgd-ce --iterations 38 --gradient-mode surrogate --surrogate-steps 20
run apgd-sur10-46 --attack apgd-ce --iterations 46 --gradient-mode surrogate --surrogate-steps 10
run pgd-sur10ind-20 --attack pgd-eot --iterations 20 --gradient-mode surrogate --surrogate-steps 10 \
  --surrogate-noise independent
# Judged on the surrogate copies (--surrogate-evaluation checkpoints: a row costs 3 N_s, the defence only votes):
# 1/10 of the steps at equal iterations, and 1/5 and 1/10 at exact-20's model calls (100 and 200 iterations)
J="--gradient-mode surrogate --surrogate-evaluation checkpoints --surrogate-steps"
for a in pgd apgd; do
  attack=$([[ $a == pgd ]] && echo pgd-eot || echo apgd-ce)
  run $a-sur10j-20 --attack $attack --iterations 20 $J 10
  run $a-sur20j-100 --attack $attack --iterations 100 $J 20
  run $a-sur10j-200 --attack $attack --iterations 200 $J 10
done
python3 "$ROOT/tools/attack_budget_pairs.py" "$OUT" <<'PAIRS'
pgd-exact-5 pgd-exact-100
pgd-exact-10 pgd-exact-100
pgd-exact-20 pgd-exact-100
pgd-exact-50 pgd-exact-100
apgd-exact-5 apgd-exact-100
apgd-exact-10 apgd-exact-100
apgd-exact-20 apgd-exact-100
apgd-exact-50 apgd-exact-100
pgd-sur50-20 pgd-exact-20
pgd-sur20-20 pgd-exact-20
pgd-sur10-20 pgd-exact-20
pgd-sur50-24 pgd-exact-20
pgd-sur20-38 pgd-exact-20
pgd-sur10-46 pgd-exact-20
pgd-sur10ind-20 pgd-exact-20
pgd-sur10ind-20 pgd-sur10-20
apgd-sur50-20 apgd-exact-20
apgd-sur20-20 apgd-exact-20
apgd-sur10-20 apgd-exact-20
apgd-sur50-24 apgd-exact-20
apgd-sur20-38 apgd-exact-20
apgd-sur10-46 apgd-exact-20
pgd-sur10j-20 pgd-exact-20
pgd-sur10j-20 pgd-sur10-20
apgd-sur10j-20 apgd-exact-20
apgd-sur10j-20 apgd-sur10-20
pgd-sur20j-100 pgd-exact-20
pgd-sur10j-200 pgd-exact-20
apgd-sur20j-100 apgd-exact-20
apgd-sur10j-200 apgd-exact-20
pgd-sur20j-100 pgd-exact-100
apgd-sur20j-100 apgd-exact-100
PAIRS
