"""A few labelled target examples, for the *supervised* / semi-supervised adaptation settings.

The data contract (:mod:`tlzoo.data.base`) strips target labels from the training batches. Some
methods are defined for the setting where a handful of target images per class *are* labelled
(e.g. Tzeng et al., ICCV 2015: "supervised adaptation" with a few labelled target examples per
category). This module is the one, explicit way to get them:

    loader = few_labels_loader(trainer.datamodule, per_class=3, seed=0)

draws ``per_class`` examples of every class from the data module's ``target_train`` split (the
adaptation split; never ``target_test``, which stays unseen) with a fixed seed. These
``per_class * num_classes`` labels are the ONLY target labels a method using this module sees; the
rest of ``target_train`` is still used unlabelled through the normal training batches. A run that
uses them is not unsupervised domain adaptation and must be reported as "k labelled target
examples per class".
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset, Subset

from tlzoo.errors import TLZooError


def dataset_labels(dataset: Dataset) -> torch.Tensor:
    """The labels of an ``(x, y)`` dataset, read from ``labels`` / ``targets`` when the dataset has
    them (TensorImageDataset, torchvision ImageFolder / MNIST / SVHN, Subsets of these), else by
    indexing every example."""
    if isinstance(dataset, Subset):
        return dataset_labels(dataset.dataset)[torch.as_tensor(dataset.indices, dtype=torch.long)]
    for attr in ("labels", "targets"):
        value = getattr(dataset, attr, None)
        if value is not None:
            return torch.as_tensor(value).long().reshape(-1)
    return torch.as_tensor([int(dataset[i][1]) for i in range(len(dataset))])  # type: ignore[arg-type]


def draw_per_class(labels: torch.Tensor, per_class: int, num_classes: int, seed: int = 0) -> torch.Tensor:
    """Indices of ``per_class`` examples of each class ``0..num_classes-1``, drawn with ``seed``
    (sorted by class, then at random within the class)."""
    if per_class < 1:
        raise ValueError(f"per_class must be >= 1, got {per_class}")
    g = torch.Generator().manual_seed(seed)
    chosen = []
    for c in range(num_classes):
        idx = torch.nonzero(labels == c).flatten()
        if len(idx) < per_class:
            raise TLZooError(
                f"class {c} has {len(idx)} target_train examples, fewer than the {per_class} labelled "
                "examples per class asked for; lower target_labels_per_class"
            )
        chosen.append(idx[torch.randperm(len(idx), generator=g)[:per_class]])
    return torch.cat(chosen)


def few_labelled_target(datamodule: Any, per_class: int, seed: int = 0) -> Subset:
    """``(x, y)`` subset of ``datamodule.target_train`` with ``per_class`` examples per class.

    The data module must be set up (``target_train`` built), as it is once training has started.
    """
    dataset = getattr(datamodule, "target_train", None)
    if dataset is None:
        raise TLZooError(
            "labelled target examples come from the data module's target_train split, which is not "
            "available: train with a DomainAdaptationDataModule (trainer.fit(model, datamodule=dm))"
        )
    labels = dataset_labels(dataset)
    return Subset(dataset, draw_per_class(labels, per_class, int(datamodule.num_classes), seed).tolist())


def few_labels_loader(datamodule: Any, per_class: int, batch_size: int | None = None, seed: int = 0) -> DataLoader:
    """Shuffled (seeded) ``(x, y)`` loader over :func:`few_labelled_target`; its batch size is the
    data module's, capped at the subset size."""
    subset = few_labelled_target(datamodule, per_class, seed)
    bs = min(batch_size or getattr(datamodule, "batch_size", 64), len(subset))
    return DataLoader(subset, batch_size=bs, shuffle=True, generator=torch.Generator().manual_seed(seed),
                      num_workers=0)


def endless(loader: DataLoader) -> Iterator[Any]:
    """Iterate over ``loader`` forever (a new shuffle each pass)."""
    while True:
        yield from loader
