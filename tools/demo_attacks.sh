#!/usr/bin/env bash
# The attacks of 2023-2026 against APGD on the defended demo models (BENCHMARKS.md, "Attacks of 2023-2026", the
# demo comparison): t* = 0.1 at dt 2e-3 (a 50-step chain), N samples (default 64), Linf 8/255, exact gradients,
# every run given about the model step-rows of APGD-CE's 10 iterations x EOT 4 (10 x 4 rows of 3 x 50):
#   group diffattack: DiffAttack (APGD-CE then APGD-DLR, 5 iterations each, EOT 4) at lambda = 0 (`rand` bit for
#     bit: the APGD it is paired against), 0.1, 1 and 10; the term costs no model call;
#   group hammer-lf: APGD-CE 10 iterations x EOT 4; DiffHammer (N = 10 copies, 3 restarts CW/CE/DLR of 5 iterations,
#     restarts 2 and 3 on the unbroken samples only) grafted over a 10-step grid with both grafting variants; LF
#     (N = 4 copies, the success-fraction early stop, 8 Adam steps of 4 rows and 4 fresh votes) inside the same Linf
#     ball, its bound measured by the pixel Linf distance exported as a perceptual model, as in tools/attack_lf.sh.
# One CSV row per sample in OUT; a run whose CSV exists is skipped, so an interrupted sweep resumes, and the two
# groups may run at once (one thread each on two cores). The paired analysis runs when every CSV is there.
# Usage: tools/demo_attacks.sh OUT [N] [THREADS] [GROUP: diffattack | hammer-lf | all]
set -euo pipefail
OUT=${1:?usage: tools/demo_attacks.sh OUT [N] [THREADS] [GROUP]}
N=${2:-64}
THREADS=${3:-2}
GROUP=${4:-all}
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mkdir -p "$OUT"
source "$ROOT/tools/attack_run.sh"
run() { demo_run "$@"; }
if [[ $GROUP == diffattack || $GROUP == all ]]; then
  for lambda in 0 1 10 0.1; do  # the main pair first
    run diffattack-l$lambda-5 --attack diffattack --deviation-weight "$lambda" --iterations 5 --eot 4
  done
fi
if [[ $GROUP == hammer-lf || $GROUP == all ]]; then
  run apgd-ce-10 --attack apgd-ce --iterations 10 --eot 4
  dh=(--attack diffhammer --eot 1 --iterations 5 --gradient-mode surrogate --surrogate-steps 10)
  run dh-sur10-coarse "${dh[@]}" --grafting coarse
  # the export writes the .pt, then its manifest: a .pt without one is exported again
  [[ -f $OUT/pixel-linf.json ]] || /usr/bin/python3 "$ROOT/tools/export_model.py" pixel-distance --norm linf \
    --shape 1,28,28 --out "$OUT/pixel-linf.pt" > "$OUT/pixel-linf.log"
  run lf-fraction-8 --attack lf --norm lpips --perceptual "$OUT/pixel-linf.pt" --eot 4 --iterations 8 \
    --early-stop success-fraction
  run dh-sur10-authors "${dh[@]}" --grafting authors
fi
PAIRS="diffattack-l0.1-5 diffattack-l0-5
diffattack-l1-5 diffattack-l0-5
diffattack-l10-5 diffattack-l0-5
dh-sur10-coarse apgd-ce-10
dh-sur10-authors apgd-ce-10
dh-sur10-authors dh-sur10-coarse
lf-fraction-8 apgd-ce-10"
for name in $PAIRS; do [[ -f $OUT/$name.csv ]] || exit 0; done  # every run of the pairs is there
N_D=50 python3 "$ROOT/tools/attack_budget_pairs.py" "$OUT" <<< "$PAIRS"
