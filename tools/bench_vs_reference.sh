#!/usr/bin/env bash
# Speed against the reference DiffPure (torchsde sdeint_adjoint, Euler, dt 1e-3 -> 1e-5), back to back on the
# same models, images, grid, batch and thread count. Needs Debian's python3-torch and the torchsde sources
# (google-research/torchsde, unpacked to /tmp/torchsde) and the reference harness (ref_diffpure.py); run on a quiet machine, nothing else on the cores.
#   tools/bench_vs_reference.sh [REFERENCE_DIR] [TORCHSDE_DIR]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
REF="${1:-$ROOT/../shared/reference}"
TORCHSDE="${2:-/tmp/torchsde}"
THREADS="${THREADS:-2}"
cd "$ROOT"
echo "== reference: purification (512 images, batch 64) and PGD-EOT gradients (32 images x EOT 4, 1 step)"
PYTHONPATH="$REF/pyshim:$TORCHSDE" /usr/bin/python3 "$REF/ref_diffpure.py" models/demo --mode clean --n 512 \
  --bs 64 --threads "$THREADS" --data models/demo/data
PYTHONPATH="$REF/pyshim:$TORCHSDE" /usr/bin/python3 "$REF/ref_diffpure.py" models/demo --mode attack \
  --attack_n 32 --steps 1 --eot 4 --threads "$THREADS" --data models/demo/data
echo "== diffpure-spark: the same grid, 512 images in batches of 64, gradients for 8 images x EOT 4 = 32 rows"
bin/diffpure bench speed --threads "$THREADS" --purify-images 512 --purify-batch 64 --gradient-images 8 --eot 4 \
  --modes exact,checkpointed,adjoint,bpda
