"""The two losses specific to Domain Separation Networks (Bousmalis et al., NIPS 2016).

Bousmalis, Trigeorgis, Silberman, Krishnan & Erhan, "Domain Separation Networks", NIPS 2016,
https://arxiv.org/abs/1608.06019. The similarity loss (DANN or MMD) is not here: DSN uses the
domain discriminator of :mod:`tlzoo.nn.discriminators` or :func:`tlzoo.nn.losses.mmd2`.

* :func:`scale_invariant_mse`, the reconstruction loss ``L_si_mse`` (paper eq. 4).
* :func:`difference_loss`, the soft subspace orthogonality ``L_difference`` (paper eq. 5).
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F


def scale_invariant_mse(x: torch.Tensor, x_hat: torch.Tensor) -> torch.Tensor:
    """Paper eq. 4, averaged over the batch::

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
    """Soft orthogonality of the shared and private codes of one domain (paper eq. 5)::

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
