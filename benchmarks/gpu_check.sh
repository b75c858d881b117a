#!/usr/bin/env bash
# The prepared GPU-machine run: CUDA tests (AMP fp16 / bf16, cuDNN), Lightning-vs-plain throughput on
# the GPU (and on its CPU), and the 3-seed accuracy table of every digits experiment.
#   bash benchmarks/gpu_check.sh OUTDIR [digits|usps|all]
# Expects python3 with torch/lightning; extra wheels in .whl/ and shared data in .shared_data/ if present.
set -uo pipefail
OUT=${1:-bench_results}
PART=${2:-all}
mkdir -p "$OUT"
if ls .whl/*.whl >/dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site
fi
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1 WANDB_MODE=offline BENCH_DIR=$OUT
[ -d .shared_data ] && export TLZOO_DATA=$PWD/.shared_data
JOBS=${JOBS:-12}
SEEDS=${SEEDS:-0 1 2}
EPOCHS_FLAG=${EPOCHS:+--trainer.max_epochs $EPOCHS}
if [ "$PART" = digits ] || [ "$PART" = all ]; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$OUT/gpu.txt"
  python3 -c "import torch, lightning; print('torch', torch.__version__, 'cuda', torch.version.cuda, 'cudnn', torch.backends.cudnn.version(), 'lightning', lightning.__version__)" | tee -a "$OUT/gpu.txt"
  python3 -m pytest tests/test_cuda.py -q -p no:cacheprovider 2>&1 | tail -3 | tee "$OUT/cuda_tests.txt"
  for prec in 32-true bf16-mixed; do
    python3 benchmarks/throughput_dann.py --device cuda --precision $prec --steps ${TSTEPS:-400} --warmup 50 2>/dev/null | grep -E '^ |^\{|^\}' | tr -d '\n'; echo
  done
  python3 benchmarks/throughput_dann.py --device cpu --steps ${TSTEPS:-200} --warmup 20 --repeats 2 2>/dev/null | grep -E '^ |^\{|^\}' | tr -d '\n'; echo
  python3 benchmarks/accuracy_table.py --tag digits --jobs $JOBS --seeds $SEEDS --extra "$EPOCHS_FLAG" \
    --configs experiments/*_digits.yaml 2>&1 | grep -E "^\||saved|Error"
fi
if [ "$PART" = usps ] || [ "$PART" = all ]; then
  python3 benchmarks/accuracy_table.py --tag usps_to_mnist --jobs $JOBS --seeds $SEEDS \
    --extra "--data.init_args.source usps --data.init_args.usps_root .shared_data/usps --data.init_args.mnist_root .shared_data/mnist --trainer.check_val_every_n_epoch 20 $EPOCHS_FLAG" \
    --configs experiments/*_usps_mnist.yaml 2>&1 | grep -E "^\||saved|Error"
fi
