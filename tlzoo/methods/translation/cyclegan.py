"""CycleGAN: unpaired image-to-image translation with cycle consistency.

Zhu, Park, Isola & Efros, "Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial
Networks", ICCV 2017, https://arxiv.org/abs/1703.10593. Objective (eq. 1-3)::

    L(G, F, D_X, D_Y) = L_GAN(G, D_Y, X, Y) + L_GAN(F, D_X, Y, X) + lambda L_cyc(G, F)
    L_cyc(G, F)       = E_x ||F(G(x)) - x||_1 + E_y ||G(F(y)) - y||_1,          lambda = 10

with the least-squares GAN loss (Sec. 4: G minimises ``E_x (D(G(x)) - 1)^2``, D minimises
``E_y (D(y) - 1)^2 + E_x D(G(x))^2``), D updated on a history of 50 generated images (Shrivastava
et al. 2017) and its objective halved, the identity loss ``L_identity = E_y ||G(y) - y||_1 + E_x
||F(x) - x||_1`` weighted ``0.5 lambda`` (Sec. 5.2, used for painting <-> photo), Adam with lr 2e-4
and betas (0.5, 0.999), the rate constant for the first half of training and decayed linearly to
zero over the second (Sec. 7.1: 100 + 100 epochs). G and F share one optimiser, D_X and D_Y another;
the generators step first, then the discriminators.

Code vs. paper: X = domain A, Y = domain B; ``generator_ab`` = G: X -> Y, ``generator_ba`` = F:
Y -> X, ``discriminator_b`` = D_Y, ``discriminator_a`` = D_X, ``pool_b`` / ``pool_a`` = the image
histories of G(x) and F(y), ``lambda_cycle`` = lambda, ``lambda_identity`` = the identity weight as a
fraction of lambda (0.5). (The authors' code names these G_A, G_B, D_A = D_Y, D_B = D_X.)

Networks: :class:`tlzoo.nn.generators.ResnetGenerator` (9 residual blocks for 256 px, 6 for 128 px
and below) and the 70x70 :class:`tlzoo.nn.discriminators.PatchGANDiscriminator`, instance norm.
"""

from __future__ import annotations

from typing import Any, Literal

import torch

from tlzoo.core.optim import OptimConfig
from tlzoo.methods.translation.base import TranslationEval, TwoGeneratorTranslation
from tlzoo.nn.discriminators import PatchGANDiscriminator
from tlzoo.nn.generators import ResnetGenerator
from tlzoo.nn.image_pool import ImagePool
from tlzoo.nn.losses.adversarial import GANLoss
from tlzoo.nn.losses.reconstruction import cycle_consistency_loss, identity_loss
from tlzoo.nn.norm import NormKind


def cyclegan_optim() -> OptimConfig:
    """Adam, lr 2e-4, betas (0.5, 0.999), constant for half of training then linear decay to 0."""
    return OptimConfig(name="adam", lr=2e-4, betas=(0.5, 0.999), schedule="linear_decay", decay_start=0.5)


