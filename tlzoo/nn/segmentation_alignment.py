"""Domain discriminators on segmentation feature maps, global and class-wise, and the class-wise loss.

Chen, Chen, Chen, Tsai, Wang & Sun, "No More Discrimination: Cross City Adaptation of Road Scene Segmenters",
ICCV 2017, https://arxiv.org/abs/1704.08509, Sec. 3.2-3.3:

* **global alignment**: a domain discriminator judges every grid cell of the segmenter's feature map
  (:class:`GridDomainDiscriminator`, one logit per cell);
* **class-wise alignment**: one discriminator ``D_c`` per class judges every cell, and its loss on a cell is
  weighted by how much of the cell belongs to class ``c``: the ground-truth label map for source images
  (:func:`grid_class_weights`), the predicted (soft) label map for target images (:func:`grid_class_probabilities`,
  optionally refined by a static-object prior). :class:`ClassWiseDomainDiscriminators` holds the ``K``
  discriminators as one grouped convolution (``K`` independent 1x1-convolution MLPs, ``D_c`` = group ``c``);
  :func:`class_wise_domain_loss` is the weighted binary cross-entropy.

Discriminators return logits (source = 1, target = 0).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class GridDomainDiscriminator(nn.Module):
    """Per-cell domain logits of a ``(N, C, h, w)`` feature map: ``[conv3x3-LeakyReLU] x len(hidden)``, conv1x1.

    Args:
        in_channels: channels of the feature map.
        hidden: widths of the hidden 3x3 convolutions.
    """

    def __init__(self, in_channels: int, hidden: tuple[int, ...] = (256, 128)) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = in_channels
        for h in hidden:
            layers += [nn.Conv2d(width, h, 3, padding=1), nn.LeakyReLU(0.2, inplace=True)]
            width = h
        layers.append(nn.Conv2d(width, 1, 1))
        self.model = nn.Sequential(*layers)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """``(N, 1, h, w)`` logits."""
        return self.model(features)


class ClassWiseDomainDiscriminators(nn.Module):
    """``K`` independent per-cell domain discriminators ``D_c`` (1x1-convolution MLPs), one per class.

    Args:
        in_channels: channels of the feature map.
        num_classes: ``K``.
        hidden: width of each discriminator's hidden layers.
        depth: hidden layers per discriminator.
    """

    def __init__(self, in_channels: int, num_classes: int, hidden: int = 64, depth: int = 1) -> None:
        super().__init__()
        self.num_classes = num_classes
        k = num_classes
        layers: list[nn.Module] = []
        width = in_channels
        for _ in range(depth):
            layers += [nn.Conv2d(k * width, k * hidden, 1, groups=k), nn.LeakyReLU(0.2, inplace=True)]
            width = hidden
        layers.append(nn.Conv2d(k * width, k, 1, groups=k))
        self.model = nn.Sequential(*layers)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """``(N, K, h, w)``: channel ``c`` holds ``D_c``'s logits."""
        return self.model(features.repeat(1, self.num_classes, 1, 1))


def grid_class_weights(mask: torch.Tensor, num_classes: int, ignore_index: int, size: tuple[int, int]
                       ) -> torch.Tensor:
    """Fraction of each cell's pixels labelled with each class: ``(N, K, h, w)`` from an ``(N, H, W)`` label map.

    Pixels labelled ``ignore_index`` (or any label outside ``0..K-1``) count for no class, so a cell made only of
    ignored pixels has zero weight for every class discriminator.
    """
    valid = (mask >= 0) & (mask < num_classes) & (mask != ignore_index)
    onehot = F.one_hot(torch.where(valid, mask, torch.zeros_like(mask)).long(), num_classes)
    onehot = onehot.permute(0, 3, 1, 2).float() * valid.unsqueeze(1).float()
    return F.adaptive_avg_pool2d(onehot, size)


def grid_class_probabilities(logits: torch.Tensor, size: tuple[int, int], prior: torch.Tensor | None = None
                             ) -> torch.Tensor:
    """The predicted soft label map averaged over each cell: ``(N, K, h, w)``.

    ``prior``: optional ``(N, K, H, W)`` (or ``(N, K, h, w)``) non-negative per-class prior (the paper's
    static-object prior; 1 for classes it says nothing about); the probabilities are multiplied by it and
    renormalised per pixel before pooling.
    """
    probs = logits.float().softmax(1)
    if prior is not None:
        prior = prior.to(probs.dtype)
        if prior.shape[-2:] != probs.shape[-2:]:
            prior = F.interpolate(prior, size=probs.shape[-2:], mode="bilinear", align_corners=False)
        probs = probs * prior
        probs = probs / probs.sum(1, keepdim=True).clamp_min(1e-8)
    return F.adaptive_avg_pool2d(probs, size)


def class_wise_domain_loss(logits: torch.Tensor, weights: torch.Tensor, domain: float) -> torch.Tensor:
    """``sum_{c, cells} w * BCE(D_c, domain) / sum w``: the class-wise adversarial loss (0 when all weights are 0).

    Args:
        logits: ``(N, K, h, w)`` class-wise discriminator logits.
        weights: ``(N, K, h, w)`` class weights of the cells (:func:`grid_class_weights` or
            :func:`grid_class_probabilities`).
        domain: the label, 1 (source) or 0 (target).
    """
    logits = logits.float()
    bce = F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, float(domain)), reduction="none")
    weights = weights.to(bce.dtype)
    return (weights * bce).sum() / weights.sum().clamp_min(1e-8)
