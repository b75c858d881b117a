"""ImageGrid: a fixed validation batch rendered by the module's image_grid every few epochs."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import torch
from lightning.pytorch import LightningModule, Trainer
from lightning.pytorch.loggers import WandbLogger
from PIL import Image
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from tlzoo.callbacks import ImageGrid
from tlzoo.callbacks.images import grid_image
from tlzoo.callbacks.paths import run_folder

N_VAL, SIZE = 12, 12


def data(n: int, seed: int) -> TensorDataset:
    g = torch.Generator().manual_seed(seed)
    return TensorDataset(torch.rand(n, 1, SIZE, SIZE, generator=g) * 2 - 1, torch.arange(n))


class Tiny(LightningModule):
    """A one-layer "translator" on grey images in [-1, 1]."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Conv2d(1, 3, 3, padding=1)
        self.grid_batches: list[Any] = []

    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        x, _ = batch
        return (self.net(x) - x).pow(2).mean()

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        x, _ = batch
        self.log("val/loss", (self.net(x) - x).pow(2).mean())

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=0.01)

    def train_dataloader(self) -> DataLoader:
        return DataLoader(data(16, 0), batch_size=4, shuffle=True)

    def val_dataloader(self) -> DataLoader:
        return DataLoader(data(N_VAL, 1), batch_size=8)

    def image_grid(self, batch: Any) -> list[tuple[str, torch.Tensor]]:
        x, y = batch
        self.grid_batches.append((x.cpu().clone(), y.cpu().clone()))
        fake = torch.tanh(self.net(x))
        return [("input", (x + 1) / 2), ("translation", (fake + 1) / 2), ("first two", (x[:2] + 1) / 2)]


class NoGrid(Tiny):
    image_grid = None  # type: ignore[assignment]


def trainer(root: Path, epochs: int, callback: ImageGrid) -> Trainer:
    return Trainer(max_epochs=epochs, limit_train_batches=2, limit_val_batches=1, logger=False, default_root_dir=root,
                   accelerator="cpu", devices=1, enable_progress_bar=False, enable_model_summary=False,
                   callbacks=[callback])


def test_grids_of_the_same_fixed_batch_every_epoch_and_after_resume(tmp_path: Path) -> None:
    model = Tiny()
    callback = ImageGrid(num_images=6)
    trainer(tmp_path, 2, callback).fit(model)
    images = tmp_path / "images"
    assert sorted(p.name for p in images.iterdir()) == ["epoch_000.png", "epoch_001.png"]
    assert callback.saved == [images / "epoch_000.png", images / "epoch_001.png"]
    png = Image.open(images / "epoch_001.png")
    assert png.mode == "RGB" and png.width > 6 * SIZE and png.height == 3 * (SIZE + 2) + 2

    assert len(model.grid_batches) == 2  # not during the sanity check
    expected_x, expected_y = data(N_VAL, 1).tensors
    for x, y in model.grid_batches:
        assert torch.equal(y, expected_y[:6]) and torch.equal(x, expected_x[:6])

    # A resumed run (fresh callback, no state in the checkpoint) takes the very same examples.
    resumed, callback2 = Tiny(), ImageGrid(num_images=6)
    ckpt = next((tmp_path / "checkpoints").glob("*.ckpt"))
    trainer(tmp_path, 3, callback2).fit(resumed, ckpt_path=ckpt)
    assert [p.name for p in callback2.saved] == ["epoch_002.png"]
    assert torch.equal(resumed.grid_batches[0][1], expected_y[:6])
    assert torch.equal(resumed.grid_batches[0][0], expected_x[:6])


def test_every_n_epochs_and_examples_gathered_over_batches(tmp_path: Path) -> None:
    model = Tiny()
    callback = ImageGrid(every_n_epochs=2, num_images=10)
    t = Trainer(max_epochs=2, limit_train_batches=1, limit_val_batches=2, logger=False, default_root_dir=tmp_path,
                accelerator="cpu", devices=1, enable_progress_bar=False, enable_model_summary=False,
                callbacks=[callback], num_sanity_val_steps=0)
    t.fit(model)
    assert [p.name for p in callback.saved] == ["epoch_001.png"]
    assert torch.equal(model.grid_batches[0][1], torch.arange(10))  # 8 from the first batch, 2 from the next


def test_a_module_without_image_grid_gets_one_warning_and_no_files(tmp_path: Path) -> None:
    callback = ImageGrid()
    with pytest.warns(UserWarning, match="has no image_grid"):
        trainer(tmp_path, 1, callback).fit(NoGrid())
    assert not (tmp_path / "images").exists() and callback.batch is None


def test_grid_image_mixes_channels_sizes_and_lengths() -> None:
    rows = [("grey", torch.rand(3, 1, 8, 8)), ("rgb", torch.rand(2, 3, 16, 16)), ("nan", torch.full((3, 3, 8, 8),
                                                                                                     float("nan")))]
    plain = grid_image(rows, labels=False)
    assert (plain.width, plain.height) == (3 * 10 + 2, 3 * 10 + 2)
    labelled = grid_image(rows)
    assert labelled.height == plain.height and labelled.width > plain.width
    with pytest.raises(ValueError, match="1 or 3 channels"):
        grid_image([("x", torch.rand(1, 2, 8, 8))])


def test_run_folder_and_wandb_logging(tmp_path: Path) -> None:
    t = trainer(tmp_path, 1, ImageGrid())
    assert run_folder(t) == tmp_path  # no checkpoint dirpath resolved yet, no logger: default_root_dir

    class RecordingWandb(WandbLogger):
        def __init__(self) -> None:  # no W&B run
            self.calls: list[dict[str, Any]] = []

        def log_image(self, key: str, images: list[Any], step: int | None = None, **kwargs: Any) -> None:
            self.calls.append({"key": key, "images": images, "step": step, **kwargs})

    logger = RecordingWandb()
    ImageGrid._log(SimpleNamespace(loggers=[logger], global_step=7, current_epoch=2), tmp_path / "x.png")
    assert logger.calls == [{"key": "val/images", "images": [str(tmp_path / "x.png")], "step": 7,
                             "caption": ["epoch 2"]}]
