"""``tlzoo report``: results tables and training curves from run folders, with no re-training.

A *run folder* is what ``tlzoo fit`` writes (``config.yaml``, ``checkpoints/``, ``fit_summary.json``,
``history.csv``) plus what ``tlzoo test`` adds (``test_metrics.json``). The report groups runs by method and
task (the data module and its domain arguments), and gives for each group the mean ± standard deviation over
runs (seeds) of the chosen metric, the per-run values, how the checkpoint was chosen, and the paper's figure
where :data:`PAPER_RESULTS` knows it. Written as ``report.md`` and ``report.csv`` (and ``curves.png``, the
selection metric against training batches, one line per run).

    tlzoo test -c runs/tlzoo/<id>/config.yaml --ckpt_path <best ckpt>     # once per run
    tlzoo report runs/ --metric test/target_acc --out report/
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from tlzoo.errors import TLZooError

#: Published figures (accuracy in %), keyed by (method class, task). Sources: DANN: Ganin et al., JMLR 2016,
#: Tables 2-3; ADDA: Tzeng et al., CVPR 2017, Table 2; Deep CORAL: Sun & Saenko, ECCV-W 2016, Table 1;
#: UNIT: Liu et al., NIPS 2017, Table 3; UFDN: Liu et al., NeurIPS 2018, Table 3; PixelDA: Bousmalis et al.,
#: CVPR 2017, Table 1; DTN: Taigman et al., ICLR 2017, Sec. 5.
PAPER_RESULTS: dict[tuple[str, str], float] = {
    ("DANN", "MNISTToMNISTM"): 76.66,
    ("DANN", "SVHNToMNIST"): 73.85,
    ("DANN", "Office31 amazon->webcam"): 73.0,
    ("DANN", "Office31 dslr->webcam"): 96.4,
    ("DANN", "Office31 webcam->dslr"): 99.2,
    ("ADDA", "USPSMNIST usps->mnist"): 90.1,
    ("ADDA", "USPSMNIST mnist->usps"): 89.4,
    ("ADDA", "SVHNToMNIST"): 76.0,
    ("DeepCORAL", "Office31 amazon->webcam"): 66.4,
    ("DeepCORAL", "Office31 dslr->webcam"): 95.7,
    ("DeepCORAL", "Office31 webcam->dslr"): 99.2,
    ("UNIT", "SVHNToMNIST"): 90.53,
    ("UNIT", "USPSMNIST usps->mnist"): 93.58,
    ("UNIT", "USPSMNIST mnist->usps"): 95.97,
    ("UFDN", "USPSMNIST usps->mnist"): 93.8,
    ("UFDN", "USPSMNIST mnist->usps"): 97.1,
    ("UFDN", "SVHNToMNIST"): 95.0,
    ("PixelDA", "MNISTToMNISTM"): 98.2,
    ("DTN", "SVHNToMNIST"): 84.4,
}

#: Data-module arguments that name the task (beside the class).
TASK_ARGS = ("source", "target", "dataset", "direction")


@dataclass
class Run:
    """One run folder, as the report reads it."""

    folder: Path
    method: str
    task: str
    seed: int | None
    selection: str
    metrics: dict[str, float] = field(default_factory=dict)


def _short(class_path: Any) -> str:
    return str(class_path or "?").rpartition(".")[2]


def task_name(data: dict[str, Any], protocol: str = "") -> str:
    """``<DataModule>[ <source>-><target>]`` from a config's ``data`` section (and the run's data protocol line,
    for modules whose target follows from the source)."""
    init = data.get("init_args") or {}
    name = _short(data.get("class_path"))
    if init.get("source") and init.get("target"):
        return f"{name} {init['source']}->{init['target']}"
    if init.get("source"):
        direction = protocol.split(";")[0].split()[0] if "->" in protocol.split(";")[0] else ""
        return f"{name} {direction or init['source'] + '->?'}"
    if init.get("dataset"):
        return f"{name} {init['dataset']}"
    return name


def read_run(folder: Path) -> Run | None:
    """The run in ``folder`` (``None`` if it is not a ``tlzoo fit`` run folder)."""
    config_file = folder / "config.yaml"
    if not config_file.is_file():
        return None
    config = yaml.safe_load(config_file.read_text()) or {}
    summary_file = folder / "fit_summary.json"
    summary = json.loads(summary_file.read_text()) if summary_file.is_file() else {}
    metrics = {f"fit:{k}": v for k, v in (summary.get("last") or {}).items()}
    best = summary.get("best") or {}
    if best:
        metrics[f"best:{best['metric']}"] = best["value"]
    selection = f"best {best['metric']} ({best['mode']})" if best else "last epoch"
    for stage in ("validate", "test"):
        path = folder / f"{stage}_metrics.json"
        if path.is_file():
            record = json.loads(path.read_text())
            metrics.update(record.get("metrics") or {})
            chosen = Path(str(record.get("ckpt_path", ""))).name
            if stage == "test" and chosen:
                selection = f"{selection}; tested {chosen}"
    seed = config.get("seed_everything")
    protocol = (folder / "protocol.txt").read_text().strip() if (folder / "protocol.txt").is_file() else ""
    return Run(folder, _short((config.get("model") or {}).get("class_path")),
               task_name(config.get("data") or {}, protocol),
               seed if isinstance(seed, int) else None, selection, metrics)


def find_runs(roots: list[Path]) -> list[Run]:
    runs = []
    for root in roots:
        if not root.exists():
            raise TLZooError(f"no such folder: {root} (pass the folders that hold tlzoo run folders, e.g. runs/)")
        for config in sorted(root.rglob("config.yaml")):
            run = read_run(config.parent)
            if run is not None:
                runs.append(run)
    return runs


def table(runs: list[Run], metric: str, scale: float) -> list[dict[str, Any]]:
    """One row per (method, task): n, mean, std, the per-run values, the paper's figure, how runs were selected."""
    groups: dict[tuple[str, str], list[Run]] = {}
    for run in runs:
        if metric in run.metrics:
            groups.setdefault((run.method, run.task), []).append(run)
    rows = []
    for (method, task), members in sorted(groups.items()):
        values = [scale * r.metrics[metric] for r in members]
        paper = PAPER_RESULTS.get((method, task)) or PAPER_RESULTS.get((method, task.split(" ")[0]))
        rows.append({
            "method": method, "task": task, "n": len(values), "mean": statistics.fmean(values),
            "std": statistics.stdev(values) if len(values) > 1 else 0.0,
            "values": [round(v, 2) for v in values], "seeds": [r.seed for r in members],
            "paper": paper, "selection": "; ".join(sorted({r.selection for r in members})),
        })
    return rows


