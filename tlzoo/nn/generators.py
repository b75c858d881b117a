"""Image generators of the GAN families (plain ``nn.Module``; images in ``[-1, 1]`` through ``Tanh``).

* :class:`UNetGenerator`: the U-Net of pix2pix (image -> image, with skip connections).
* :class:`ResnetGenerator`: the residual generator of CycleGAN (image -> image).
* :class:`DCGANGenerator`: the transposed-convolution generator of DCGAN (noise [+ label] -> image).

All three are initialised as in the papers (:func:`tlzoo.nn.norm.init_gan_weights`, ``N(0, 0.02)``).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from tlzoo.errors import TLZooError
from tlzoo.nn.norm import NormKind, conv_bias, init_gan_weights, norm_layer


def _largest_power_of_two_dividing(n: int) -> int:
    """``k`` such that ``2**k`` divides ``n`` and ``2**(k+1)`` does not (``n > 0``)."""
    return (n & -n).bit_length() - 1


# -- pix2pix U-Net ---------------------------------------------------------------------------------
class UNetGenerator(nn.Module):
    """The U-Net generator of pix2pix.

    Isola, Zhu, Zhou & Efros, "Image-to-Image Translation with Conditional Adversarial Networks",
    CVPR 2017, https://arxiv.org/abs/1611.07004, appendix 6.1.1. With ``Ck`` a 4x4 convolution
    (stride 2, padding 1) with ``k`` filters followed by normalisation and an activation, and ``CDk``
    the same with dropout 0.5::

        encoder: C64-C128-C256-C512-C512-C512-C512-C512       (LeakyReLU 0.2; no norm on C64)
        decoder: CD512-CD1024-CD1024-C1024-C1024-C512-C256-C128 (ReLU; transposed convs)

    and a last convolution to ``out_channels`` followed by ``Tanh``. Decoder block ``i`` sees the
    previous decoder output concatenated with the mirrored encoder output (the skip connections; the
    decoder widths above count the concatenated channels). ``num_downs`` sets the depth: each
    encoder layer halves the resolution, so with 8 layers a 256x256 image reaches 1x1 at the
    bottleneck. Encoder widths are ``base_channels * min(2**i, 8)``.

    Code vs. paper: ``down[i]`` = encoder ``C`` layer ``i``, ``up[0]`` = the first decoder layer (at
    the bottleneck), ``up[-1]`` = the output convolution + Tanh. Each block is written as
    "activation, convolution, normalisation": the activation that the paper puts after a layer is
    applied at the start of the next one, which is the same network.

    Deviations and choices:

    * The innermost (bottleneck) layer has no normalisation, as in the authors' code (a 1x1 map has
      no spatial statistics to normalise with InstanceNorm, and BatchNorm on it zeroes single
      images). The paper's errata say the same.
    * Dropout is on the first three decoder blocks (paper: ``CD512-CD1024-CD1024``). The authors'
      code instead puts it on the ``num_downs - 5`` decoder blocks after the bottleneck one, so its
      shallower nets (``num_downs < 6``) have none. Here it follows the paper for every depth;
      ``dropout=False`` removes it. pix2pix keeps dropout on at test time as its noise source; here
      ``nn.Dropout`` follows ``train()`` / ``eval()`` (call ``.train()`` on the dropout layers to
      sample at test time).

    Args:
        in_channels: channels of the input images.
        out_channels: channels of the output images.
        num_downs: number of stride-2 encoder layers; input height and width must be divisible by
            ``2**num_downs`` (8 for 256 px, 7 for 128 px, 5 for 32 px).
        base_channels: width of the first encoder layer (paper: 64).
        norm: ``batch`` (pix2pix), ``instance`` or ``none``.
        dropout: dropout 0.5 in the first three decoder blocks.
    """

    def __init__(self, in_channels: int, out_channels: int, num_downs: int = 8, base_channels: int = 64,
                 norm: NormKind = "batch", dropout: bool = True) -> None:
        super().__init__()
        if num_downs < 1:
            raise ValueError(f"num_downs must be >= 1, got {num_downs}")
        self.num_downs = num_downs
        bias = conv_bias(norm)
        widths = [base_channels * min(2**i, 8) for i in range(num_downs)]
        self.widths = tuple(widths)

        down: list[nn.Module] = []
        for i, width in enumerate(widths):
            outermost, innermost = i == 0, i == num_downs - 1
            c_in = in_channels if outermost else widths[i - 1]
            layers: list[nn.Module] = [] if outermost else [nn.LeakyReLU(0.2, inplace=True)]
            layers.append(nn.Conv2d(c_in, width, 4, stride=2, padding=1, bias=bias))
            if not (outermost or innermost):
                layers.append(norm_layer(norm, width))
            down.append(nn.Sequential(*layers))
        self.down = nn.ModuleList(down)

        up: list[nn.Module] = []
        for j, level in enumerate(reversed(range(num_downs))):  # j = 0 at the bottleneck
            c_in = widths[level] if level == num_downs - 1 else 2 * widths[level]
            layers = [nn.ReLU(inplace=True)]
            if level == 0:
                layers += [nn.ConvTranspose2d(c_in, out_channels, 4, stride=2, padding=1), nn.Tanh()]
            else:
                layers += [nn.ConvTranspose2d(c_in, widths[level - 1], 4, stride=2, padding=1, bias=bias),
                           norm_layer(norm, widths[level - 1])]
                if dropout and j < 3:
                    layers.append(nn.Dropout(0.5))
            up.append(nn.Sequential(*layers))
        self.up = nn.ModuleList(up)
        init_gan_weights(self)

    def check_size(self, height: int, width: int) -> None:
        """Raise :class:`TLZooError` unless ``height`` and ``width`` are divisible by ``2**num_downs``."""
        factor = 2**self.num_downs
        if height % factor or width % factor:
            fits = _largest_power_of_two_dividing(math.gcd(height, width))
            raise TLZooError(
                f"UNetGenerator with num_downs={self.num_downs} needs image height and width divisible by "
                f"2**{self.num_downs} = {factor}, got {height}x{width} images; set the generator's num_downs "
                f"to at most {fits} for this size (e.g. 5 for 32 px, 8 for 256 px) or resize the images")

    def encode(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The outputs of the encoder layers, outermost first (the last one is the bottleneck).

        Layer ``i`` gives ``(N, base_channels * min(2**i, 8), H / 2**(i+1), W / 2**(i+1))``.
        """
        self.check_size(x.shape[-2], x.shape[-1])
        skips = []
        h = x
        for layer in self.down:
            h = layer(h)
            skips.append(h)
        return skips

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = self.encode(x)
        h = skips.pop()
        for j, block in enumerate(self.up):
            if j > 0:
                h = torch.cat([h, skips.pop()], dim=1)
            h = block(h)
        return h


