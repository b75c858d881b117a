"""Whole batches from in-memory tensors: one indexing operation per batch instead of one call per image.

A :class:`~tlzoo.data.tensors.TensorImageDataset` keeps its images in one ``(N, C, H, W)`` tensor. Fetching a
batch image by image (``__getitem__`` per index, then ``default_collate`` stacking the pieces) costs far more
than the small networks trained on such data; here a batch is ``images[indices]``, with the random
augmentation applied to the whole batch at once (per-sample random parameters, :class:`RandomAffineBatch`).

The loader stays a ``torch.utils.data.DataLoader`` with the same sampler: the batch indices, their number
and ``drop_last`` are exactly those of the per-image path, Lightning still calls ``set_epoch`` on
``loader.sampler`` (so the order is a function of ``(seed, epoch)`` and resuming is exact), and worker
processes, pinned memory and distributed samplers work as before. The only change is *how* a batch is fetched:
the dataset's ``__getitems__`` (the ``DataLoader`` hook for batched fetching) returns a
:class:`~tlzoo.data.tensors.StackedBatch` that :func:`~tlzoo.data.tensors.collate_stacked` hands on without
copying. The random numbers drawn, and so the batches, are identical to the per-image path's.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import Dataset

from tlzoo.data.tensors import TensorImageDataset, UnlabeledTensorImages, collate_stacked

__all__ = ["RandomAffineBatch", "batched_fetch"]


def _uniform_like_torch(u: torch.Tensor, low: float, high: float) -> torch.Tensor:
    """``torch.empty(1).uniform_(low, high)`` from the float32 ``u = uniform_(0, 1)`` drawn from the same
    generator state: the CPU kernel computes ``u * (high - low) + low`` in float64 with float32 bounds (and
    ``high - low`` in float32), then rounds to float32. Reproducing that keeps a batched draw bit-identical
    to one draw per image."""
    lo = torch.tensor(low, dtype=torch.float32)
    span = (torch.tensor(high, dtype=torch.float32) - lo).double()
    return (u.double() * span + lo.double()).float()


class RandomAffineBatch(nn.Module):
    """Random affine jitter with its own parameters for every image of a batch (nearest-neighbour, zero fill).

    The same transform as ``torchvision.transforms.v2.RandomAffine(degrees, translate, scale)`` applied to
    each image in turn (rotation in ``[-degrees, degrees]``, shifts rounded to whole pixels, isotropic
    scale; the inverse affine map sampled with ``grid_sample``), but computed for the whole batch in one
    ``affine_grid``-style product and one ``grid_sample``. It draws the same random numbers from the global
    torch generator in the same order (angle, shift x, shift y, scale per image), so a batch equals the
    per-image result exactly, and checkpoints that store the generator's state resume exactly.

    Accepts ``(C, H, W)`` (one image) or ``(N, C, H, W)``.

    Args:
        degrees: maximum absolute rotation, in degrees.
        translate: maximum absolute shift as fractions ``(fx, fy)`` of the width and height.
        scale: ``(low, high)`` range of the scale factor.
    """

    #: Takes ``(N, C, H, W)`` batches (one random draw per image); read by :class:`TensorImageDataset`.
    batched = True

    def __init__(self, degrees: float, translate: tuple[float, float] = (0.0, 0.0),
                 scale: tuple[float, float] = (1.0, 1.0)) -> None:
        super().__init__()
        if degrees < 0:
            raise ValueError(f"degrees must be >= 0, got {degrees}")
        if len(translate) != 2 or not all(0.0 <= t <= 1.0 for t in translate):
            raise ValueError(f"translate must be two fractions in [0, 1], got {translate}")
        if len(scale) != 2 or not 0 < scale[0] <= scale[1]:
            raise ValueError(f"scale must be (low, high) with 0 < low <= high, got {scale}")
        self.degrees = float(degrees)
        self.translate = (float(translate[0]), float(translate[1]))
        self.scale = (float(scale[0]), float(scale[1]))

    def extra_repr(self) -> str:
        return f"degrees={self.degrees}, translate={self.translate}, scale={self.scale}"

    def sample_params(self, n: int, height: int, width: int) -> torch.Tensor:
        """``(n, 4)`` float64 parameters ``(angle in degrees, shift x px, shift y px, scale)``, from the global
        generator, per image in the order torchvision draws them."""
        u = torch.empty(n, 4).uniform_(0.0, 1.0)
        max_dx = float(self.translate[0] * width)
        max_dy = float(self.translate[1] * height)
        params = torch.stack([
            _uniform_like_torch(u[:, 0], -self.degrees, self.degrees),
            _uniform_like_torch(u[:, 1], -max_dx, max_dx),
            _uniform_like_torch(u[:, 2], -max_dy, max_dy),
            _uniform_like_torch(u[:, 3], *self.scale),
        ], dim=1).double()
        params[:, 1:3] = params[:, 1:3].round()  # whole pixels (round half to even, as Python's round)
        return params

    @staticmethod
    def inverse_matrices(params: torch.Tensor, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """``(n, 2, 3)`` inverse affine maps (output pixel -> input pixel, centred coordinates), computed in
        float64 as torchvision does, then cast to ``dtype``."""
        rows = []
        for angle, tx, ty, s in params.tolist():  # no shear, centre at the image centre (0, 0)
            rot = math.radians(angle)
            a, b = math.cos(rot), -math.sin(rot)
            c, d = math.sin(rot), math.cos(rot)
            m = [d / s, -b / s, 0.0, -c / s, a / s, 0.0]
            m[2] += 0.0 - m[0] * (0.0 + tx) - m[1] * (0.0 + ty)
            m[5] += 0.0 - m[3] * (0.0 + tx) - m[4] * (0.0 + ty)
            rows.append(m)
        return torch.tensor(rows, dtype=dtype).view(-1, 2, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        single = x.ndim == 3
        if single:
            x = x.unsqueeze(0)
        if x.ndim != 4:
            raise ValueError(f"expected a (C, H, W) image or an (N, C, H, W) batch, got shape {tuple(x.shape)}")
        n, _, h, w = x.shape
        if n == 0:
            return x[0] if single else x
        out = apply_affine(x, self.inverse_matrices(self.sample_params(n, h, w)))
        return out[0] if single else out


def apply_affine(images: torch.Tensor, theta: torch.Tensor) -> torch.Tensor:
    """Warp ``(N, C, H, W)`` images by per-image inverse maps ``theta`` (``(N, 2, 3)``, pixel units about the
    image centre): nearest-neighbour sampling, zeros outside. Integer images are sampled as float32 and
    rounded back."""
    n, _, h, w = images.shape
    floating = torch.is_floating_point(images)
    img = images if floating else images.float()
    theta = theta.to(device=img.device, dtype=img.dtype)
    base = torch.empty(1, h, w, 3, dtype=img.dtype, device=img.device)
    base[..., 0].copy_(torch.linspace((1.0 - w) * 0.5, (w - 1.0) * 0.5, steps=w, device=img.device))
    base[..., 1].copy_(torch.linspace((1.0 - h) * 0.5, (h - 1.0) * 0.5, steps=h, device=img.device).unsqueeze_(-1))
    base[..., 2].fill_(1)
    rescaled = theta.transpose(1, 2).div(torch.tensor([0.5 * w, 0.5 * h], dtype=img.dtype, device=img.device))
    grid = base.view(1, h * w, 3).expand(n, h * w, 3).bmm(rescaled).view(n, h, w, 2)
    out = F.grid_sample(img, grid, mode="nearest", padding_mode="zeros", align_corners=False)
    return out if floating else out.round_().to(images.dtype)


def batched_fetch(dataset: Dataset, collate_fn: Callable[[list], Any] | None) -> tuple[Dataset, Any]:
    """The ``(dataset, collate_fn)`` a loader should use so that in-memory tensor datasets are fetched a whole
    batch at a time; anything else is returned unchanged.

    ``TensorImageDataset`` (and ``Unlabeled`` around one, served as :class:`UnlabeledTensorImages`) fetch
    batches through ``__getitems__``; :func:`collate_stacked` passes such a batch through and collates
    anything else with ``default_collate``. A caller's own ``collate_fn`` is kept (and the batch then
    reaches it as a sequence of ``(x, y)`` samples, as before)."""
    from tlzoo.data.base import Unlabeled

    if collate_fn is not None:
        return dataset, collate_fn
    if isinstance(dataset, Unlabeled) and type(dataset.dataset) is TensorImageDataset:
        return UnlabeledTensorImages(dataset.dataset), collate_stacked
    if type(dataset) is TensorImageDataset or isinstance(dataset, UnlabeledTensorImages):
        return dataset, collate_stacked
    return dataset, collate_fn

