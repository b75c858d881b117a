"""DiscoGAN: two coupled GANs with reconstruction losses, to discover cross-domain relations.

Kim, Cha, Kim, Lee & Kim, "Learning to Discover Cross-Domain Relations with Generative Adversarial
Networks", ICML 2017, https://arxiv.org/abs/1703.05192. Objective (Sec. 3.2, eq. 1-6)::

    x_AB = G_AB(x_A),  x_ABA = G_BA(x_AB)                    (and x_BA, x_BAB the other way)
    L_CONST_A = d(G_BA(G_AB(x_A)), x_A)                      d: a distance (MSE, cosine, hinge, ...)
    L_GAN_B   = -E_{x_A}[log D_B(G_AB(x_A))]
    L_D_B     = -E_{x_B}[log D_B(x_B)] - E_{x_A}[log(1 - D_B(G_AB(x_A)))]
    L_G = L_GAN_B + L_CONST_A + L_GAN_A + L_CONST_B,         L_D = L_D_A + L_D_B

with the standard (sigmoid cross-entropy) GAN loss and the non-saturating generator term as written, Adam
lr 2e-4, betas (0.5, 0.999) (Sec. 4). The two generators share one optimiser, the two discriminators
another; the discriminators step first on detached translations, then the generators against the updated
discriminators.

Code vs. paper: ``generator_ab`` = ``G_AB``, ``generator_ba`` = ``G_BA``, ``discriminator_a`` = ``D_A`` (real
``x_A`` vs ``x_BA``), ``discriminator_b`` = ``D_B`` (real ``x_B`` vs ``x_AB``), ``distance`` = ``d`` (``mse``, the
authors' code, or ``l1``), ``lambda_reconstruction`` weighs both ``L_CONST`` terms (1 in the paper).

Networks (Sec. 4): :class:`tlzoo.nn.encoder_decoder.EncoderDecoderGenerator` (4x4 convolutions with
LeakyReLU, then 4x4 transposed convolutions with ReLU, no skip connections) and
:class:`tlzoo.nn.discriminators.DCGANDiscriminator` (the same encoder plus a last 4x4 layer to one logit,
written as a linear layer on the 4x4 map), BatchNorm in both.

Deviations (the authors' code, ``SKTBrain/DiscoGAN``, departs from the paper; none of it is done here):

* it adds a feature-matching loss on the discriminator's hidden layers (weight 0.9, the GAN term 0.1) and
  mixes GAN and reconstruction terms with a curriculum (reconstruction weight 0.01 for the first 10,000
  iterations, then 0.5);
* it halves each discriminator loss, uses Adam weight decay 1e-5, and steps the discriminators only on
  every third iteration (the generators on the other two);
* its images are in [0, 1] with a sigmoid output; here they are in [-1, 1] with Tanh, and the
  discriminators return logits (the BCE is computed on logits).
"""

from __future__ import annotations

from typing import Any, Literal

import torch
import torch.nn.functional as F

from tlzoo.core.optim import OptimConfig
from tlzoo.errors import TLZooError
from tlzoo.methods.translation.base import TranslationEval, TwoGeneratorTranslation
from tlzoo.nn.discriminators import DCGANDiscriminator
from tlzoo.nn.encoder_decoder import EncoderDecoderGenerator
from tlzoo.nn.losses.adversarial import GANLoss
from tlzoo.nn.norm import NormKind


def discogan_optim() -> OptimConfig:
    """Adam, lr 2e-4, betas (0.5, 0.999), constant (DiscoGAN Sec. 4)."""
    return OptimConfig(name="adam", lr=2e-4, betas=(0.5, 0.999), schedule="constant")


def reconstruction_distance(x: torch.Tensor, x_rec: torch.Tensor, distance: str) -> torch.Tensor:
    """``d(x_rec, x)``: mean squared error (``mse``) or mean absolute error (``l1``) over all elements."""
    x, x_rec = x.float(), x_rec.float()
    if distance == "mse":
        return F.mse_loss(x_rec, x)
    if distance == "l1":
        return F.l1_loss(x_rec, x)
    raise ValueError(f"distance must be 'mse' or 'l1', got {distance!r}")


