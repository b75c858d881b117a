"""DualGAN: unsupervised dual learning for image-to-image translation, with Wasserstein critics.

Yi, Zhang, Tan & Gong, "DualGAN: Unsupervised Dual Learning for Image-to-Image Translation", ICCV 2017,
https://arxiv.org/abs/1704.02510. Objective (eq. 1-3, Algorithm 1)::

    l^d_A(u, v) = D_A(G_A(u, z)) - D_A(v)                      (critic of domain V)
    l^d_B(u, v) = D_B(G_B(v, z')) - D_B(u)                     (critic of domain U)
    l^g(u, v)   = lambda_U ||u - G_B(G_A(u, z), z')|| + lambda_V ||v - G_A(G_B(v, z'), z)||
                  - D_A(G_B(v, z')) - D_B(G_A(u, z))

(the paper's eq. 3 writes the last two terms with the critics' names swapped; Sec. 3.1 says ``D_A``
judges ``G_A``'s outputs against real ``v`` and ``D_B`` judges ``G_B``'s against real ``u``, which is
what is trained here). The reconstruction distance is L1 (Sec. 3.1), ``lambda_U, lambda_V`` in
[100, 1000] (Sec. 3.1), the critics are WGAN critics (no sigmoid) whose weights are clipped to
``[-c, c]`` after every step (Algorithm 1, ``c`` in [0.01, 0.1]), ``n_critic`` critic iterations per
generator iteration (2-4), RMSProp (lr 5e-5 as WGAN), batch size 1-4 (Sec. 3.3, 4).

Code vs. paper: U = domain A, V = domain B; ``generator_ab`` = ``G_A`` (U -> V), ``generator_ba`` = ``G_B``
(V -> U), ``critic_b`` = ``D_A`` (judges V), ``critic_a`` = ``D_B`` (judges U), ``lambda_a`` = ``lambda_U``,
``lambda_b`` = ``lambda_V``, ``clip_value`` = ``c``, ``n_critic`` = ``n_critic``; the noise ``z, z'`` is the
U-Net's dropout, as in pix2pix (Sec. 3.2).

One training batch is one critic iteration (Algorithm 1, lines 3-8: each critic iteration samples fresh
images), and every ``n_critic``-th batch the generators step too, on that batch, after the critics (lines
9-10). Training length therefore counts critic iterations; ``global_step`` counts batches (the core's rule).
Networks (Sec. 3.2): the pix2pix U-Net (:class:`tlzoo.nn.generators.UNetGenerator`) and the PatchGAN
(:class:`tlzoo.nn.discriminators.PatchGANDiscriminator`) used as a critic (its output map is averaged).

Deviations and options:

* ``lipschitz="gp"`` replaces clipping by the WGAN-GP penalty (Gulrajani et al., NIPS 2017,
  https://arxiv.org/abs/1704.00028, eq. 3, weight ``gp_weight``); use it with ``critic_norm`` ``instance``
  or ``none`` (the penalty is per example, BatchNorm mixes examples).
* The authors' released code (``duxingren14/DualGAN``, final version) departs from the paper: a sigmoid
  cross-entropy GAN loss, ``lambda = 20``, and one discriminator step followed by two generator steps.
  This class follows the paper; ``gan_mode="vanilla"`` with ``lipschitz="none"``, ``n_critic=1`` and
  smaller lambdas comes close to that code.
* At evaluation the U-Net runs in eval mode (no dropout), as :class:`~tlzoo.methods.translation.Pix2Pix`.
"""

from __future__ import annotations

from typing import Any, Literal

import torch

from tlzoo.core.optim import OptimConfig
from tlzoo.methods.translation.base import TranslationEval, TwoGeneratorTranslation
from tlzoo.nn.discriminators import PatchGANDiscriminator
from tlzoo.nn.generators import UNetGenerator
from tlzoo.nn.losses.adversarial import GANLoss, clip_weights, gradient_penalty
from tlzoo.nn.losses.reconstruction import l1_reconstruction
from tlzoo.nn.norm import NormKind


