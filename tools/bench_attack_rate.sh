#!/usr/bin/env bash
# Attack input-gradient rate on the defended demo model (dt 1e-3, 100 steps, EOT 4): the reference's PGD-EOT
# (ref_diffpure.py, torchsde sdeint_adjoint, EOT as a loop) against the project's PGD-EOT and APGD-CE per gradient
# mode, back to back on the same images, eps and threads. One gradient = one image x one EOT copy x the full
# forward and backward. Needs python3-torch and the torchsde sources (google-research/torchsde, unpacked to
# /tmp/torchsde); run on a quiet machine, nothing else on the cores.
#   tools/bench_attack_rate.sh [REFERENCE_DIR] [TORCHSDE_DIR]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REF="${1:-$ROOT/../shared/reference}"
TORCHSDE="${2:-/tmp/torchsde}"
THREADS="${THREADS:-2}"
IMAGES="${IMAGES:-16}"
MODES="${MODES:-exact checkpointed adjoint bpda}"
cd "$ROOT"
echo "== reference PGD-EOT: $IMAGES images, 2 iterations, EOT 4"
PYTHONPATH="$REF/pyshim:$TORCHSDE" /usr/bin/python3 "$REF/ref_diffpure.py" models/demo --mode attack \
  --attack_n "$IMAGES" --steps 2 --eot 4 --eps 0.1 --threads "$THREADS" --data models/demo/data
for attack in pgd-eot apgd-ce; do
  for mode in $MODES; do
    echo "== diffpure-spark $attack, gradient mode $mode: $IMAGES images in one batch, 2 iterations, EOT 4"
    bin/diffpure attack --attack "$attack" --defended --gradient-mode "$mode" --epsilon 0.1 --iterations 2 \
      --eot 4 --n "$IMAGES" --batch "$IMAGES" --threads "$THREADS" 2>&1 | grep -E "input gradients|robust accuracy"
  done
done
