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
import json
from pathlib import Path

from tlzoo.callbacks.history import read_history

CANDIDATES = ("val/target_acc", "val/cluster_acc")
TEST_OF = {"val/target_acc": "test/target_acc", "val/cluster_acc": "test/cluster_acc"}


def validation_rows(history: list[dict[str, str]]) -> list[dict[str, str]]:
    """The rows of a run's history that carry validation figures, in order."""
    return [row for row in history if any(row.get(k) for k in CANDIDATES)]


def read_test_metrics(run: Path) -> dict[str, float] | None:
    """What ``tlzoo test`` wrote into the run folder, if it ran."""
    path = run / "test_metrics.json"
    return json.loads(path.read_text())["metrics"] if path.is_file() else None


def curves(run: Path) -> dict[str, object]:
    """Every validation column of the run as ``[[epoch, value], ...]``, and its test figures if any."""
    rows = validation_rows(read_history(run / "history.csv"))
    columns = sorted({k for r in rows for k, v in r.items() if k.startswith("val/") and v})
    out: dict[str, object] = {k: [[int(r["epoch"]), float(r[k])] for r in rows if r.get(k)] for k in columns}
    test = read_test_metrics(run)
    if test is not None:
        out["test"] = test
    return out


def summarise(run: Path, root: Path, metric: str | None, points: int) -> dict[str, str]:
    """One table row for the run folder ``run`` (holding ``history.csv``), named after its first folder under
    ``root``."""
    history = read_history(run / "history.csv")
    rows = validation_rows(history)
    head = {"run": run.relative_to(root).parts[0], "epochs": str(int(history[-1]["epoch"]) + 1),
            "steps": history[-1]["step"]}
    key = metric or next((k for k in CANDIDATES if rows and rows[0].get(k)), None)
    values = [(int(r["epoch"]), float(r[key])) for r in rows if r.get(key)] if key else []
    if not values:
        return {**head, "curve": f"no {key}" if rows else "no validation"}
    best_epoch, best = max(values, key=lambda v: v[1])
    stride = max(1, len(values) // points)
    curve = ", ".join(f"{e}: {100 * v:.1f}" for e, v in values[::stride])
    out = {**head, "metric": key, "best": f"{100 * best:.1f} (ep {best_epoch})", "last": f"{100 * values[-1][1]:.1f}",
           "curve": curve}
    if rows[0].get("val/source_acc"):
        chosen = max(rows, key=lambda r: float(r["val/source_acc"]) if r.get("val/source_acc") else -1.0)
        out["source-selected"] = f"{100 * float(chosen[key]):.1f} (ep {chosen['epoch']})"
    figure = (read_test_metrics(run) or {}).get(TEST_OF.get(key, ""))
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
