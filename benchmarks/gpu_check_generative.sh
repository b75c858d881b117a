#!/usr/bin/env bash
# The prepared GPU-machine run for the generative core: CUDA tests (AMP fp16 / bf16 for DANN, source-only
# and the adversarial methods pix2pix, CycleGAN, ADDA; cuDNN) and translation training throughput.
#   bash benchmarks/gpu_check_generative.sh OUTDIR
# Expects python3 with torch/lightning/torchmetrics; pure-Python wheels in .whl/ are installed if present.
set -uo pipefail
OUT=${1:-bench_results}
mkdir -p "$OUT"
if ls .whl/*.whl >/dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site
fi
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1 WANDB_MODE=offline BENCH_DIR=$OUT
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$OUT/gpu.txt"
python3 -c "import sys, torch, lightning; print(sys.version.split()[0], 'torch', torch.__version__, 'cuda', torch.version.cuda, 'cudnn', torch.backends.cudnn.version(), 'lightning', lightning.__version__)" | tee -a "$OUT/gpu.txt"
python3 -m pytest tests/test_cuda.py -q -p no:cacheprovider -x 2>&1 | tail -15 | tee "$OUT/cuda_tests.txt"
python3 benchmarks/throughput_translation.py --device cuda --precision 32-true bf16-mixed 16-mixed --steps ${TSTEPS:-200} 2>&1 | grep -E "^\||Error" | tee "$OUT/throughput_translation.txt"
