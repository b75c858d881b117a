"""UNIT: unsupervised image-to-image translation with a shared latent space (and its use for adaptation).

Liu, Breuel & Kautz, "Unsupervised Image-to-Image Translation Networks", NIPS 2017,
https://arxiv.org/abs/1703.00848; authors' code https://github.com/mingyuliutw/UNIT. Two VAE-GANs
``{E1, G1, D1}`` (domain X1 = A) and ``{E2, G2, D2}`` (X2 = B) share a latent space: the last encoder layers
and the first generator layers are the same modules (:class:`tlzoo.nn.shared_latent.SharedLatentVAEs`).
``q_i(z|x_i) = N(E_i(x_i), I)`` (the encoder outputs the mean; the variance is fixed to one). Objective
(eq. 1-5)::

    min_{E1,E2,G1,G2} max_{D1,D2}  L_VAE1 + L_GAN1 + L_CC1 + L_VAE2 + L_GAN2 + L_CC2
    L_VAE1 = lambda1 KL(q1(z1|x1) || N(0, I)) - lambda2 E[log p_G1(x1|z1)]
    L_GAN1 = lambda0 E[log D1(x1)] + lambda0 E[log(1 - D1(G1(z2)))]            z2 ~ q2(z2|x2)
    L_CC1  = lambda3 KL(q1(z1|x1) || N(0, I)) + lambda3 KL(q2(z2|x1->2) || N(0, I))
             - lambda4 E[log p_G1(x1|z2)]                                        x1->2 = G2(z1), z2 ~ q2(.|x1->2)

and symmetrically for domain 2; ``p_G`` is a Laplacian, so ``-log p_G`` is an L1 distance. Paper settings:
``lambda0 = 10, lambda1 = lambda3 = 0.1, lambda2 = lambda4 = 100``, Adam lr 1e-4, betas (0.5, 0.999).

Domain adaptation (Sec. 5, Table 3; authors' ``cocogan_trainer_da.py``): the high-level layers of ``D1`` and
``D2`` are tied; a classification head on them is trained with the source labels (``D1`` path) and
classifies target images through the ``D2`` path; a feature-consistency term makes ``D1`` and ``D2``
describe a pair of corresponding images (``G1(z)``, ``G2(z)``: the reconstruction and the translation of
one image) with the same features. The paper reports that the cycle-consistency terms were not needed on
digits (``lambda3 = lambda4 = 0`` in ``experiments/translation/unit_*.yaml``). This is the route taken here
(not a classifier on the latent code). With a domain-adaptation data module (``USPSMNIST``, ``SVHNToMNIST``,
``EmbeddedDigits``; A = source), UNIT logs ``val/source_acc``, ``val/target_acc``, ``test/target_acc``.

Code vs. paper: ``vaes.encoder_a`` = E1, ``vaes.encoder_b`` = E2, ``vaes.generator_a`` = G1,
``vaes.generator_b`` = G2, ``discriminator`` = (D1, D2) (``domain="a"`` / ``"b"``), ``mu_a`` = E1(x1),
``lambda_gan`` = lambda0, ``lambda_kl`` = lambda1, ``lambda_recon`` = lambda2, ``lambda_cycle_kl`` = lambda3,
``lambda_cycle`` = lambda4; ``lambda_cls`` and ``lambda_feature`` weigh the adaptation terms (authors' DA code
``cls_w``, ``feature_w``).

Deviations: the KL term is averaged over the latent dimensions (``KL / d``, what the authors' released code
computes as ``mean(mu^2)``), so lambda1 does not scale with the latent size; the L1 terms are per-pixel
means. The generators step first, then the discriminators, on the same (detached) translations. The GAN
terms are the non-saturating vanilla GAN loss; ``D``'s own objective is its GAN loss
(+ ``lambda_cls`` classification + ``lambda_feature`` consistency), lambda0 weighs the generators' term.
"""

from __future__ import annotations

from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import nn

