"""A history of generated images for the discriminator, whose contents survive a resume.

Shrivastava et al., "Learning from Simulated and Unsupervised Images through Adversarial
Training", CVPR 2017, https://arxiv.org/abs/1612.07828, Sec. 2.3 ("Updating the discriminator
using a history of refined images"); CycleGAN (Zhu et al., ICCV 2017, Sec. 4) keeps "an image
buffer that stores the 50 previously created images" and updates the discriminators with images
drawn from it, which reduces model oscillation.

Unlike the reference code, the buffer and its random generator are part of the module's
``state_dict`` (as ``_extra_state``, the pattern of :mod:`tlzoo.nn.grl`), so a run resumed from a
checkpoint draws exactly what the uninterrupted run would have drawn.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn


class ImagePool(nn.Module):
    """Buffer of up to ``size`` past images; :meth:`query` mixes them into the discriminator's batch.

    For each image of the batch given to :meth:`query`: while the pool holds fewer than ``size``
    images, the image is stored and returned; once it is full, with probability 1/2 a uniformly
    chosen stored image is returned and replaced by the new one, else the new image is returned.
    ``size=0`` returns the batch unchanged. Returned images are detached (the pool only feeds the
    discriminator's update).

    Coin flips come from a private ``torch.Generator`` seeded with ``seed`` (on the CPU, so drawing
    never synchronises an accelerator); its state and the stored images (moved to the CPU) are
    saved in the ``state_dict``. Stored images stay on the device they came from; restored ones are
    moved to the batch's device when returned. A checkpoint therefore holds ``size`` images per pool
    (about 40 MB for 50 RGB 256x256 images in float32). Under DDP every process keeps its own pool.

    Args:
        size: number of stored images (CycleGAN: 50; 0 disables the pool).
        seed: seed of the pool's random generator.
    """

    def __init__(self, size: int = 50, seed: int = 0) -> None:
        super().__init__()
        if size < 0:
            raise ValueError(f"size must be >= 0, got {size}")
        self.size = size
        self.seed = seed
        self.images: list[torch.Tensor] = []
        self._generator = torch.Generator().manual_seed(seed)

    def get_extra_state(self) -> dict[str, Any]:
        return {"images": [img.detach().cpu() for img in self.images], "rng": self._generator.get_state()}

    def set_extra_state(self, state: dict[str, Any]) -> None:
        self.images = [img.detach().cpu() for img in state["images"]][: self.size]
        self._generator.set_state(state["rng"])

    def query(self, images: torch.Tensor) -> torch.Tensor:
        """A batch of the same shape as ``images``, mixed with past images as described above."""
        images = images.detach()
        if self.size == 0:
            return images
        out = []
        for img in images:
            if len(self.images) < self.size:
                self.images.append(img.clone())
                out.append(img)
            elif torch.rand((), generator=self._generator).item() < 0.5:
                idx = int(torch.randint(self.size, (), generator=self._generator).item())
                old = self.images[idx]
                self.images[idx] = img.clone()
                out.append(old.to(device=img.device, dtype=img.dtype))
            else:
                out.append(img)
        return torch.stack(out)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.query(images)

    @property
    def num_stored(self) -> int:
        """How many images the pool holds (a property, not ``__len__``, so the module stays truthy)."""
        return len(self.images)

    def extra_repr(self) -> str:
        return f"size={self.size}, seed={self.seed}"
