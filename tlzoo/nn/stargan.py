"""The networks of StarGAN: a generator conditioned on a target label, and a patch critic with a label classifier.

Choi, Choi, Kim, Ha, Kim & Choo, "StarGAN: Unified Generative Adversarial Networks for Multi-Domain
Image-to-Image Translation", CVPR 2018, https://arxiv.org/abs/1711.09020, appendix (network architecture, Tables
4 and 5), with ``n_d`` the length of the label vector ``c``:

Generator ``G(x, c)`` (``c`` tiled to ``(n_d, H, W)`` and concatenated to the image, :func:`tile_labels`)::

    CONV-(N64, K7x7, S1, P3), IN, ReLU                          (input: 3 + n_d channels)
    CONV-(N128, K4x4, S2, P1), IN, ReLU ; CONV-(N256, K4x4, S2, P1), IN, ReLU          down-sampling
    6 x residual block: CONV-(N256, K3x3, S1, P1), IN, ReLU, CONV-(N256, K3x3, S1, P1), IN   bottleneck
    DECONV-(N128, K4x4, S2, P1), IN, ReLU ; DECONV-(N64, K4x4, S2, P1), IN, ReLU         up-sampling
    CONV-(N3, K7x7, S1, P3), Tanh

Discriminator (PatchGAN, no normalisation, Leaky ReLU 0.01)::

    CONV-(N64, K4x4, S2, P1), LReLU, then 5 more with doubled widths (N128 ... N2048)     hidden layers
    D_src: CONV-(N1, K3x3, S1, P1)                                 a real/fake score per patch (h/64 x w/64)
    D_cls: CONV-(N n_d, K h/64 x w/64, S1, P0)                     the label logits (1 x 1)

Code vs. paper: ``base_channels`` = 64, ``residual_blocks`` = 6, ``n_downsampling`` = 2 (generator);
``repeat_num`` = the 6 strided discriminator layers (128 px -> 2 x 2). Instance normalisation has affine
parameters, as in the authors' code. Sizes are arguments so the same networks serve 32 px digits
(``repeat_num`` 3 -> 4 x 4 patches).
"""

from __future__ import annotations

import torch
from torch import nn

from tlzoo.errors import TLZooError


