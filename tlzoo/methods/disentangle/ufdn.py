"""UFDN: the Unified Feature Disentangler, used for unsupervised domain adaptation.

Liu, Yeh, Fu, Wang, Chiu & Wang, "A Unified Feature Disentangler for Multi-Domain Image Translation and
Manipulation", NeurIPS 2018, https://arxiv.org/abs/1809.01361; authors' code:
https://github.com/Alexander-H-Liu/UFDN (``train_face.py``, ``train_uda.py``).

A VAE whose latent code ``z`` is made domain-invariant by a domain classifier on ``z``, and whose decoder
is told the domain by a one-hot domain vector ``v``, so ``G(E(x_S), v_T)`` translates source to target.
Objective (paper Sec. 3; our summary of its terms), ``min_{E,G,C} max_{D_v,D_x}``::

    L_vae  = ||x - G(E(x), v)||^2 + KL(q(z|x) || N(0, I))
    L_adv^v: D_v classifies the domain of z = E(x); E is trained to fool it
    L_adv^x: D_x tells real images from G(z, v~) (translations to another domain v~)
    L_cls  : D_x's auxiliary classifier predicts the domain of real images (D_x) and of
             G(z, v~) as v~ (G)
    UDA    : a classifier C on z trained with source labels, CE(C(E(x_S)), y_S)

Which form the encoder's latent adversarial term takes (``latent_adversarial``):

* ``inverted`` (default; the authors' ``train_uda.py``): ``D_v`` minimises the binary cross-entropy with
  the true domains (source = 1), ``E`` minimises it with the *inverted* domains::

      L_Dv = 1/2 [BCE(D_v(z_S), 1) + BCE(D_v(z_T), 0)]     L_E = 1/2 [BCE(D_v(z_S), 0) + BCE(D_v(z_T), 1)]

* ``confusion``: ``E`` pushes ``D_v`` towards the uniform prediction,
  ``L_E = 1/2 [BCE(D_v(z), 1) + BCE(D_v(z), 0)]`` averaged over both domains (Tzeng et al., ICCV 2015).

Each batch steps ``D_v``, then ``D_x`` (when ``image_adversarial_weight > 0``), then ``E + G + C`` against
the updated discriminators (the order of the authors' loop). As in their code, the translations in the
image-adversarial terms are decoded from a *detached* ``z`` (only ``G`` learns from ``D_x``), and the
classifier and ``D_v`` see the sampled ``z`` during training and ``mu`` at test time.

Code vs. paper: ``backbone`` + ``posterior`` = E (``q(z|x)``), ``decoder`` = G (``DCGANGenerator``
conditioned on the domain index: ``[z, one-hot(v)]`` enters the first layer, as the authors' configs
insert the code there), ``latent_discriminator`` = D_v, ``image_discriminator`` = D_x with its
auxiliary domain head, ``classifier`` = the UDA classifier on z; ``reconstruction_weight`` /
``kl_weight`` / ``latent_adversarial_weight`` / ``image_adversarial_weight`` / ``image_domain_weight``
= the released config's ``pix_recon`` / ``kl`` / ``feat_domain`` / ``pix_adv`` / ``pix_clf``.

Deviations: the encoder is a zoo backbone (default DANN's conv32-conv48 digit net with BatchNorm)
instead of the authors' five 4x4 stride-2 convolutions to a 2048-d code; the reconstruction is the
mean squared error per pixel; one logit per domain pair instead of a 2-way sigmoid output; the image
GAN is the vanilla (non-saturating) GAN by default, WGAN-GP as in ``train_face.py`` with
``image_gan_mode: wgan`` and ``gradient_penalty_weight: 10``; the authors' UDA script flips grey
images (``1 - x``) on odd steps, which we do not.

Translations: ``tlzoo predict`` writes, for each input image (by default the target test split), its decoding
``G(E(x), v_d)`` into each domain of ``predict_domains`` (named as the data names them, e.g. ``uci`` / ``mnist``, or
``source`` / ``target``): one image per input for one domain, a strip ``input | domain 1 | ...`` for several (default:
both). The predict outputs also carry the classifier's ``pred`` / ``prob`` (and ``label``) and each translation
(``translations``). Validation and test log the reconstruction error of each domain and, with judges, whether the
translations reach the requested domain and keep the class, and FID / KID (:mod:`tlzoo.methods.disentangle.ufdn_eval`).
"""

