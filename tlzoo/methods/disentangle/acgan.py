"""AC-GAN: a class-conditional generator and a discriminator that also classifies.

Odena, Olah & Shlens, "Conditional Image Synthesis with Auxiliary Classifier GANs", ICML 2017,
https://arxiv.org/abs/1610.09585, Sec. 3::

    X_fake = G(c, z),   P(S | X), P(C | X) = D(X)
    L_S = E[log P(S = real | X_real)] + E[log P(S = fake | X_fake)]
    L_C = E[log P(C = c | X_real)]    + E[log P(C = c | X_fake)]
    D is trained to maximise L_S + L_C, G to maximise L_C - L_S.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from tlzoo.core.adversarial import AdversarialMixin
from tlzoo.core.optim import OptimConfig
from tlzoo.methods.disentangle.base import ConditionalGenerativeMethod, GenerationEval
from tlzoo.methods.translation.pix2pix import gan_optim
from tlzoo.metrics.clustering import PairCounts
from tlzoo.nn.discriminators import DCGANDiscriminator
from tlzoo.nn.generators import DCGANGenerator
from tlzoo.nn.losses.adversarial import GANLoss, GANMode


def acgan_class_terms(class_logits_real: torch.Tensor, labels_real: torch.Tensor, class_logits_fake: torch.Tensor,
                      labels_fake: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The two classification terms of ``-L_C``: cross-entropy of ``P(C | X_real)`` w.r.t. the real images'
    labels and of ``P(C | X_fake)`` w.r.t. the labels the generator was asked for (each a batch mean)."""
    real = F.cross_entropy(class_logits_real.float(), labels_real.long())
    fake = F.cross_entropy(class_logits_fake.float(), labels_fake.long())
    return real, fake


