#!/usr/bin/env bash
# Attack-loop throughput against its ceiling and against the reference, back to back in one window (issue 14,
# BENCHMARKS.md "Attack loop: where the time goes"): the reference's PGD-EOT, then ours: per-call times of a chain
# step and a step VJP at the attack's rows per call (each mode's ceiling), `bench speed`'s gradient rate at the same
# rows, PGD-EOT and APGD-CE with a flight-recorder breakdown of the first batch, and the reference again. Run on a
# quiet machine (nothing else on the cores); needs python3-torch, the torchsde sources
# (google-research/torchsde, unpacked to /tmp/torchsde) and the reference harness scripts (ref_diffpure.py).
#   tools/bench_attack_loop.sh [REFERENCE_DIR] [TORCHSDE_DIR]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REF="${1:-$ROOT/../shared/reference}"
TORCHSDE="${2:-/tmp/torchsde}"
THREADS="${THREADS:-2}"
IMAGES="${IMAGES:-16}"     # one batch: IMAGES x EOT rows per model call
EOT="${EOT:-4}"
ITERATIONS="${ITERATIONS:-4}"
MODE="${MODE:-exact}"
cd "$ROOT"
reference() {
  echo "== reference PGD-EOT: $IMAGES images, $ITERATIONS iterations, EOT $EOT ($(date -u +%H:%M:%S))"
  PYTHONPATH="$REF/pyshim:$TORCHSDE" /usr/bin/python3 "$REF/ref_diffpure.py" models/demo --mode attack \
    --attack_n "$IMAGES" --steps "$ITERATIONS" --eot "$EOT" --eps 0.1 --threads "$THREADS" \
    --data models/demo/data 2>/dev/null | tail -1
}
reference
echo "== per-call times and ceilings at $((IMAGES * EOT)) rows ($(date -u +%H:%M:%S))"
bin/diffpure bench step-rows --rows "$((IMAGES * EOT))" --rounds 3 --threads "$THREADS" 2>&1 | grep -v -e WARNING -e '^JSON'
echo "== bench speed, $MODE, $IMAGES images x EOT $EOT in one call ($(date -u +%H:%M:%S))"
bin/diffpure bench speed --purify-images 64 --purify-batch 64 --gradient-images "$IMAGES" --eot "$EOT" \
  --modes "$MODE,$MODE" --purifiers vp-sde --threads "$THREADS" 2>&1 | grep -E '^(purify|gradient)'
for attack in pgd-eot apgd-ce; do
  echo "== diffpure-spark $attack, $MODE: $IMAGES images in one batch, $ITERATIONS iterations, EOT $EOT ($(date -u +%H:%M:%S))"
  bin/diffpure attack --attack "$attack" --defended --gradient-mode "$MODE" --epsilon 0.1 \
    --iterations "$ITERATIONS" --eot "$EOT" --n "$IMAGES" --batch "$IMAGES" --threads "$THREADS" --profile 2>&1 \
    | grep -v -e WARNING -e '^progress' -e 'accuracy'
done
reference
echo "== done ($(date -u +%H:%M:%S))"
