"""CIFAR-10 (Krizhevsky, "Learning Multiple Layers of Features from Tiny Images", tech. report 2009,
https://www.cs.toronto.edu/~kriz/cifar.html): 60,000 32x32 colour images of 10 classes.

Read through torchvision's ``CIFAR10`` class from the "python version" layout::

    <root>/cifar-10-batches-py/{data_batch_1, ..., data_batch_5, test_batch, batches.meta}

(``--data.root``; default ``$TLZOO_DATA``, else ``~/.cache/tlzoo``, each + ``/cifar10``). With
``--data.download true`` torchvision downloads and checks the archive (163 MB, MD5-verified). When the files
are there they are read without re-hashing them on every run (so the fixture files of
:mod:`tlzoo.data.fixtures_cifar10` load through the same code).

Splits: the 50,000 training images are the train pool, ``val_fraction`` of it (stratified, ``split_seed``) held
out for validation (default 5,000: 45,000 / 5,000); the 10,000 ``test_batch`` images are the test split, never
used for training or selection. Training augmentation (He et al. 2016, Sec. 4.2): 4-pixel zero padding, a
random 32x32 crop and a random horizontal flip. Images are normalised with the per-channel CIFAR-10 training
mean and standard deviation (or to [-1, 1] with ``normalize: symmetric``).
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import numpy as np
import torch
from torch.utils.data import Dataset

from tlzoo.data.labelled import ClassificationDataModule, stratified_holdout
from tlzoo.data.spec import ImageSpec
from tlzoo.errors import DataNotFoundError, TLZooError

#: Per-channel mean and standard deviation of the 50,000 CIFAR-10 training images (pixels in [0, 1]).
CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)
CIFAR10_STD = (0.2470, 0.2435, 0.2616)
FOLDER = "cifar-10-batches-py"
FILES = ("data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch", "batches.meta")


def default_root() -> Path:
    """``$TLZOO_DATA/cifar10``, else ``$XDG_CACHE_HOME/tlzoo/cifar10`` (``~/.cache/tlzoo/cifar10``)."""
    env = os.environ.get("TLZOO_DATA")
    if env:
        return Path(env) / "cifar10"
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / "tlzoo" / "cifar10"


def load_cifar10(root: Path, train: bool, download: bool = False) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``(images (N, 3, 32, 32) uint8, labels (N,) int64, class names)`` of one split via torchvision.

    Raises:
        DataNotFoundError: files missing (the message names the layout, ``--data.root`` and ``--data.download``).
        TLZooError: a file that is not a CIFAR pickle (damaged or truncated), named.
    """
    from torchvision.datasets import CIFAR10 as TorchvisionCIFAR10

    class _CIFAR10(TorchvisionCIFAR10):
        def _check_integrity(self) -> bool:  # MD5 is checked when downloading, not on every load
            return all((Path(self.root) / self.base_folder / f).is_file() for f in FILES)

        def _load_meta(self) -> None:
            with open(Path(self.root) / self.base_folder / self.meta["filename"], "rb") as f:
                self.classes = pickle.load(f, encoding="latin1")[self.meta["key"]]
            self.class_to_idx = {c: i for i, c in enumerate(self.classes)}

    missing = [f for f in FILES if not (root / FOLDER / f).is_file()]
    if missing and not download:
        raise DataNotFoundError(
            f"CIFAR-10 not found under {root} (missing {', '.join(missing)}).\n"
            f"  Expected layout: {root}/{FOLDER}/{{data_batch_1..5, test_batch, batches.meta}} (the python version, "
            f"https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz, unpacked).\n"
            f"  Point --data.root at the folder holding {FOLDER}/, or add --data.download true.")
    try:
        ds = (TorchvisionCIFAR10 if download else _CIFAR10)(str(root), train=train, download=download)
    except (pickle.UnpicklingError, EOFError, KeyError, ValueError, AttributeError, TypeError) as err:
        raise TLZooError(f"cannot read CIFAR-10 under {root / FOLDER} ({type(err).__name__}: {err}): a file is "
                         f"damaged or not a CIFAR-10 python pickle; delete the folder and download it again "
                         f"(--data.download true)") from None
    except RuntimeError as err:  # torchvision's own integrity message after a failed download
        raise DataNotFoundError(f"CIFAR-10 under {root}: {err} (--data.root, --data.download)") from None
    images = np.ascontiguousarray(np.asarray(ds.data).transpose(0, 3, 1, 2))
    labels = np.asarray(ds.targets, dtype=np.int64)
    if images.shape[1:] != (3, 32, 32) or len(labels) != len(images) or (labels.size and labels.max() > 9):
        raise TLZooError(f"{root / FOLDER}: expected 32x32x3 images with labels 0..9, got {images.shape[1:]} and "
                         f"labels up to {labels.max(initial=0)}")
    return images, labels, [str(c) for c in ds.classes]