from __future__ import annotations

from typing import Any, Literal

import torch
import torch.nn.functional as F

from tlzoo.core.adversarial import AdversarialMixin
from tlzoo.data.spec import ImageSpec
from tlzoo.errors import TLZooError
from tlzoo.methods.da.base import DomainAdaptationMethod, OptimConfig
from tlzoo.methods.disentangle.stargan_eval import StarGANEval
from tlzoo.methods.disentangle.ufdn_eval import (
    DOMAINS,
    UFDNEvaluation,
    data_domain_names,
    predict_domain_indices,
)
from tlzoo.nn.backbones import BackboneConfig, mlp_head
from tlzoo.nn.discriminators import DCGANDiscriminator, DomainDiscriminator
from tlzoo.nn.generators import DCGAN_IMAGE_SIZES, DCGANGenerator
from tlzoo.nn.losses import GANLoss, GANMode, domain_adversarial_loss, domain_confusion_loss, gaussian_kl
from tlzoo.nn.losses.adversarial import gradient_penalty
from tlzoo.nn.vae_parts import GaussianHead

SOURCE, TARGET = 0, 1


def latent_adversarial_loss(logits_source: torch.Tensor, logits_target: torch.Tensor,
                            form: Literal["inverted", "confusion"] = "inverted") -> torch.Tensor:
    """The encoder's term against the latent domain classifier ``D_v`` (one logit, source = 1).

    ``inverted``: ``1/2 [BCE(s, 0) + BCE(t, 1)]`` (the authors' code: the domain labels swapped);
    ``confusion``: cross-entropy against the uniform domain distribution, averaged over both domains.
    """
    if form == "inverted":
        return domain_adversarial_loss(logits_target, logits_source)
    if form == "confusion":
        return 0.5 * (domain_confusion_loss(logits_source) + domain_confusion_loss(logits_target))
    raise ValueError(f"latent_adversarial must be 'inverted' or 'confusion', got {form!r}")


