"""Sweep files and the local sweep runner (``tlzoo sweep``): every swept key is a valid option of the sweep's
config, no sweep optimises target labels, and a 3-run sweep runs through the real CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.helpers import EXPERIMENTS, run_cli
from tlzoo.sweep import build_command, load_spec

SWEEPS = sorted((EXPERIMENTS / "sweeps").glob("*.yaml"))


@pytest.mark.parametrize("sweep", SWEEPS, ids=[s.stem for s in SWEEPS])
def test_sweep_keys_parse(sweep: Path) -> None:
    spec = load_spec(sweep)  # W&B's own schema check
    assert spec.get("project"), "a sweep names its W&B project"
    config = spec["command"][spec["command"].index("--config") + 1]
    args = ["fit", "--config", config, "--print_config"]
    for key, values in spec["parameters"].items():
        value = values["values"][0] if "values" in values else values["min"]
        args.append(f"--{key}={value}")  # W&B passes ${args} as --key=value
    code, out = run_cli(args)
    assert code == 0, out
    assert "target_acc" not in spec["metric"]["name"], "sweeps must not optimise target labels"


def test_every_method_family_has_a_sweep() -> None:
    families = {"": False, "translation": False, "basics": False, "segmentation": False, "disentangle": False,
                "pixel_da": False}
    for sweep in SWEEPS:
        spec = yaml.safe_load(sweep.read_text())
        config = spec["command"][spec["command"].index("--config") + 1]
        family = config.rpartition("/")[0]
        if family in families:
            families[family] = True
    assert all(families.values()), families


def test_command_template_fills_w_and_b_macros() -> None:
    spec = {"program": "tlzoo", "command": ["${program}", "fit", "-c", "dann_digits", "${args}"]}
    command = build_command(spec, {"model.init_args.optim.lr": 0.01})
    assert command[:3] == [sys.executable, "-m", "tlzoo.cli"]
    assert command[3:] == ["fit", "-c", "dann_digits", "--model.init_args.optim.lr=0.01"]


def test_local_sweep_runs_three_runs_and_continues(tmp_path: Path) -> None:
    spec = {"program": "tlzoo", "project": "tlzoo", "method": "grid",
            "metric": {"name": "val/source_acc", "goal": "maximize"},
            "parameters": {"model.init_args.optim.lr": {"values": [0.001, 0.01, 0.03, 0.1]}},
            "command": ["${program}", "fit", "-c", "source_only_digits", "${args}"]}
    path = tmp_path / "lr.yaml"
    path.write_text(yaml.safe_dump(spec))
    quick = ["--trainer.max_epochs", "1", "--trainer.limit_train_batches", "2", "--trainer.limit_val_batches", "1",
             "--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false"]
    done = subprocess.run([sys.executable, "-m", "tlzoo.cli", "sweep", str(path), "--count", "3", "--", *quick],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    results = [json.loads(line) for line in Path("runs/sweeps/lr/results.jsonl").read_text().splitlines()]
    assert [r["params"]["model.init_args.optim.lr"] for r in results] == [0.001, 0.01, 0.03]
    assert all(0.0 <= r["value"] <= 1.0 for r in results)
    for r in results:  # each run has its own folder and offline W&B run
        assert list(Path(r["folder"]).rglob("last.ckpt")) and list(Path(r["folder"]).glob("wandb/offline-run-*"))
    assert "best: run_" in done.stderr
    # the grid continues where it stopped, then says it is exhausted
    done = subprocess.run([sys.executable, "-m", "tlzoo.cli", "sweep", str(path), "--count", "2", "--dry-run"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and "lr=0.1" in done.stderr and "no configuration left" in done.stderr


def test_bad_sweep_file_is_one_line() -> None:
    Path("bad.yaml").write_text("method: grid\nparameters: {}\n")
    done = subprocess.run([sys.executable, "-m", "tlzoo.cli", "sweep", "bad.yaml"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2 and "lacks metric" in done.stderr and "Traceback" not in done.stderr