class NormalisedImages(Dataset):
    """``(x, y)`` from ``(N, C, H, W)`` uint8 images: ``transform`` on the [0, 1] image, then ``spec.normalize``."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, spec: ImageSpec,
                 transform: Callable[[torch.Tensor], torch.Tensor] | None = None) -> None:
        self.images = images
        self.labels = labels.long()
        self.spec = spec
        self.transform = transform

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.images[index].float().div_(255.0)
        if self.transform is not None:
            x = self.transform(x)
        return self.spec.normalize(x), self.labels[index]


def cifar_augmentation() -> torch.nn.Module:
    """Pad 4 (zeros), random 32x32 crop, random horizontal flip (He et al. 2016, Sec. 4.2)."""
    from torchvision.transforms import v2

    return v2.Compose([v2.RandomCrop(32, padding=4), v2.RandomHorizontalFlip()])


class CIFAR10(ClassificationDataModule):
    """CIFAR-10 for classifiers: batches ``(x, y)``, ``x`` ``(N, 3, 32, 32)`` normalised (module docstring).

    Args:
        root: folder holding ``cifar-10-batches-py/`` (default ``$TLZOO_DATA/cifar10`` or ``~/.cache/tlzoo/cifar10``).
        val_fraction: share of the 50,000 training images held out for validation (stratified).
        split_seed: seed of the validation split (default: ``seed``).
        augment: random crop (pad 4) and horizontal flip on training images.
        normalize: ``cifar`` (per-channel training mean / std) or ``symmetric`` ([-1, 1]).
        download: let torchvision download the archive when the files are missing.
        batch_size: images per step.
        num_workers: DataLoader workers.
        seed: shuffling seed (default: the run seed, ``seed_everything``).
    """

    def __init__(self, root: str | None = None, val_fraction: float = 0.1, split_seed: int | None = None,
                 augment: bool = True, normalize: Literal["cifar", "symmetric"] = "cifar", download: bool = False,
                 batch_size: int = 128, num_workers: int = 2, seed: int | None = None) -> None:
        super().__init__(batch_size=batch_size, num_workers=num_workers, seed=seed)
        if not 0.0 < val_fraction < 1.0:
            raise TLZooError(f"--data.val_fraction must be in (0, 1), got {val_fraction}")
        if normalize not in ("cifar", "symmetric"):
            raise TLZooError(f"--data.normalize must be cifar or symmetric, got {normalize!r}")
        self.root = Path(root) if root else default_root()
        self.val_fraction = val_fraction
        self.split_seed = self.seed if split_seed is None else split_seed
        self.augment = augment
        self.download = download
        spec = ImageSpec(3, 32, CIFAR10_MEAN, CIFAR10_STD) if normalize == "cifar" else ImageSpec.symmetric(3, 32)
        from tlzoo.data.fixtures_cifar10 import LABEL_NAMES

        self.set_spec(spec, 10, list(LABEL_NAMES))
        self.protocol = "CIFAR-10 32x32x3"

    def prepare_data(self) -> None:
        if self.download:
            load_cifar10(self.root, train=True, download=True)

    def build(self) -> None:
        train_x, train_y, names = load_cifar10(self.root, train=True)
        test_x, test_y, _ = load_cifar10(self.root, train=False)
        self.class_names = names
        kept, held = stratified_holdout(train_y, self.val_fraction, self.split_seed)
        images, labels = torch.from_numpy(train_x), torch.from_numpy(train_y)
        transform = cifar_augmentation() if self.augment else None
        self.train_set = NormalisedImages(images[kept], labels[kept], self.spec, transform)
        self.val_set = NormalisedImages(images[held], labels[held], self.spec)
        self.test_set = NormalisedImages(torch.from_numpy(test_x), torch.from_numpy(test_y), self.spec)
        self.protocol = (f"CIFAR-10 32x32x3 from {self.root / FOLDER}: train {len(kept)} / val {len(held)} "
                         f"(split seed {self.split_seed}) / test {len(test_y)}; augmentation "
                         f"{'crop 32 pad 4 + flip' if self.augment else 'none'}")
