#!/usr/bin/env bash
# The DualGAN / DiscoGAN figures of docs/translation_more.md: a MNIST judge, the identity ("no translation")
# baseline, and each method trained on USPS (A) <-> MNIST (B) then tested on the held-out digits (label
# preservation of USPS -> MNIST by the judge, FID/KID in the judge's features, cycle L1).
#   bash benchmarks/dual_disco_results.sh OUTDIR DATA_DIR     # DATA_DIR holds usps/ (usps.h5)
# SOURCE=uci: UCI (scikit-learn's 8x8 digits, upsampled) -> MNIST instead, no download and no DATA_DIR, and
# METHODS defaults to "dualgan discogan unit dtn": DualGAN / DiscoGAN on UnpairedDigits (32x32), UNIT (the
# paper's cycle terms on) and DTN on EmbeddedDigits (28x28, UCI labels for UNIT's class head and DTN's f).
#   SOURCE=uci bash benchmarks/dual_disco_results.sh OUTDIR
# PYTHON (default python3), METHODS, STEPS_DUALGAN / STEPS_DISCOGAN / STEPS_UNIT (training batches), EPOCHS_DTN
# (DTN: 3 pre-training epochs of f included), JUDGE (an existing judge checkpoint: skips its training) and EXTRA
# (more CLI flags) tune the run. Each run's log.txt ends with its wall time; OUT/summary.json gathers the
# identity lines and, for every run tested in OUT, its batches (global_step), epochs, wall times and test metrics.
set -uo pipefail
OUT=$(realpath -m "${1:-bench_results/dual_disco}")
SOURCE=${SOURCE:-usps}
mkdir -p "$OUT"
PY=${PYTHON:-python3}
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1 WANDB_MODE=offline
TLZOO="$PY -m tlzoo.cli"
E=$PWD/experiments
Q="--trainer.logger false --trainer.enable_progress_bar false --trainer.enable_model_summary false ${EXTRA:-}"
case $SOURCE in
  usps) DATA=$(realpath "${2:-data}"); PAIR="--data.usps_root $DATA/usps"; IDENTITY="--usps-root $DATA/usps"
        METHODS=${METHODS:-dualgan discogan} ;;
  uci) PAIR="--data.source uci"; IDENTITY=""; METHODS=${METHODS:-dualgan discogan unit dtn} ;;
  *) echo "SOURCE must be usps or uci, got $SOURCE" >&2; exit 2 ;;
esac
ckpt() { ls "$1"/runs/version_*/checkpoints/$2 | tail -1; }
run() {  # name, command...: runs in OUT/name, keeps the log, prints the test metrics
  local name=$1 start=$SECONDS; shift
  mkdir -p "$OUT/$name" && (cd "$OUT/$name" && "$@" > log.txt 2>&1; echo "exit $?" >> log.txt)
  echo "wall $((SECONDS - start)) s" >> "$OUT/$name/log.txt"
  grep -E "exit |wall |│ +(test|val)/" "$OUT/$name/log.txt" | sed "s/^/$name: /"
}
if [ -z "${JUDGE:-}" ]; then
  run judge $TLZOO fit -c $E/judges/judge_mnist.yaml $Q
  JUDGE=$(ckpt "$OUT/judge" "best-*.ckpt")
  run judge_test $TLZOO test -c $E/judges/judge_mnist.yaml --ckpt_path "$JUDGE" $Q  # source_acc: held-out MNIST
fi
echo "judge: $JUDGE"
$PY benchmarks/translation_identity.py --judge "$JUDGE" --source $SOURCE $IDENTITY 2>/dev/null | grep "^|" \
  | tee "$OUT/identity.txt"
if [[ " $METHODS " =~ " unit " || " $METHODS " =~ " dtn " ]]; then
  [ "$SOURCE" = uci ] || { echo "unit and dtn run here on the embedded digits only (SOURCE=uci)" >&2; exit 2; }
  $PY benchmarks/translation_identity.py --judge "$JUDGE" --source uci --data embedded 2>/dev/null | grep "^|" \
    | tee -a "$OUT/identity.txt"
fi
EVAL="--model.init_args.evaluation.judge_b $JUDGE --model.init_args.evaluation.fid true"
EMBEDDED="--data EmbeddedDigits --data.source uci"
for method in $METHODS; do
  case $method in
    dualgan|discogan) STEPS_VAR="STEPS_${method^^}"
      ARGS="-c $E/translation/${method}_usps_mnist.yaml $PAIR $EVAL"; LENGTH="--trainer.max_steps ${!STEPS_VAR:-600}" ;;
    unit) ARGS="-c $E/translation/unit_usps_mnist.yaml $EMBEDDED --data.batch_size 32 $EVAL \
            --model.init_args.lambda_cycle 100 --model.init_args.lambda_cycle_kl 0.1"
      LENGTH="--trainer.max_steps ${STEPS_UNIT:-500}" ;;
    dtn) ARGS="-c $E/translation/dtn_usps_mnist.yaml $EMBEDDED --data.batch_size 64 $EVAL \
            --model.init_args.pretrain_epochs 3 --model.init_args.generator_channels 32 \
            --model.init_args.discriminator_channels 32"
      LENGTH="--trainer.max_epochs ${EPOCHS_DTN:-12}" ;;
    *) echo "unknown method $method" >&2; exit 2 ;;
  esac
  # no validation during training; validating "every epoch" makes last.ckpt be written at each epoch end
  run $method $TLZOO fit $ARGS $LENGTH --trainer.limit_val_batches 0 --trainer.check_val_every_n_epoch 1 \
    --trainer.callbacks null $Q
  run ${method}_test $TLZOO test $ARGS --ckpt_path "$(ckpt "$OUT/$method" last.ckpt)" $Q
done
$PY - "$OUT" <<'EOF'
import json, pathlib, re, sys
out = pathlib.Path(sys.argv[1])
def wall(name): return int(re.findall(r"^wall (\d+) s", (out / name / "log.txt").read_text(), re.M)[-1])
runs = {}
for test in sorted(out.glob("*/runs/version_*/test_metrics.json")):  # tlzoo test writes it next to the ckpt
    name = test.parts[-4]
    fit = json.loads((test.parent / "fit_summary.json").read_text())
    runs[name] = {"global_step": fit["global_step"], "epochs": fit["epochs"], "fit_wall_s": wall(name),
                  "test_wall_s": wall(f"{name}_test"), "metrics": json.loads(test.read_text())["metrics"]}
identity = (out / "identity.txt").read_text().splitlines() if (out / "identity.txt").exists() else []
(out / "summary.json").write_text(json.dumps({"identity": identity, "runs": runs}, indent=2) + "\n")
EOF
