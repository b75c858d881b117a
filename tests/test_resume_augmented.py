"""Exact resume with the quick-start config, random augmentation included: a run stopped after its first
epoch and resumed from ``last.ckpt`` ends with the weights of an uninterrupted run (checkpoints carry the
random generators' states; the data order depends only on the seed and the epoch). DANN's default weight
average (``--ema_decay``) resumes too: both the averaged and the raw weights match."""

from __future__ import annotations

from pathlib import Path

import torch

from tests.helpers import EXPERIMENTS, run_cli

CONFIG = str(EXPERIMENTS / "dann_digits.yaml")  # augment: true
# Schedules that do not depend on the planned run length, so a 1-epoch run is the first half of a 2-epoch one.
ARGS = ["-c", CONFIG, "--trainer.limit_train_batches", "4", "--trainer.limit_val_batches", "1",
        "--trainer.logger", "false", "--trainer.enable_progress_bar", "false",
        "--model.init_args.optim.schedule", "constant", "--model.init_args.lambda_schedule", "constant"]


def _weights(root: str) -> dict[str, torch.Tensor]:
    """The averaged weights (``state_dict``) and the raw ones (``current_model_state``), prefixed."""
    ckpt = torch.load(next(Path(root).rglob("last.ckpt")), map_location="cpu", weights_only=False)
    assert "current_model_state" in ckpt  # the weight average is on by default for DANN
    return {f"{part}.{k}": v for part in ("state_dict", "current_model_state") for k, v in ckpt[part].items()}


def test_resumed_augmented_run_matches_an_uninterrupted_one() -> None:
    code, out = run_cli(["fit", *ARGS, "--trainer.max_epochs", "2", "--trainer.default_root_dir", "straight"])
    assert code == 0, out
    code, out = run_cli(["fit", *ARGS, "--trainer.max_epochs", "1", "--trainer.default_root_dir", "first"])
    assert code == 0, out
    half = next(Path("first").rglob("last.ckpt"))
    code, out = run_cli(["fit", *ARGS, "--trainer.max_epochs", "2", "--ckpt_path", str(half)])
    assert code == 0, out
    assert not Path("runs").exists()  # the resumed run continues in its own folder
    straight, resumed = _weights("straight"), _weights("first")
    assert straight.keys() == resumed.keys()
    different = [k for k, v in straight.items()
                 if not (torch.equal(v, resumed[k]) if isinstance(v, torch.Tensor) else v == resumed[k])]
    assert not different, different
