"""Normalisation layers chosen by name, and the weight initialisation of the GAN papers.

The image-to-image networks of pix2pix and CycleGAN take their normalisation as an argument:
BatchNorm (pix2pix, DCGAN) or InstanceNorm (CycleGAN; Ulyanov et al., "Instance Normalization: The
Missing Ingredient for Fast Stylization", arXiv:1607.08022). As in those papers' code, instance
normalisation has no affine parameters and no running statistics, so it normalises every image with
its own statistics in training and in evaluation alike. A convolution followed by BatchNorm needs no
bias (BatchNorm's shift replaces it); before InstanceNorm without affine parameters, or with no
normalisation at all, the bias is kept (:func:`conv_bias`).

:func:`init_gan_weights` is the initialisation of DCGAN (Radford et al., ICLR 2016, Sec. 4:
"All weights were initialized from a zero-centered Normal distribution with standard deviation
0.02"), which pix2pix and CycleGAN keep.
"""

from __future__ import annotations

from typing import Literal

from torch import nn

NormKind = Literal["batch", "instance", "none"]
NORM_KINDS: tuple[str, ...] = ("batch", "instance", "none")


def _check_kind(kind: str) -> None:
    if kind not in NORM_KINDS:
        raise ValueError(f"norm must be one of {', '.join(NORM_KINDS)}; got {kind!r}")


def norm_layer(kind: NormKind, channels: int) -> nn.Module:
    """The 2-d normalisation layer ``kind`` over ``channels`` feature maps.

    ``batch``: ``BatchNorm2d(channels)``; ``instance``: ``InstanceNorm2d(channels, affine=False,
    track_running_stats=False)`` (pix2pix / CycleGAN); ``none``: ``Identity``.
    """
    _check_kind(kind)
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "instance":
        return nn.InstanceNorm2d(channels, affine=False, track_running_stats=False)
    return nn.Identity()


def conv_bias(kind: NormKind) -> bool:
    """Whether a convolution followed by normalisation ``kind`` needs a bias (all but BatchNorm)."""
    _check_kind(kind)
    return kind != "batch"


def init_gan_weights(module: nn.Module, std: float = 0.02) -> nn.Module:
    """DCGAN initialisation, in place: conv / transposed conv / linear weights ``~ N(0, std)``, biases 0;
    BatchNorm scales ``~ N(1, std)``, shifts 0. Returns ``module``.

    Layers wrapped by ``torch.nn.utils.parametrizations.spectral_norm`` are initialised through their
    original weight.
    """
    for m in module.modules():
        if isinstance(m, nn.Conv2d | nn.ConvTranspose2d | nn.Linear):
            weight = m.parametrizations.weight.original if hasattr(m, "parametrizations") else m.weight
            nn.init.normal_(weight, 0.0, std)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.BatchNorm2d | nn.BatchNorm1d) and m.affine:
            nn.init.normal_(m.weight, 1.0, std)
            nn.init.zeros_(m.bias)
    return module
