"""Two labelled digit data sets with different label sets, for StarGAN's mask vector (Choi et al., CVPR 2018,
Sec. 3.2, :mod:`tlzoo.methods.disentangle.stargan_mask`), from the digit domains of
:class:`~tlzoo.data.multi_domain_digits.MultiDomainDigits` (``uci`` and ``mnist`` ship inside pip packages):

* data set 0, ``domain``: images of every domain in ``domains``, labelled with their domain only (the digit is
  hidden from the model);
* data set 1, ``digit``: images of ``digit_domain`` (default ``mnist``), labelled with their digit only (the
  domain is hidden).

``digit_domain``'s train pool, validation hold-out and test split are each divided, stratified by digit, between
the two data sets (``digit_share`` to ``digit``), so the data sets share no image, as CelebA and RaFD in the paper.
Label names: the domains, then ``digit_0`` ... ``digit_9``; ``label_sets = [len(domains), 10]``.

Batches: ``(x, y, labels, s)``: ``x`` ``(N, C, S, S)`` in [-1, 1], ``y`` the digit (int64; kept for analysis, not
a label of data set 0), ``labels`` the int64 position of the image's label among all names (its domain ``d``, or
``len(domains) + digit``), ``s`` the data set (0 or 1). ``num_classes = 10``.
"""

from __future__ import annotations

import torch
from torch.utils.data import Dataset

from tlzoo.data.labelled import stratified_holdout
from tlzoo.data.multi_domain_digits import DigitDomainName, MultiDomainDigits
from tlzoo.data.usps_mnist import ByteImageDataset
from tlzoo.errors import TLZooError


class LabelSetTagged(Dataset):
    """``(x, y, label, data_set)`` from a dataset of ``(x, y)``: ``label`` is ``fixed``, or ``offset + y``."""

    def __init__(self, dataset: Dataset, data_set: int, fixed: int | None = None, offset: int = 0) -> None:
        self.dataset, self.fixed, self.offset = dataset, fixed, offset
        self.data_set = torch.tensor(data_set, dtype=torch.long)

    def __len__(self) -> int:
        return len(self.dataset)  # type: ignore[arg-type]

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        x, y = self.dataset[index]
        label = torch.tensor(self.fixed if self.fixed is not None else self.offset + int(y), dtype=torch.long)
        return x, y, label, self.data_set


class DigitLabelSets(MultiDomainDigits):
    """A ``domain``-labelled and a ``digit``-labelled digit data set (module docstring).

    Args:
        domains: the domains of data set 0, in label order (among ``uci``, ``mnist``, ``usps``, ``mnist_m``).
        digit_domain: the domain (one of ``domains``) whose images also make data set 1.
        digit_share: share of ``digit_domain``'s images (every split) given to data set 1.
        root, usps_root, mnist_root, mnistm_root, image_size, channels, val_fraction, split_seed, download,
            predict_folder, batch_size, num_workers, seed: as :class:`MultiDomainDigits`.
    """

    def __init__(
        self,
        domains: list[DigitDomainName] | None = None,
        digit_domain: DigitDomainName = "mnist",
        digit_share: float = 0.5,
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
        super().__init__(domains=domains, root=root, usps_root=usps_root, mnist_root=mnist_root,
                         mnistm_root=mnistm_root, image_size=image_size, channels=channels, val_fraction=val_fraction,
                         split_seed=split_seed, download=download, predict_folder=predict_folder,
                         batch_size=batch_size, num_workers=num_workers, seed=seed)
        if digit_domain not in self.domains:
            raise TLZooError(f"--data.digit_domain must be one of --data.domains {self.domains}, got {digit_domain!r}")
        if not 0.0 < digit_share < 1.0:
            raise TLZooError(f"--data.digit_share must be in (0, 1), got {digit_share}")
        self.digit_domain, self.digit_share = digit_domain, digit_share
        self.domain_names = [*self.domains, *(f"digit_{k}" for k in range(10))]
        self.label_sets = [len(self.domains), 10]
        self.label_set_names = ["domain", "digit"]

    def _split_datasets(self, x: torch.Tensor, y: torch.Tensor, d: int, name: str, split: str) -> list[Dataset]:
        """Domain ``d``'s images of one split in their data set(s); ``digit_domain``'s divided between both."""
        if name != self.digit_domain:
            return [LabelSetTagged(ByteImageDataset(x, y), 0, fixed=d)]
        seed = self.split_seed + {"train": 1, "val": 2, "test": 3}[split]
        dom, dig = stratified_holdout(y.numpy(), self.digit_share, seed)
        return [LabelSetTagged(ByteImageDataset(x[dom], y[dom]), 0, fixed=d),
                LabelSetTagged(ByteImageDataset(x[dig], y[dig]), 1, offset=len(self.domains))]

    def _describe(self, parts: list[str], splits: dict[str, list[Dataset]]) -> str:
        sizes = {k: [len(p) for p in v] for k, v in splits.items()}  # type: ignore[arg-type]
        return (f"digit label sets {self.image_size}x{self.image_size}x{self.channels}, domain over "
                f"{'/'.join(self.domains)}, digit over {self.digit_domain} ({self.digit_share:.0%} of it), split seed "
                f"{self.split_seed}; parts per split (domain parts in domain order, digit part last): {sizes}")