class ACGAN(AdversarialMixin, ConditionalGenerativeMethod):
    """AC-GAN (Odena et al., ICML 2017) with DCGAN networks.

    Per batch ``(x, y)``, with ``c`` drawn uniformly over the classes and ``X_fake = G(z, c)``:

    * D minimises ``-(L_S + L_C)`` = ``GANLoss.discriminator_loss(S(x), S(X_fake))`` + ``CE(C(x), y)`` +
      ``CE(C(X_fake), c)``;
    * G minimises ``-L_C + L_S`` in its non-saturating form: ``GANLoss.generator_loss(S(X_fake))`` +
      ``CE(C(X_fake), c)`` (``-log P(S = real | X_fake)`` instead of ``log P(S = fake | X_fake)``, as
      Goodfellow et al. recommend and the paper's code does).

    ``class_weight`` scales both classification terms (1 in the paper).

    Code vs. paper: ``discriminator`` = D, a :class:`~tlzoo.nn.discriminators.DCGANDiscriminator` with
    ``aux_classes``: ``head`` gives the logit of ``P(S | X)``, ``aux_head`` the logits of ``P(C | X)``;
    ``generator`` = G (``[z, one_hot(c)]`` input), ``latent_dim`` = the dimension of ``z``.
    Logged: ``train/d_loss``, ``train/g_loss``, ``train/d_class_real``, ``train/d_class_fake``; evaluation adds
    ``d_loss`` and ``aux_acc`` (D's auxiliary classifier on the held-out real images).

    Deviations: sized for small images (DCGAN layouts, Radford et al. 2016) rather than the paper's ImageNet
    networks; Adam 2e-4 / betas (0.5, 0.999) (the paper's CIFAR-10 settings).

    Args:
        num_classes: classes (linked from the data).
        input_shape: ``(C, H, W)`` (linked from the data), ``H`` in 16, 28, 32, 64.
        latent_dim: dimension of ``z``.
        base_channels: generator width.
        discriminator_channels: discriminator width.
        class_weight: weight of the classification terms.
        gan_mode: the source (real / fake) objective: ``vanilla`` (BCE on logits, the paper), ``lsgan``, ``hinge``.
        optim: optimiser of both players.
        evaluation: judge / FID settings.
    """

    def __init__(self, num_classes: int = 10, input_shape: tuple[int, int, int] = (1, 28, 28), latent_dim: int = 64,
                 base_channels: int = 64, discriminator_channels: int = 64, class_weight: float = 1.0,
                 gan_mode: GANMode = "vanilla", optim: OptimConfig | None = None,
                 evaluation: GenerationEval | None = None) -> None:
        super().__init__(num_classes, input_shape, latent_dim, evaluation)
        self.save_hyperparameters()
        if class_weight < 0:
            raise ValueError(f"class_weight must be >= 0, got {class_weight}")
        self.generator = DCGANGenerator(latent_dim, self.channels, self.image_size, base_channels, num_classes)
        self.discriminator = DCGANDiscriminator(self.channels, self.image_size, discriminator_channels,
                                                aux_classes=num_classes)
        self.gan = GANLoss(gan_mode)
        self.class_weight = class_weight
        self.optim_cfg = optim or gan_optim()
        self._aux: dict[str, PairCounts] = {}

    def generate(self, noise: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
        return self.generator(noise, codes)

    def configure_players(self) -> dict[str, tuple[Any, OptimConfig]]:
        return {"discriminator": (list(self.discriminator.parameters()), self.optim_cfg),
                "generator": (list(self.generator.parameters()), self.optim_cfg)}

    def discriminator_losses(self, x: torch.Tensor, y: torch.Tensor, fake: torch.Tensor, c: torch.Tensor
                             ) -> dict[str, torch.Tensor]:
        """D's objective ``-(L_S + L_C)`` and its parts (``source``, ``class_real``, ``class_fake``)."""
        s_real, c_real = self.discriminator(x)
        s_fake, c_fake = self.discriminator(fake.detach())
        source = self.gan.discriminator_loss(s_real, s_fake)
        class_real, class_fake = acgan_class_terms(c_real, y, c_fake, c)
        return {"total": source + self.class_weight * (class_real + class_fake), "source": source,
                "class_real": class_real, "class_fake": class_fake}

    def generator_losses(self, fake: torch.Tensor, c: torch.Tensor) -> dict[str, torch.Tensor]:
        """G's objective (non-saturating ``L_S`` term + the class term on its samples) and its parts."""
        s_fake, c_fake = self.discriminator(fake)
        source = self.gan.generator_loss(s_fake)
        class_fake = F.cross_entropy(c_fake.float(), c.long())
        return {"total": source + self.class_weight * class_fake, "source": source, "class_fake": class_fake}

    def training_step(self, batch: Any, batch_idx: int) -> None:
        x, y = batch[0], batch[1]
        c = torch.randint(self.num_classes, (len(x),), device=self.device)
        fake = self.generator(self.sample_noise(len(x)), c)
        d_parts: dict[str, torch.Tensor] = {}
        g_parts: dict[str, torch.Tensor] = {}

        def d_objective() -> torch.Tensor:
            d_parts.update(self.discriminator_losses(x, y, fake, c))
            return d_parts["total"]

        def g_objective() -> torch.Tensor:
            g_parts.update(self.generator_losses(fake, c))
            return g_parts["total"]

        d_loss = self.player_step("discriminator", d_objective)
        g_loss = self.player_step("generator", g_objective)
        self.log_train({"train/d_loss": d_loss, "train/g_loss": g_loss,
                        "train/d_class_real": d_parts["class_real"].detach(),
                        "train/d_class_fake": d_parts["class_fake"].detach()})

    # -- evaluation ---------------------------------------------------------------------------
    def evaluate_batch(self, x: torch.Tensor, y: torch.Tensor, codes: torch.Tensor, fake: torch.Tensor,
                       stage: str) -> None:
        parts = self.discriminator_losses(x, y, fake, codes)
        self.log(f"{stage}/d_loss", parts["total"], batch_size=len(x))
        if stage not in self._aux:
            self._aux[stage] = PairCounts(self.num_classes, self.num_classes).to(self.device)
        self._aux[stage].update(y, self.discriminator(x)[1].argmax(1))

    def finish_evaluation(self, stage: str) -> None:
        counts = self._aux[stage].compute() if stage in self._aux else None
        if counts is not None and int(counts.sum()) > 0:
            self.log(f"{stage}/aux_acc", counts.diagonal().sum().float() / counts.sum())
            self._aux[stage].reset()
