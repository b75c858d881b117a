"""The image transformation network of fast (feed-forward) style transfer.

Johnson, Alahi & Fei-Fei, "Perceptual Losses for Real-Time Style Transfer and Super-Resolution", ECCV 2016,
https://arxiv.org/abs/1603.08155, Sec. 3.1 and the supplementary material::

    c9s1-32, d64, d128, R128 x 5, u64, u32, c9s1-3

``c9s1-k``: 9x9 convolution, stride 1, ``k`` filters, normalisation, ReLU; ``dk``: 3x3 convolution, stride 2;
``Rk``: residual block of two 3x3 convolutions (:class:`tlzoo.nn.generators.ResnetBlock`); ``uk``: 3x3
fractionally strided (transposed) convolution, stride 1/2. The last layer has 3 filters and a scaled ``tanh``:
here ``(tanh + 1) / 2``, an RGB image in [0, 1] (the paper: [0, 255]).

Code vs. paper: ``base_channels`` = 32; ``residual_blocks`` = 5; ``norm`` = ``instance`` by default, the
instance normalisation of Ulyanov, Vedaldi & Lempitsky ("Instance Normalization: The Missing Ingredient for
Fast Stylization", 2016) that Johnson's released models and most re-implementations use (the paper: batch
normalisation, ``norm: batch``); ``upsample`` = ``transposed`` (paper) or ``nearest`` (nearest-neighbour
upsampling then a 3x3 convolution, which avoids checkerboard artefacts: Odena, Dumoulin & Olah, Distill 2016).
Deviations: reflection padding inside every convolution (the paper pads the input by 40 pixels and uses
unpadded residual convolutions); instance norm without learned scale and shift.
"""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from tlzoo.errors import TLZooError
from tlzoo.nn.generators import ResnetBlock
from tlzoo.nn.norm import NormKind, conv_bias, norm_layer


def _conv(c_in: int, c_out: int, kernel: int, stride: int, bias: bool) -> list[nn.Module]:
    return [nn.ReflectionPad2d(kernel // 2), nn.Conv2d(c_in, c_out, kernel, stride=stride, bias=bias)]


class TransformNet(nn.Module):
    """``f_W``: RGB in [0, 1] -> stylised RGB in [0, 1], same size (height and width divisible by 4).

    Args:
        base_channels: filters of the first layer (paper: 32).
        residual_blocks: residual blocks at 1/4 resolution (paper: 5).
        norm: ``instance`` (common practice) or ``batch`` (paper) or ``none``.
        upsample: ``transposed`` (paper) or ``nearest``.
    """

    def __init__(self, base_channels: int = 32, residual_blocks: int = 5, norm: NormKind = "instance",
                 upsample: Literal["transposed", "nearest"] = "transposed") -> None:
        super().__init__()
        bias = conv_bias(norm)
        c = base_channels
        layers: list[nn.Module] = [*_conv(3, c, 9, 1, bias), norm_layer(norm, c), nn.ReLU(inplace=True),
                                   *_conv(c, 2 * c, 3, 2, bias), norm_layer(norm, 2 * c), nn.ReLU(inplace=True),
                                   *_conv(2 * c, 4 * c, 3, 2, bias), norm_layer(norm, 4 * c), nn.ReLU(inplace=True)]
        layers += [ResnetBlock(4 * c, norm) for _ in range(residual_blocks)]
        for width in (2 * c, c):
            if upsample == "transposed":
                layers.append(nn.ConvTranspose2d(2 * width, width, 3, stride=2, padding=1, output_padding=1,
                                                 bias=bias))
            else:
                layers += [nn.Upsample(scale_factor=2, mode="nearest"), *_conv(2 * width, width, 3, 1, bias)]
            layers += [norm_layer(norm, width), nn.ReLU(inplace=True)]
        layers += _conv(c, 3, 9, 1, True)
        self.model = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-1] % 4 or x.shape[-2] % 4:
            raise TLZooError(f"the transformation network needs height and width divisible by 4, got "
                             f"{tuple(x.shape[-2:])}; resize the images (--data.image_size, tlzoo stylize --size)")
        return (torch.tanh(self.model(x * 2.0 - 1.0)) + 1.0) / 2.0
