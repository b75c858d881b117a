"""Encoder-decoder image generator without skip connections (plain ``nn.Module``; images in ``[-1, 1]``).

:class:`EncoderDecoderGenerator` is the generator of DiscoGAN: strided convolutions squeeze the image into
a small map, transposed convolutions grow it back. Unlike :class:`tlzoo.nn.generators.UNetGenerator` no
encoder feature reaches the decoder except through the bottleneck, so the network cannot copy fine detail
from input to output: what crosses domains is what the bottleneck encodes.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from tlzoo.errors import TLZooError
from tlzoo.nn.norm import NormKind, conv_bias, init_gan_weights, norm_layer


class EncoderDecoderGenerator(nn.Module):
    """The encoder-decoder generator of DiscoGAN.

    Kim, Cha, Kim, Lee & Kim, "Learning to Discover Cross-Domain Relations with Generative Adversarial
    Networks", ICML 2017, https://arxiv.org/abs/1703.05192, Sec. 4 ("Each generator takes a 64x64x3
    image and feeds it through an encoder-decoder pair. The encoder part of each generator is composed
    of convolution layers with 4x4 filters, each followed by leaky ReLU. The decoder part is composed of
    deconvolution layers with 4x4 filters followed by a ReLU"; four to five layers each). With ``b =
    base_channels`` and ``n = num_downs``::

        encoder: C(b) - C(2b) - ... - C(b * 2**(n-1))     4x4 conv, stride 2, pad 1, LeakyReLU 0.2
        decoder: D(b * 2**(n-2)) - ... - D(b) - D(out)     4x4 transposed conv, stride 2, pad 1, ReLU

    BatchNorm follows every layer but the first convolution and the output layer (as in the authors'
    code, ``SKTBrain/DiscoGAN`` ``model.py``); widths are capped at ``8b``. A 64 px image with ``n = 4``
    reaches a 4x4x(8b) bottleneck, the paper's configuration (``b = 64``); 32 px digits with ``n = 3``
    reach 4x4x(4b).

    Code vs. paper: ``encoder`` / ``decoder`` = the encoder and decoder parts; ``num_downs`` = the number
    of convolution (and deconvolution) layers.

    Deviations: the output is ``Tanh`` (images in ``[-1, 1]``, the zoo's convention) where the authors'
    code ends in a sigmoid on ``[0, 1]`` images; ``norm`` may be ``instance`` or ``none`` instead of
    BatchNorm. The authors' optional fifth ("extra") layer to a 1x1x100 code is not built.

    Args:
        in_channels: channels of the input images.
        out_channels: channels of the output images.
        num_downs: stride-2 convolutions (and transposed convolutions); image sides must be divisible by
            ``2**num_downs``.
        base_channels: filters of the first convolution (paper: 64).
        norm: ``batch`` (paper), ``instance`` or ``none``.
    """

    def __init__(self, in_channels: int, out_channels: int, num_downs: int = 4, base_channels: int = 64,
                 norm: NormKind = "batch") -> None:
        super().__init__()
        if num_downs < 1:
            raise ValueError(f"num_downs must be >= 1, got {num_downs}")
        self.num_downs = num_downs
        bias = conv_bias(norm)
        widths = [base_channels * min(2**i, 8) for i in range(num_downs)]
        self.widths = tuple(widths)
        encoder: list[nn.Module] = []
        for i, width in enumerate(widths):
            c_in = in_channels if i == 0 else widths[i - 1]
            encoder.append(nn.Conv2d(c_in, width, 4, stride=2, padding=1, bias=bias or i == 0))
            if i > 0:
                encoder.append(norm_layer(norm, width))
            encoder.append(nn.LeakyReLU(0.2, inplace=True))
        self.encoder = nn.Sequential(*encoder)
        decoder: list[nn.Module] = []
        for i in reversed(range(1, num_downs)):
            decoder += [nn.ConvTranspose2d(widths[i], widths[i - 1], 4, stride=2, padding=1, bias=bias),
                        norm_layer(norm, widths[i - 1]), nn.ReLU(inplace=True)]
        decoder += [nn.ConvTranspose2d(widths[0], out_channels, 4, stride=2, padding=1), nn.Tanh()]
        self.decoder = nn.Sequential(*decoder)
        init_gan_weights(self)

    def check_size(self, height: int, width: int) -> None:
        """Raise :class:`TLZooError` unless ``height`` and ``width`` are divisible by ``2**num_downs``."""
        factor = 2**self.num_downs
        if height % factor or width % factor:
            g = math.gcd(height, width)
            fits = (g & -g).bit_length() - 1
            raise TLZooError(
                f"EncoderDecoderGenerator with num_downs={self.num_downs} needs image height and width divisible "
                f"by {factor}, got {height}x{width}; set the generator's num_downs to at most {fits} (e.g. 3 for "
                "32 px, 4 for 64 px) or resize the images")

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """The bottleneck map ``(N, widths[-1], H / 2**num_downs, W / 2**num_downs)``."""
        self.check_size(x.shape[-2], x.shape[-1])
        return self.encoder(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decoder(self.encode(x))
