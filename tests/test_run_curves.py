"""``benchmarks/run_curves.py`` reads a folder of runs: the validation curve, the best / last / source-selected
figures, the held-out test figure where ``tlzoo test`` wrote one, and runs that never validated."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from run_curves import curves, summarise  # noqa: E402

COLUMNS = ["epoch", "step", "train/loss", "val/source_acc", "val/target_acc"]


def _run(root: Path, name: str, rows: list[dict[str, object]], test: dict[str, float] | None = None) -> Path:
    folder = root / name / "version_0"
    folder.mkdir(parents=True)
    with (folder / "history.csv").open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    if test is not None:
        (folder / "test_metrics.json").write_text(json.dumps({"metrics": test}))
    return folder


def test_selections_and_the_test_figure(tmp_path: Path) -> None:
    rows = [
        {"epoch": 0, "step": 10, "train/loss": 1.0},  # a training-only row is not a validation point
        {"epoch": 9, "step": 100, "val/source_acc": 0.80, "val/target_acc": 0.40},
        {"epoch": 19, "step": 200, "val/source_acc": 0.90, "val/target_acc": 0.60},
        {"epoch": 29, "step": 300, "val/source_acc": 0.85, "val/target_acc": 0.30},
    ]
    run = _run(tmp_path, "cdrd", rows, test={"test/target_acc": 0.55})
    row = summarise(run, tmp_path, None, points=8)
    assert row["run"] == "cdrd" and row["metric"] == "val/target_acc"
    assert row["epochs"] == "30" and row["steps"] == "300"
    assert row["best"] == "60.0 (ep 19)" and row["last"] == "30.0"
    assert row["source-selected"] == "60.0 (ep 19)"  # the epoch of the best source accuracy
    assert row["test (last ckpt)"] == "55.0"
    assert row["curve"] == "9: 40.0, 19: 60.0, 29: 30.0"
    assert curves(run)["val/target_acc"] == [[9, 0.40], [19, 0.60], [29, 0.30]]
    assert curves(run)["test"] == {"test/target_acc": 0.55}


def test_runs_without_validation_or_without_the_metric(tmp_path: Path) -> None:
    silent = _run(tmp_path, "short", [{"epoch": 0, "step": 20, "train/loss": 2.0}])
    assert summarise(silent, tmp_path, None, points=8)["curve"] == "no validation"
    run = _run(tmp_path, "adapt", [{"epoch": 4, "step": 50, "val/source_acc": 0.7, "val/target_acc": 0.5}])
    assert summarise(run, tmp_path, "val/cluster_acc", points=8)["curve"] == "no val/cluster_acc"
