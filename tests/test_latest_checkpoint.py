"""``last.ckpt`` follows training every epoch, also between validations and with validation off."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from tests.translation.tiny import cpu_trainer
from tlzoo.callbacks.checkpointing import LatestCheckpoint
from tlzoo.core.module import ZooModule


class Regressor(ZooModule):
    def __init__(self) -> None:
        super().__init__()
        self.net = torch.nn.Linear(2, 1)
        self.validated_epochs: list[int] = []

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        x, y = batch
        return torch.nn.functional.mse_loss(self.net(x).squeeze(1), y)

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        return None

    def on_validation_epoch_end(self) -> None:
        self.validated_epochs.append(self.current_epoch)

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=0.1)


def _loader() -> DataLoader:
    x = torch.randn(16, 2, generator=torch.Generator().manual_seed(0))
    return DataLoader(TensorDataset(x, x.sum(1)), batch_size=4)


class Recorder(LatestCheckpoint):
    """Records the epoch of each save (and whether a validation of that epoch had run before it)."""

    def __init__(self, dirpath: str) -> None:
        super().__init__(dirpath=dirpath)
        self.saves: list[tuple[int, bool]] = []

    def _save_checkpoint(self, trainer: Any, filepath: str) -> None:
        super()._save_checkpoint(trainer, filepath)
        model = trainer.lightning_module
        self.saves.append((trainer.current_epoch, trainer.current_epoch in model.validated_epochs))


@pytest.mark.parametrize(("every", "val_batches", "expected"), [
    (3, 0, [(0, False), (1, False), (2, False), (3, False)]),  # validation off: every epoch's end
    (2, None, [(0, False), (1, True), (2, False), (3, True)]),  # after each validation, at the end of the others
    (1, None, [(0, True), (1, True), (2, True), (3, True)]),
])
def test_last_checkpoint_is_written_every_epoch(every: int, val_batches: int | None, expected: list,
                                                tmp_path: Path) -> None:
    model, latest = Regressor(), Recorder(str(tmp_path))
    trainer = cpu_trainer(val_batches, max_epochs=4, check_val_every_n_epoch=every, callbacks=[latest],
                          enable_checkpointing=True, default_root_dir=tmp_path)
    trainer.fit(model, _loader(), _loader())
    assert latest.saves == expected
    assert torch.load(tmp_path / "last.ckpt", weights_only=False)["global_step"] == 16


def test_a_run_stopped_by_max_steps_inside_an_epoch_keeps_its_last_step(tmp_path: Path) -> None:
    model, latest = Regressor(), Recorder(str(tmp_path))
    trainer = cpu_trainer(None, max_steps=6, max_epochs=4, check_val_every_n_epoch=1, callbacks=[latest],
                          enable_checkpointing=True, default_root_dir=tmp_path)
    trainer.fit(model, _loader(), _loader())
    assert torch.load(tmp_path / "last.ckpt", weights_only=False)["global_step"] == 6
