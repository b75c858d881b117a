"""Run handling through the real CLI: one run one folder, resume into the same run, the printed test command,
metrics written by ``tlzoo test``, explicit checkpoint modes, and 2-process DDP on CPU (gloo)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from tests.helpers import EXPERIMENTS, run_cli

DANN = str(EXPERIMENTS / "dann_digits.yaml")
#: Three batches an epoch, validation on two batches.
SHORT = ["--trainer.limit_train_batches", "3", "--trainer.limit_val_batches", "2", "--trainer.limit_test_batches", "2",
         "--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false",
         "--trainer.accelerator", "cpu", "--trainer.devices", "1", "--trainer.log_every_n_steps", "1"]


def _best_score(ckpt: Path) -> float:
    state = torch.load(ckpt, map_location="cpu", weights_only=False)["callbacks"]
    best = next(v for k, v in state.items() if k.startswith("BestCheckpoint"))
    return float(best["best_model_score"])


def test_printed_test_command_keeps_command_line_overrides() -> None:
    code, out = run_cli(["fit", "-c", DANN, "--data.init_args.source", "mnist", "--trainer.max_epochs", "1",
                         "--trainer.logger", "false", *SHORT])
    assert code == 0, out
    command = re.search(r"evaluate it with: tlzoo (test .+)", out)
    assert command, out
    args = command.group(1).split()
    assert args[1] == "-c" and args[2].endswith("config.yaml") and "experiments" not in args[2]
    code, out = run_cli([*args, "--trainer.logger", "false", "--trainer.limit_test_batches", "2"])
    assert code == 0, out
    assert "mnist->uci" in out  # the run's direction, not the YAML's uci->mnist
    metrics = json.loads((Path(args[2]).parent / "test_metrics.json").read_text())
    assert 0.0 <= metrics["metrics"]["test/target_acc"] <= 1.0 and metrics["ckpt_path"] == args[-1]
    # the evaluation's config lands beside the run's own, named after the stage, and no other folder appears
    assert (Path(args[2]).parent / "test_config.yaml").is_file()
    run = Path(args[2]).resolve().parent
    assert not [str(p) for p in Path(".").rglob("*config.yaml") if p.resolve().parent != run]


def test_resume_continues_the_same_run_folder_wandb_run_and_best_record(tmp_path: Path) -> None:
    code, out = run_cli(["fit", "-c", DANN, "--trainer.max_epochs", "1", "--checkpoint.mode", "min", *SHORT])
    assert code == 0, out
    (run,) = [p.resolve() for p in Path("runs/tlzoo").iterdir() if p.is_dir()]
    record = json.loads((run / "run.json").read_text())
    assert record["wandb_id"] == run.name
    first_best = _best_score(run / "checkpoints" / "last.ckpt")
    elsewhere = tmp_path / "elsewhere"  # resumed from another working directory
    elsewhere.mkdir()
    os.chdir(elsewhere)
    code, out = run_cli(["fit", "-c", DANN, "--trainer.max_epochs", "2", "--checkpoint.mode", "min", *SHORT,
                         "--ckpt_path", str(run / "checkpoints" / "last.ckpt")])
    assert code == 0, out
    assert not Path("runs/tlzoo").exists()  # no second run folder
    assert sorted(p.name for p in (tmp_path / "runs/tlzoo").iterdir()) == [run.name]
    offline = sorted(p.name for p in (tmp_path / "runs/wandb").glob("offline-run-*"))
    assert offline and all(name.endswith(run.name) for name in offline)  # the same W&B run id
    last = torch.load(run / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=False)
    assert last["epoch"] == 1
    # mode min: the best so far can only go down, the first run's best is remembered
    assert _best_score(run / "checkpoints" / "last.ckpt") <= first_best
    assert len(list((run / "checkpoints").glob("best-*.ckpt"))) == 1


def test_explicit_checkpoint_mode_wins_over_the_method_default() -> None:
    code, out = run_cli(["fit", "-c", DANN, "--trainer.max_epochs", "1", "--checkpoint.mode", "min",
                         "--trainer.logger", "false", *SHORT])
    assert code == 0, out
    saved = (next(Path("runs").rglob("config.yaml"))).read_text()
    assert "mode: min" in saved and "monitor: val/target_mi" in saved


def test_runs_without_logger_get_their_own_folders() -> None:
    for _ in range(2):
        code, out = run_cli(["fit", "-c", DANN, "--trainer.max_steps", "2", "--trainer.logger", "false", *SHORT])
        assert code == 0, out
    folders = sorted(p.name for p in Path("runs").iterdir())
    assert folders == ["version_0", "version_1"]
    for folder in folders:
        assert (Path("runs") / folder / "checkpoints" / "last.ckpt").is_file()
        assert (Path("runs") / folder / "config.yaml").is_file()


def _ddp_env() -> dict[str, str]:
    env = {**os.environ, "WANDB_MODE": "offline", "WANDB_SILENT": "true", "OMP_NUM_THREADS": "1",
           "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    return env


DDP_FLAGS = ["--trainer.accelerator", "cpu", "--trainer.devices", "2", "--trainer.strategy", "ddp",
             "--trainer.max_epochs", "1", "--trainer.limit_train_batches", "2", "--trainer.limit_val_batches", "2",
             "--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false"]


@pytest.mark.parametrize("launcher", ["lightning", "torchrun"])
def test_two_process_ddp_on_cpu_ends_cleanly(launcher: str) -> None:
    """DANN through Lightning's own launcher; ADDA (several optimisers, manual steps) through torchrun."""
    config = DANN if launcher == "lightning" else str(EXPERIMENTS / "adda_digits.yaml")
    args = ["fit", "-c", config, *DDP_FLAGS]
    if launcher == "lightning":
        command = [sys.executable, "-m", "tlzoo.cli", *args]
    else:
        torchrun = shutil.which("torchrun", path=str(Path(sys.executable).parent))
        assert torchrun, "torchrun is installed with torch"
        command = [torchrun, "--standalone", "--nproc_per_node", "2", "-m", "tlzoo.cli", *args,
                   "--model.init_args.pretrain_epochs", "0"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=240, env=_ddp_env())
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-4000:]
    assert "Traceback" not in out, out[-4000:]
    assert out.count("best checkpoint") == 1, out[-4000:]  # rank zero only
    assert len(list(Path("runs").rglob("last.ckpt"))) == 1
