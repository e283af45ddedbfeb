#!/usr/bin/env bash
# On a machine with a CUDA GPU: builds the CUDA variant, checks which libtorch and device were loaded, runs
# purification, every gradient mode and a small Spark evaluation on the GPU, checks GPU results against the
# CPU's, and prints the figures BENCHMARKS.md needs. About 5-10 minutes of GPU time. CI cannot run it.
#
#   tools/gpu-check.sh                      # libtorch from DIFFPURE_LIBTORCH, else from python3's torch 2.7.x
#   DIFFPURE_LIBTORCH=/opt/libtorch/lib tools/gpu-check.sh
#
# Needs: nvidia-smi, a CUDA libtorch 2.7.1 (cu128; a pip torch 2.7.1 install's torch/lib works), Java 17,
# Maven with the project's dependencies reachable. Output: target/gpu-check/*.log and one summary at the end.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OUT=target/gpu-check
mkdir -p "$OUT"
fail=0
step() { # step NAME COMMAND...: runs, logs, remembers a failure, goes on
  local name=$1; shift
  echo "== $name: $*"
  local t0=$SECONDS
  if "$@" >"$OUT/$name.log" 2>&1; then
    echo "   ok ($((SECONDS - t0)) s)"
  else
    echo "   FAILED ($((SECONDS - t0)) s), see $OUT/$name.log"; tail -5 "$OUT/$name.log" | sed 's/^/   | /'
    fail=1
  fi
}

command -v nvidia-smi >/dev/null || { echo "no nvidia-smi: this script needs a CUDA GPU" >&2; exit 2; }
nvidia-smi --query-gpu=index,name,driver_version,memory.total --format=csv,noheader | tee "$OUT/gpus.txt"

LIB=${DIFFPURE_LIBTORCH:-}
if [[ -z $LIB ]]; then
  LIB=$(python3 -c 'import torch, os; assert torch.__version__.startswith("2.7"), torch.__version__; print(os.path.join(os.path.dirname(torch.__file__), "lib"))' 2>/dev/null) || {
    echo "set DIFFPURE_LIBTORCH to a CUDA libtorch 2.7.1 lib directory (no python3 torch 2.7.x found)" >&2; exit 2; }
fi
[[ -e $LIB/libtorch.so ]] || { echo "$LIB has no libtorch.so" >&2; exit 2; }
export PYTORCH_LIBRARY_PATH=$LIB PYTORCH_VERSION=2.7.1 PYTORCH_FLAVOR=${PYTORCH_FLAVOR:-cu128} DJL_OFFLINE=true
# cuBLAS picks reproducible reduction orders only with a fixed workspace (PyTorch's reproducibility notes)
export CUBLAS_WORKSPACE_CONFIG=${CUBLAS_WORKSPACE_CONFIG:-:4096:8}
export DIFFPURE_CUDA=1
echo "libtorch: $LIB (flavour $PYTORCH_FLAVOR)"

# Build the CUDA variant once (bin/diffpure rebuilds with -Pcuda when DIFFPURE_CUDA=1 and sources changed).
step build mvn -q -B -DskipTests -Pcuda install
D="bin/diffpure"
step engine $D purify --device gpu --n 64 --gradient-mode none --threads 1
grep -m1 "PyTorch engine" "$OUT/engine.log" || true
grep -q "GPUs [1-9]" "$OUT/engine.log" || { echo "   libtorch sees no GPU: is the CUDA libtorch loaded?"; fail=1; }
step parity $D bench device-parity --device gpu --reference-device cpu --n 16 --eot 2 --threads 1
step speed $D bench speed --device gpu --threads 1 --purify-images 512 --purify-batch 128 --gradient-images 32 --eot 4
step noise-cifar10 $D bench noise --shape 3,32,32 --rows 160 --step-ms 30
step noise-imagenet $D bench noise --shape 3,256,256 --rows 40 --step-ms 200
step evaluate $D evaluate conf/experiments/demo.conf --set runtime.device=gpu \
  --set run.output="$OUT/results" --set run.id="gpu-check-$(date -u +%Y%m%dT%H%M%S)"

echo "== figures"
grep -h "^JSON\|^{" "$OUT"/parity.log "$OUT"/speed.log "$OUT"/noise-*.log 2>/dev/null
grep -h -A12 "^accuracy over" "$OUT/evaluate.log" 2>/dev/null
if [[ $fail == 0 ]]; then echo "gpu-check: all steps passed"; else echo "gpu-check: some steps FAILED"; fi
exit $fail
