"""Summarise a folder of tlzoo runs as a markdown table: how far each trained, its validation curve, and the
figures each selection rule gives (best, last, source-selected; the held-out test figure where ``tlzoo test`` ran).

    python benchmarks/run_curves.py RUNS_DIR [--metric val/target_acc] [--points 8] [--json curves.json]

Each run is a folder holding ``history.csv`` anywhere under ``RUNS_DIR/<name>/``, as ``--trainer.default_root_dir
RUNS_DIR/<name>`` leaves it (``tlzoo/<id>/`` with the W&B logger, ``version_<N>/`` without a logger). The metric is
the first of ``val/target_acc`` (adaptation) and ``val/cluster_acc`` (InfoGAN) that a run logs, unless
``--metric`` names one.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

CANDIDATES = ("val/target_acc", "val/cluster_acc")
TEST_OF = {"val/target_acc": "test/target_acc", "val/cluster_acc": "test/cluster_acc"}


def validation_rows(history: Path) -> list[dict[str, str]]:
    """The rows of ``history.csv`` that carry validation figures, in order."""
    with history.open() as f:
        return [row for row in csv.DictReader(f) if any(row.get(k) for k in CANDIDATES)]


def curves(run: Path) -> dict[str, object]:
    """Every validation column of the run as ``[[epoch, value], ...]``, and its test figures if any."""
    rows = validation_rows(run / "history.csv")
    columns = sorted({k for r in rows for k, v in r.items() if k.startswith("val/") and v})
    out: dict[str, object] = {k: [[int(r["epoch"]), float(r[k])] for r in rows if r.get(k)] for k in columns}
    if (run / "test_metrics.json").is_file():
        out["test"] = json.loads((run / "test_metrics.json").read_text())["metrics"]
    return out


def summarise(run: Path, root: Path, metric: str | None, points: int) -> dict[str, str]:
    """One table row for the run folder ``run`` (holding ``history.csv``), named after its first folder under
    ``root``."""
    rows = validation_rows(run / "history.csv")
    with (run / "history.csv").open() as f:
        last_row = list(csv.DictReader(f))[-1]
    name = run.relative_to(root).parts[0]
    if not rows:
        return {"run": name, "epochs": str(int(last_row["epoch"]) + 1), "steps": last_row["step"],
                "curve": "no validation"}
    key = metric or next(k for k in CANDIDATES if rows[0].get(k))
    values = [(int(r["epoch"]), float(r[key])) for r in rows if r.get(key)]
    if not values:
        return {"run": name, "epochs": str(int(last_row["epoch"]) + 1), "steps": last_row["step"],
                "curve": f"no {key}"}
    best_epoch, best = max(values, key=lambda v: v[1])
    stride = max(1, len(values) // points)
    curve = ", ".join(f"{e}: {100 * v:.1f}" for e, v in values[::stride])
    out = {"run": name, "metric": key, "epochs": str(int(last_row["epoch"]) + 1), "steps": last_row["step"],
           "best": f"{100 * best:.1f} (ep {best_epoch})", "last": f"{100 * values[-1][1]:.1f}", "curve": curve}
    if rows[0].get("val/source_acc"):
        chosen = max(rows, key=lambda r: float(r["val/source_acc"]) if r.get("val/source_acc") else -1.0)
        out["source-selected"] = f"{100 * float(chosen[key]):.1f} (ep {chosen['epoch']})"
    test = run / "test_metrics.json"
    if test.is_file():
        figure = json.loads(test.read_text())["metrics"].get(TEST_OF.get(key, ""))
        if figure is not None:
            out["test (last ckpt)"] = f"{100 * figure:.1f}"
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("runs", type=Path)
    p.add_argument("--metric", default=None, help="validation column to report (default: the first logged of "
                   + ", ".join(CANDIDATES) + ")")
    p.add_argument("--points", type=int, default=8, help="how many points of each curve to print")
    p.add_argument("--json", type=Path, default=None, help="also write every run's whole validation curves here")
    args = p.parse_args()
    if args.json is not None:
        args.json.write_text(json.dumps({h.parent.relative_to(args.runs).parts[0]: curves(h.parent)
                                         for h in sorted(args.runs.rglob("history.csv"))}, indent=1) + "\n")
    table = [summarise(h.parent, args.runs, args.metric, args.points) for h in sorted(args.runs.rglob("history.csv"))]
    columns = ["run", "metric", "epochs", "steps", "best", "last", "source-selected", "test (last ckpt)", "curve"]
    print("| " + " | ".join(columns) + " |")
    print("|" + "---|" * len(columns))
    for row in table:
        print("| " + " | ".join(row.get(c, "") for c in columns) + " |")


if __name__ == "__main__":
    main()
