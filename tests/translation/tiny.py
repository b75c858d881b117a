"""Scaffolding shared by the translation tests and their adversarial-contract cases: a quiet CPU trainer, a fixed
tiny image pair, tiny unpaired data, and the fit-then-evaluate steps of the learning checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from lightning.pytorch import LightningModule, Trainer

from tlzoo.data.base import Unlabeled
from tlzoo.data.spec import ImageSpec
from tlzoo.data.translation import TranslationDataModule
from tlzoo.data.usps_mnist import ByteImageDataset


def cpu_trainer(val_batches: int | None, **kwargs: Any) -> Trainer:
    """A one-device CPU trainer without logger, progress bar, summary, sanity check or checkpoints (unless
    ``enable_checkpointing`` is passed); ``limit_val_batches`` is ``val_batches`` unless passed."""
    kwargs.setdefault("limit_val_batches", val_batches)
    kwargs.setdefault("enable_checkpointing", False)
    return Trainer(logger=False, enable_progress_bar=False, enable_model_summary=False, accelerator="cpu",
                   devices=1, num_sanity_val_steps=0, **kwargs)


def tiny_pair() -> tuple[torch.Tensor, torch.Tensor]:
    """Three random 1x16x16 images in [-1, 1] for each domain, the same at every call."""
    g = torch.Generator().manual_seed(1)
    return torch.rand(3, 1, 16, 16, generator=g) * 2 - 1, torch.rand(3, 1, 16, 16, generator=g) * 2 - 1


def tiny_translations(model: Any) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(x_a, x_b, generator_ab(x_a), generator_ba(x_b))`` on :func:`tiny_pair`, without gradients."""
    x_a, x_b = tiny_pair()
    with torch.no_grad():
        return x_a, x_b, model.generator_ab(x_a), model.generator_ba(x_b)


class TinyUnpairedImages(TranslationDataModule):
    """Random unpaired 1x16x16 byte images, 8 per training domain, the first 4 of each labelled for evaluation;
    subclasses draw the two domains in :meth:`images`."""

    paired = False

    def __init__(self, batch_size: int = 2) -> None:
        super().__init__(batch_size=batch_size)
        self.num_classes = 2
        self.set_specs(ImageSpec.symmetric(1, 16), ImageSpec.symmetric(1, 16))

    def images(self, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """The 8 uint8 images ``(8, 1, 16, 16)`` of domain A and of domain B, drawn with ``g``."""
        raise NotImplementedError

    def build(self) -> None:
        a, b = self.images(torch.Generator().manual_seed(0))
        labels = torch.arange(8) % 2
        self.train_a, self.train_b = Unlabeled(ByteImageDataset(a, labels)), Unlabeled(ByteImageDataset(b, labels))
        self.eval_a, self.eval_b = ByteImageDataset(a[:4], labels[:4]), ByteImageDataset(b[:4], labels[:4])


def fit_and_test(trainer: Trainer, model: LightningModule, data: Any) -> dict[str, float]:
    """Fit ``model`` on ``data``, then test it: the test metrics in one dict."""
    trainer.fit(model, data)
    return {k: v for d in trainer.test(model, data, verbose=False) for k, v in d.items()}


def assert_translations_keep_their_digit(model: LightningModule, data: Any, tmp_path: Path, steps: int = 600) -> None:
    """Train ``model`` for ``steps`` batches on USPS -> MNIST ``data``: a MNIST judge must label the translated
    USPS digits well above chance (0.1) and better than before training, and the cycle error must fall."""
    from tests.translation.digit_judge import label_preservation

    before = label_preservation(model, data, tmp_path)
    cpu_trainer(0, max_steps=steps, default_root_dir=tmp_path).fit(model, data)
    after = label_preservation(model, data, tmp_path)
    assert after["val/label_preservation"] > 0.3, (before, after)  # chance: 0.1
    assert after["val/label_preservation"] > before["val/label_preservation"] + 0.1, (before, after)
    assert after["val/cycle_l1"] < before["val/cycle_l1"], (before, after)