def tile_labels(x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
    """``x`` ``(N, C, H, W)`` with the label vectors ``c`` ``(N, n_d)`` replicated over every pixel and
    concatenated as ``n_d`` more channels: ``(N, C + n_d, H, W)`` (StarGAN appendix, "depth-wise concatenation")."""
    if c.ndim != 2 or len(c) != len(x):
        raise ValueError(f"expected (N, n_d) labels for {len(x)} images, got {tuple(c.shape)}")
    tiled = c.to(x.dtype)[:, :, None, None].expand(-1, -1, x.shape[-2], x.shape[-1])
    return torch.cat([x, tiled], dim=1)


class ResidualBlock(nn.Module):
    """``x + IN(conv(ReLU(IN(conv(x)))))`` with 3 x 3 convolutions (StarGAN's bottleneck block)."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(channels, channels, 3, 1, 1, bias=False), nn.InstanceNorm2d(channels, affine=True),
            nn.ReLU(inplace=True),
            nn.Conv2d(channels, channels, 3, 1, 1, bias=False), nn.InstanceNorm2d(channels, affine=True))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class StarGANGenerator(nn.Module):
    """``G(x, c)``: image and target label vector -> image in [-1, 1] (module docstring).

    Args:
        image_channels: channels of the images (3 for faces).
        label_dim: length ``n_d`` of the label vector ``c``.
        base_channels: width of the first layer (64).
        residual_blocks: bottleneck blocks (6).
        n_downsampling: stride-2 layers on each side (2); image sides must be divisible by ``2**n_downsampling``.
    """

    def __init__(self, image_channels: int, label_dim: int, base_channels: int = 64, residual_blocks: int = 6,
                 n_downsampling: int = 2) -> None:
        super().__init__()
        if label_dim < 1 or residual_blocks < 0 or n_downsampling < 0:
            raise ValueError(f"need label_dim >= 1, residual_blocks >= 0, n_downsampling >= 0; got {label_dim}, "
                             f"{residual_blocks}, {n_downsampling}")
        self.label_dim, self.n_downsampling = label_dim, n_downsampling
        width = base_channels
        layers: list[nn.Module] = [nn.Conv2d(image_channels + label_dim, width, 7, 1, 3, bias=False),
                                   nn.InstanceNorm2d(width, affine=True), nn.ReLU(inplace=True)]
        for _ in range(n_downsampling):
            layers += [nn.Conv2d(width, 2 * width, 4, 2, 1, bias=False), nn.InstanceNorm2d(2 * width, affine=True),
                       nn.ReLU(inplace=True)]
            width *= 2
        layers += [ResidualBlock(width) for _ in range(residual_blocks)]
        for _ in range(n_downsampling):
            layers += [nn.ConvTranspose2d(width, width // 2, 4, 2, 1, bias=False),
                       nn.InstanceNorm2d(width // 2, affine=True), nn.ReLU(inplace=True)]
            width //= 2
        layers += [nn.Conv2d(width, image_channels, 7, 1, 3, bias=False), nn.Tanh()]
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor, c: torch.Tensor) -> torch.Tensor:
        factor = 2**self.n_downsampling
        if x.shape[-2] % factor or x.shape[-1] % factor:
            raise TLZooError(f"StarGANGenerator with n_downsampling={self.n_downsampling} needs image sides divisible "
                             f"by {factor}, got {x.shape[-2]}x{x.shape[-1]}; resize the images (--data.image_size)")
        if c.shape[-1] != self.label_dim:
            raise ValueError(f"this generator takes {self.label_dim}-d labels, got {c.shape[-1]}")
        return self.model(tile_labels(x, c))


class StarGANDiscriminator(nn.Module):
    """``D(x) = (D_src(x), D_cls(x))``: patch real/fake scores ``(N, 1, h, w)`` and label logits ``(N, n_d)``.

    Args:
        image_channels: channels of the images.
        image_size: side of the (square) images; must be divisible by ``2**repeat_num``.
        label_dim: length ``n_d`` of the label vector.
        base_channels: width of the first layer (64).
        repeat_num: strided layers (6 for 128 px; 3 for 32 px).
    """

    def __init__(self, image_channels: int, image_size: int, label_dim: int, base_channels: int = 64,
                 repeat_num: int = 6) -> None:
        super().__init__()
        if repeat_num < 1 or image_size % 2**repeat_num:
            raise TLZooError(f"StarGANDiscriminator: image_size {image_size} must be divisible by 2**repeat_num = "
                             f"{2**repeat_num}; lower --model.init_args.discriminator_layers (e.g. 3 for 32 px)")
        self.image_size = image_size
        layers: list[nn.Module] = [nn.Conv2d(image_channels, base_channels, 4, 2, 1), nn.LeakyReLU(0.01)]
        width = base_channels
        for _ in range(repeat_num - 1):
            layers += [nn.Conv2d(width, 2 * width, 4, 2, 1), nn.LeakyReLU(0.01)]
            width *= 2
        self.body = nn.Sequential(*layers)
        kernel = image_size // 2**repeat_num
        self.src = nn.Conv2d(width, 1, 3, 1, 1, bias=False)
        self.cls = nn.Conv2d(width, label_dim, kernel, bias=False)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if tuple(x.shape[-2:]) != (self.image_size, self.image_size):
            raise TLZooError(f"StarGANDiscriminator was built for {self.image_size} px images, got "
                             f"{x.shape[-2]}x{x.shape[-1]}")
        h = self.body(x)
        return self.src(h), self.cls(h).flatten(1)
