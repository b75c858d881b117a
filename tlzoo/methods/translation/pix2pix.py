"""pix2pix: image-to-image translation with a conditional GAN, on paired data.

Isola, Zhu, Zhou & Efros, "Image-to-Image Translation with Conditional Adversarial Networks",
CVPR 2017, https://arxiv.org/abs/1611.07004. Objective (eq. 1-4)::

    L_cGAN(G, D) = E_{x,y}[log D(x, y)] + E_{x,z}[log(1 - D(x, G(x, z)))]
    L_L1(G)      = E_{x,y,z}[ ||y - G(x, z)||_1 ]
    G* = arg min_G max_D L_cGAN(G, D) + lambda L_L1(G),      lambda = 100

``D`` sees the input concatenated with the real or generated output (a conditional PatchGAN,
70x70 receptive field). As in the paper (Sec. 3.3), ``G`` minimises the non-saturating
``-log D(x, G(x))`` instead of ``log(1 - D(x, G(x)))``, the D objective is halved ("divide the
objective by 2 while optimizing D"), noise ``z`` is dropout only (kept active at test time in the
paper; here ``G`` runs in eval mode at test time, see deviations), and both players use Adam with
lr 2e-4, betas (0.5, 0.999). D steps first, then G against the updated D.

Code vs. paper: ``generator`` = G (U-Net, :class:`tlzoo.nn.generators.UNetGenerator`),
``discriminator`` = D (:class:`tlzoo.nn.discriminators.PatchGANDiscriminator` on ``[x, y]``),
``lambda_l1`` = lambda, ``gan_weight = 0`` = the paper's "L1 only" ablation (Table 1), x = domain
A, y = domain B.

Deviations: at evaluation the generator is in eval mode (batch-norm running statistics, no
dropout); the paper applies dropout and batch statistics at test time. Sizes: ``num_downs``
follows the image size (8 for 256 px as in the paper, 5 for 32 px digits).
"""

from __future__ import annotations

from typing import Any, Literal

import torch
import torch.nn.functional as F

from tlzoo.core.optim import OptimConfig
from tlzoo.methods.translation.base import TranslationEval, TranslationMethod
from tlzoo.nn.discriminators import PatchGANDiscriminator
from tlzoo.nn.generators import UNetGenerator
from tlzoo.nn.losses.adversarial import GANLoss
from tlzoo.nn.norm import NormKind


def gan_optim() -> OptimConfig:
    """Adam, lr 2e-4, betas (0.5, 0.999), constant rate (pix2pix / DCGAN settings)."""
    return OptimConfig(name="adam", lr=2e-4, betas=(0.5, 0.999), schedule="constant")


class Pix2Pix(TranslationMethod):
    """pix2pix (Isola et al., CVPR 2017): conditional GAN + L1 on paired images, A -> B.

    Args:
        channels_a: channels of the input images (domain A).
        channels_b: channels of the output images (domain B).
        num_downs: U-Net downsamplings (image side divisible by ``2 ** num_downs``; 8 for 256 px).
        base_channels: generator width (ngf, 64 in the paper).
        generator_norm: ``batch`` (paper) or ``instance``.
        generator_dropout: dropout 0.5 in the first three decoder blocks (the paper's noise z).
        discriminator_channels: PatchGAN width (ndf, 64).
        discriminator_layers: PatchGAN strided layers (3: 70x70 patches; 1: 16x16).
        gan_mode: ``vanilla`` (paper: non-saturating BCE), ``lsgan``, ``hinge`` or ``wgan``.
        lambda_l1: weight of the L1 term (100).
        gan_weight: weight of the cGAN term in G's loss (1; 0 is the "L1 only" ablation, D is then not trained).
        optim: optimiser of both players (Adam 2e-4, betas 0.5/0.999, constant).
        evaluation: how translations are scored (judges, FID/KID).
        num_classes: classes of the evaluation labels (linked from the data by the CLI; unused).
        input_shape: shape of domain A's images (linked from the data by the CLI; checked against ``channels_a``).
    """

    default_monitor = ("val/l1", "min")

    def __init__(
        self,
        channels_a: int = 3,
        channels_b: int = 3,
        num_downs: int = 8,
        base_channels: int = 64,
        generator_norm: NormKind = "batch",
        generator_dropout: bool = True,
        discriminator_channels: int = 64,
        discriminator_layers: int = 3,
        gan_mode: Literal["vanilla", "lsgan", "hinge", "wgan"] = "vanilla",
        lambda_l1: float = 100.0,
        gan_weight: float = 1.0,
        optim: OptimConfig | None = None,
        evaluation: TranslationEval | None = None,
        num_classes: int | None = None,
        input_shape: tuple[int, ...] | None = None,
    ) -> None:
        super().__init__(channels_a, channels_b, evaluation, input_shape)
        self.save_hyperparameters()
        if lambda_l1 < 0 or gan_weight < 0:
            raise ValueError(f"lambda_l1 and gan_weight must be >= 0, got {lambda_l1} and {gan_weight}")
        self.generator = UNetGenerator(channels_a, channels_b, num_downs, base_channels, generator_norm,
                                       generator_dropout)
        self.discriminator = PatchGANDiscriminator(channels_a + channels_b, discriminator_channels,
                                                   discriminator_layers)
        self.gan = GANLoss(gan_mode)
        self.lambda_l1 = lambda_l1
        self.gan_weight = gan_weight
        self.optim_cfg = optim or gan_optim()

    def export_module(self) -> tuple[torch.nn.Module, int]:
        """The A -> B generator and its input channels (``tlzoo export``)."""
        return self.generator, self.channels_a

    def translate(self, x_a: torch.Tensor) -> torch.Tensor:
        return self.generator(x_a)

    def configure_players(self) -> dict[str, tuple[Any, OptimConfig]]:
        return {"discriminator": (list(self.discriminator.parameters()), self.optim_cfg),
                "generator": (list(self.generator.parameters()), self.optim_cfg)}

    def discriminator_loss(self, x: torch.Tensor, y: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
        """``-L_cGAN`` for D, halved: D(x, y) real, D(x, G(x)) fake."""
        real = self.discriminator(torch.cat([x, y], 1))
        fake_logits = self.discriminator(torch.cat([x, fake.detach()], 1))
        return 0.5 * self.gan.discriminator_loss(real, fake_logits)

    def generator_losses(self, x: torch.Tensor, y: torch.Tensor, fake: torch.Tensor) -> dict[str, torch.Tensor]:
        """G's terms: the non-saturating cGAN term and ``L_L1``."""
        l1 = F.l1_loss(fake, y)
        adv = self.gan.generator_loss(self.discriminator(torch.cat([x, fake], 1))) if self.gan_weight > 0 \
            else torch.zeros((), device=fake.device)
        return {"gan": adv, "l1": l1, "total": self.gan_weight * adv + self.lambda_l1 * l1}

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        x, y = batch["A"], batch["B"]
        fake = self.generator(x)
        logs: dict[str, torch.Tensor] = {}
        if self.gan_weight > 0:
            logs["train/d_loss"] = self.player_step("discriminator", lambda: self.discriminator_loss(x, y, fake))
        logs["train/g_loss"], parts = self.step_with_parts("generator", lambda: self.generator_losses(x, y, fake))
        logs["train/g_gan"] = parts["gan"].detach()
        logs["train/l1"] = parts["l1"].detach()
        self.log_train(logs)
