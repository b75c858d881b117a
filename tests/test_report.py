"""``tlzoo report`` builds the results table and curves from run folders (no re-training), and every fit keeps
``history.csv`` whatever the logger."""

from __future__ import annotations

import csv
import statistics
from pathlib import Path

from tests.helpers import EXPERIMENTS, run_cli
from tlzoo.callbacks.history import read_history
from tlzoo.report import PAPER_RESULTS, main, task_name

SHORT = ["--trainer.max_epochs", "2", "--trainer.limit_train_batches", "3", "--trainer.limit_val_batches", "2",
         "--trainer.limit_test_batches", "2", "--trainer.enable_progress_bar", "false",
         "--trainer.enable_model_summary", "false", "--trainer.log_every_n_steps", "2", "--trainer.logger", "false"]


def test_report_tables_runs_over_seeds_with_curves(capsys) -> None:  # type: ignore[no-untyped-def]
    config = str(EXPERIMENTS / "source_only_digits.yaml")
    for seed in (0, 1):
        code, out = run_cli(["fit", "-c", config, "--seed_everything", str(seed), *SHORT])
        assert code == 0, out
    accs = []
    for folder in sorted(Path("runs").glob("version_*")):
        history = read_history(folder / "history.csv")
        assert [row["step"] for row in history if row.get("val/source_acc")] == ["3", "6"]  # one row a validation
        assert any(row.get("train/cls_loss") for row in history)
        code, out = run_cli(["test", "-c", str(folder / "config.yaml"), "--ckpt_path",
                             str(folder / "checkpoints" / "last.ckpt"), "--trainer.logger", "false",
                             "--trainer.limit_test_batches", "2", "--trainer.enable_progress_bar", "false"])
        assert code == 0, out
        import json

        accs.append(100 * json.loads((folder / "test_metrics.json").read_text())["metrics"]["test/target_acc"])
    capsys.readouterr()
    assert main(["runs", "--metric", "test/target_acc", "--out", "report"]) == 0
    printed = capsys.readouterr().out
    assert "| SourceOnly | EmbeddedDigits uci->mnist |" in printed
    rows = list(csv.DictReader(open("report/report.csv")))
    assert len(rows) == 1 and rows[0]["n"] == "2" and rows[0]["seeds"] == "0 1"
    assert abs(float(rows[0]["mean"]) - statistics.fmean(accs)) < 1e-3
    assert abs(float(rows[0]["std"]) - statistics.stdev(accs)) < 1e-3
    assert Path("report/curves.png").stat().st_size > 1000


def test_report_errors_are_one_line(capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["nowhere"]) == 2
    assert "no such folder" in capsys.readouterr().err
    Path("empty").mkdir()
    assert main(["empty"]) == 2
    assert "no run folders" in capsys.readouterr().err


def test_task_names_match_the_paper_table() -> None:
    usps = task_name({"class_path": "tlzoo.data.USPSMNIST", "init_args": {"source": "usps"}},
                     "usps->mnist (full split, split_seed=0): source train ...")
    assert ("ADDA", usps) in PAPER_RESULTS
    office = task_name({"class_path": "Office31", "init_args": {"source": "amazon", "target": "webcam"}})
    assert ("DANN", office) in PAPER_RESULTS
