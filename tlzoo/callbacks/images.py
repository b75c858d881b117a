"""Image grids of a fixed validation batch, saved every few epochs (and sent to W&B).

Use it with any method that implements ``image_grid(batch) -> list[tuple[str, Tensor]]``: named rows of
images in [0, 1], each ``(n, C, H, W)``, e.g. ``[("input", x), ("translation", G(x)), ("reconstruction",
F(G(x)))]`` (the translation methods do)::

    tlzoo fit -c experiments/<...>.yaml --trainer.callbacks+=ImageGrid --trainer.callbacks.every_n_epochs 5

At the first validation of a run (the sanity check, when there is one) the callback keeps the first
``num_images`` examples of the first validation dataloader, on the CPU. Validation loaders are not shuffled,
so a resumed run takes the very same examples again (the callback saves nothing in checkpoints). At the end of
every ``every_n_epochs``-th validation epoch it calls ``pl_module.image_grid(batch)`` (in eval mode, without
gradients), stacks the rows (grey rows turned to RGB, rows of other sizes resized, a label strip on the left)
and writes ``<run folder>/<dirname>/epoch_{epoch:03d}.png`` (the run folder holds ``checkpoints/``, see
:func:`tlzoo.callbacks.paths.run_folder`). With a W&B logger the PNG is also logged as ``val/images``.
Everything happens on the global-zero process only.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from lightning.fabric.utilities.apply_func import move_data_to_device
from lightning.pytorch import Callback, LightningModule, Trainer
from lightning.pytorch.utilities import rank_zero_warn
from lightning_utilities.core.apply_func import apply_to_collection, apply_to_collections

from tlzoo.callbacks.paths import run_folder


def _batch_size(batch: Any) -> int:
    sizes: list[int] = []
    apply_to_collection(batch, torch.Tensor, lambda t: sizes.append(len(t)) if t.ndim > 0 else None)
    return sizes[0] if sizes else 0


def _head(batch: Any, n: int) -> Any:
    """The first ``n`` examples of every tensor in ``batch``, detached, on the CPU."""
    return apply_to_collection(batch, torch.Tensor, lambda t: t[:n].detach().cpu().clone() if t.ndim > 0 else t)


def _rgb(x: torch.Tensor, name: str) -> torch.Tensor:
    if x.ndim != 4:
        raise ValueError(f"image_grid row {name!r}: expected (n, C, H, W) images, got shape {tuple(x.shape)}")
    x = torch.nan_to_num(x.detach().float().cpu(), nan=0.0).clamp(0.0, 1.0)
    if x.shape[1] == 1:
        return x.expand(-1, 3, -1, -1)
    if x.shape[1] != 3:
        raise ValueError(f"image_grid row {name!r}: expected 1 or 3 channels, got {x.shape[1]}")
    return x


def grid_image(rows: Sequence[tuple[str, torch.Tensor]], padding: int = 2, labels: bool = True) -> Any:
    """One ``PIL.Image``: a row per ``(name, images)`` (images in [0, 1], ``(n, C, H, W)``), white padding,
    the names in a strip on the left when ``labels``. Rows are converted to RGB and resized (bilinear) to the
    first row's size; shorter rows are padded with white."""
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont
    from torchvision.utils import make_grid

    if not rows:
        raise ValueError("image_grid returned no rows")
    tensors = [_rgb(images, name) for name, images in rows]
    h, w = tensors[0].shape[-2:]
    width = max(len(t) for t in tensors)
    if width == 0:
        raise ValueError("image_grid returned rows without images")
    padded = []
    for t in tensors:
        if tuple(t.shape[-2:]) != (h, w):
            t = F.interpolate(t, size=(h, w), mode="bilinear", align_corners=False).clamp(0.0, 1.0)
        if len(t) < width:
            t = torch.cat([t, t.new_ones(width - len(t), 3, h, w)])
        padded.append(t)
    grid = make_grid(torch.cat(padded), nrow=width, padding=padding, pad_value=1.0)
    array = (grid.permute(1, 2, 0).numpy() * 255.0).round().astype(np.uint8)
    image = Image.fromarray(array)
    if not labels:
        return image
    font = ImageFont.load_default()
    probe = ImageDraw.Draw(image)
    names = [str(name) for name, _ in rows]
    strip = int(max(probe.textlength(n, font=font) for n in names)) + 8
    canvas = Image.new("RGB", (image.width + strip, image.height), (255, 255, 255))
    canvas.paste(image, (strip, 0))
    draw = ImageDraw.Draw(canvas)
    for i, name in enumerate(names):
        top = padding + i * (h + padding)
        box = draw.textbbox((0, 0), name, font=font)
        draw.text((4, top + (h - (box[3] - box[1])) // 2 - box[1]), name, fill=(0, 0, 0), font=font)
    return canvas


def save_image_grid(rows: Sequence[tuple[str, torch.Tensor]], path: str | Path, labels: bool = True) -> Path:
    """Write :func:`grid_image` of ``rows`` as a PNG at ``path`` (folders created); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    grid_image(rows, labels=labels).save(path)
    return path


class ImageGrid(Callback):
    """Save a grid of ``pl_module.image_grid(fixed_batch)`` every ``every_n_epochs`` validation epochs.

    Args:
        every_n_epochs: write a grid at the end of the validation of epochs ``n-1, 2n-1, ...`` (as
            ``check_val_every_n_epoch`` counts); 1: every validation.
        num_images: examples of the fixed batch (the first ones of the first validation dataloader).
        dirname: sub-folder of the run folder for the PNGs.
        labels: draw the row names in a strip on the left.
    """

    def __init__(self, every_n_epochs: int = 1, num_images: int = 8, dirname: str = "images",
                 labels: bool = True) -> None:
        if every_n_epochs < 1:
            raise ValueError(f"every_n_epochs must be >= 1, got {every_n_epochs}")
        if num_images < 1:
            raise ValueError(f"num_images must be >= 1, got {num_images}")
        self.every_n_epochs = every_n_epochs
        self.num_images = num_images
        self.dirname = dirname
        self.labels = labels
        self.batch: Any = None  # the fixed examples, on the CPU (not checkpointed: re-taken after a resume)
        self._taken = 0
        self._fixed = False  # True once the first validation that saw examples is over
        self._warned = False
        self.saved: list[Path] = []

    @staticmethod
    def _supported(pl_module: LightningModule) -> bool:
        return callable(getattr(pl_module, "image_grid", None))

    def setup(self, trainer: Trainer, pl_module: LightningModule, stage: str) -> None:
        if not self._supported(pl_module) and not self._warned:
            self._warned = True
            rank_zero_warn(f"ImageGrid: {type(pl_module).__name__} has no image_grid(batch) method; "
                           "no image grids will be written")

    def on_validation_batch_start(self, trainer: Trainer, pl_module: LightningModule, batch: Any, batch_idx: int,
                                  dataloader_idx: int = 0) -> None:
        if self._fixed or dataloader_idx != 0 or not trainer.is_global_zero or not self._supported(pl_module):
            return
        need = self.num_images - self._taken
        if need <= 0:
            return
        head = _head(batch, need)
        taken = _batch_size(head)
        if taken == 0:
            return
        self.batch = head if self.batch is None else apply_to_collections(
            self.batch, head, torch.Tensor, lambda a, b: torch.cat([a, b]) if a.ndim > 0 else a)
        self._taken += taken

    def on_validation_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if self.batch is not None:
            self._fixed = True
        if trainer.sanity_checking or not trainer.is_global_zero or self.batch is None:
            return
        if not self._supported(pl_module) or (trainer.current_epoch + 1) % self.every_n_epochs != 0:
            return
        batch = move_data_to_device(self.batch, pl_module.device)
        was_training = pl_module.training
        pl_module.eval()
        try:
            with torch.no_grad():
                rows = pl_module.image_grid(batch)
        finally:
            pl_module.train(was_training)
        path = run_folder(trainer) / self.dirname / f"epoch_{trainer.current_epoch:03d}.png"
        save_image_grid(rows, path, labels=self.labels)
        self.saved.append(path)
        self._log(trainer, path)

    @staticmethod
    def _log(trainer: Trainer, path: Path) -> None:
        from lightning.pytorch.loggers import WandbLogger

        for logger in trainer.loggers:
            if isinstance(logger, WandbLogger):
                logger.log_image(key="val/images", images=[str(path)], step=trainer.global_step,
                                 caption=[f"epoch {trainer.current_epoch}"])
