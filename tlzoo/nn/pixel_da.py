"""Networks of PixelDA: a residual generator conditioned on an image and a noise vector, and its discriminator.

Bousmalis, Silberman, Dohan, Erhan & Krishnan, "Unsupervised Pixel-Level Domain Adaptation with Generative
Adversarial Networks", CVPR 2017, https://arxiv.org/abs/1612.05424, Sec. 3.4 and Fig. 2 (the MNIST set-up of the
authors' released code: 64 filters, 6 residual blocks, a 10-d noise vector, 3x3 kernels, LeakyReLU 0.2 in the
discriminator, Gaussian noise of std 0.2 on its activations and dropout 0.1).

* :class:`NoiseResidualGenerator`: ``G(x, z)``: ``z`` (uniform in [-1, 1]) is mapped by a linear layer to one
  extra channel of the image's size and concatenated with ``x``; ``conv3x3-ReLU``, ``n_blocks`` residual blocks
  (:class:`~tlzoo.nn.generators.ResnetBlock`, BatchNorm), ``conv3x3-tanh``. The resolution never changes.
* :class:`PixelDADiscriminator`: ``conv3x3`` (stride 1) then ``n_layers`` stride-2 ``conv3x3-BN-LeakyReLU``
  blocks (widths doubling), each followed by dropout and (training only) additive Gaussian noise, and a linear
  layer to one logit (no sigmoid).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from tlzoo.nn.generators import ResnetBlock
from tlzoo.nn.norm import init_gan_weights


class GaussianNoise(nn.Module):
    """Adds ``N(0, std^2)`` noise in training mode; the identity in eval mode."""

    def __init__(self, std: float) -> None:
        super().__init__()
        self.std = std

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training and self.std > 0:
            return x + self.std * torch.randn_like(x)
        return x


class NoiseResidualGenerator(nn.Module):
    """PixelDA's generator ``G(x, z)`` (module docstring); images in [-1, 1].

    Args:
        in_channels: channels of the source images.
        out_channels: channels of the generated (target-like) images.
        image_size: ``(H, W)`` of the images (the noise channel is a linear map of ``z`` to ``H * W``).
        noise_dim: dimension of ``z`` (paper code: 10; 0 = a deterministic generator).
        base_channels: filters of every hidden layer (paper code: 64).
        n_blocks: residual blocks (paper code: 6).
    """

    def __init__(self, in_channels: int, out_channels: int, image_size: tuple[int, int], noise_dim: int = 10,
                 base_channels: int = 64, n_blocks: int = 6) -> None:
        super().__init__()
        if noise_dim < 0 or n_blocks < 0 or base_channels < 1:
            raise ValueError(f"need noise_dim >= 0, n_blocks >= 0, base_channels >= 1; got {noise_dim}, {n_blocks}, "
                             f"{base_channels}")
        self.noise_dim = noise_dim
        self.image_size = (int(image_size[0]), int(image_size[1]))
        h, w = self.image_size
        self.project = nn.Linear(noise_dim, h * w) if noise_dim > 0 else None
        c_in = in_channels + (1 if noise_dim > 0 else 0)
        self.head = nn.Sequential(nn.Conv2d(c_in, base_channels, 3, padding=1), nn.ReLU(inplace=True))
        self.blocks = nn.Sequential(*[ResnetBlock(base_channels, norm="batch") for _ in range(n_blocks)])
        self.tail = nn.Sequential(nn.Conv2d(base_channels, out_channels, 3, padding=1), nn.Tanh())
        init_gan_weights(self)

    def sample_noise(self, n: int, device: torch.device | None = None,
                     generator: torch.Generator | None = None) -> torch.Tensor:
        """``(n, noise_dim)`` uniform noise in [-1, 1] (the paper's ``z``)."""
        return torch.rand(n, self.noise_dim, generator=generator, device=device) * 2.0 - 1.0

    def forward(self, x: torch.Tensor, z: torch.Tensor | None = None) -> torch.Tensor:
        """``x``: ``(N, C, H, W)`` source images; ``z``: ``(N, noise_dim)`` (drawn when ``None``)."""
        if self.project is not None:
            if z is None:
                z = self.sample_noise(len(x), x.device)
            noise = self.project(z.to(x.dtype)).view(len(x), 1, *self.image_size)
            x = torch.cat([x, noise], dim=1)
        return self.tail(self.blocks(self.head(x)))


class PixelDADiscriminator(nn.Module):
    """PixelDA's discriminator: one logit per image, real target vs generated (module docstring).

    Args:
        in_channels: channels of the judged images.
        image_size: ``(H, W)`` of the images (sets the width of the final linear layer).
        base_channels: filters of the first layer (paper code: 64), doubled by every stride-2 block.
        n_layers: stride-2 blocks.
        noise_std: std of the Gaussian noise added after every block in training (paper code: 0.2).
        dropout: dropout after every block (paper code: keep probability 0.9).
    """

    def __init__(self, in_channels: int, image_size: tuple[int, int], base_channels: int = 64, n_layers: int = 3,
                 noise_std: float = 0.2, dropout: float = 0.1) -> None:
        super().__init__()
        if n_layers < 0:
            raise ValueError(f"n_layers must be >= 0, got {n_layers}")
        layers: list[nn.Module] = [nn.Conv2d(in_channels, base_channels, 3, padding=1), nn.LeakyReLU(0.2, inplace=True)]
        width = base_channels
        h, w = int(image_size[0]), int(image_size[1])
        for _ in range(n_layers):
            layers += [nn.Conv2d(width, 2 * width, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(2 * width),
                       nn.LeakyReLU(0.2, inplace=True), nn.Dropout(dropout), GaussianNoise(noise_std)]
            width *= 2
            h, w = math.ceil(h / 2), math.ceil(w / 2)
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(width * h * w, 1)
        init_gan_weights(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, 1)`` logits."""
        return self.head(self.body(x).flatten(1))
