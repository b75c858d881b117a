"""W&B sweep files: every swept key must be a valid tlzoo option for the sweep's config."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.helpers import EXPERIMENTS, run_cli

SWEEPS = sorted((EXPERIMENTS / "sweeps").glob("*.yaml"))


@pytest.mark.parametrize("sweep", SWEEPS, ids=[s.stem for s in SWEEPS])
def test_sweep_keys_parse(sweep: Path) -> None:
    spec = yaml.safe_load(sweep.read_text())
    config = spec["command"][spec["command"].index("--config") + 1]
    args = ["fit", "--config", str(EXPERIMENTS.parent / config), "--print_config"]
    for key, values in spec["parameters"].items():
        value = values["values"][0] if "values" in values else values["min"]
        args.append(f"--{key}={value}")  # W&B passes ${args} as --key=value
    code, out = run_cli(args)
    assert code == 0, out
    assert spec["metric"]["name"].startswith("val/source"), "sweeps must not optimise target labels"
