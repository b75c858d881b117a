"""Discriminators that output logits (never probabilities), so their losses stay autocast-safe.

* :class:`DomainDiscriminator`: MLP on feature vectors (DANN, ADDA, DSN).
* :class:`PatchGANDiscriminator`: convolutional map of per-patch logits (pix2pix, CycleGAN).
* :class:`DCGANDiscriminator`: strided convolutions to one logit per image, with an optional
  auxiliary classifier head (AC-GAN) and spectral normalisation.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as _spectral_norm

from tlzoo.errors import TLZooError
from tlzoo.nn.generators import dcgan_geometry
from tlzoo.nn.norm import NormKind, conv_bias, init_gan_weights, norm_layer


class DomainDiscriminator(nn.Sequential):
    """MLP domain classifier ``features -> one logit`` ("source" = 1, "target" = 0).

    DANN (Ganin et al., JMLR 2016) uses ``in -> 100 -> 1`` for digits and
    ``in -> 1024 -> 1024 -> 1`` for SVHN and Office. Pair with
    ``F.binary_cross_entropy_with_logits``, which is safe under mixed precision, unlike
    ``Sigmoid`` + ``binary_cross_entropy``.
    """

    def __init__(self, in_features: int, hidden: tuple[int, ...] = (1024, 1024), dropout: float = 0.0,
                 batch_norm: bool = False) -> None:
        layers: list[nn.Module] = []
        width = in_features
        for h in hidden:
            layers.append(nn.Linear(width, h))
            if batch_norm:
                layers.append(nn.BatchNorm1d(h))
            layers.append(nn.ReLU(inplace=True))
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = h
        layers.append(nn.Linear(width, 1))
        super().__init__(*layers)


class PatchGANDiscriminator(nn.Module):
    """The PatchGAN ("Markovian") discriminator of pix2pix, also CycleGAN's: a map of logits, each
    judging whether one ``N x N`` patch of the input is real.

    Isola et al., "Image-to-Image Translation with Conditional Adversarial Networks", CVPR 2017,
    https://arxiv.org/abs/1611.07004, Sec. 3.2.2 and appendix 6.1.2. The 70x70 discriminator is::

        C64-C128-C256-C512, then a convolution to 1 channel

    with ``Ck`` a 4x4 convolution (padding 1), normalisation and LeakyReLU 0.2; no normalisation on
    C64; stride 2 for all but the last two convolutions (C512 and the output), which have stride 1.
    The output is a logit map (no sigmoid): average the loss over it. pix2pix conditions the
    discriminator on the input image by concatenating it with the real or generated output
    (``in_channels`` = both channel counts); CycleGAN does not.

    ``n_layers`` counts the stride-2 layers; widths are ``base_channels * min(2**i, 8)``. The
    receptive field (:meth:`receptive_field`) of one output logit:

    =========  ====================================================
    n_layers   receptive field
    =========  ====================================================
    1          16x16 (the paper's "16x16 PatchGAN"; its 1x1 PixelGAN uses 1x1 convolutions instead)
    2          34x34
    3          70x70 (pix2pix / CycleGAN default)
    4          142x142
    5          286x286 (the paper's "ImageGAN" for 256 px images)
    =========  ====================================================

    An ``H x W`` input gives an ``(H / 2**n_layers - 2) x (W / 2**n_layers - 2)`` map (for ``H``
    divisible by ``2**n_layers``): 30x30 for 256 px with ``n_layers=3``, 2x2 for 32 px with
    ``n_layers=3``, 6x6 for 32 px with ``n_layers=2``.

    Args:
        in_channels: channels of the judged images (pix2pix: input + output channels).
        base_channels: filters of the first layer (paper: 64).
        n_layers: stride-2 layers (3: the 70x70 PatchGAN).
        norm: ``batch`` (pix2pix), ``instance`` (CycleGAN) or ``none``.
    """

    def __init__(self, in_channels: int, base_channels: int = 64, n_layers: int = 3, norm: NormKind = "batch") -> None:
        super().__init__()
        if n_layers < 1:
            raise ValueError(f"n_layers must be >= 1, got {n_layers}")
        self.n_layers = n_layers
        bias = conv_bias(norm)
        layers: list[nn.Module] = [nn.Conv2d(in_channels, base_channels, 4, stride=2, padding=1),
                                   nn.LeakyReLU(0.2, inplace=True)]
        width = base_channels
        for i in range(1, n_layers + 1):
            stride = 2 if i < n_layers else 1
            new_width = base_channels * min(2**i, 8)
            layers += [nn.Conv2d(width, new_width, 4, stride=stride, padding=1, bias=bias),
                       norm_layer(norm, new_width), nn.LeakyReLU(0.2, inplace=True)]
            width = new_width
        layers.append(nn.Conv2d(width, 1, 4, stride=1, padding=1))
        self.model = nn.Sequential(*layers)
        init_gan_weights(self)

    @staticmethod
    def receptive_field(n_layers: int) -> int:
        """Side of the input patch that one output logit sees: 4x4 kernels, ``n_layers`` of stride 2
        then two of stride 1, walked back from the output (``r <- (r - 1) * stride + 4``)."""
        r = 1
        for stride in [1, 1] + [2] * n_layers:
            r = (r - 1) * stride + 4
        return r

    def output_size(self, size: int) -> int:
        """Side of the logit map for an input of side ``size``."""
        for _ in range(self.n_layers):
            size = (size + 2 - 4) // 2 + 1
        return size - 2

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Returns the logit map ``(N, 1, H', W')``."""
        h, w = x.shape[-2], x.shape[-1]
        if self.output_size(h) < 1 or self.output_size(w) < 1:
            raise TLZooError(f"PatchGANDiscriminator with n_layers={self.n_layers} needs inputs of at least "
                             f"{3 * 2**self.n_layers}x{3 * 2**self.n_layers} px, got {h}x{w}; lower the "
                             "discriminator's n_layers (e.g. 2 or 3 for 32 px images)")
        return self.model(x)


class DCGANDiscriminator(nn.Module):
    """The all-convolutional discriminator of DCGAN, with optional AC-GAN head and spectral norm.

    Radford, Metz & Chintala, "Unsupervised Representation Learning with Deep Convolutional
    Generative Adversarial Networks", ICLR 2016, https://arxiv.org/abs/1511.06434, Sec. 3: 4x4
    convolutions of stride 2 (no pooling) double the channels and halve the resolution down to a
    4x4 map (7x7 for 28 px images), each followed by normalisation (none on the first layer) and
    LeakyReLU 0.2; a linear layer on the flattened map gives one logit (no sigmoid).

    Sizes (``b = base_channels``): 64 px ``-> 32x32x(b) -> 16x16x(2b) -> 8x8x(4b) -> 4x4x(8b)``; 32 px
    ``-> 16x16x(b) -> 8x8x(2b) -> 4x4x(4b)``; 16 px ``-> 8x8x(b) -> 4x4x(2b)``; 28 px ``-> 14x14x(b) ->
    7x7x(2b)``.

    Variants:

    * AC-GAN (Odena, Olah & Shlens, "Conditional Image Synthesis with Auxiliary Classifier GANs",
      ICML 2017, https://arxiv.org/abs/1610.09585): with ``aux_classes > 0`` a second linear head on
      the same features gives class logits, ``P(C | X)`` in the paper.
    * Spectral normalisation (Miyato et al., "Spectral Normalization for Generative Adversarial
      Networks", ICLR 2018, https://arxiv.org/abs/1802.05957) of every convolution and linear layer;
      usually with ``norm="none"``.
    * WGAN-GP critics (Gulrajani et al., NIPS 2017) should not use BatchNorm (the penalty is per
      example): ``norm="none"`` or ``"instance"`` (the paper suggests layer normalisation).

    :meth:`features` is the flattened body output, so another head (InfoGAN's ``Q``) can share it.

    Args:
        in_channels: channels of the images.
        image_size: side of the square images, one of 16, 28, 32, 64.
        base_channels: filters of the first layer.
        aux_classes: classes of the auxiliary classifier (0: none).
        spectral_norm: spectral normalisation of every weight.
        norm: normalisation after every convolution but the first: ``batch``, ``instance``, ``none``.
    """

    def __init__(self, in_channels: int, image_size: int, base_channels: int = 64, aux_classes: int = 0,
                 spectral_norm: bool = False, norm: NormKind = "batch") -> None:
        super().__init__()
        seed, n_down = dcgan_geometry(image_size, "DCGANDiscriminator")
        self.aux_classes = aux_classes
        self.image_size = image_size
        bias = conv_bias(norm)
        layers: list[nn.Module] = [nn.Conv2d(in_channels, base_channels, 4, stride=2, padding=1),
                                   nn.LeakyReLU(0.2, inplace=True)]
        width = base_channels
        for _ in range(n_down - 1):
            layers += [nn.Conv2d(width, 2 * width, 4, stride=2, padding=1, bias=bias),
                       norm_layer(norm, 2 * width), nn.LeakyReLU(0.2, inplace=True)]
            width *= 2
        layers.append(nn.Flatten())
        self.body = nn.Sequential(*layers)
        self.feature_dim = width * seed * seed
        self.head = nn.Linear(self.feature_dim, 1)
        self.aux_head = nn.Linear(self.feature_dim, aux_classes) if aux_classes > 0 else None
        init_gan_weights(self)
        if spectral_norm:
            for m in list(self.modules()):
                if isinstance(m, nn.Conv2d | nn.Linear):
                    _spectral_norm(m)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The body output, flattened: ``(N, feature_dim)``."""
        if x.shape[-2:] != (self.image_size, self.image_size):
            raise TLZooError(f"DCGANDiscriminator was built for {self.image_size}x{self.image_size} images, got "
                             f"{x.shape[-2]}x{x.shape[-1]}; set its image_size to the data's image size")
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """The real/fake logit ``(N,)``; with ``aux_classes > 0`` the tuple ``(logit (N,), class logits
        (N, aux_classes))``."""
        h = self.features(x)
        logit = self.head(h).squeeze(1)
        if self.aux_head is None:
            return logit
        return logit, self.aux_head(h)