class CycleGAN(TwoGeneratorTranslation):
    """CycleGAN (Zhu et al., ICCV 2017): two generators, two discriminators, cycle consistency.

    Args:
        channels_a: channels of domain A images.
        channels_b: channels of domain B images.
        base_channels: generator width (ngf, 64).
        residual_blocks: residual blocks of each generator (9 for 256 px, 6 for 128 px).
        downsampling: stride-2 convolutions before the residual blocks (2 in the paper).
        norm: ``instance`` (paper) or ``batch``.
        discriminator_channels: PatchGAN width (ndf, 64).
        discriminator_layers: PatchGAN strided layers (3: 70x70 patches).
        gan_mode: ``lsgan`` (paper), ``vanilla``, ``hinge`` or ``wgan``.
        lambda_cycle: lambda of the cycle loss (10).
        lambda_identity: identity-loss weight as a fraction of ``lambda_cycle`` (0.5; 0 turns it off;
            needs ``channels_a == channels_b``).
        pool_size: generated images kept for D's updates (50; 0 = use the newest only).
        optim: optimiser of both player groups (Adam 2e-4, betas 0.5/0.999, linear decay from half-way).
        evaluation: how translations are scored (judges of A and B, FID/KID).
        num_classes: classes of the evaluation labels (linked from the data by the CLI; unused).
        input_shape: shape of domain A's images (linked from the data by the CLI; checked against ``channels_a``).
    """


    def __init__(
        self,
        channels_a: int = 3,
        channels_b: int = 3,
        base_channels: int = 64,
        residual_blocks: int = 9,
        downsampling: int = 2,
        norm: NormKind = "instance",
        discriminator_channels: int = 64,
        discriminator_layers: int = 3,
        gan_mode: Literal["vanilla", "lsgan", "hinge", "wgan"] = "lsgan",
        lambda_cycle: float = 10.0,
        lambda_identity: float = 0.5,
        pool_size: int = 50,
        optim: OptimConfig | None = None,
        evaluation: TranslationEval | None = None,
        num_classes: int | None = None,
        input_shape: tuple[int, ...] | None = None,
    ) -> None:
        super().__init__(channels_a, channels_b, evaluation, input_shape)
        self.save_hyperparameters()
        if lambda_cycle < 0 or lambda_identity < 0:
            raise ValueError(f"lambda_cycle and lambda_identity must be >= 0, got {lambda_cycle}, {lambda_identity}")
        if lambda_identity > 0 and channels_a != channels_b:
            raise ValueError("the identity loss needs the same channels in both domains "
                             f"({channels_a} vs {channels_b}): set lambda_identity 0")
        self.discriminator_a, self.discriminator_b = self.build_networks(
            lambda c_in, c_out: ResnetGenerator(c_in, c_out, base_channels, residual_blocks, downsampling, norm),
            lambda c: PatchGANDiscriminator(c, discriminator_channels, discriminator_layers, norm))
        self.pool_a = ImagePool(pool_size, seed=1)
        self.pool_b = ImagePool(pool_size, seed=2)
        self.gan = GANLoss(gan_mode)
        self.lambda_cycle = lambda_cycle
        self.lambda_identity = lambda_identity
        self.optim_cfg = optim or cyclegan_optim()

    def configure_players(self) -> dict[str, tuple[Any, OptimConfig]]:
        return self.two_players("discriminators", self.discriminator_a, self.discriminator_b, judges_first=False)

    def generator_losses(self, real_a: torch.Tensor, real_b: torch.Tensor, fake_b: torch.Tensor,
                         fake_a: torch.Tensor) -> dict[str, torch.Tensor]:
        """The generators' terms: both GAN terms, lambda L_cyc and the identity term."""
        adv = (self.gan.generator_loss(self.discriminator_b(fake_b))
               + self.gan.generator_loss(self.discriminator_a(fake_a)))
        cycle = (cycle_consistency_loss(real_a, self.generator_ba(fake_b))
                 + cycle_consistency_loss(real_b, self.generator_ab(fake_a)))
        identity = torch.zeros((), device=real_a.device)
        if self.lambda_identity > 0:
            identity = (identity_loss(real_b, self.generator_ab(real_b))
                        + identity_loss(real_a, self.generator_ba(real_a)))
        total = adv + self.lambda_cycle * cycle + self.lambda_cycle * self.lambda_identity * identity
        return {"gan": adv, "cycle": cycle, "identity": identity, "total": total}

    def discriminator_loss(self, real_a: torch.Tensor, real_b: torch.Tensor, fake_b: torch.Tensor,
                           fake_a: torch.Tensor) -> torch.Tensor:
        """Both discriminators' halved LSGAN objectives, fakes drawn from the image histories."""
        pooled_b = self.pool_b.query(fake_b.detach())
        pooled_a = self.pool_a.query(fake_a.detach())
        loss_b = self.gan.discriminator_loss(self.discriminator_b(real_b), self.discriminator_b(pooled_b))
        loss_a = self.gan.discriminator_loss(self.discriminator_a(real_a), self.discriminator_a(pooled_a))
        return 0.5 * (loss_a + loss_b)

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        real_a, real_b = batch["A"], batch["B"]
        fakes: dict[str, torch.Tensor] = {}

        def g_losses() -> dict[str, torch.Tensor]:
            fakes["b"], fakes["a"] = self.generator_ab(real_a), self.generator_ba(real_b)
            return self.generator_losses(real_a, real_b, fakes["b"], fakes["a"])

        g_loss, parts = self.step_with_parts("generators", g_losses)
        d_loss = self.player_step("discriminators",
                                  lambda: self.discriminator_loss(real_a, real_b, fakes["b"], fakes["a"]))
        self.log_train({"train/g_loss": g_loss, "train/d_loss": d_loss, "train/g_gan": parts["gan"].detach(),
                        "train/cycle": parts["cycle"].detach(), "train/identity": parts["identity"].detach()})