def write_markdown(rows: list[dict[str, Any]], metric: str, path: Path) -> None:
    lines = [f"| method | task | {metric} (mean ± std) | runs (seeds) | paper | checkpoint |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        per_run = ", ".join(f"{v:.2f}" for v in r["values"])
        seeds = ", ".join(str(s) for s in r["seeds"])
        paper = f"{r['paper']:.2f}" if r["paper"] is not None else "–"
        lines.append(f"| {r['method']} | {r['task']} | {r['mean']:.2f} ± {r['std']:.2f} | {per_run} ({seeds}) | "
                     f"{paper} | {r['selection']} |")
    path.write_text("\n".join(lines) + "\n")


def write_csv(rows: list[dict[str, Any]], path: Path) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["method", "task", "n", "mean", "std", "values", "seeds", "paper", "selection"])
        for r in rows:
            writer.writerow([r["method"], r["task"], r["n"], f"{r['mean']:.4f}", f"{r['std']:.4f}",
                             " ".join(map(str, r["values"])), " ".join(map(str, r["seeds"])),
                             "" if r["paper"] is None else r["paper"], r["selection"]])


def plot_curves(runs: list[Run], metric: str, path: Path) -> bool:
    """``metric`` against training batches from each run's ``history.csv``; False when no run has it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from tlzoo.callbacks.history import read_history

    fig, ax = plt.subplots(figsize=(7, 4))
    drawn = 0
    for run in runs:
        points = [(int(row["step"]), float(row[metric])) for row in read_history(run.folder / "history.csv")
                  if row.get(metric) not in (None, "")]
        if points:
            steps, values = zip(*points)
            ax.plot(steps, values, label=f"{run.method} {run.task} seed {run.seed}", linewidth=1)
            drawn += 1
    if drawn:
        ax.set_xlabel("training batches")
        ax.set_ylabel(metric)
        ax.legend(fontsize=6)
        fig.tight_layout()
        fig.savefig(path, dpi=120)
    plt.close(fig)
    return drawn > 0


def main(argv: list[str]) -> int:
    """Entry point of ``tlzoo report``; returns the exit code."""
    parser = argparse.ArgumentParser(prog="tlzoo report", description=__doc__.split("\n\n")[0])
    parser.add_argument("roots", nargs="+", type=Path, help="folders holding run folders (searched recursively)")
    parser.add_argument("--metric", default="test/target_acc",
                        help="metric to tabulate: one `tlzoo test` wrote (test/...), a fit's last value "
                             "(fit:val/...) or its best selection value (best:val/...)")
    parser.add_argument("--curve", default=None, help="metric of history.csv to plot (default: each run's "
                                                      "selection metric, else val/ of --metric)")
    parser.add_argument("--percent", action=argparse.BooleanOptionalAction, default=True,
                        help="show accuracies (values in [0, 1]) in percent")
    parser.add_argument("--out", type=Path, default=Path("report"), help="output folder (default report/)")
    args = parser.parse_args(argv)
    try:
        runs = find_runs(args.roots)
        if not runs:
            where = ", ".join(map(str, args.roots))
            raise TLZooError(f"no run folders (config.yaml written by tlzoo fit) under {where}")
        values = [r.metrics[args.metric] for r in runs if args.metric in r.metrics]
        if not values:
            known = sorted({k for r in runs for k in r.metrics})
            raise TLZooError(f"no run has {args.metric!r}; the runs have {known[:20]} (run `tlzoo test` on a run "
                             f"to get test/ metrics)")
    except TLZooError as err:
        print(f"tlzoo report: error: {err}", file=sys.stderr)
        return 2
    scale = 100.0 if args.percent and all(0.0 <= v <= 1.0 for v in values) else 1.0
    rows = table(runs, args.metric, scale)
    args.out.mkdir(parents=True, exist_ok=True)
    write_markdown(rows, args.metric, args.out / "report.md")
    write_csv(rows, args.out / "report.csv")
    print((args.out / "report.md").read_text())
    curve = args.curve or args.metric.split(":")[-1].replace("test/", "val/")
    drawn = plot_curves(runs, curve, args.out / "curves.png")
    print(f"written: {args.out / 'report.md'}, {args.out / 'report.csv'}"
          + (f", {args.out / 'curves.png'} ({curve})" if drawn else f" (no run logged {curve} for a curve)"),
          file=sys.stderr)
    return 0
