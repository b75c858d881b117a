#!/usr/bin/env bash
# One prepared run on a GPU machine (see README "GPU check"): CUDA tests (AMP fp16 / bf16, cuDNN),
# throughput of Lightning vs plain PyTorch on the GPU, and the 3-seed digits accuracy benchmark.
# Usage on the GPU machine, from the repo root:  bash benchmarks/gpu_check.sh OUTDIR
set -uo pipefail
OUT=${1:-bench_results}
mkdir -p "$OUT"
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1 WANDB_MODE=offline BENCH_DIR=$OUT
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$OUT/gpu.txt"
python3 -c "import torch, lightning; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'cudnn', torch.backends.cudnn.version(), 'lightning', lightning.__version__)" | tee -a "$OUT/gpu.txt"
python3 -m pytest tests/test_cuda.py -q -p no:cacheprovider 2>&1 | tail -5 | tee "$OUT/cuda_tests.txt"
for prec in 32-true bf16-mixed; do
  python3 benchmarks/throughput_dann.py --device cuda --precision $prec --steps 400 --warmup 50 --batch-size 64 2>&1 | grep -E "steps_per_s|ratio|saved" -A3 | tail -12
done
python3 benchmarks/throughput_dann.py --device cpu --steps 200 --warmup 20 2>&1 | grep -E "ratio|saved"