def wgan_optim() -> OptimConfig:
    """RMSProp, lr 5e-5, no momentum, constant (WGAN, Arjovsky et al. 2017, Algorithm 1; DualGAN Sec. 3.3)."""
    return OptimConfig(name="rmsprop", lr=5e-5, momentum=0.0, schedule="constant")


class DualGAN(TwoGeneratorTranslation):
    """DualGAN (Yi et al., ICCV 2017): two U-Net translators, two Wasserstein critics, L1 reconstruction.

    Args:
        channels_a: channels of domain A (U) images.
        channels_b: channels of domain B (V) images.
        num_downs: U-Net downsamplings (8 for 256 px as in the paper, 5 for 32 px digits).
        base_channels: U-Net width (64).
        generator_norm: ``batch`` (paper, pix2pix's U-Net) or ``instance``.
        generator_dropout: dropout in the first three decoder blocks (the noise ``z``).
        critic_channels: PatchGAN critic width (64).
        critic_layers: PatchGAN strided layers (3: 70x70 patches; 2 for 32 px).
        critic_norm: normalisation in the critics (``batch`` as pix2pix; ``instance``/``none`` for ``gp``).
        gan_mode: ``wgan`` (paper); ``vanilla``/``lsgan``/``hinge`` for the released code's variant.
        lipschitz: ``clip`` (paper: weight clipping), ``gp`` (WGAN-GP penalty) or ``none``.
        clip_value: the clipping parameter ``c`` (0.01; paper: 0.01-0.1).
        gp_weight: weight of the gradient penalty (10, Gulrajani et al.).
        n_critic: critic iterations (batches) per generator iteration (paper: 2-4).
        lambda_a: ``lambda_U``, weight of ``||u - G_B(G_A(u))||_1`` (paper: 100-1000).
        lambda_b: ``lambda_V``, weight of ``||v - G_A(G_B(v))||_1``.
        optim: optimiser of both player groups (RMSProp 5e-5, constant).
        evaluation: how translations are scored (judges of A and B, FID/KID).
        num_classes: classes of the evaluation labels (linked from the data by the CLI; unused).
        input_shape: shape of domain A's images (linked from the data by the CLI; checked against ``channels_a``).
    """


    def __init__(
        self,
        channels_a: int = 3,
        channels_b: int = 3,
        num_downs: int = 8,
        base_channels: int = 64,
        generator_norm: NormKind = "batch",
        generator_dropout: bool = True,
        critic_channels: int = 64,
        critic_layers: int = 3,
        critic_norm: NormKind = "batch",
        gan_mode: Literal["wgan", "vanilla", "lsgan", "hinge"] = "wgan",
        lipschitz: Literal["clip", "gp", "none"] = "clip",
        clip_value: float = 0.01,
        gp_weight: float = 10.0,
        n_critic: int = 2,
        lambda_a: float = 500.0,
        lambda_b: float = 500.0,
        optim: OptimConfig | None = None,
        evaluation: TranslationEval | None = None,
        num_classes: int | None = None,
        input_shape: tuple[int, ...] | None = None,
    ) -> None:
        super().__init__(channels_a, channels_b, evaluation, input_shape)
        self.save_hyperparameters()
        if n_critic < 1:
            raise ValueError(f"n_critic must be >= 1, got {n_critic}")
        if lambda_a < 0 or lambda_b < 0 or gp_weight < 0:
            raise ValueError(f"lambda_a, lambda_b and gp_weight must be >= 0, got {lambda_a}, {lambda_b}, {gp_weight}")
        if lipschitz == "clip" and clip_value <= 0:
            raise ValueError(f"clip_value must be > 0 with lipschitz='clip', got {clip_value}")
        self.critic_a, self.critic_b = self.build_networks(
            lambda c_in, c_out: UNetGenerator(c_in, c_out, num_downs, base_channels, generator_norm, generator_dropout),
            lambda c: PatchGANDiscriminator(c, critic_channels, critic_layers, critic_norm))
        self.gan = GANLoss(gan_mode)
        self.lipschitz = lipschitz
        self.clip_value = clip_value
        self.gp_weight = gp_weight
        self.n_critic = n_critic
        self.lambda_a, self.lambda_b = lambda_a, lambda_b
        self.optim_cfg = optim or wgan_optim()

    def configure_players(self) -> dict[str, tuple[Any, OptimConfig]]:
        return self.two_players("critics", self.critic_a, self.critic_b, judges_first=True)

    # -- losses -------------------------------------------------------------------------------
    def critic_loss(self, real_a: torch.Tensor, real_b: torch.Tensor, fake_b: torch.Tensor,
                    fake_a: torch.Tensor) -> dict[str, torch.Tensor]:
        """``l^d_A + l^d_B`` (each critic's mean over its patch map), plus ``gp_weight`` times the penalty
        of both critics with ``lipschitz="gp"``. Fakes are detached here."""
        fake_b, fake_a = fake_b.detach(), fake_a.detach()
        loss_b = self.gan.discriminator_loss(self.critic_b(real_b), self.critic_b(fake_b))
        loss_a = self.gan.discriminator_loss(self.critic_a(real_a), self.critic_a(fake_a))
        penalty = torch.zeros((), device=real_a.device)
        if self.lipschitz == "gp":
            penalty = gradient_penalty(self.critic_b, real_b, fake_b) + gradient_penalty(self.critic_a, real_a, fake_a)
        return {"critic_a": loss_a, "critic_b": loss_b, "gp": penalty,
                "total": loss_a + loss_b + self.gp_weight * penalty}

    def generator_losses(self, real_a: torch.Tensor, real_b: torch.Tensor, fake_b: torch.Tensor,
                         fake_a: torch.Tensor) -> dict[str, torch.Tensor]:
        """``l^g``: the two weighted L1 reconstruction terms and the two adversarial terms."""
        rec_a = l1_reconstruction(real_a, self.generator_ba(fake_b))
        rec_b = l1_reconstruction(real_b, self.generator_ab(fake_a))
        adv = self.gan.generator_loss(self.critic_b(fake_b)) + self.gan.generator_loss(self.critic_a(fake_a))
        total = self.lambda_a * rec_a + self.lambda_b * rec_b + adv
        return {"rec_a": rec_a, "rec_b": rec_b, "gan": adv, "total": total}

    def is_generator_batch(self) -> bool:
        """Whether the generators step on the current batch: the last of every ``n_critic`` batches."""
        return (self.batches_done + 1) % self.n_critic == 0

    # -- training -----------------------------------------------------------------------------
    def training_step(self, batch: dict[str, torch.Tensor], batch_idx: int) -> None:
        real_a, real_b = batch["A"], batch["B"]
        generator_batch = self.is_generator_batch()
        with torch.set_grad_enabled(generator_batch):  # kept for the generator step on its batches
            fake_b, fake_a = self.generator_ab(real_a), self.generator_ba(real_b)
        critic_total, critic = self.step_with_parts("critics", lambda: self.critic_loss(real_a, real_b, fake_b, fake_a))
        logs = {"train/critic_loss": critic_total}
        if self.lipschitz == "clip":
            clip_weights(self.critic_a, self.clip_value)
            clip_weights(self.critic_b, self.clip_value)
        # the critics' estimate of the two Wasserstein distances (minus their losses)
        logs["train/wasserstein"] = -(critic["critic_a"] + critic["critic_b"]).detach()
        if self.lipschitz == "gp":
            logs["train/gp"] = critic["gp"].detach()
        if generator_batch:
            logs["train/g_loss"], parts = self.step_with_parts(
                "generators", lambda: self.generator_losses(real_a, real_b, fake_b, fake_a))
            logs.update({"train/g_gan": parts["gan"].detach(), "train/rec_a": parts["rec_a"].detach(),
                         "train/rec_b": parts["rec_b"].detach()})
        self.log_train(logs)