from tlzoo.core.optim import OptimConfig
from tlzoo.methods.translation.base import TranslationEval
from tlzoo.methods.translation.labelled_source import LabelledSourceTranslation, split_accuracies, split_batch
from tlzoo.nn.losses.adversarial import GANLoss
from tlzoo.nn.losses.latent import gaussian_kl
from tlzoo.nn.losses.reconstruction import l1_reconstruction
from tlzoo.nn.norm import NormKind
from tlzoo.nn.shared_latent import CoupledDiscriminator, SharedLatentVAEs


def unit_kl(mu: torch.Tensor) -> torch.Tensor:
    """``KL(N(mu, I) || N(0, I)) / d`` per example, averaged over the batch: ``0.5 * mean(mu^2)`` (module
    docstring, deviations)."""
    return gaussian_kl(mu, torch.zeros_like(mu)) / mu[0].numel()


def unit_optim() -> OptimConfig:
    """Adam, lr 1e-4, betas (0.5, 0.999), constant (paper, Sec. 4)."""
    return OptimConfig(name="adam", lr=1e-4, betas=(0.5, 0.999), schedule="constant")


class UNIT(LabelledSourceTranslation):
    """UNIT (Liu et al., NIPS 2017): coupled VAE-GANs with a shared latent space (module docstring).

    Args:
        channels_a: channels of domain A (X1, the source for adaptation).
        channels_b: channels of domain B (X2).
        base_channels: width of the encoders / generators.
        latent_channels: channels of the latent map.
        norm: normalisation in the encoders / generators.
        discriminator_channels: width of the discriminators.
        discriminator_shared_blocks: high-level blocks tied between D1 and D2 (of 3; 0: separate).
        discriminator_dropout: dropout in the discriminators (the authors' digit networks use dropout).
        lambda_gan: lambda0 (10).
        lambda_kl: lambda1 (0.1).
        lambda_recon: lambda2 (100).
        lambda_cycle_kl: lambda3 (0.1).
        lambda_cycle: lambda4 (100); with ``lambda_cycle_kl`` 0 too, the cycle pass is skipped.
        lambda_cls: weight of the source classification loss in D's objective (adaptation data only).
        lambda_feature: weight of D's feature-consistency loss (0: off).
        optim: optimiser of both player groups (Adam 1e-4, betas 0.5/0.999).
        evaluation: how translations are scored (judges, FID/KID).
        num_classes: classes of the data (linked from the data); > 0 adds the class head.
        input_shape: shape of domain A's images (linked from the data; sets the discriminators' input size).
        image_size: image side when ``input_shape`` is not given.
    """

    two_way = True

    def __init__(
        self,
        channels_a: int = 1,
        channels_b: int = 1,
        base_channels: int = 64,
        latent_channels: int = 64,
        norm: NormKind = "batch",
        discriminator_channels: int = 64,
        discriminator_shared_blocks: int = 2,
        discriminator_dropout: float = 0.0,
        lambda_gan: float = 10.0,
        lambda_kl: float = 0.1,
        lambda_recon: float = 100.0,
        lambda_cycle_kl: float = 0.1,
        lambda_cycle: float = 100.0,
        lambda_cls: float = 10.0,
        lambda_feature: float = 0.0,
        optim: OptimConfig | None = None,
        evaluation: TranslationEval | None = None,
        num_classes: int | None = None,
        input_shape: tuple[int, ...] | None = None,
        image_size: int = 32,
    ) -> None:
        super().__init__(channels_a, channels_b, evaluation, input_shape)
        self.save_hyperparameters()
        weights = dict(lambda_gan=lambda_gan, lambda_kl=lambda_kl, lambda_recon=lambda_recon,
                       lambda_cycle_kl=lambda_cycle_kl, lambda_cycle=lambda_cycle, lambda_cls=lambda_cls,
                       lambda_feature=lambda_feature)
        negative = {k: v for k, v in weights.items() if v < 0}
        if negative:
            raise ValueError(f"loss weights must be >= 0, got {negative}")
        size = (input_shape[1], input_shape[2]) if input_shape is not None and len(input_shape) == 3 else image_size
        self.vaes = SharedLatentVAEs(channels_a, channels_b, base_channels, latent_channels, norm)
        self.num_classes = int(num_classes or 0)
        self.discriminator = CoupledDiscriminator(channels_a, channels_b, size, discriminator_channels,
                                                  self.num_classes, discriminator_shared_blocks, discriminator_dropout)
        self.gan = GANLoss("vanilla")
        self.lambda_gan, self.lambda_kl, self.lambda_recon = lambda_gan, lambda_kl, lambda_recon
        self.lambda_cycle_kl, self.lambda_cycle = lambda_cycle_kl, lambda_cycle
        self.lambda_cls, self.lambda_feature = lambda_cls, lambda_feature
        self.optim_cfg = optim or unit_optim()
        if self.num_classes > 0:
            self.eval_acc = split_accuracies(self.num_classes)

    # -- translation --------------------------------------------------------------------------
    def export_module(self) -> tuple[nn.Module, int]:
        """``G2 . E1`` (A -> B, the latent mean) and its input channels (``tlzoo export``)."""
        return nn.Sequential(self.vaes.encoder_a, self.vaes.generator_b), self.channels_a

    def translate(self, x_a: torch.Tensor) -> torch.Tensor:
        """``G2(E1(x_a))`` with ``z`` the latent mean."""
        return self.vaes.generator_b(self.vaes.encoder_a(x_a))

    def translate_back(self, x_b: torch.Tensor) -> torch.Tensor:
        """``G1(E2(x_b))``."""
        return self.vaes.generator_a(self.vaes.encoder_b(x_b))

    def classify(self, x: torch.Tensor, domain: Literal["a", "b"]) -> torch.Tensor:
        """Class logits of images of domain A (``D1`` path) or B (``D2`` path)."""
        return self.discriminator.classify(x, domain)

    # -- optimisation -------------------------------------------------------------------------
    def configure_players(self) -> dict[str, tuple[Any, OptimConfig]]:
        return {"generators": (list(self.vaes.parameters()), self.optim_cfg),
                "discriminators": (list(self.discriminator.parameters()), self.optim_cfg)}

    @staticmethod
    def sample(mu: torch.Tensor) -> torch.Tensor:
        """``z ~ N(mu, I)`` by reparameterisation."""
        return mu + torch.randn_like(mu)

    def generator_losses(self, x_a: torch.Tensor, x_b: torch.Tensor) -> dict[str, torch.Tensor]:
        """Every term of the encoders' and generators' objective; ``fakes`` holds the images D needs."""
        vaes = self.vaes
        mu_a, mu_b = vaes.encode_pair(x_a, x_b)
        z_a, z_b = self.sample(mu_a), self.sample(mu_b)
        x_aa, x_ab = vaes.decode_both(z_a)  # reconstruction in A, translation to B
        x_ba, x_bb = vaes.decode_both(z_b)
        kl = unit_kl(mu_a) + unit_kl(mu_b)
        recon = l1_reconstruction(x_a, x_aa) + l1_reconstruction(x_b, x_bb)
        gan = (self.gan.generator_loss(self.discriminator(x_ba, "a"))
               + self.gan.generator_loss(self.discriminator(x_ab, "b")))
        zero = torch.zeros((), device=x_a.device)
        cycle_kl, cycle = zero, zero
        if self.lambda_cycle > 0 or self.lambda_cycle_kl > 0:
            mu_ab, mu_ba = vaes.encode_pair(x_ba, x_ab)  # E1(x_ba) and E2(x_ab)
            x_aba = vaes.generator_a(self.sample(mu_ba))
            x_bab = vaes.generator_b(self.sample(mu_ab))
            cycle_kl = kl + unit_kl(mu_ab) + unit_kl(mu_ba)
            cycle = l1_reconstruction(x_a, x_aba) + l1_reconstruction(x_b, x_bab)
        total = (self.lambda_gan * gan + self.lambda_kl * kl + self.lambda_recon * recon
                 + self.lambda_cycle_kl * cycle_kl + self.lambda_cycle * cycle)
        return {"total": total, "gan": gan, "kl": kl, "recon": recon, "cycle_kl": cycle_kl, "cycle": cycle,
                "x_aa": x_aa, "x_ab": x_ab, "x_ba": x_ba, "x_bb": x_bb}

    def discriminator_losses(self, x_a: torch.Tensor, y_a: torch.Tensor | None, x_b: torch.Tensor,
                             fakes: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """D1's and D2's GAN terms on (detached) translations, the source classification term and the
        feature-consistency term (each domain's images go through its discriminator in one batch)."""
        d = self.discriminator
        x_aa, x_ab, x_ba, x_bb = (fakes[k].detach() for k in ("x_aa", "x_ab", "x_ba", "x_bb"))
        feature_on = self.lambda_feature > 0
        n_a, n_b = len(x_a), len(x_b)
        h_a = d.features(torch.cat([x_a, x_ba, x_aa] if feature_on else [x_a, x_ba]), "a")
        h_b = d.features(torch.cat([x_b, x_ab, x_bb] if feature_on else [x_b, x_ab]), "b")
        logit_a, logit_b = d.adv_head_a(h_a).squeeze(1), d.adv_head_b(h_b).squeeze(1)
        gan = (self.gan.discriminator_loss(logit_a[:n_a], logit_a[n_a:n_a + n_b])
               + self.gan.discriminator_loss(logit_b[:n_b], logit_b[n_b:n_b + n_a]))
        zero = torch.zeros((), device=x_a.device)
        cls, feature, acc = zero, zero, zero
        if y_a is not None and d.class_head_a is not None and self.lambda_cls > 0:
            logits = d.class_head_a(h_a[:n_a])
            cls = F.cross_entropy(logits.float(), y_a)
            acc = (logits.argmax(1) == y_a).float().mean()
        if feature_on:  # G1(z) and G2(z) show one image: D1 and D2 should see the same features
            h_ba, h_aa = h_a[n_a:n_a + n_b], h_a[n_a + n_b:]
            h_ab, h_bb = h_b[n_b:n_b + n_a], h_b[n_b + n_a:]
            feature = F.mse_loss(h_ab.float(), h_aa.float()) + F.mse_loss(h_ba.float(), h_bb.float())
        total = gan + self.lambda_cls * cls + self.lambda_feature * feature
        return {"total": total, "gan": gan, "cls": cls, "feature": feature, "cls_acc": acc}

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        x_a, y_a, x_b = split_batch(batch)
        g_loss, g_parts = self.step_with_parts("generators", lambda: self.generator_losses(x_a, x_b))
        d_loss, d_parts = self.step_with_parts("discriminators",
                                               lambda: self.discriminator_losses(x_a, y_a, x_b, g_parts))
        logs = {"train/g_loss": g_loss, "train/d_loss": d_loss}
        logs.update({f"train/{k}": g_parts[k].detach() for k in ("gan", "kl", "recon", "cycle")})
        logs["train/d_gan"] = d_parts["gan"].detach()
        if y_a is not None and self.num_classes > 0:
            logs.update({"train/cls_loss": d_parts["cls"].detach(), "train/source_acc": d_parts["cls_acc"]})
        if self.lambda_feature > 0:
            logs["train/feature"] = d_parts["feature"].detach()
        self.log_train(logs)

    # -- evaluation ---------------------------------------------------------------------------
    def classify_eval(self, x: torch.Tensor, y: torch.Tensor, split: str, stage: str) -> None:
        if self.num_classes == 0:
            return
        self.log_split_accuracy(self.classify, x, y, split, stage, f"{split}_acc", prog_bar=stage == "val")
