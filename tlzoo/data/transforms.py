"""Joint image jitter for paired translation, with randomness that a resumed run replays exactly.

pix2pix (Isola et al., "Image-to-Image Translation with Conditional Adversarial Networks", CVPR 2017,
https://arxiv.org/abs/1611.07004, Sec. 6.2) trains with "random jitter ... by resizing the 256x256 input
images to 286x286 and then randomly cropping back to size 256x256", plus random mirroring; CycleGAN
(Zhu et al., "Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial Networks", ICCV 2017,
https://arxiv.org/abs/1703.10593) uses the same jitter on each domain. For *paired* data the input and
the target must get the same geometry, so :class:`JointRandomCropFlip` draws one crop and one flip and
applies them to every image it is given.

Where the randomness comes from
-------------------------------
No global RNG is used. A training dataset derived from :class:`EpochKeyedDataset` is indexed with keys
``(epoch, index)`` produced by :class:`EpochKeySampler` (an :class:`~tlzoo.data.base.EpochSeededSampler`
whose order is the same; Lightning calls its ``set_epoch``) and draws its jitter from
``numpy.random.default_rng([seed, stream, epoch, index])``. The sampler runs in the main process and
sends the keys to the workers, so the epoch reaches persistent workers too, and the jitter of every
example depends only on ``(seed, stream, epoch, index)``: the number of workers, the order in which
workers run and a resume from a checkpoint change nothing. ``stream`` separates the domains of unpaired
data (independent crops for A and B). A plain integer key means epoch 0.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from tlzoo.data.base import EpochSeededSampler

ImageLike = Any  # a PIL image, or a (C, H, W) uint8 / float-in-[0, 1] tensor


def as_tensor(image: ImageLike) -> torch.Tensor:
    """PIL image -> ``(C, H, W)`` uint8 tensor; tensors are returned unchanged."""
    if isinstance(image, torch.Tensor):
        return image
    from torchvision.transforms.v2.functional import pil_to_tensor

    return pil_to_tensor(image)


def to_tensor01(image: ImageLike) -> torch.Tensor:
    """PIL image or ``(C, H, W)`` tensor (uint8, or float in [0, 1]) -> float ``(C, H, W)`` in [0, 1]."""
    image = as_tensor(image)
    if image.dtype == torch.uint8:
        return image.float().div_(255.0)
    return image.float()


def resize_square(image: torch.Tensor, size: int) -> torch.Tensor:
    """Bicubic (antialiased) resize of a ``(C, H, W)`` uint8 or [0, 1] float tensor to ``size x size``,
    as pix2pix / CycleGAN's ``transforms.Resize([size, size], BICUBIC)`` (aspect ratio not kept)."""
    if image.shape[-2:] == (size, size):
        return image
    from torchvision.transforms import InterpolationMode
    from torchvision.transforms.v2.functional import resize

    out = resize(image, [size, size], interpolation=InterpolationMode.BICUBIC, antialias=True)
    return out if out.dtype == torch.uint8 else out.clamp_(0.0, 1.0)


class JointRandomCropFlip:
    """The same resize -> random crop -> random horizontal flip on every image of one example.

    Training (an ``rng`` given): resize each image to ``load_size x load_size``, crop one random
    ``crop_size x crop_size`` window (the same for all images), and mirror all of them with probability
    1/2 when ``flip``. Evaluation (``rng=None``): resize to ``crop_size x crop_size`` only.

    Code vs. paper (pix2pix Sec. 6.2): ``load_size`` = 286, ``crop_size`` = 256, ``flip`` = mirroring.

    Args:
        load_size: side the images are resized to before cropping.
        crop_size: side of the crop (the network's input).
        flip: mirror horizontally with probability 1/2.
    """

    def __init__(self, load_size: int, crop_size: int, flip: bool = True) -> None:
        if crop_size < 1 or load_size < crop_size:
            raise ValueError(f"need 1 <= crop_size <= load_size, got load_size={load_size}, crop_size={crop_size}")
        self.load_size = load_size
        self.crop_size = crop_size
        self.flip = flip

    def sample(self, rng: np.random.Generator) -> tuple[int, int, bool]:
        """``(top, left, mirror)`` of one example."""
        span = self.load_size - self.crop_size + 1
        top, left = (int(v) for v in rng.integers(0, span, size=2))
        mirror = bool(self.flip and rng.random() < 0.5)
        return top, left, mirror

    def __call__(self, *images: ImageLike, rng: np.random.Generator | None = None) -> tuple[torch.Tensor, ...]:
        """Float ``(C, crop_size, crop_size)`` tensors in [0, 1], one per input image."""
        tensors = [as_tensor(image) for image in images]
        if rng is None:
            return tuple(to_tensor01(resize_square(t, self.crop_size)) for t in tensors)
        top, left, mirror = self.sample(rng)
        out = []
        for t in tensors:
            t = resize_square(t, self.load_size)[..., top:top + self.crop_size, left:left + self.crop_size]
            out.append(to_tensor01(t.flip(-1) if mirror else t))
        return tuple(out)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(load_size={self.load_size}, crop_size={self.crop_size}, flip={self.flip})"


class EpochKeyedDataset(Dataset):
    """A dataset whose items are random, the randomness a function of ``(seed, stream, epoch, index)``.

    Subclasses implement ``__len__`` and :meth:`get`; index with ``(epoch, index)`` keys (what
    :class:`EpochKeySampler` yields) or a plain ``index`` (epoch 0).

    Args:
        seed: the run seed.
        stream: separates independent random streams under one seed (e.g. domain A = 0, B = 1).
    """

    def __init__(self, seed: int = 0, stream: int = 0) -> None:
        self.seed = seed
        self.stream = stream

    def rng(self, epoch: int, index: int) -> np.random.Generator:
        """The generator of example ``index`` in ``epoch``."""
        return np.random.default_rng([self.seed, self.stream, epoch, index])

    def get(self, index: int, rng: np.random.Generator) -> Any:
        raise NotImplementedError

    def __getitem__(self, key: int | tuple[int, int]) -> Any:
        epoch, index = key if isinstance(key, tuple) else (0, int(key))
        return self.get(index, self.rng(epoch, index))


class EpochKeySampler(EpochSeededSampler):
    """:class:`EpochSeededSampler`'s permutation, yielded as ``(epoch, index)`` keys for an
    :class:`EpochKeyedDataset` (so the dataset knows the epoch, also inside persistent workers)."""

    def __iter__(self) -> Iterator[tuple[int, int]]:  # type: ignore[override]
        epoch = self.epoch
        return ((epoch, i) for i in super().__iter__())
