#!/usr/bin/env bash
# The translation measurements of docs/results.md: a MNIST judge, CycleGAN USPS -> MNIST (label
# preservation, FID/KID in the judge's features, cycle L1) and training on translated USPS, pix2pix
# MNIST-M -> MNIST against its L1-only ablation (L1, SSIM, PSNR, FID/KID, label preservation).
#   bash benchmarks/translation_results.sh OUTDIR DATA_DIR     # DATA_DIR holds usps/, mnist/, mnist_m_test/
# PYTHON (default python3), EPOCHS_CYCLEGAN / EPOCHS_PIX2PIX / EPOCHS_CLASSIFIER / EXTRA (e.g. "--trainer.accelerator gpu") tune the budget.
set -uo pipefail
OUT=$(realpath -m "${1:-bench_results/translation}")
DATA=$(realpath "${2:-data}")
mkdir -p "$OUT"
PY=${PYTHON:-python3}
case $PY in */*) PY="$(cd "$(dirname "$PY")" && pwd)/$(basename "$PY")" ;; esac  # absolute, venv kept
if [ -z "${PYTHON:-}" ] && ls .whl/*.whl >/dev/null 2>&1; then  # a machine without tlzoo installed
  for wheel in .whl/*.whl; do
    $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site "$wheel" \
      2>/dev/null || echo "skipped $wheel"
  done
  export PYTHONPATH=/tmp/site
fi
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1 WANDB_MODE=offline BENCH_DIR=$OUT
TLZOO="$PY -m tlzoo.cli"
E=$PWD/experiments
Q="--trainer.logger false --trainer.enable_progress_bar false --trainer.enable_model_summary false ${EXTRA:-}"
ckpt() { ls "$1"/runs/version_*/checkpoints/$2 | head -1; }
run() {  # name, command...: runs in OUT/name, keeps the log, prints the test metrics
  local name=$1; shift
  mkdir -p "$OUT/$name" && (cd "$OUT/$name" && "$@" > log.txt 2>&1; echo "exit $?" >> log.txt)
  grep -E "exit |│ +(test|val)/" "$OUT/$name/log.txt" | sed "s/^/$name: /"
}
run judge $TLZOO fit -c $E/judges/judge_mnist.yaml $Q
JUDGE=$(ckpt "$OUT/judge" "best-*.ckpt")
echo "judge: $JUDGE"
CYC="-c $E/translation/cyclegan_usps_mnist.yaml --data.usps_root $DATA/usps --model.init_args.evaluation.judge_b $JUDGE"
run cyclegan $TLZOO fit $CYC --trainer.max_epochs ${EPOCHS_CYCLEGAN:-10} $Q
run cyclegan_test $TLZOO test $CYC --ckpt_path "$(ckpt "$OUT/cyclegan" last.ckpt)" $Q
$PY benchmarks/translated_training.py --ckpt "$(ckpt "$OUT/cyclegan" last.ckpt)" --usps-root $DATA/usps \
  --epochs ${EPOCHS_CLASSIFIER:-10} --seeds 0 1 2 2>&1 | grep "^|"
for weight in 1 0; do
  P2P="-c $E/translation/pix2pix_mnistm.yaml --data.mnist_root $DATA/mnist --data.mnistm_root $DATA/mnist_m_test"
  P2P="$P2P --model.init_args.gan_weight $weight --model.init_args.evaluation.judge_b $JUDGE"
  run pix2pix_gan$weight $TLZOO fit $P2P --trainer.max_epochs ${EPOCHS_PIX2PIX:-10} $Q
  run pix2pix_gan${weight}_test $TLZOO test $P2P --ckpt_path "$(ckpt "$OUT/pix2pix_gan$weight" last.ckpt)" $Q
done
