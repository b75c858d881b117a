"""Conditional GAN (cGAN): generator and discriminator both see the class label.

Mirza & Osindero, "Conditional Generative Adversarial Nets", arXiv:1411.1784, 2014, eq. 2::

    min_G max_D V(D, G) = E_{x ~ p_data}[log D(x | y)] + E_{z ~ p_z}[log(1 - D(G(z | y) | y))]

The label ``y`` is fed to both networks "as additional input layer": the generator gets ``[z, one_hot(y)]``
(:class:`~tlzoo.nn.generators.DCGANGenerator` with ``num_classes``), the discriminator either the image with
``one_hot(y)`` as constant extra channels (``conditioning="concat"``, the paper's concatenation in convolutional
form) or a projection term (``conditioning="projection"``, Miyato & Koyama, "cGANs with Projection
Discriminator", ICLR 2018, https://arxiv.org/abs/1802.05637, eq. 3: ``D(x, y) = psi(phi(x)) + embed(y) .
phi(x)``).
"""

from __future__ import annotations

from typing import Any, Literal

import torch
from torch import nn

from tlzoo.core.adversarial import AdversarialMixin
from tlzoo.core.optim import OptimConfig
from tlzoo.methods.disentangle.base import ConditionalGenerativeMethod, GenerationEval
from tlzoo.methods.disentangle.cvae import label_maps
from tlzoo.methods.translation.pix2pix import gan_optim
from tlzoo.nn.discriminators import DCGANDiscriminator
from tlzoo.nn.generators import DCGANGenerator
from tlzoo.nn.losses.adversarial import GANLoss, GANMode

Conditioning = Literal["projection", "concat"]


class ConditionalDiscriminator(nn.Module):
    """``D(x, y) -> logit (N,)``: a :class:`~tlzoo.nn.discriminators.DCGANDiscriminator` told the class ``y``
    by concatenation (one-hot maps as extra input channels) or by projection (an inner product of a class
    embedding with the penultimate features, added to the unconditional logit).

    Args:
        channels: image channels.
        image_size: image side (16, 28, 32, 64).
        num_classes: classes.
        base_channels: width of the first convolution.
        conditioning: ``projection`` or ``concat``.
        norm: normalisation inside the discriminator (``batch``, ``instance``, ``none``).
        spectral_norm: spectral normalisation of every weight (and of the embedding for ``projection``).
    """

    def __init__(self, channels: int, image_size: int, num_classes: int, base_channels: int = 64,
                 conditioning: Conditioning = "projection", norm: Literal["batch", "instance", "none"] = "batch",
                 spectral_norm: bool = False) -> None:
        super().__init__()
        if conditioning not in ("projection", "concat"):
            raise ValueError(f"conditioning must be 'projection' or 'concat', got {conditioning!r}")
        self.conditioning, self.num_classes = conditioning, num_classes
        extra = num_classes if conditioning == "concat" else 0
        self.net = DCGANDiscriminator(channels + extra, image_size, base_channels, spectral_norm=spectral_norm,
                                      norm=norm)
        self.embed: nn.Module | None = None
        if conditioning == "projection":
            embed = nn.Embedding(num_classes, self.net.feature_dim)
            nn.init.normal_(embed.weight, 0.0, 0.02)
            if spectral_norm:
                from torch.nn.utils.parametrizations import spectral_norm as _sn

                embed = _sn(embed)
            self.embed = embed

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        if self.embed is None:
            return self.net(torch.cat([x, label_maps(y, self.num_classes, x.shape[-1], x.dtype)], 1))  # type: ignore[return-value]
        h = self.net.features(x)
        return self.net.head(h).squeeze(1) + (self.embed(y.long()) * h).sum(1)


