"""Validating does not move the training run's random stream: a run gives the same weights whether it validates
every epoch or never (each evaluation loader draws its iterator seed from a generator of its own)."""

from __future__ import annotations

from typing import Any

import pytest
import torch
from lightning.pytorch import LightningDataModule, seed_everything

from tests.translation.tiny import cpu_trainer
from tlzoo.core.module import ZooModule


class NoisyFit(ZooModule):
    """One parameter pulled towards fresh Gaussian noise at every step (as a GAN draws its codes); the data only
    sets the pace. Validation reads the batches and does nothing else."""

    def __init__(self) -> None:
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(8))

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        return (self.w - torch.randn(8)).pow(2).sum()

    def validation_step(self, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> None:
        return None

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=0.1)


def _data(name: str) -> LightningDataModule:
    if name == "labelled":
        from tlzoo.data.labelled import LabelledDigits

        return LabelledDigits(dataset="uci", image_size=8, batch_size=256)
    if name == "adaptation":
        from tlzoo.data.digits import EmbeddedDigits

        return EmbeddedDigits(source="uci", batch_size=256)
    from tlzoo.data.digit_pairs import UnpairedDigits

    return UnpairedDigits(source="uci", target="mnist", batch_size=256)


@pytest.mark.parametrize("name", ["labelled", "adaptation", "translation"])
def test_validation_schedule_leaves_training_alone(name: str) -> None:
    weights = []
    for validate in (True, False):
        seed_everything(0)
        model = NoisyFit()
        cpu_trainer(None if validate else 0, max_epochs=3, check_val_every_n_epoch=1).fit(model, _data(name))
        weights.append(model.w.detach().clone())
    assert torch.equal(weights[0], weights[1])
