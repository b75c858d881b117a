"""Perceptual losses of neural style transfer: content (feature) losses, Gram-matrix style losses, total variation.

Two papers, two normalisations, both written out here (``F`` a layer's response reshaped to ``N_l x M_l``:
``N_l`` channels, ``M_l = H x W`` positions):

Gatys, Ecker & Bethge, "Image Style Transfer Using Convolutional Neural Networks", CVPR 2016
(https://openaccess.thecvf.com/content_cvpr_2016/papers/Gatys_Image_Style_Transfer_CVPR_2016_paper.pdf), Eqs. 1-5::

    L_content = 1/2 sum_ij (F_ij - P_ij)^2                       (P: the content image's response)
    G_ij      = sum_k F_ik F_jk                                  (Gram matrix, unnormalised)
    E_l       = 1 / (4 N_l^2 M_l^2) sum_ij (G_ij - A_ij)^2       (A: the style image's Gram matrix)
    L_style   = sum_l w_l E_l

Johnson, Alahi & Fei-Fei, "Perceptual Losses for Real-Time Style Transfer and Super-Resolution", ECCV 2016
(https://arxiv.org/abs/1603.08155), Sec. 3.2::

    l_feat   = 1 / (C H W) || phi(y_hat) - phi(y) ||_2^2
    G_cc'    = 1 / (C H W) sum_hw phi_hwc phi_hwc'               (Gram matrix, normalised)
    l_style  = || G(y_hat) - G(y_s) ||_F^2                       (squared Frobenius norm), summed over layers

Total variation (Mahendran & Vedaldi, CVPR 2015; Johnson et al. Sec. 3.3 "total variation regulariser"):
:func:`total_variation` with ``power=2`` is ``sum (x[i+1,j] - x[i,j])^2 + (x[i,j+1] - x[i,j])^2``, with
``power=1`` the anisotropic absolute version; averaged over the batch.

Every loss averages over the batch (the papers optimise one image at a time, where the two coincide). A
style target Gram matrix of batch size 1 broadcasts over a batch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import torch


def gram_matrix(features: torch.Tensor, normalize: bool = True) -> torch.Tensor:
    """``(N, C, H, W)`` -> ``(N, C, C)``: ``F F^T`` over the ``H W`` positions, divided by ``C H W`` when
    ``normalize`` (Johnson et al.), raw when not (Gatys et al.). Computed in float32 (autocast-safe)."""
    n, c, h, w = features.shape
    f = features.float().reshape(n, c, h * w)
    gram = torch.bmm(f, f.transpose(1, 2))
    return gram / (c * h * w) if normalize else gram


def gatys_content_loss(features: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """``1/2 sum (F - P)^2`` per image, averaged over the batch."""
    diff = features.float() - target.float()
    return 0.5 * diff.pow(2).flatten(1).sum(1).mean()


def gatys_layer_style_loss(features: torch.Tensor, target_gram: torch.Tensor) -> torch.Tensor:
    """``E_l = 1 / (4 N^2 M^2) sum (G - A)^2`` with raw Gram matrices (``target_gram`` from
    ``gram_matrix(style_features, normalize=False)``), averaged over the batch."""
    n, c, h, w = features.shape
    gram = gram_matrix(features, normalize=False)
    return (gram - target_gram.float()).pow(2).flatten(1).sum(1).mean() / (4.0 * c**2 * (h * w) ** 2)


def gatys_style_loss(features: Mapping[str, torch.Tensor], target_grams: Mapping[str, torch.Tensor],
                     layer_weights: Mapping[str, float] | None = None) -> torch.Tensor:
    """``sum_l w_l E_l`` over the layers of ``target_grams`` (``w_l = 1 / #layers`` by default, as the paper's
    ``1/5`` for five layers)."""
    layers = list(target_grams)
    weights = layer_weights or {name: 1.0 / len(layers) for name in layers}
    return sum(weights[name] * gatys_layer_style_loss(features[name], target_grams[name]) for name in layers)


def feature_reconstruction_loss(features: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Johnson's ``1 / (C H W) ||phi(y_hat) - phi(y)||^2`` per image (the mean squared error), batch-averaged."""
    return (features.float() - target.float()).pow(2).mean()


def style_reconstruction_loss(features: Mapping[str, torch.Tensor], target_grams: Mapping[str, torch.Tensor],
                              layers: Sequence[str] | None = None) -> torch.Tensor:
    """Johnson's ``sum_j ||G_j(y_hat) - G_j(y_s)||_F^2`` with normalised Gram matrices, batch-averaged."""
    total = torch.zeros((), device=next(iter(features.values())).device)
    for name in layers or list(target_grams):
        gram = gram_matrix(features[name], normalize=True)
        total = total + (gram - target_grams[name].float()).pow(2).flatten(1).sum(1).mean()
    return total


def total_variation(x: torch.Tensor, power: int = 2) -> torch.Tensor:
    """``sum |x[i+1,j] - x[i,j]|^p + |x[i,j+1] - x[i,j]|^p`` per image (``p = power``), batch-averaged."""
    if power not in (1, 2):
        raise ValueError(f"total variation power must be 1 or 2, got {power}")
    x = x.float()
    dh = (x[:, :, 1:, :] - x[:, :, :-1, :]).abs().pow(power)
    dw = (x[:, :, :, 1:] - x[:, :, :, :-1]).abs().pow(power)
    return (dh.flatten(1).sum(1) + dw.flatten(1).sum(1)).mean()
