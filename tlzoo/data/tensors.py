"""In-memory image datasets (for the small datasets that ship inside pip packages)."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch.utils.data import Dataset


class TensorImageDataset(Dataset):
    """``(image, label)`` pairs from an ``(N, C, H, W)`` float tensor and an ``(N,)`` label tensor.

    Images are stored in [0, 1] and returned normalised to [-1, 1], after the optional
    ``transform`` (applied to the [0, 1] image).
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
