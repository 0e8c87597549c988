#!/usr/bin/env bash
# One-shot GPU check: the CUDA tests and the benchmark, results under $OUT (default: ./gpu-check-out).
# Installs nothing; run it where the project and its dependencies are already installed.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT="${OUT:-gpu-check-out}"
mkdir -p "$OUT"

{
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>&1
  python -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.get_device_name(0))"
} > "$OUT/machine.txt" 2>&1

# CUDA path of the engine (AMP, channels_last, no host sync inside a step, real out-of-memory)
timeout 240 python -m pytest -q -p no:cacheprovider tests/ddarts/search/test_cuda.py > "$OUT/cuda_tests.txt" 2>&1
echo "cuda tests exit $?" >> "$OUT/cuda_tests.txt"

# the engine issue's setting, then the paper's (8 cells, C = 16, batch 72)
# (every L_T mode, in both memory formats)
timeout 240 python -m ddarts.bench --device cuda --repeats 5 > "$OUT/bench_c8_b16.json" 2> "$OUT/bench_c8_b16.log"
timeout 300 python -m ddarts.bench --device cuda --init-channels 16 --batch-size 72 --repeats 5 \
  > "$OUT/bench_paper.json" 2> "$OUT/bench_paper.log"

# two processes on one GPU would share it; with 2+ GPUs, the NCCL path end to end
if [ "$(python -c 'import torch; print(torch.cuda.device_count())')" -ge 2 ]; then
  timeout 240 python -m torch.distributed.run --standalone --nproc_per_node 2 -m ddarts search --dataset digits \
    --cells 5 --init-channels 8 --batch-size 32 --epochs 2 --steps-per-epoch 5 --device cuda \
    --out "$OUT/torchrun-run" > "$OUT/torchrun.txt" 2>&1
  echo "torchrun exit $?" >> "$OUT/torchrun.txt"
fi
cat "$OUT"/*.txt "$OUT"/*.json
