"""In-memory image datasets (for the small datasets that ship inside pip packages).

Besides ``__getitem__`` (one example), :class:`TensorImageDataset` implements ``__getitems__``, the
``DataLoader`` hook for fetching a whole batch: the images are indexed once and a transform that takes batches
(``transform.batched = True``, e.g. :class:`~tlzoo.data.tensor_loader.RandomAffineBatch`) is applied to the
batch at once. The result is a :class:`StackedBatch`, which :func:`collate_stacked` returns without copying
and which ``default_collate`` still collates as a list of ``(x, y)`` examples.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import torch
from torch.utils.data import Dataset, default_collate

from tlzoo.data.base import Unlabeled

__all__ = ["StackedBatch", "TensorImageDataset", "UnlabeledTensorImages", "collate_stacked"]


class StackedBatch(Sequence):
    """A batch fetched in one piece: ``tensors`` is ``[x, y]`` (or ``[x]`` without labels), each stacked along
    dimension 0. Indexing gives one example (``(x[i], y[i])`` or ``x[i]``), so collate functions that expect
    a list of examples still work."""

    __slots__ = ("tensors",)

    def __init__(self, *tensors: torch.Tensor) -> None:
        self.tensors = list(tensors)

    def __len__(self) -> int:
        return len(self.tensors[0])

    def __getitem__(self, index: int) -> Any:  # type: ignore[override]
        if not -len(self) <= index < len(self):
            raise IndexError(index)
        if len(self.tensors) == 1:
            return self.tensors[0][index]
        return tuple(t[index] for t in self.tensors)


def collate_stacked(batch: Any) -> Any:
    """Collate function of the batched path: a :class:`StackedBatch` is already a batch (``[x, y]``, as
    ``default_collate`` would build it from ``(x, y)`` examples; or ``x``); anything else goes to
    ``default_collate``."""
    if isinstance(batch, StackedBatch):
        return batch.tensors[0] if len(batch.tensors) == 1 else list(batch.tensors)
    return default_collate(batch)


def _apply_transform(transform: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor) -> torch.Tensor:
    """``transform`` on a batch: at once when it declares ``batched = True``, else image by image."""
    if getattr(transform, "batched", False):
        return transform(x)
    return torch.stack([transform(img) for img in x]) if len(x) else x


class TensorImageDataset(Dataset):
    """``(image, label)`` pairs from an ``(N, C, H, W)`` float tensor and an ``(N,)`` label tensor.

    Images are stored in [0, 1] and returned normalised to [-1, 1], after the optional
    ``transform`` (applied to the [0, 1] image). ``__getitems__`` fetches a batch in one indexing
    operation (see the module docstring); it yields exactly what ``__getitem__`` + ``default_collate`` yield.
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor,
                 transform: Callable[[torch.Tensor], torch.Tensor] | None = None) -> None:
        if images.ndim != 4 or len(images) != len(labels):
            raise ValueError(f"expected (N, C, H, W) images and N labels, got {tuple(images.shape)}, {len(labels)}")
        self.images = images.float()
        self.labels = labels.long()
        self.transform = transform

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        x = self.images[index]
        if self.transform is not None:
            x = self.transform(x)
        return (x - 0.5) / 0.5, self.labels[index]

    def batch_images(self, indices: Sequence[int] | torch.Tensor) -> torch.Tensor:
        """The images at ``indices`` as one ``(B, C, H, W)`` batch, transformed and normalised."""
        idx = torch.as_tensor(indices, dtype=torch.long)
        x = self.images[idx]
        if self.transform is not None:
            x = _apply_transform(self.transform, x)
        return (x - 0.5) / 0.5

    def __getitems__(self, indices: list[int]) -> StackedBatch | list:
        if type(self).__getitem__ is not TensorImageDataset.__getitem__:  # a subclass's own examples: one by one
            return [self[i] for i in indices]
        return StackedBatch(self.batch_images(indices), self.labels[torch.as_tensor(indices, dtype=torch.long)])


class UnlabeledTensorImages(Unlabeled):
    """The images of a :class:`TensorImageDataset` without labels (``Unlabeled`` with batched fetching).
    Its batches are :class:`StackedBatch` of images only: load it with :func:`collate_stacked`."""

    dataset: TensorImageDataset

    def __init__(self, dataset: TensorImageDataset) -> None:
        super().__init__(dataset)

    def __getitems__(self, indices: list[int]) -> StackedBatch:
        return StackedBatch(self.dataset.batch_images(indices))
