"""Per-domain pixel specification: what a data module's image tensors are and how to undo their normalisation.

A data module sets one :class:`ImageSpec` per image domain (``spec_a`` / ``spec_b``; for domain adaptation
``a`` is the source and ``b`` the target). Methods read it to size their networks (``spec.shape``), to pick an
output range (a ``tanh`` generator matches ``mean = std = 0.5``, i.e. [-1, 1]) and to turn tensors back into
pictures (``spec.denormalize(x)`` is in [0, 1], ready for ``torchvision.utils.save_image``).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class ImageSpec:
    """How one domain's images were normalised: ``x = (x01 - mean) / std`` per channel, ``x01`` in [0, 1].

    Args:
        channels: ``C`` (1 for greyscale digits, 3 for RGB).
        size: ``(H, W)``, or one int for square images (stored as ``(size, size)``).
        mean: per-channel mean subtracted from the [0, 1] image (one value broadcasts to every channel).
        std: per-channel divisor (one value broadcasts).
    """

    channels: int
    size: tuple[int, int] | int
    mean: tuple[float, ...] = (0.5,)
    std: tuple[float, ...] = (0.5,)

    def __post_init__(self) -> None:
        if isinstance(self.size, int):
            self.size = (self.size, self.size)
        self.size = (int(self.size[0]), int(self.size[1]))
        self.mean = tuple(float(m) for m in self.mean)
        self.std = tuple(float(s) for s in self.std)
        if self.channels < 1 or min(self.size) < 1:
            raise ValueError(f"ImageSpec needs channels >= 1 and a positive size, got {self.channels}, {self.size}")
        for name, values in (("mean", self.mean), ("std", self.std)):
            if len(values) not in (1, self.channels):
                raise ValueError(f"ImageSpec.{name} has {len(values)} values for {self.channels} channels")
        if any(s <= 0 for s in self.std):
            raise ValueError(f"ImageSpec.std must be positive, got {self.std}")

    @classmethod
    def symmetric(cls, channels: int, size: tuple[int, int] | int) -> ImageSpec:
        """Images in [-1, 1] (``mean = std = 0.5``), the range of a ``tanh`` generator (pix2pix, CycleGAN)."""
        return cls(channels, size, (0.5,) * channels, (0.5,) * channels)

    @property
    def shape(self) -> tuple[int, int, int]:
        """``(C, H, W)``."""
        h, w = self.size  # type: ignore[misc]
        return (self.channels, h, w)

    @property
    def value_range(self) -> tuple[float, float]:
        """Smallest and largest value a normalised pixel can take (over all channels)."""
        lows = [(0.0 - m) / s for m, s in zip(self._expand(self.mean), self._expand(self.std))]
        highs = [(1.0 - m) / s for m, s in zip(self._expand(self.mean), self._expand(self.std))]
        return min(lows), max(highs)

    def _expand(self, values: tuple[float, ...]) -> tuple[float, ...]:
        return values * self.channels if len(values) == 1 else values

    def _stats(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if x.ndim < 3 or x.shape[-3] != self.channels:
            raise ValueError(f"expected (..., {self.channels}, H, W) images, got {tuple(x.shape)}")
        dtype = x.dtype if x.is_floating_point() else torch.float32
        mean = torch.tensor(self._expand(self.mean), dtype=dtype, device=x.device).view(-1, 1, 1)
        std = torch.tensor(self._expand(self.std), dtype=dtype, device=x.device).view(-1, 1, 1)
        return mean, std

    def normalize(self, x01: torch.Tensor) -> torch.Tensor:
        """``(..., C, H, W)`` images in [0, 1] -> the data module's tensors."""
        mean, std = self._stats(x01)
        return (x01.to(mean.dtype) - mean) / std

    def denormalize(self, x: torch.Tensor) -> torch.Tensor:
        """The data module's (or a generator's) ``(..., C, H, W)`` tensors -> [0, 1], clamped."""
        mean, std = self._stats(x)
        return (x.to(mean.dtype) * std + mean).clamp(0.0, 1.0)


# Models may keep the specs in their hyper-parameters; allow them under torch.load's weights_only=True default
# (as tlzoo.methods.da.base does for OptimConfig).
torch.serialization.add_safe_globals([ImageSpec])
