#!/usr/bin/env bash
# The prepared GPU-machine run for the disentanglement recipes whose CPU budgets stop short: the CUDA tests of
# every method family (fp16 with gradient scaling, bf16), the DANN Lightning-vs-plain speed figure, then, all in
# parallel on the one GPU and each stopped by a wall-clock budget:
#   * InfoGAN, experiments/disentangle/infogan_mnist.yaml as shipped, 5 seeds, each tested on its last checkpoint;
#   * InfoGAN at 4x the YAML's epochs, 2 seeds;
#   * CDRD USPS <-> MNIST, experiments/disentangle/cdrd_usps_mnist.yaml far past its 60 epochs (and variants).
#   bash benchmarks/gpu_long_runs.sh OUTDIR [MAX_TIME] [PART]   # MAX_TIME as Lightning's DD:HH:MM:SS (00:00:05:00)
# PART: all (the above), or cdrd_authors: only CDRD runs with the two details of the authors' code
# (code_refresh epoch, generator_disentangle_weight 0.5), alone and together.
# Expects python3 with torch/lightning; extra wheels in .whl/ and the USPS / MNIST folders in .shared_data/.
# The runs log no W&B (--trainer.logger false: the GPU machine has no wandb); history.csv holds their curves.
# Curves and figures: OUTDIR/long_runs.md (benchmarks/run_curves.py); histories in OUTDIR/histories.tgz.
set -uo pipefail
OUT=$(realpath -m "${1:-bench_results}")
MAXT=${2:-00:00:05:00}
PART=${3:-all}
mkdir -p "$OUT"
if ls .whl/*.whl >/dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site
fi
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1 WANDB_MODE=offline BENCH_DIR=$OUT OMP_NUM_THREADS=1
RUNS=${RUNS:-/tmp/long_runs}
ACCEL=${ACCEL:-gpu}
mkdir -p "$RUNS"
DIGITS=(--data.usps_root "${SHARED:-.shared_data}/usps" --data.mnist_root "${SHARED:-.shared_data}/mnist")

if [ "$ACCEL" = gpu ] && [ "$PART" = all ]; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv | tee "$OUT/gpu.txt"
  python3 -c "import sys, torch, lightning; print(sys.version.split()[0], 'torch', torch.__version__, 'cuda', torch.version.cuda, 'cudnn', torch.backends.cudnn.version(), 'lightning', lightning.__version__)" | tee -a "$OUT/gpu.txt"
  for prec in 32-true bf16-mixed; do  # measured alone, before the parallel runs start
    python3 benchmarks/throughput_dann.py --device cuda --precision $prec --steps 400 --warmup 50 2>/dev/null \
      | grep -E '^ |^\{|^\}' | tr -d '\n' | tee -a "$OUT/throughput_dann.txt"; echo | tee -a "$OUT/throughput_dann.txt"
  done
fi

fit() {  # fit NAME FLAGS...: one background run, its log beside its run folder
  local name=$1; shift
  python3 -m tlzoo fit "$@" --trainer.accelerator "$ACCEL" --trainer.default_root_dir "$RUNS/$name" \
    --trainer.enable_progress_bar false --trainer.logger false --trainer.max_time "$MAXT" > "$RUNS/$name.log" 2>&1 &
}
INFOGAN=experiments/disentangle/infogan_mnist.yaml
CDRD=experiments/disentangle/cdrd_usps_mnist.yaml
LONG=(--trainer.max_epochs 2000 --trainer.check_val_every_n_epoch 10)
if [ "$PART" = cdrd_authors ]; then
  EPOCH=(--model.init_args.code_refresh epoch)
  HALF=(--model.init_args.generator_disentangle_weight 0.5)
  fit cdrd_usps_mnist_epochcodes_s0 -c $CDRD --data.source usps "${DIGITS[@]}" "${LONG[@]}" "${EPOCH[@]}"
  fit cdrd_usps_mnist_halfg_s0 -c $CDRD --data.source usps "${DIGITS[@]}" "${LONG[@]}" "${HALF[@]}"
  for s in 0 1; do
    fit cdrd_usps_mnist_authors_s$s -c $CDRD --data.source usps "${DIGITS[@]}" "${LONG[@]}" "${EPOCH[@]}" "${HALF[@]}" \
      --seed_everything $s
  done
  fit cdrd_mnist_usps_authors_s0 -c $CDRD --data.source mnist "${DIGITS[@]}" "${LONG[@]}" "${EPOCH[@]}" "${HALF[@]}"
  wait
  python3 benchmarks/run_curves.py "$RUNS" --json "$OUT/cdrd_authors.json" | tee "$OUT/long_runs.md"
  python3 benchmarks/run_curves.py "$RUNS" --metric val/source_acc | tee -a "$OUT/long_runs.md"
  tail -n 3 "$RUNS"/*.log > "$OUT/run_logs_tail.txt"
  exit 0
fi
for s in 0 1 2 3 4; do fit infogan_s$s -c $INFOGAN --seed_everything $s; done
for s in 0 1; do fit infogan_480ep_s$s -c $INFOGAN --seed_everything $s --trainer.max_epochs 480; done
for s in 0 1; do fit cdrd_usps_mnist_s$s -c $CDRD --data.source usps "${DIGITS[@]}" "${LONG[@]}" --seed_everything $s; done
fit cdrd_usps_mnist_lr2e-4_s0 -c $CDRD --data.source usps "${DIGITS[@]}" "${LONG[@]}" --model.init_args.optim.lr 2e-4
fit cdrd_usps_mnist_lr2e-5_s0 -c $CDRD --data.source usps "${DIGITS[@]}" "${LONG[@]}" --model.init_args.optim.lr 2e-5
fit cdrd_mnist_usps_s0 -c $CDRD --data.source mnist "${DIGITS[@]}" "${LONG[@]}"
fit ecdrd_usps_mnist_s0 -c $CDRD --data.source usps "${DIGITS[@]}" "${LONG[@]}" --model.init_args.encoders true

if [ "$ACCEL" = gpu ]; then  # the CUDA tests run beside the training runs (their speed is not measured)
  python3 -m pytest tests/test_cuda.py -q -n 4 -p no:cacheprovider 2>&1 | tail -25 | tee "$OUT/cuda_tests.txt"
fi
wait
for run in "$RUNS"/infogan_*/version_*/; do  # held-out clustering accuracy of each InfoGAN's last checkpoint
  [ -f "$run/checkpoints/last.ckpt" ] && python3 -m tlzoo test -c "$run/config.yaml" --ckpt_path "$run/checkpoints/last.ckpt" \
    --trainer.accelerator "$ACCEL" --trainer.enable_progress_bar false --trainer.logger false > "$run/test.log" 2>&1 &
done
wait
python3 benchmarks/run_curves.py "$RUNS" | tee "$OUT/long_runs.md"
tail -n 3 "$RUNS"/*.log > "$OUT/run_logs_tail.txt"
tar czf "$OUT/histories.tgz" -C "$RUNS" $(cd "$RUNS" && ls -d */version_*/history.csv */version_*/*_metrics.json */version_*/fit_summary.json 2>/dev/null)