class DiscoGAN(TwoGeneratorTranslation):
    """DiscoGAN (Kim et al., ICML 2017): encoder-decoder generators, two GAN losses, two reconstruction losses.

    Args:
        channels_a: channels of domain A images.
        channels_b: channels of domain B images.
        image_size: side of the square images (the discriminators' linear head is sized for it: 16, 28
            (7x7 map), 32 or 64; linked from the data by ``input_shape`` when given).
        num_downs: convolutions of each generator's encoder (4 for 64 px as in the paper, 3 for 32 px).
        base_channels: generator width (64).
        generator_norm: ``batch`` (paper) or ``instance``/``none``.
        discriminator_channels: discriminator width (64).
        discriminator_norm: ``batch`` (paper) or ``instance``/``none``.
        gan_mode: ``vanilla`` (paper: sigmoid cross-entropy), ``lsgan``, ``hinge`` or ``wgan``.
        distance: the reconstruction distance ``d``: ``mse`` (authors' code) or ``l1``.
        lambda_reconstruction: weight of ``L_CONST_A + L_CONST_B`` (1 in the paper's ``L_G``).
        optim: optimiser of both player groups (Adam 2e-4, betas 0.5/0.999, constant).
        evaluation: how translations are scored (judges of A and B, FID/KID).
        num_classes: classes of the evaluation labels (linked from the data by the CLI; unused).
        input_shape: shape of domain A's images (linked from the data by the CLI; sets ``image_size``).
    """


    def __init__(
        self,
        channels_a: int = 3,
        channels_b: int = 3,
        image_size: int = 64,
        num_downs: int = 4,
        base_channels: int = 64,
        generator_norm: NormKind = "batch",
        discriminator_channels: int = 64,
        discriminator_norm: NormKind = "batch",
        gan_mode: Literal["vanilla", "lsgan", "hinge", "wgan"] = "vanilla",
        distance: Literal["mse", "l1"] = "mse",
        lambda_reconstruction: float = 1.0,
        optim: OptimConfig | None = None,
        evaluation: TranslationEval | None = None,
        num_classes: int | None = None,
        input_shape: tuple[int, ...] | None = None,
    ) -> None:
        super().__init__(channels_a, channels_b, evaluation, input_shape)
        if input_shape is not None and len(input_shape) == 3:
            if input_shape[1] != input_shape[2]:
                raise TLZooError(f"DiscoGAN needs square images, the data gives {tuple(input_shape)}: resize or "
                                 "crop them to a square size (16, 28, 32 or 64)")
            image_size = int(input_shape[-1])
        self.save_hyperparameters()
        if lambda_reconstruction < 0:
            raise ValueError(f"lambda_reconstruction must be >= 0, got {lambda_reconstruction}")
        if distance not in ("mse", "l1"):
            raise ValueError(f"distance must be 'mse' or 'l1', got {distance!r}")
        self.discriminator_a, self.discriminator_b = self.build_networks(
            lambda c_in, c_out: EncoderDecoderGenerator(c_in, c_out, num_downs, base_channels, generator_norm),
            lambda c: DCGANDiscriminator(c, image_size, discriminator_channels, norm=discriminator_norm))
        self.gan = GANLoss(gan_mode)
        self.distance = distance
        self.lambda_reconstruction = lambda_reconstruction
        self.optim_cfg = optim or discogan_optim()

    def configure_players(self) -> dict[str, tuple[Any, OptimConfig]]:
        return self.two_players("discriminators", self.discriminator_a, self.discriminator_b, judges_first=True)

    # -- losses -------------------------------------------------------------------------------
    def discriminator_loss(self, real_a: torch.Tensor, real_b: torch.Tensor, fake_b: torch.Tensor,
                           fake_a: torch.Tensor) -> dict[str, torch.Tensor]:
        """``L_D = L_D_A + L_D_B`` on detached translations."""
        loss_a = self.gan.discriminator_loss(self.discriminator_a(real_a), self.discriminator_a(fake_a.detach()))
        loss_b = self.gan.discriminator_loss(self.discriminator_b(real_b), self.discriminator_b(fake_b.detach()))
        return {"d_a": loss_a, "d_b": loss_b, "total": loss_a + loss_b}

    def generator_losses(self, real_a: torch.Tensor, real_b: torch.Tensor, fake_b: torch.Tensor,
                         fake_a: torch.Tensor) -> dict[str, torch.Tensor]:
        """``L_G = L_GAN_B + L_CONST_A + L_GAN_A + L_CONST_B`` (``L_CONST`` weighted by ``lambda_reconstruction``)."""
        const_a = reconstruction_distance(real_a, self.generator_ba(fake_b), self.distance)
        const_b = reconstruction_distance(real_b, self.generator_ab(fake_a), self.distance)
        gan_b = self.gan.generator_loss(self.discriminator_b(fake_b))
        gan_a = self.gan.generator_loss(self.discriminator_a(fake_a))
        total = gan_b + gan_a + self.lambda_reconstruction * (const_a + const_b)
        return {"gan_a": gan_a, "gan_b": gan_b, "const_a": const_a, "const_b": const_b, "total": total}

    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        real_a, real_b = batch["A"], batch["B"]
        fake_b, fake_a = self.generator_ab(real_a), self.generator_ba(real_b)  # x_AB, x_BA (graph kept for G)
        d_loss, _ = self.step_with_parts("discriminators",
                                         lambda: self.discriminator_loss(real_a, real_b, fake_b, fake_a))
        g_loss, g_parts = self.step_with_parts("generators",
                                               lambda: self.generator_losses(real_a, real_b, fake_b, fake_a))
        self.log_train({"train/d_loss": d_loss, "train/g_loss": g_loss,
                        "train/g_gan": (g_parts["gan_a"] + g_parts["gan_b"]).detach(),
                        "train/const": (g_parts["const_a"] + g_parts["const_b"]).detach()})
