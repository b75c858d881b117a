"""EMAWeights: the moving average is what validation sees and what training leaves in the model."""

from __future__ import annotations

import pytest
import torch
from lightning.pytorch import Trainer, seed_everything

from tests.helpers import EXPERIMENTS, QUICK, run_cli
from tlzoo.callbacks import EMAWeights
from tlzoo.data import EmbeddedDigits
from tlzoo.methods import SourceOnly
from tlzoo.nn.backbones import BackboneConfig


def _fit(tmp_path, callbacks: list) -> SourceOnly:
    seed_everything(0)
    model = SourceOnly(num_classes=10, input_shape=(1, 28, 28), backbone=BackboneConfig(name="dann_digits"))
    Trainer(max_epochs=1, limit_train_batches=5, limit_val_batches=1, logger=False, enable_checkpointing=False,
            enable_progress_bar=False, enable_model_summary=False, accelerator="cpu", default_root_dir=tmp_path,
            callbacks=callbacks).fit(model, EmbeddedDigits(batch_size=32, seed=0))
    return model


def test_training_ends_with_the_averaged_weights(tmp_path) -> None:
    raw = _fit(tmp_path / "raw", [])
    averaged = _fit(tmp_path / "ema", [EMAWeights(decay=0.9)])  # same seed, batches and steps
    compared = 0
    for (name, p_raw), p_avg in zip(raw.state_dict().items(), averaged.state_dict().values()):
        if p_raw.is_floating_point() and name.endswith("weight"):
            assert not torch.equal(p_raw, p_avg), name  # the average lags the last raw weights
            compared += 1
    assert compared > 0


def test_decay_outside_the_unit_interval_is_refused() -> None:
    with pytest.raises(ValueError, match="decay"):
        EMAWeights(decay=1.0)


def test_the_trainer_fragment_runs_through_the_cli() -> None:
    code, out = run_cli(["fit", "-c", str(EXPERIMENTS / "dann_digits.yaml"),
                         "-c", str(EXPERIMENTS / "trainer" / "ema.yaml"), *QUICK, "--trainer.logger", "false"])
    assert code == 0, out
