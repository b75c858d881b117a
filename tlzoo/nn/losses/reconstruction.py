"""Reconstruction losses: L1 (pix2pix), cycle consistency and identity (CycleGAN), and the two
losses of Domain Separation Networks (scale-invariant MSE, difference loss).

* :func:`l1_reconstruction`: ``E ||x - x_hat||_1`` as a mean over elements (pix2pix's ``L_L1``,
  Isola et al., CVPR 2017, https://arxiv.org/abs/1611.07004, eq. 3).
* :func:`cycle_consistency_loss`: CycleGAN's ``L_cyc`` (Zhu et al., ICCV 2017,
  https://arxiv.org/abs/1703.10593, eq. 2), one direction per call.
* :func:`identity_loss`: CycleGAN's identity mapping loss (Sec. 5.2, after Taigman et al., ICLR 2017).
* :func:`scale_invariant_mse` and :func:`difference_loss`: DSN's ``L_si_mse`` (eq. 4) and
  ``L_difference`` (eq. 5); Bousmalis, Trigeorgis, Silberman, Krishnan & Erhan, "Domain Separation
  Networks", NIPS 2016, https://arxiv.org/abs/1608.06019.

Each takes tensors of any matching shape; low-precision inputs are cast to float32 first.
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F


def _check_same_shape(a: torch.Tensor, b: torch.Tensor, names: str) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{names} must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}")


def l1_reconstruction(x: torch.Tensor, x_hat: torch.Tensor) -> torch.Tensor:
    """``mean |x - x_hat|`` over all elements (pix2pix eq. 3, ``L_L1(G) = E ||y - G(x, z)||_1``, as a
    per-element mean, which is how the paper's ``lambda = 100`` is scaled)."""
    _check_same_shape(x, x_hat, "x and x_hat")
    return F.l1_loss(x_hat.to(torch.promote_types(x_hat.dtype, torch.float32)),
                     x.to(torch.promote_types(x.dtype, torch.float32)))


def cycle_consistency_loss(x: torch.Tensor, x_cycled: torch.Tensor) -> torch.Tensor:
    """One direction of CycleGAN's eq. 2, ``E_x ||F(G(x)) - x||_1`` as a mean over elements; the full
    ``L_cyc`` is the sum over both directions (``x_cycled = F(G(x))`` and ``G(F(y))``)."""
    return l1_reconstruction(x, x_cycled)


def identity_loss(y: torch.Tensor, g_of_y: torch.Tensor) -> torch.Tensor:
    """CycleGAN Sec. 5.2, ``L_identity = E_y ||G(y) - y||_1`` (+ the same for ``F`` and ``x``), as a mean
    over elements: a generator fed an image of its *output* domain should leave it unchanged."""
    return l1_reconstruction(y, g_of_y)


def scale_invariant_mse(x: torch.Tensor, x_hat: torch.Tensor) -> torch.Tensor:
    """DSN eq. 4 (``L_si_mse``), averaged over the batch::

        L_si_mse(x, x_hat) = 1/k ||x - x_hat||_2^2 - 1/k^2 ((x - x_hat) . 1_k)^2

    with ``k`` the number of values per example (``C * H * W``). It is the variance of the
    per-pixel error, so a reconstruction that is off by a constant everywhere costs nothing: the
    model learns the shape of the objects, not their absolute intensity.
    """
    if x.shape != x_hat.shape:
        raise ValueError(f"x and x_hat must have the same shape, got {tuple(x.shape)} and {tuple(x_hat.shape)}")
    diff = (x - x_hat).flatten(1).float()
    k = diff.shape[1]
    per_example = diff.pow(2).sum(1) / k - diff.sum(1).pow(2) / (k * k)
    return per_example.mean()


def difference_loss(
    shared: torch.Tensor,
    private: torch.Tensor,
    normalize: bool = True,
    reduction: Literal["mean", "sum"] = "mean",
) -> torch.Tensor:
    """Soft orthogonality of the shared and private codes of one domain (DSN eq. 5)::

        L_difference = || H_c^T H_p ||_F^2

    where the rows of ``H_c`` (``n x d_c``) and ``H_p`` (``n x d_p``) are the shared and private
    codes of the ``n`` examples of a batch. DSN adds this term for the source and for the target.

    Two choices, both following the authors' released code (``tensorflow/models``,
    ``research/domain_adaptation/domain_separation/losses.py``, ``difference_loss``), which the
    paper's loss weights were tuned with:

    * ``normalize=True``: each code matrix is centred (column means removed) and each row is
      scaled to unit L2 norm before the product, so the term measures correlation, not scale
      (otherwise the encoders could shrink their codes to satisfy it).
    * ``reduction="mean"``: the squared entries of ``H_c^T H_p`` are averaged, i.e. the squared
      Frobenius norm divided by ``d_c * d_p``. ``reduction="sum"`` is the paper's ``||.||_F^2``.

    ``normalize=False, reduction="sum"`` is eq. 5 exactly as printed.
    """
    if shared.shape[0] != private.shape[0]:
        raise ValueError(f"shared and private codes need the same batch size, got {shared.shape[0]} and "
                         f"{private.shape[0]}")
    h_c = shared.flatten(1).float()
    h_p = private.flatten(1).float()
    if normalize:
        h_c = F.normalize(h_c - h_c.mean(0, keepdim=True), p=2, dim=1)
        h_p = F.normalize(h_p - h_p.mean(0, keepdim=True), p=2, dim=1)
    corr = h_c.T @ h_p
    sq = corr.pow(2)
    if reduction == "sum":
        return sq.sum()
    if reduction != "mean":
        raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
    return sq.mean()
