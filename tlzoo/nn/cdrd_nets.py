"""The coupled 28 x 28 digit networks of CDRD's released code (CoGAN's digit layout, no normalisation).

Liu, Yeh, Fu, Wang, Chiu & Wang, "Detach and Adapt: Learning Cross-Domain Disentangled Deep Representation",
CVPR 2018, https://arxiv.org/abs/1705.01314; layer sizes from the authors' TensorFlow code
(github.com/ycliu93/CDRD, ``models/nets.py``), which follows the digit networks of CoGAN (Liu & Tuzel, NIPS
2016, https://arxiv.org/abs/1606.07536, appendix)::

    generator                                              discriminator
    [z, one-hot(l)] as a 1 x 1 map                         28 x 28 x C
    shared  2 x 2 upconv 1024, stride 2 -> 2 x 2  lReLU    per domain  5 x 5 conv 20 -> 24 x 24       lReLU
    shared  3 x 3 upconv 512, stride 2  -> 5 x 5  lReLU    shared      2 x 2 max-pool -> 12 x 12
    shared  3 x 3 upconv 256, stride 2  -> 12 x 12 lReLU   shared      5 x 5 conv 50 -> 8 x 8 (linear)
    shared  3 x 3 upconv 128, stride 2  -> 25 x 25 lReLU   shared      2 x 2 max-pool -> 4 x 4
    per domain 4 x 4 upconv C, stride 1 -> 28 x 28 tanh    shared      4 x 4 conv 500 -> 1 x 1         lReLU
                                                           shared      FC 500 (linear) = the embedding
                                                           shared      FC 1 (real / fake), FC classes (P(l | X))

LeakyReLU slope 0.25 everywhere; no batch normalisation in either network (the code's ``if_batch=False``). This
matters for adaptation: the auxiliary classifier reads target images through the same shared layers that see
source, target and synthetic batches, and BatchNorm's running statistics would mix all of them.

Code vs. the authors' code: the real/fake head is one logit (their two-way softmax is equivalent), the 5 x 5 to
12 x 12 upconvolution uses ``output_padding=1`` for TensorFlow's ``SAME`` padding, weights ``N(0, 0.02)`` and
zero biases as theirs. The modules have the attribute names of :mod:`tlzoo.nn.coupled_gan` (``shared`` /
``heads``; ``body.low`` / ``body.high``, ``head``, ``aux_head``), and the generator inherits the methods of
:class:`~tlzoo.nn.coupled_gan.CoupledGeneratorBase`, so CDRD uses either family.
"""

from __future__ import annotations

import torch
from torch import nn

from tlzoo.errors import TLZooError
from tlzoo.nn.coupled_gan import CoupledDiscriminatorBase, CoupledGeneratorBase, check_domain
from tlzoo.nn.norm import init_gan_weights

#: LeakyReLU slope of the authors' code (``lrelu(leak=0.25)``).
LEAKY_SLOPE = 0.25
#: The only image side these networks are built for.
IMAGE_SIZE = 28


def _check_size(image_size: int, who: str) -> None:
    if image_size != IMAGE_SIZE:
        raise TLZooError(f"{who} (CDRD's digit networks) is built for 28x28 images, got {image_size}: "
                         "set --data.image_size 28 or use --model.init_args.networks dcgan")


class CDRDDigitGenerator(CoupledGeneratorBase):
    """``x_d = G_d(G_C(z, l))`` with the authors' digit layers (module docstring): four shared upconvolutions
    ``1 -> 2 -> 5 -> 12 -> 25`` and one per-domain ``4x4`` upconvolution to ``28x28``.

    Args:
        latent_dim: dimension of ``z`` (the authors use 100).
        num_classes: number of attribute values (one-hot, concatenated to ``z``).
        out_channels: channels of the images.
        image_size: must be 28.
        domains: number of per-domain output layers.
    """

    def __init__(self, latent_dim: int, num_classes: int, out_channels: int = 1, image_size: int = IMAGE_SIZE,
                 domains: int = 2) -> None:
        super().__init__()
        _check_size(image_size, "CDRDDigitGenerator")
        self.latent_dim, self.num_classes, self.domains = latent_dim, num_classes, domains

        def up(cin: int, cout: int, k: int, output_padding: int = 0) -> list[nn.Module]:
            return [nn.ConvTranspose2d(cin, cout, k, stride=2, output_padding=output_padding),
                    nn.LeakyReLU(LEAKY_SLOPE, inplace=True)]

        self.shared = nn.Sequential(  # G_C: 1 -> 2 -> 5 -> 12 -> 25
            *up(latent_dim + num_classes, 1024, 2), *up(1024, 512, 3), *up(512, 256, 3, output_padding=1),
            *up(256, 128, 3))
        self.heads = nn.ModuleList(  # G_S, G_T: 25 -> 28
            nn.Sequential(nn.ConvTranspose2d(128, out_channels, 4, stride=1), nn.Tanh()) for _ in range(domains))
        init_gan_weights(self)


class _DigitBody(nn.Module):
    """``D_C(D_d(x))`` up to the 500-d embedding: a per-domain ``5x5`` convolution, then shared LeNet layers."""

    def __init__(self, in_channels: int, domains: int, embedding: int) -> None:
        super().__init__()
        self.domains = domains
        self.low = nn.ModuleList(  # D_S, D_T
            nn.Sequential(nn.Conv2d(in_channels, 20, 5), nn.LeakyReLU(LEAKY_SLOPE, inplace=True))
            for _ in range(domains))
        self.high = nn.Sequential(  # D_C's body: 24 -> 12 -> 8 -> 4 -> 1, then FC
            nn.MaxPool2d(2), nn.Conv2d(20, 50, 5), nn.MaxPool2d(2),
            nn.Conv2d(50, 500, 4), nn.LeakyReLU(LEAKY_SLOPE, inplace=True), nn.Flatten(),
            nn.Linear(500, embedding))

    def forward(self, x: torch.Tensor, domain: int) -> torch.Tensor:
        check_domain(domain, self.domains)
        return self.high(self.low[domain](x))


class CDRDDigitDiscriminator(CoupledDiscriminatorBase):
    """``D_C(D_d(x))`` with the authors' digit layers (module docstring) and two heads on the 500-d embedding:
    the real/fake logit and the auxiliary classifier's class logits.

    Args:
        in_channels: channels of the images.
        image_size: must be 28.
        num_classes: classes of the auxiliary classifier.
        domains: number of per-domain first layers.
        embedding: width of the embedding layer (500).
    """

    def __init__(self, in_channels: int = 1, image_size: int = IMAGE_SIZE, num_classes: int = 10, domains: int = 2,
                 embedding: int = 500) -> None:
        super().__init__()
        _check_size(image_size, "CDRDDigitDiscriminator")
        self.body = _DigitBody(in_channels, domains, embedding)
        self.attach_heads(embedding, num_classes)
        init_gan_weights(self)
