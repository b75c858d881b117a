#!/usr/bin/env bash
# Target accuracy of the cross-domain disentanglers (UFDN, CDRD, E-CDRD) beside DANN, USPS -> MNIST (ADDA protocol,
# MNIST t10k as the target test set) or UCI digits -> MNIST (embedded), one seed, CPU, metrics in CSV files.
#   bash benchmarks/disentangle_uda.sh OUT DATA usps|digits "ufdn cdrd dann" [extra tlzoo flags...]
# DATA holds usps/usps.h5 and mnist/t10k-*.gz (e.g. ../shared/data). Each run: OUT/<task>_<method>/ with
# metrics.csv (val/... every few epochs) and test.txt (tlzoo test of the last checkpoint).
set -uo pipefail
OUT=$(realpath -m "${1:?OUT}"); DATA=$(realpath "${2:?DATA}"); TASK=${3:-usps}; METHODS=${4:-"ufdn cdrd"}
shift 4 || true
REPO=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$OUT"
for m in $METHODS; do
  case $m in
    dann) cfg=$REPO/experiments/dann_${TASK/usps/usps_mnist}.yaml ;;
    ecdrd) cfg=$REPO/experiments/disentangle/cdrd_${TASK/usps/usps_mnist}.yaml ;;
    *) cfg=$REPO/experiments/disentangle/${m}_${TASK/usps/usps_mnist}.yaml ;;
  esac
  flags=("$@")
  [ "$m" = ecdrd ] && flags+=(--model.init_args.encoders true)
  data=()
  [ "$TASK" = usps ] && data=(--data.init_args.source usps --data.init_args.usps_root "$DATA/usps" --data.init_args.mnist_root "$DATA/mnist")
  run=$OUT/${TASK}_$m; mkdir -p "$run"; cd "$run" || exit 1
  "$REPO/.venv/bin/tlzoo" fit -c "$cfg" "${data[@]}" --trainer.logger lightning.pytorch.loggers.CSVLogger \
    --trainer.logger.save_dir "$run" --trainer.enable_progress_bar false "${flags[@]}" > "$run/fit.log" 2>&1
  # the checkpoint the run selected (best source validation accuracy; the last one when nothing is monitored)
  ckpt=$(ls "$run"/*/checkpoints/best-*.ckpt "$run"/*/checkpoints/last.ckpt 2>/dev/null | head -1)
  "$REPO/.venv/bin/tlzoo" test -c "$cfg" "${data[@]}" --trainer.logger false --ckpt_path "$ckpt" "${flags[@]}" > "$run/test.txt" 2>&1
  grep -E "test/(source|target)_acc" "$run/test.txt" | sed "s|^|$TASK $m |"
done