class UFDN(UFDNEvaluation, AdversarialMixin, DomainAdaptationMethod):
    """Unified Feature Disentangler (Liu et al., NeurIPS 2018) for two domains, with a source-label classifier on z.

    Players, stepped in this order each batch: ``latent_discriminator`` (D_v), ``image_discriminator``
    (D_x, only when one of the image weights is > 0), ``vae`` (E, G and the classifier). Checkpoints
    are selected on ``val/source_acc``; ``val/target_acc`` is reported.

    Args:
        num_classes: number of classes (linked from the data).
        input_shape: image shape ``(C, H, W)``, square, side 16, 28, 32 or 64 (linked from the data).
        backbone: convolutional part of the encoder E.
        latent_dim: dimension of z.
        classifier_hidden: hidden widths of the classifier on z (authors: none, one linear layer).
        dropout: dropout in the classifier.
        decoder_channels: ``b`` of the DCGAN decoder G.
        latent_discriminator_hidden: hidden widths of D_v (authors: 1024, 256).
        latent_adversarial: ``inverted`` or ``confusion`` (see the module docstring).
        reconstruction_weight: weight of the pixel reconstruction loss.
        kl_weight: weight of the KL term (authors' UDA config: 1e-7).
        latent_adversarial_weight: weight of the encoder's latent adversarial loss (authors: 0.1).
        classification_weight: weight of the source cross-entropy.
        image_adversarial_weight: weight of G's image adversarial loss (0: no D_x, as the authors' UDA script).
        image_domain_weight: weight of G's auxiliary domain-classification loss on its translations.
        image_gan_mode: GAN loss of D_x (``vanilla``, ``lsgan``, ``hinge``, ``wgan``).
        gradient_penalty_weight: WGAN-GP weight for D_x (0: none).
        discriminator_channels: ``b`` of the DCGAN image discriminator.
        optim: optimiser of E, G and the classifier (default Adam 2e-4, betas 0.5/0.999, constant).
        discriminator_optim: optimiser of D_v and D_x (default: the same settings as ``optim``).
        evaluation: judges and FID / KID of the translations (StarGAN's options; ``judge`` classifies the two
            domains, class 0 = source; :mod:`~tlzoo.methods.disentangle.ufdn_eval`). Default: reconstruction
            errors only.
        predict_domains: the domains ``tlzoo predict`` translates into, by the data's names (e.g. ``[mnist]``) or
            ``source`` / ``target``; ``None``: both (a strip ``input | source | target`` per image).
    """

    predict_output = "images"

    def __init__(
        self,
        num_classes: int,
        input_shape: tuple[int, ...],
        backbone: BackboneConfig | None = None,
        latent_dim: int = 128,
        classifier_hidden: tuple[int, ...] = (),
        dropout: float = 0.0,
        decoder_channels: int = 32,
        latent_discriminator_hidden: tuple[int, ...] = (256, 256),
        latent_adversarial: Literal["inverted", "confusion"] = "inverted",
        reconstruction_weight: float = 1.0,
        kl_weight: float = 1e-5,
        latent_adversarial_weight: float = 0.1,
        classification_weight: float = 1.0,
        image_adversarial_weight: float = 0.0,
        image_domain_weight: float = 0.0,
        image_gan_mode: GANMode = "vanilla",
        gradient_penalty_weight: float = 0.0,
        discriminator_channels: int = 32,
        optim: OptimConfig | None = None,
        discriminator_optim: OptimConfig | None = None,
        evaluation: StarGANEval | None = None,
        predict_domains: list[str] | None = None,
    ) -> None:
        optim = optim if optim is not None else OptimConfig(name="adam", lr=2e-4, betas=(0.5, 0.999),
                                                            schedule="constant")
        super().__init__(num_classes, input_shape, backbone, 0, classifier_hidden, dropout, optim)
        self.save_hyperparameters()
        if len(self.input_shape) != 3 or self.input_shape[1] != self.input_shape[2] \
                or self.input_shape[1] not in DCGAN_IMAGE_SIZES:
            raise TLZooError(f"UFDN needs square images of side {DCGAN_IMAGE_SIZES} (its decoder is DCGAN's); the "
                             f"data gives {self.input_shape}: set --data.image_size")
        if latent_adversarial not in ("inverted", "confusion"):
            raise ValueError(f"latent_adversarial must be 'inverted' or 'confusion', got {latent_adversarial!r}")
        channels, size = self.input_shape[0], self.input_shape[1]
        self.latent_dim = latent_dim
        self.latent_adversarial = latent_adversarial
        self.loss_weights = {"reconstruction": reconstruction_weight, "kl": kl_weight,
                        "latent_adversarial": latent_adversarial_weight, "classification": classification_weight,
                        "image_adversarial": image_adversarial_weight, "image_domain": image_domain_weight}
        self.gradient_penalty_weight = gradient_penalty_weight
        self.discriminator_optim_cfg = discriminator_optim or self.optim_cfg
        self.posterior = GaussianHead(self.backbone.out_dim, latent_dim)
        self.feature_dim = latent_dim
        self.classifier = mlp_head(latent_dim, classifier_hidden, num_classes, dropout)  # C on z
        self.decoder = DCGANGenerator(latent_dim, channels, size, decoder_channels, num_classes=2)
        self.latent_discriminator = DomainDiscriminator(latent_dim, latent_discriminator_hidden)
        self.uses_image_discriminator = image_adversarial_weight > 0 or image_domain_weight > 0
        if self.uses_image_discriminator:
            norm = "none" if gradient_penalty_weight > 0 else "batch"
            self.image_discriminator = DCGANDiscriminator(channels, size, discriminator_channels, aux_classes=2,
                                                          norm=norm)
            self.gan = GANLoss(image_gan_mode)
        self.evaluation = evaluation or StarGANEval()
        self.predict_domains = None if predict_domains is None else list(predict_domains)
        self.specs = (ImageSpec.symmetric(channels, size), ImageSpec.symmetric(channels, size))
        self.domain_names: tuple[str, str] = DOMAINS
        self._init_translation_eval()

    # -- networks -----------------------------------------------------------------------------
    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(z, mu, logvar)`` of ``q(z|x)``; ``z`` is sampled in training mode and ``mu`` in eval mode."""
        return self.posterior(self.backbone(x))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The posterior mean ``mu``: what the classifier sees at test time, for both domains."""
        return self.posterior.posterior(self.backbone(x))[0]

    def decode(self, z: torch.Tensor, domain: int | torch.Tensor) -> torch.Tensor:
        """``G(z, v)``: images of ``domain`` (0 = source, 1 = target; one int or one index per example)."""
        if isinstance(domain, int):
            domain = torch.full((len(z),), domain, dtype=torch.long, device=z.device)
        return self.decoder(z, domain)

    def translate(self, x: torch.Tensor, to_domain: int) -> torch.Tensor:
        """``G(E(x), v)``: ``x`` re-rendered in domain ``to_domain`` (the mean code in eval mode)."""
        return self.decode(self.encode(x)[0], to_domain)

    def image_grid(self, batch: Any) -> list[tuple[str, torch.Tensor]]:
        """Source validation images, their reconstructions and their translations to the target domain."""
        x = batch[0] if isinstance(batch, list | tuple) else batch
        z = self.encode(x)[0]
        source, target = self.specs
        return [("source", source.denormalize(x)), ("reconstruction", source.denormalize(self.decode(z, SOURCE))),
                ("to target", target.denormalize(self.decode(z, TARGET)))]

    # -- data, evaluation and predict ---------------------------------------------------------
    def setup(self, stage: str) -> None:
        """Takes the data's domain names and pixel specs (``spec_a`` = source, ``spec_b`` = target) and checks
        ``predict_domains`` against the names."""
        super().setup(stage)
        data = getattr(self._trainer, "datamodule", None) if self._trainer is not None else None
        specs = [getattr(data, key, None) for key in ("spec_a", "spec_b")]
        self.specs = (specs[0] if isinstance(specs[0], ImageSpec) else self.specs[0],
                      specs[1] if isinstance(specs[1], ImageSpec) else self.specs[1])
        self.domain_names = data_domain_names(data)
        predict_domain_indices(self.predict_domains, self.domain_names)

    def validation_step(self, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> dict[str, torch.Tensor]:
        """The classifier's metrics (:class:`DomainAdaptationMethod`) and the translation scores."""
        out = super().validation_step(batch, batch_idx, dataloader_idx)
        self.score_translations(batch, dataloader_idx, "val")
        return out

    def test_step(self, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> dict[str, torch.Tensor]:
        out = super().test_step(batch, batch_idx, dataloader_idx)
        self.score_translations(batch, dataloader_idx, "test")
        return out

    def on_validation_epoch_end(self) -> None:
        super().on_validation_epoch_end()
        self.log_translation_scores("val")

    def on_test_epoch_end(self) -> None:
        super().on_test_epoch_end()
        self.log_translation_scores("test")

    @torch.no_grad()
    def predict_step(self, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> dict[str, Any]:
        """``images``: ``G(E(x), v_d)`` for each domain of ``predict_domains`` in [0, 1] (several: a strip
        ``input | ...`` along the width; inputs are read as target images, as the predict split is); ``translations``:
        each of them by domain name; ``pred`` / ``prob`` / ``label``: the classifier's (label -1: none)."""
        x = batch[0] if isinstance(batch, list | tuple) else batch
        label = batch[1] if isinstance(batch, list | tuple) and len(batch) > 1 else None
        label = torch.full((len(x),), -1, device=x.device) if label is None else label
        z = self.features(x)  # the posterior mean
        logits = self.classifier(z)
        codes = predict_domain_indices(self.predict_domains, self.domain_names)
        translations = {self.domain_names[d]: self.specs[d].denormalize(self.decode(z, d)) for d in codes}
        images = [translations[self.domain_names[d]] for d in codes]
        strip = images[0] if len(images) == 1 else torch.cat([self.specs[TARGET].denormalize(x), *images], dim=-1)
        return {"images": strip, "translations": translations, "pred": logits.argmax(1), "prob": logits.softmax(1),
                "label": label}

    # -- optimisation -------------------------------------------------------------------------
    def configure_players(self) -> dict[str, tuple[Any, OptimConfig]]:
        players: dict[str, tuple[Any, OptimConfig]] = {
            "latent_discriminator": (list(self.latent_discriminator.parameters()), self.discriminator_optim_cfg)}
        if self.uses_image_discriminator:
            players["image_discriminator"] = (list(self.image_discriminator.parameters()),
                                              self.discriminator_optim_cfg)
        vae = [p for m in (self.backbone, self.posterior, self.decoder, self.classifier) for p in m.parameters()]
        players["vae"] = (vae, self.optim_cfg)
        return players

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        x_s, y_s = batch["source"]
        x_t = batch["target"]
        n = len(x_s)
        x = torch.cat([x_s, x_t])
        domains = torch.cat([torch.full((n,), SOURCE), torch.full((len(x_t),), TARGET)]).to(x.device)
        w = self.loss_weights
        logs: dict[str, torch.Tensor] = {}

        # 1) D_v on the (sampled) codes of both domains, source = 1
        with torch.no_grad():
            z_fixed = self.encode(x)[0]

        def dv_loss() -> torch.Tensor:
            logits = self.latent_discriminator(z_fixed).squeeze(1)
            logs["train/latent_d_acc"] = 0.5 * ((logits[:n] > 0).float().mean() + (logits[n:] <= 0).float().mean())
            return domain_adversarial_loss(logits[:n], logits[n:])

        logs["train/latent_d_loss"] = self.player_step("latent_discriminator", dv_loss)

        # 2) D_x: real vs. translated images, and the domain of real images
        translated_domains = 1 - domains
        if self.uses_image_discriminator:
            with torch.no_grad():
                fake_fixed = self.decode(z_fixed, translated_domains)

            def dx_loss() -> torch.Tensor:
                real_logit, real_domain = self.image_discriminator(x)
                fake_logit, _ = self.image_discriminator(fake_fixed)
                loss = self.gan.discriminator_loss(real_logit, fake_logit) + F.cross_entropy(real_domain, domains)
                if self.gradient_penalty_weight > 0:
                    loss = loss + self.gradient_penalty_weight * gradient_penalty(self.image_discriminator, x,
                                                                                  fake_fixed)
                return loss

            logs["train/image_d_loss"] = self.player_step("image_discriminator", dx_loss)

        # 3) E, G and the classifier
        def vae_loss() -> torch.Tensor:
            z, mu, logvar = self.encode(x)
            recon = F.mse_loss(self.decode(z, domains).float(), x.float())
            kl = gaussian_kl(mu, logvar)
            dv = self.latent_discriminator(z).squeeze(1)
            adv = latent_adversarial_loss(dv[:n], dv[n:], self.latent_adversarial)
            cls = F.cross_entropy(self.classifier(z[:n]), y_s)
            loss = (w["reconstruction"] * recon + w["kl"] * kl + w["latent_adversarial"] * adv
                    + w["classification"] * cls)
            logs.update({"train/recon_loss": recon.detach(), "train/kl": kl.detach(),
                         "train/latent_adv_loss": adv.detach(), "train/cls_loss": cls.detach()})
            if self.uses_image_discriminator:
                fake = self.decode(z.detach(), translated_domains)
                fake_logit, fake_domain = self.image_discriminator(fake)
                g_adv = self.gan.generator_loss(fake_logit)
                g_dom = F.cross_entropy(fake_domain, translated_domains)
                loss = loss + w["image_adversarial"] * g_adv + w["image_domain"] * g_dom
                logs.update({"train/image_g_loss": g_adv.detach(), "train/image_domain_loss": g_dom.detach()})
            return loss

        logs["train/vae_loss"] = self.player_step("vae", vae_loss)
        self.log_train(logs, prog_bar=False)
