"""Content-similarity losses between an image and its translation (pixel-level domain adaptation).

:func:`masked_pairwise_mse` is PixelDA's masked pairwise mean squared error (Bousmalis et al., "Unsupervised
Pixel-Level Domain Adaptation with Generative Adversarial Networks", CVPR 2017, https://arxiv.org/abs/1612.05424,
eq. 5)::

    L_c(G) = E_{x_s, z} [ (1/k) || (x_s - G(x_s, z)) o m ||_2^2  -  (1/k^2) ((x_s - G(x_s, z))^T m)^2 ]

with ``m`` a binary foreground mask and ``k`` the number of pixels of the input. It penalises differences
between *pairs* of pixels (the squared error minus the squared mean error), so the generator may shift the
foreground's overall colour but must keep its shape. Here ``k`` counts every element of one image (pixels x
channels, as the authors' released code flattens the image), whatever the mask.
"""

from __future__ import annotations

import torch


def masked_pairwise_mse(source: torch.Tensor, generated: torch.Tensor, mask: torch.Tensor | None = None
                        ) -> torch.Tensor:
    """PixelDA's PMSE (module docstring), averaged over the batch.

    Args:
        source: ``(N, C, H, W)`` images ``x_s``.
        generated: ``(N, C, H, W)`` translations ``G(x_s, z)``.
        mask: ``(N, 1 or C, H, W)`` foreground mask ``m`` (0 / 1, or weights); ``None``: every pixel.
    """
    diff = (source.float() - generated.float())
    if mask is not None:
        diff = diff * mask.to(diff.dtype).expand_as(diff)
    flat = diff.flatten(1)
    k = flat.shape[1]
    return (flat.pow(2).sum(1) / k - flat.sum(1).pow(2) / k**2).mean()