class CGAN(AdversarialMixin, ConditionalGenerativeMethod):
    """Conditional GAN (Mirza & Osindero, arXiv:1411.1784) with DCGAN networks.

    Per batch ``(x, y)``: ``fake = G(z, y)`` with ``z ~ N(0, I)`` and the batch's own labels (a draw from
    ``p(y)``); D steps on ``GANLoss.discriminator_loss(D(x, y), D(fake, y))``, then G on
    ``GANLoss.generator_loss(D(fake, y))`` (the non-saturating ``-log D(G(z | y) | y)`` of Goodfellow et al.
    for ``gan_mode="vanilla"``: BCE on logits).

    Code vs. paper: ``generator`` = G (``[z, one_hot(y)]`` input), ``discriminator`` = D (see
    :class:`ConditionalDiscriminator` for how ``y`` enters), ``latent_dim`` = the dimension of ``z`` (paper: 100).
    Logged: ``train/d_loss``, ``train/g_loss``; evaluation adds ``d_loss`` on the held-out reals and as many samples.

    Deviations: convolutional (DCGAN, Radford et al. 2016) networks instead of the paper's MLPs with maxout;
    Adam (2e-4, betas 0.5 / 0.999) instead of SGD with momentum; ``conditioning="projection"`` by default (the
    paper's concatenation is ``conditioning="concat"``).

    Args:
        num_classes: classes (linked from the data).
        input_shape: ``(C, H, W)`` (linked from the data), ``H`` in 16, 28, 32, 64.
        latent_dim: dimension of ``z``.
        base_channels: generator width.
        discriminator_channels: discriminator width.
        conditioning: how D sees ``y``: ``projection`` or ``concat``.
        gan_mode: ``vanilla`` (BCE on logits), ``lsgan``, ``hinge``, ``wgan``.
        optim: optimiser of both players.
        evaluation: judge / FID settings.
    """

    def __init__(self, num_classes: int = 10, input_shape: tuple[int, int, int] = (1, 28, 28), latent_dim: int = 64,
                 base_channels: int = 64, discriminator_channels: int = 64, conditioning: Conditioning = "projection",
                 gan_mode: GANMode = "vanilla", optim: OptimConfig | None = None,
                 evaluation: GenerationEval | None = None) -> None:
        super().__init__(num_classes, input_shape, latent_dim, evaluation)
        self.save_hyperparameters()
        self.generator = DCGANGenerator(latent_dim, self.channels, self.image_size, base_channels, num_classes)
        self.discriminator = ConditionalDiscriminator(self.channels, self.image_size, num_classes,
                                                      discriminator_channels, conditioning)
        self.gan = GANLoss(gan_mode)
        self.optim_cfg = optim or gan_optim()

    def generate(self, noise: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
        return self.generator(noise, codes)

    def configure_players(self) -> dict[str, tuple[Any, OptimConfig]]:
        return {"discriminator": (list(self.discriminator.parameters()), self.optim_cfg),
                "generator": (list(self.generator.parameters()), self.optim_cfg)}

    def discriminator_loss(self, x: torch.Tensor, y: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        """``-V(D, G)`` for D: real ``(x, y)`` against ``(G(z, y), y)``."""
        return self.gan.discriminator_loss(self.discriminator(x, y), self.discriminator(fake.detach(), y))

    def training_step(self, batch: Any, batch_idx: int) -> None:
        x, y = batch[0], batch[1]
        fake = self.generator(self.sample_noise(len(x)), y)
        d_loss = self.player_step("discriminator", lambda: self.discriminator_loss(x, y, fake))
        g_loss = self.player_step("generator", lambda: self.gan.generator_loss(self.discriminator(fake, y)))
        self.log_train({"train/d_loss": d_loss, "train/g_loss": g_loss})

    def evaluate_batch(self, x: torch.Tensor, y: torch.Tensor, codes: torch.Tensor, fake: torch.Tensor,
                       stage: str) -> None:
        self.log(f"{stage}/d_loss", self.discriminator_loss(x, y, fake), batch_size=len(x))
