"""The MNIST networks of InfoGAN, as the paper lists them.

Chen, Duan, Houthooft, Schulman, Sutskever & Abbeel, "InfoGAN: Interpretable Representation Learning by
Information Maximizing Generative Adversarial Nets", NIPS 2016, https://arxiv.org/abs/1606.03657, appendix C.1,
Table 1 (MNIST)::

    discriminator D / recognition network Q          generator G
    input 28 x 28 gray image                         input z (62 noise variables + codes)
    4 x 4 conv. 64 lRELU. stride 2                   FC. 1024 RELU. batchnorm
    4 x 4 conv. 128 lRELU. stride 2. batchnorm       FC. 7 x 7 x 128 RELU. batchnorm
    FC. 1024 lRELU. batchnorm                        4 x 4 upconv. 64 RELU. stride 2. batchnorm
    FC. output layer for D,                          4 x 4 upconv. 1 channel
    FC. 128 - batchnorm - lRELU - FC. output for Q

LeakyReLU slopes are 0.1 (appendix C: "leaky rectified linear units (lRELU) with leaky rate 0.1"). ``Q`` shares
all of ``D`` up to and including the FC 1024 layer; its own layers live in :class:`~tlzoo.methods.InfoGAN`
(``q_head``). Code vs. paper: the generator ends in ``tanh`` (images in ``[-1, 1]``, as every tlzoo generator)
instead of the paper's Bernoulli mean; layers followed by BatchNorm have no bias; weights are initialised as
DCGAN's (:func:`~tlzoo.nn.norm.init_gan_weights`).
"""

from __future__ import annotations

import torch
from torch import nn

from tlzoo.errors import TLZooError
from tlzoo.nn.norm import init_gan_weights

#: LeakyReLU slope of the paper's discriminator and Q (appendix C).
PAPER_LEAKY_SLOPE = 0.1


class InfoGANMNISTDiscriminator(nn.Module):
    """InfoGAN's MNIST discriminator (appendix C.1, Table 1): ``28x28x1 -> 14x14x64 -> 7x7x128 -> 1024 -> 1``.

    4x4 convolutions of stride 2 (padding 1), LeakyReLU 0.1, BatchNorm after the second convolution and after the
    FC 1024 layer (none after the first convolution). :meth:`features` is the body through the FC 1024 layer
    (``feature_dim`` = 1024), the features ``Q`` shares; ``head`` is D's linear output layer (one logit, no
    sigmoid). The same interface as :class:`~tlzoo.nn.discriminators.DCGANDiscriminator`.

    Args:
        in_channels: channels of the images (1 for MNIST).
        image_size: side of the square images; must be 28.
        width: filters of the first convolution (64; the second has ``2 * width``).
        hidden: width of the fully-connected layer (1024).
    """

    def __init__(self, in_channels: int = 1, image_size: int = 28, width: int = 64, hidden: int = 1024) -> None:
        super().__init__()
        if image_size != 28:
            raise ValueError(f"InfoGANMNISTDiscriminator is built for 28x28 images, got image_size={image_size}")
        self.image_size = image_size
        self.body = nn.Sequential(
            nn.Conv2d(in_channels, width, 4, stride=2, padding=1), nn.LeakyReLU(PAPER_LEAKY_SLOPE, inplace=True),
            nn.Conv2d(width, 2 * width, 4, stride=2, padding=1, bias=False), nn.BatchNorm2d(2 * width),
            nn.LeakyReLU(PAPER_LEAKY_SLOPE, inplace=True),
            nn.Flatten(),
            nn.Linear(2 * width * 7 * 7, hidden, bias=False), nn.BatchNorm1d(hidden),
            nn.LeakyReLU(PAPER_LEAKY_SLOPE, inplace=True))
        self.feature_dim = hidden
        self.head = nn.Linear(hidden, 1)
        init_gan_weights(self)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The body through the FC 1024 layer (shared with ``Q``): ``(N, feature_dim)``."""
        if x.shape[-2:] != (self.image_size, self.image_size):
            raise TLZooError(f"InfoGANMNISTDiscriminator was built for {self.image_size}x{self.image_size} images, "
                             f"got {x.shape[-2]}x{x.shape[-1]}")
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The real/fake logit ``(N,)``."""
        return self.head(self.features(x)).squeeze(1)


class InfoGANMNISTGenerator(nn.Module):
    """InfoGAN's MNIST generator (appendix C.1, Table 1): ``input -> 1024 -> 7x7x128 -> 14x14x64 -> 28x28xC``.

    FC 1024 - BN - ReLU, FC 7x7x128 - BN - ReLU, 4x4 transposed convolution of stride 2 (padding 1) to 64 channels
    - BN - ReLU, 4x4 transposed convolution of stride 2 to ``out_channels``, then ``tanh`` (the paper outputs a
    Bernoulli mean; tlzoo's images live in ``[-1, 1]``).

    Args:
        input_dim: dimension of the generator input (InfoGAN: noise + one-hot categorical + continuous codes).
        out_channels: channels of the generated images (1 for MNIST).
        hidden: width of the first fully-connected layer (1024).
        width: channels of the 14x14 map (64; the 7x7 map has ``2 * width``).
    """

    def __init__(self, input_dim: int, out_channels: int = 1, hidden: int = 1024, width: int = 64) -> None:
        super().__init__()
        self.input_dim = input_dim
        self.image_size = 28
        self.seed_channels = 2 * width
        self.fc = nn.Sequential(
            nn.Linear(input_dim, hidden, bias=False), nn.BatchNorm1d(hidden), nn.ReLU(inplace=True),
            nn.Linear(hidden, self.seed_channels * 7 * 7, bias=False), nn.BatchNorm1d(self.seed_channels * 7 * 7),
            nn.ReLU(inplace=True))
        self.deconv = nn.Sequential(
            nn.ConvTranspose2d(self.seed_channels, width, 4, stride=2, padding=1, bias=False), nn.BatchNorm2d(width),
            nn.ReLU(inplace=True),
            nn.ConvTranspose2d(width, out_channels, 4, stride=2, padding=1), nn.Tanh())
        init_gan_weights(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        """``z``: ``(N, input_dim)`` (or ``(N, input_dim, 1, 1)``). Returns ``(N, out_channels, 28, 28)``."""
        h = self.fc(z.flatten(1))
        return self.deconv(h.view(len(h), self.seed_channels, 7, 7))