# -- CycleGAN ResNet generator ---------------------------------------------------------------------
class ResnetBlock(nn.Module):
    """``Rk``: two reflection-padded 3x3 convolutions with ``k`` filters and a residual connection
    (Johnson et al., ECCV 2016, as used by CycleGAN): ``x + norm(conv(relu(norm(conv(x)))))``."""

    def __init__(self, channels: int, norm: NormKind = "instance", dropout: bool = False) -> None:
        super().__init__()
        bias = conv_bias(norm)
        layers: list[nn.Module] = [nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3, bias=bias),
                                   norm_layer(norm, channels), nn.ReLU(inplace=True)]
        if dropout:
            layers.append(nn.Dropout(0.5))
        layers += [nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3, bias=bias), norm_layer(norm, channels)]
        self.body = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class ResnetGenerator(nn.Module):
    """The generator of CycleGAN.

    Zhu, Park, Isola & Efros, "Unpaired Image-to-Image Translation using Cycle-Consistent
    Adversarial Networks", ICCV 2017, https://arxiv.org/abs/1703.10593, appendix 7.2, after Johnson
    et al., "Perceptual Losses for Real-Time Style Transfer and Super-Resolution", ECCV 2016::

        c7s1-64, d128, d256, R256 x n_blocks, u128, u64, c7s1-3

    ``c7s1-k``: 7x7 convolution, stride 1, ``k`` filters, InstanceNorm, ReLU (reflection padding);
    ``dk``: 3x3 convolution, stride 2, InstanceNorm, ReLU; ``Rk``: :class:`ResnetBlock`; ``uk``: 3x3
    transposed convolution, stride 1/2, InstanceNorm, ReLU. The last ``c7s1`` has ``out_channels``
    filters and ``Tanh`` instead of normalisation and ReLU. The paper uses 6 blocks for 128x128
    images and 9 for 256x256 and larger.

    Code vs. paper: ``n_downsampling`` is the number of ``dk`` (and ``uk``) layers (paper: 2), widths
    ``base_channels * 2**i``. Input height and width must be divisible by ``2**n_downsampling`` for
    the output to have the input's size.

    Args:
        in_channels: channels of the input images.
        out_channels: channels of the output images.
        base_channels: filters of the first layer (paper: 64).
        n_blocks: residual blocks (paper: 6 for 128 px, 9 for 256 px).
        n_downsampling: stride-2 layers on each side (paper: 2).
        norm: ``instance`` (CycleGAN), ``batch`` or ``none``.
        dropout: dropout 0.5 inside each residual block (off in CycleGAN).
    """

    def __init__(self, in_channels: int, out_channels: int, base_channels: int = 64, n_blocks: int = 9,
                 n_downsampling: int = 2, norm: NormKind = "instance", dropout: bool = False) -> None:
        super().__init__()
        if n_blocks < 0 or n_downsampling < 0:
            raise ValueError(f"n_blocks and n_downsampling must be >= 0, got {n_blocks} and {n_downsampling}")
        self.n_downsampling = n_downsampling
        bias = conv_bias(norm)
        layers: list[nn.Module] = [nn.ReflectionPad2d(3), nn.Conv2d(in_channels, base_channels, 7, bias=bias),
                                   norm_layer(norm, base_channels), nn.ReLU(inplace=True)]
        width = base_channels
        for _ in range(n_downsampling):
            layers += [nn.Conv2d(width, 2 * width, 3, stride=2, padding=1, bias=bias),
                       norm_layer(norm, 2 * width), nn.ReLU(inplace=True)]
            width *= 2
        layers += [ResnetBlock(width, norm, dropout) for _ in range(n_blocks)]
        for _ in range(n_downsampling):
            layers += [nn.ConvTranspose2d(width, width // 2, 3, stride=2, padding=1, output_padding=1, bias=bias),
                       norm_layer(norm, width // 2), nn.ReLU(inplace=True)]
            width //= 2
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(width, out_channels, 7), nn.Tanh()]
        self.model = nn.Sequential(*layers)
        init_gan_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        factor = 2**self.n_downsampling
        h, w = x.shape[-2], x.shape[-1]
        if h % factor or w % factor:
            raise TLZooError(
                f"ResnetGenerator with n_downsampling={self.n_downsampling} needs image height and width divisible "
                f"by {factor}, got {h}x{w} images; crop or resize the images (e.g. the data's crop size)")
        return self.model(x)


# -- DCGAN -----------------------------------------------------------------------------------------
DCGAN_IMAGE_SIZES: tuple[int, ...] = (16, 28, 32, 64)


def dcgan_geometry(image_size: int, who: str) -> tuple[int, int]:
    """``(seed_size, n_up)``: the side of the smallest feature map and the number of stride-2 layers."""
    if image_size not in DCGAN_IMAGE_SIZES:
        raise TLZooError(f"{who} supports image_size in {DCGAN_IMAGE_SIZES}, got {image_size}; "
                         "resize the images to one of these sizes")
    if image_size == 28:
        return 7, 2
    return 4, int(math.log2(image_size // 4))


class DCGANGenerator(nn.Module):
    """The all-convolutional generator of DCGAN, optionally conditioned on a class label.

    Radford, Metz & Chintala, "Unsupervised Representation Learning with Deep Convolutional
    Generative Adversarial Networks", ICLR 2016, https://arxiv.org/abs/1511.06434, Sec. 3 and Fig. 1:
    ``z`` is projected to a small ``seed x seed`` map with many channels, then stride-2 transposed
    convolutions (4x4, "fractionally-strided") double the resolution and halve the channels, with
    BatchNorm and ReLU after every layer but the output, which has ``Tanh``.

    Sizes: 64 px: ``z -> 4x4x(8b) -> 8x8x(4b) -> 16x16x(2b) -> 32x32x(b) -> 64x64xC`` (the paper's
    Fig. 1 with ``b = 128``); 32 px: ``4x4x(4b) -> ... -> 32x32xC``; 16 px: ``4x4x(2b) -> 8x8x(b) ->
    16x16xC``. 28 px (MNIST) starts from a 7x7 map (a 7x7 transposed convolution on the 1x1 input,
    as the InfoGAN MNIST generator starts from 7x7): ``7x7x(2b) -> 14x14x(b) -> 28x28xC``; no crop.

    Conditional GAN (Mirza & Osindero, "Conditional Generative Adversarial Nets", arXiv:1411.1784):
    with ``num_classes > 0`` the one-hot label is concatenated to ``z`` before the first layer.

    Code vs. paper: ``latent_dim`` = dimension of ``z`` (paper: 100), ``base_channels`` = ``b``.

    Args:
        latent_dim: dimension of the noise ``z``.
        out_channels: channels of the generated images.
        image_size: side of the square images, one of 16, 28, 32, 64.
        base_channels: channels of the last hidden layer (the first has ``b * 2**(n_up - 1)``).
        num_classes: classes of the conditional GAN (0: unconditional).
    """

    def __init__(self, latent_dim: int, out_channels: int, image_size: int, base_channels: int = 64,
                 num_classes: int = 0) -> None:
        super().__init__()
        seed, n_up = dcgan_geometry(image_size, "DCGANGenerator")
        self.latent_dim = latent_dim
        self.num_classes = num_classes
        self.image_size = image_size
        width = base_channels * 2 ** (n_up - 1)
        layers: list[nn.Module] = [nn.ConvTranspose2d(latent_dim + num_classes, width, seed, bias=False),
                                   nn.BatchNorm2d(width), nn.ReLU(inplace=True)]
        for _ in range(n_up - 1):
            layers += [nn.ConvTranspose2d(width, width // 2, 4, stride=2, padding=1, bias=False),
                       nn.BatchNorm2d(width // 2), nn.ReLU(inplace=True)]
            width //= 2
        layers += [nn.ConvTranspose2d(width, out_channels, 4, stride=2, padding=1), nn.Tanh()]
        self.model = nn.Sequential(*layers)
        init_gan_weights(self)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """``z``: ``(N, latent_dim)`` (or ``(N, latent_dim, 1, 1)``); ``labels``: ``(N,)`` class indices,
        required if and only if ``num_classes > 0``. Returns ``(N, out_channels, image_size, image_size)``."""
        z = z.flatten(1)
        if self.num_classes > 0:
            if labels is None:
                raise ValueError(f"this DCGANGenerator is conditional (num_classes={self.num_classes}); pass labels")
            z = torch.cat([z, F.one_hot(labels.long(), self.num_classes).to(z.dtype)], dim=1)
        elif labels is not None:
            raise ValueError("this DCGANGenerator is unconditional (num_classes=0); labels must be None")
        return self.model(z[:, :, None, None])
