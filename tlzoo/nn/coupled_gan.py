"""Coupled networks for two (or more) image domains: domain-specific low-level layers around shared
high-level layers (plain ``nn.Module``).

Liu & Tuzel, "Coupled Generative Adversarial Networks", NIPS 2016, https://arxiv.org/abs/1606.07536,
introduced the weight sharing; Liu et al., "Detach and Adapt: Learning Cross-Domain Disentangled Deep
Representation" (CDRD), CVPR 2018, https://arxiv.org/abs/1705.01314, Sec. 3.1, names the parts
``G = {G_C, G_S, G_T}``, ``D = {D_S, D_T, D_C}`` (and the encoders ``E = {E_S, E_T, E_C}`` of E-CDRD):

* :class:`CoupledGenerator`: ``G_C`` (shared) maps ``[z, one-hot(l)]`` to a feature map; ``G_d`` (one per
  domain) renders it into an image of domain ``d``. The layers are DCGAN's (Radford et al., ICLR 2016;
  :class:`tlzoo.nn.generators.DCGANGenerator`): every layer but the last transposed convolution is
  shared, so 28 px gives ``[z, l] -> 7x7x(2b) -> 14x14x(b)`` (shared) ``-> 28x28xC`` (per domain).
* :class:`CoupledDiscriminator`: ``D_d`` (one per domain) is the first 4x4 stride-2 convolution
  (+ LeakyReLU 0.2); ``D_C`` (shared) the remaining DCGAN layers plus two linear heads on the
  flattened map: the real/fake logit and the class logits of the auxiliary classifier (AC-GAN's
  ``P(C | X)``, Odena et al., ICML 2017).
* :class:`CoupledEncoder`: the mirror of the discriminator body, ``E_d`` then ``E_C``, ending in a
  :class:`tlzoo.nn.vae_parts.GaussianHead` (``z ~ q(z|x)``).

Every network returns logits (no sigmoid) and is initialised as DCGAN (``N(0, 0.02)``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from tlzoo.nn.generators import dcgan_geometry
from tlzoo.nn.norm import NormKind, conv_bias, init_gan_weights, norm_layer
from tlzoo.nn.vae_parts import GaussianHead


def check_domain(domain: int, domains: int) -> None:
    if not 0 <= domain < domains:
        raise ValueError(f"domain must be in [0, {domains}), got {domain}")


class CoupledGeneratorBase(nn.Module):
    """What every coupled generator does with its ``shared`` layers (``G_C``) and per-domain ``heads`` (``G_d``):
    conditioning on a one-hot attribute, rendering per domain. Subclasses build ``shared`` and ``heads`` and set
    ``latent_dim``, ``num_classes`` and ``domains``."""

    shared: nn.Module
    heads: nn.ModuleList
    latent_dim: int
    num_classes: int
    domains: int

    def common(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """``G_C(z, l)``: the shared feature map."""
        z = z.flatten(1)
        if self.num_classes > 0:
            if labels is None:
                raise ValueError(f"this CoupledGenerator is conditional (num_classes={self.num_classes}); pass labels")
            z = torch.cat([z, F.one_hot(labels.long(), self.num_classes).to(z.dtype)], dim=1)
        return self.shared(z[:, :, None, None])

    def render(self, h: torch.Tensor, domain: int) -> torch.Tensor:
        """``G_d(h)``: the image of domain ``d`` from a shared feature map."""
        check_domain(domain, self.domains)
        return self.heads[domain](h)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None, domain: int) -> torch.Tensor:
        return self.render(self.common(z, labels), domain)


class CoupledGenerator(CoupledGeneratorBase):
    """``x_d = G_d(G_C(z, l))``: shared high-level layers, one output layer per domain.

    Args:
        latent_dim: dimension of ``z``.
        num_classes: number of attribute values ``l`` (one-hot, concatenated to ``z``; 0: unconditional).
        out_channels: channels of the images.
        image_size: side of the square images (16, 28, 32 or 64).
        base_channels: ``b``, channels of the last shared layer.
        domains: number of domain-specific output layers.
    """

    def __init__(self, latent_dim: int, num_classes: int, out_channels: int, image_size: int,
                 base_channels: int = 64, domains: int = 2) -> None:
        super().__init__()
        seed, n_up = dcgan_geometry(image_size, "CoupledGenerator")
        self.latent_dim, self.num_classes, self.domains = latent_dim, num_classes, domains
        width = base_channels * 2 ** (n_up - 1)
        layers: list[nn.Module] = [nn.ConvTranspose2d(latent_dim + num_classes, width, seed, bias=False),
                                   nn.BatchNorm2d(width), nn.ReLU(inplace=True)]
        for _ in range(n_up - 1):
            layers += [nn.ConvTranspose2d(width, width // 2, 4, stride=2, padding=1, bias=False),
                       nn.BatchNorm2d(width // 2), nn.ReLU(inplace=True)]
            width //= 2
        self.shared = nn.Sequential(*layers)  # G_C
        self.heads = nn.ModuleList(  # G_S, G_T
            nn.Sequential(nn.ConvTranspose2d(width, out_channels, 4, stride=2, padding=1), nn.Tanh())
            for _ in range(domains))
        init_gan_weights(self)


class _CoupledBody(nn.Module):
    """``E_C(E_d(x))`` / ``D_C(D_d(x))`` up to the flattened features (shared by the encoder and discriminator)."""

    def __init__(self, in_channels: int, image_size: int, base_channels: int, domains: int, norm: NormKind,
                 who: str) -> None:
        super().__init__()
        seed, n_down = dcgan_geometry(image_size, who)
        self.domains, self.image_size = domains, image_size
        self.low = nn.ModuleList(  # D_S, D_T (E_S, E_T)
            nn.Sequential(nn.Conv2d(in_channels, base_channels, 4, stride=2, padding=1),
                          nn.LeakyReLU(0.2, inplace=True))
            for _ in range(domains))
        layers: list[nn.Module] = []
        width = base_channels
        for _ in range(n_down - 1):
            layers += [nn.Conv2d(width, 2 * width, 4, stride=2, padding=1, bias=conv_bias(norm)),
                       norm_layer(norm, 2 * width), nn.LeakyReLU(0.2, inplace=True)]
            width *= 2
        layers.append(nn.Flatten())
        self.high = nn.Sequential(*layers)  # D_C (E_C) body
        self.feature_dim = width * seed * seed

    def forward(self, x: torch.Tensor, domain: int) -> torch.Tensor:
        check_domain(domain, self.domains)
        return self.high(self.low[domain](x))


class CoupledDiscriminatorBase(nn.Module):
    """What every coupled discriminator does: a ``body(x, domain)`` (``D_C(D_d(x))``) read by two linear heads,
    the real/fake logit and the auxiliary classifier's class logits. Subclasses build ``body`` and call
    :meth:`attach_heads`."""

    body: nn.Module

    def attach_heads(self, feature_dim: int, num_classes: int) -> None:
        """The real/fake head ``head`` and the auxiliary classifier ``aux_head`` on ``feature_dim`` features."""
        self.feature_dim = feature_dim
        self.head = nn.Linear(feature_dim, 1)
        self.aux_head = nn.Linear(feature_dim, num_classes)

    def features(self, x: torch.Tensor, domain: int) -> torch.Tensor:
        """The shared features ``D_C``'s heads see, ``(N, feature_dim)``."""
        return self.body(x, domain)

    def forward(self, x: torch.Tensor, domain: int) -> tuple[torch.Tensor, torch.Tensor]:
        """``(real/fake logit (N,), class logits (N, num_classes))``."""
        h = self.features(x, domain)
        return self.head(h).squeeze(1), self.aux_head(h)


