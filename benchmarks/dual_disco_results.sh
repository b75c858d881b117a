#!/usr/bin/env bash
# The DualGAN / DiscoGAN figures of docs/translation_more.md: a MNIST judge, the identity ("no translation")
# baseline, and each method trained on USPS (A) <-> MNIST (B) then tested on the held-out digits (label
# preservation of USPS -> MNIST by the judge, FID/KID in the judge's features, cycle L1).
#   bash benchmarks/dual_disco_results.sh OUTDIR DATA_DIR     # DATA_DIR holds usps/ (usps.h5)
# PYTHON (default python3), STEPS_DUALGAN / STEPS_DISCOGAN (training batches), JUDGE (an existing judge
# checkpoint: skips its training) and EXTRA (more CLI flags) tune the run.
set -uo pipefail
OUT=$(realpath -m "${1:-bench_results/dual_disco}")
DATA=$(realpath "${2:-data}")
mkdir -p "$OUT"
PY=${PYTHON:-python3}
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1 WANDB_MODE=offline
TLZOO="$PY -m tlzoo.cli"
E=$PWD/experiments
Q="--trainer.logger false --trainer.enable_progress_bar false --trainer.enable_model_summary false ${EXTRA:-}"
ckpt() { ls "$1"/runs/version_*/checkpoints/$2 | tail -1; }
run() {  # name, command...: runs in OUT/name, keeps the log, prints the test metrics
  local name=$1; shift
  mkdir -p "$OUT/$name" && (cd "$OUT/$name" && "$@" > log.txt 2>&1; echo "exit $?" >> log.txt)
  grep -E "exit |│ +(test|val)/" "$OUT/$name/log.txt" | sed "s/^/$name: /"
}
if [ -z "${JUDGE:-}" ]; then
  run judge $TLZOO fit -c $E/judges/judge_mnist.yaml $Q
  JUDGE=$(ckpt "$OUT/judge" "best-*.ckpt")
fi
echo "judge: $JUDGE"
$PY benchmarks/translation_identity.py --judge "$JUDGE" --source usps --usps-root "$DATA/usps" 2>/dev/null | grep "^|"
STEPS_DUALGAN=${STEPS_DUALGAN:-600} STEPS_DISCOGAN=${STEPS_DISCOGAN:-600}
for method in dualgan discogan; do
  STEPS_VAR="STEPS_${method^^}"
  ARGS="-c $E/translation/${method}_usps_mnist.yaml --data.usps_root $DATA/usps --model.init_args.evaluation.judge_b $JUDGE"
  run $method $TLZOO fit $ARGS --trainer.max_steps ${!STEPS_VAR} --trainer.limit_val_batches 0 \
    --trainer.callbacks null $Q
  run ${method}_test $TLZOO test $ARGS --ckpt_path "$(ckpt "$OUT/$method" last.ckpt)" $Q
done
