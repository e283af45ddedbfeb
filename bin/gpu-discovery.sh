#!/usr/bin/env bash
# Spark GPU discovery script (spark.executor.resource.gpu.discoveryScript): prints the GPUs of this
# node as Spark's ResourceInformation JSON, {"name": "gpu", "addresses": ["0", "1", ...]}. Addresses
# are CUDA device indices as nvidia-smi lists them; a task's TaskContext.resources().get("gpu") gets
# one and diffpure runs its models on that device (gpu:N). Without nvidia-smi it reports no GPUs.
set -euo pipefail
if command -v nvidia-smi >/dev/null 2>&1; then
  ADDRS=$(nvidia-smi --query-gpu=index --format=csv,noheader | sed -e 's/ //g' -e 's/.*/"&"/' \
    | paste -sd, -)
else
  ADDRS=""
fi
echo "{\"name\": \"gpu\", \"addresses\": [${ADDRS}]}"