class CoupledDiscriminator(CoupledDiscriminatorBase):
    """``D_C(D_d(x))`` with two heads: the real/fake logit and the auxiliary classifier's class logits.

    Args:
        in_channels: channels of the images.
        image_size: side of the square images (16, 28, 32 or 64).
        base_channels: filters of the domain-specific first layer.
        num_classes: classes of the auxiliary classifier.
        domains: number of domain-specific first layers.
        norm: normalisation of the shared convolutions (``batch``, ``instance``, ``none``).
    """

    def __init__(self, in_channels: int, image_size: int, base_channels: int = 64, num_classes: int = 10,
                 domains: int = 2, norm: NormKind = "batch") -> None:
        super().__init__()
        self.body = _CoupledBody(in_channels, image_size, base_channels, domains, norm, "CoupledDiscriminator")
        self.attach_heads(self.body.feature_dim, num_classes)
        init_gan_weights(self)


class CoupledEncoder(nn.Module):
    """``q(z | x) = E_C(E_d(x))``: domain-specific first layer, shared layers, Gaussian head (E-CDRD, eq. 5).

    Args:
        in_channels: channels of the images.
        image_size: side of the square images (16, 28, 32 or 64).
        base_channels: filters of the domain-specific first layer.
        latent_dim: dimension of ``z``.
        domains: number of domain-specific first layers.
    """

    def __init__(self, in_channels: int, image_size: int, base_channels: int = 64, latent_dim: int = 100,
                 domains: int = 2) -> None:
        super().__init__()
        self.body = _CoupledBody(in_channels, image_size, base_channels, domains, "batch", "CoupledEncoder")
        self.head = GaussianHead(self.body.feature_dim, latent_dim)
        init_gan_weights(self)

    def forward(self, x: torch.Tensor, domain: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(z, mu, logvar)``; ``z`` sampled in training mode, ``mu`` in eval mode."""
        return self.head(self.body(x, domain))
