"""EMAWeights: the moving average is what validation sees and what training leaves in the model."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml
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


def test_the_trainer_fragment_turns_it_on_for_a_classifier(tmp_path: Path) -> None:
    code, out = run_cli(["fit", "-c", str(EXPERIMENTS / "basics" / "lenet_digits.yaml"),
                         "-c", str(EXPERIMENTS / "trainer" / "ema.yaml"), *QUICK, "--trainer.logger", "false",
                         "--trainer.default_root_dir", str(tmp_path)])
    assert code == 0, out
    assert _config(tmp_path)["ema_decay"] == 0.99
    assert "current_model_state" in _checkpoint(tmp_path)


def _checkpoint(root: Path) -> dict:
    return torch.load(next(root.rglob("last.ckpt")), map_location="cpu", weights_only=False)


def _config(root: Path) -> dict:
    return yaml.safe_load(next(root.rglob("config.yaml")).read_text())


@pytest.mark.parametrize(("config", "flags", "expected"), [
    ("dann_digits.yaml", [], 0.99),  # domain adaptation: on by default
    ("dann_digits.yaml", ["--ema_decay", "0.9"], 0.9),
    ("dann_digits.yaml", ["--ema_decay", "null"], None),
    ("adabn_digits.yaml", [], None),  # AdaBN re-estimates BatchNorm statistics: raw weights
])
def test_the_default_weight_average_is_the_methods_and_recorded(tmp_path: Path, config: str, flags: list[str],
                                                                 expected: float | None) -> None:
    code, out = run_cli(["fit", "-c", str(EXPERIMENTS / config), *QUICK, "--trainer.logger", "false",
                         "--trainer.default_root_dir", str(tmp_path), *flags])
    assert code == 0, out
    assert _config(tmp_path)["ema_decay"] == expected  # the run's config says what ran
    assert ("current_model_state" in _checkpoint(tmp_path)) == (expected is not None)


def test_testing_a_checkpoint_scores_the_average_not_the_raw_weights(tmp_path: Path) -> None:
    """``trainer.test(ckpt_path=...)`` after ``fit`` in the same trainer (what benchmarks do) must keep the average."""
    seed_everything(0)
    model = SourceOnly(num_classes=10, input_shape=(1, 28, 28), backbone=BackboneConfig(name="dann_digits"))
    trainer = Trainer(max_steps=6, limit_val_batches=1, limit_test_batches=1, logger=False, accelerator="cpu",
                      enable_progress_bar=False, enable_model_summary=False, default_root_dir=tmp_path,
                      callbacks=[EMAWeights(decay=0.5)])
    data = EmbeddedDigits(batch_size=16, seed=0)
    trainer.fit(model, data)
    ckpt_path = next(tmp_path.rglob("*.ckpt"))
    stored = torch.load(ckpt_path, map_location="cpu", weights_only=False)
    assert not all(torch.equal(v, stored["current_model_state"][k]) for k, v in stored["state_dict"].items())
    trainer.test(model, data, ckpt_path=str(ckpt_path), verbose=False)
    for name, value in model.state_dict().items():
        torch.testing.assert_close(value, stored["state_dict"][name], msg=name)


def test_a_cli_built_without_running_gets_the_average_too(tmp_path: Path) -> None:
    """Benchmarks build ``TLZooCLI(run=False)`` and fit it themselves: the default must apply there as well."""
    from tlzoo.cli import TLZooCLI

    cli = TLZooCLI(args=["-c", str(EXPERIMENTS / "dann_digits.yaml"), "--trainer.logger", "false",
                         "--trainer.default_root_dir", str(tmp_path)], run=False)
    assert [cb.decay for cb in cli.trainer.callbacks if isinstance(cb, EMAWeights)] == [0.99]


def test_a_decay_outside_the_unit_interval_is_one_line_naming_the_flag() -> None:
    code, out = run_cli(["fit", "-c", str(EXPERIMENTS / "dann_digits.yaml"), *QUICK, "--trainer.logger", "false",
                         "--ema_decay", "1.5"])
    assert code == 2
    assert "--ema_decay must be in (0, 1)" in out and "Traceback" not in out
