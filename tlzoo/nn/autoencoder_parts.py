"""Small convolutional encoder and decoder for auto-encoding methods (plain ``nn.Module``): the private
encoders and the shared decoder of Domain Separation Networks, where they first served.

Bousmalis et al., "Domain Separation Networks", NIPS 2016, https://arxiv.org/abs/1608.06019.
The architectures follow the authors' released code for the digit experiments
(``tensorflow/models``, ``research/domain_adaptation/domain_separation/models.py``:
``default_encoder`` and ``small_decoder``), sized from ``input_shape`` so that the same modules
serve 28x28 grey digits (MNIST, embedded digits) and 32x32 colour digits (MNIST-M, SVHN):

* :class:`PrivateEncoder` ``E_p``: conv 5x5x32 (same padding) - max-pool 2 - conv 5x5x64 - max-pool 2
  - fc ``code_dim``, each followed by BatchNorm and ReLU.
* :class:`SharedDecoder` ``D``: fc 300 - reshape 3x10x10 - conv 3x3x16 - conv 3x3x16 - nearest
  upsampling to ``H x W`` - conv 3x3x16 - conv 3x3xC (linear output), BatchNorm and ReLU after every
  layer but the last.

The shared encoder ``E_c`` is an ordinary backbone (:mod:`tlzoo.nn.backbones`) plus bottleneck.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from tlzoo.errors import TLZooError


def _conv_bn_relu(c_in: int, c_out: int, kernel: int, batch_norm: bool) -> list[nn.Module]:
    layers: list[nn.Module] = [nn.Conv2d(c_in, c_out, kernel, padding=kernel // 2)]
    if batch_norm:
        layers.append(nn.BatchNorm2d(c_out))
    layers.append(nn.ReLU(inplace=True))
    return layers


def _require_image(input_shape: Sequence[int], what: str) -> tuple[int, int, int]:
    if len(input_shape) != 3:
        raise TLZooError(f"DSN's {what} needs images (C, H, W); the data gives inputs of shape {tuple(input_shape)}")
    c, h, w = (int(v) for v in input_shape)
    return c, h, w


class PrivateEncoder(nn.Module):
    """``E_p``: image -> private code of width ``code_dim`` (one per domain in DSN).

    Args:
        input_shape: ``(C, H, W)`` of the images.
        code_dim: width of the code; must equal the width of the shared code (DSN adds them).
        channels: widths of the two conv layers.
        batch_norm: BatchNorm after each layer (as in the released code).
    """

    def __init__(self, input_shape: Sequence[int], code_dim: int, channels: tuple[int, int] = (32, 64),
                 batch_norm: bool = True) -> None:
        super().__init__()
        c, h, w = _require_image(input_shape, "private encoder")
        self.convs = nn.Sequential(
            *_conv_bn_relu(c, channels[0], 5, batch_norm), nn.MaxPool2d(2),
            *_conv_bn_relu(channels[0], channels[1], 5, batch_norm), nn.MaxPool2d(2),
            nn.Flatten(),
        )
        flat = channels[1] * (h // 2 // 2) * (w // 2 // 2)
        fc: list[nn.Module] = [nn.Linear(flat, code_dim)]
        if batch_norm:
            fc.append(nn.BatchNorm1d(code_dim))
        fc.append(nn.ReLU(inplace=True))
        self.fc = nn.Sequential(*fc)
        self.code_dim = code_dim

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(self.convs(x))


class SharedDecoder(nn.Module):
    """``D``: code -> image of shape ``output_shape``; DSN decodes ``E_c(x) + E_p(x)``.

    Args:
        code_dim: width of the input code.
        output_shape: ``(C, H, W)`` of the reconstructions.
        seed_shape: ``(channels, height, width)`` of the map the first fully connected layer is
            reshaped to (released code: 3x10x10, i.e. fc 300).
        width: channels of the conv layers.
        batch_norm: BatchNorm after each layer but the last.
    """

    def __init__(self, code_dim: int, output_shape: Sequence[int], seed_shape: tuple[int, int, int] = (3, 10, 10),
                 width: int = 16, batch_norm: bool = True) -> None:
        super().__init__()
        c, h, w = _require_image(output_shape, "decoder")
        self.seed_shape = tuple(seed_shape)
        n_seed = seed_shape[0] * seed_shape[1] * seed_shape[2]
        fc: list[nn.Module] = [nn.Linear(code_dim, n_seed)]
        if batch_norm:
            fc.append(nn.BatchNorm1d(n_seed))
        fc.append(nn.ReLU(inplace=True))
        self.fc = nn.Sequential(*fc)
        self.body = nn.Sequential(
            *_conv_bn_relu(seed_shape[0], width, 3, batch_norm),
            *_conv_bn_relu(width, width, 3, batch_norm),
            nn.Upsample(size=(h, w), mode="nearest"),
            *_conv_bn_relu(width, width, 3, batch_norm),
            nn.Conv2d(width, c, 3, padding=1),
        )
        self.output_shape = (c, h, w)

    def forward(self, code: torch.Tensor) -> torch.Tensor:
        seed = self.fc(code).view(code.shape[0], *self.seed_shape)
        return self.body(seed)
