"""``-c experiments/trainer/cpu_bf16.yaml``: bf16 autocast on the CPU trains the channels-last digit nets."""

from __future__ import annotations

from pathlib import Path

import torch
import yaml

from tests.helpers import EXPERIMENTS, QUICK, run_cli


def test_the_cpu_bf16_fragment_trains_with_float32_weights(tmp_path: Path) -> None:
    code, out = run_cli(["fit", "-c", str(EXPERIMENTS / "dann_digits.yaml"),
                         "-c", str(EXPERIMENTS / "trainer" / "cpu_bf16.yaml"), *QUICK, "--trainer.logger", "false",
                         "--trainer.default_root_dir", str(tmp_path)])
    assert code == 0, out
    config = yaml.safe_load(next(tmp_path.rglob("config.yaml")).read_text())
    assert config["trainer"]["precision"] == "bf16-mixed" and config["trainer"]["accelerator"] == "cpu"
    state = torch.load(next(tmp_path.rglob("last.ckpt")), map_location="cpu", weights_only=False)["state_dict"]
    weights = [v for k, v in state.items() if k.endswith("weight")]
    assert weights and all(w.dtype == torch.float32 and torch.isfinite(w).all() for w in weights)
