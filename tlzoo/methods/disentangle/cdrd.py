"""CDRD and E-CDRD: the Cross-Domain Representation Disentangler, used for unsupervised domain adaptation.

Liu, Yeh, Fu, Wang, Chiu & Wang, "Detach and Adapt: Learning Cross-Domain Disentangled Deep
Representation", CVPR 2018, https://arxiv.org/abs/1705.01314.

CDRD is a coupled, attribute-conditioned GAN. One latent code ``z ~ N(0, I)`` and one attribute ``l~`` (here
the class) give a *pair* of images through shared high-level generator layers and domain-specific
low-level ones; two discriminators share their high-level layers, which end in a real/fake head and an
auxiliary attribute classifier ``P(l | X)`` (eq. 1-4)::

    X~_S = G_S(G_C(z, l~)),   X~_T = G_T(G_C(z, l~))                                               (1)
    L_adv = E[log D_C(D_S(X_S))] + E[log(1 - D_C(D_S(X~_S)))]
          + E[log D_C(D_T(X_T))] + E[log(1 - D_C(D_T(X~_T)))]                                        (2)
    L_dis = E[log P(l = l~ | X~_S)] + E[log P(l = l_S | X_S)] + E[log P(l = l~ | X~_T)]               (3)
    D maximises L_adv + lambda L_dis;  G minimises L_adv and maximises lambda L_dis                    (4)

Only source images carry labels; the target branch learns the attribute from its own synthetic images
``X~_T`` (whose attribute is the one they were generated with), and the shared layers carry the
source's supervision over. UDA: a target image is classified by the auxiliary classifier of
``D_C(D_T(x))``; a source image by ``D_C(D_S(x))``.

E-CDRD (``encoders: true``, Sec. 3.2) adds encoders ``E = {E_S, E_T, E_C}`` (``z ~ q(z|X) = E_C(E_d(X))``,
eq. 5) trained as a VAE through the generator of the same domain (eq. 6-7)::

    L_vae = ||X_S - G_S(G_C(z_S, l_S))||^2 + KL(q(z_S|X_S) || p(z))
          + ||X_T - G_T(G_C(z_T, l^_T))||^2 + KL(q(z_T|X_T) || p(z))                                  (7)
    E minimises L_vae;  G minimises L_vae - L_adv - lambda L_dis;  D as in (4)                          (11)

and translates ``X_S -> G_T(G_C(z_S, l))`` (eq. 8). Our reading of the extended adversarial terms
(eq. 9-10, not reproduced from the paper's text): the translations ``G_T(G_C(z_S, l_S))`` and
``G_S(G_C(z_T, l^_T))`` are extra fakes for ``D_T`` / ``D_S``, and the source-to-target translation,
whose attribute is the true source label, is an extra term of ``L_dis`` for both players. They are
decoded from a *detached* ``z``, so ``E`` is trained by ``L_vae`` alone, as eq. 11 says.

Code vs. paper: ``generator.shared`` = G_C, ``generator.heads[0 / 1]`` = G_S / G_T,
``discriminator.body.low[0 / 1]`` = D_S / D_T, ``discriminator.body.high`` + ``head`` + ``aux_head`` = D_C
(real/fake and ``P(l|X)``), ``encoder.body.low[0 / 1]`` = E_S / E_T, ``encoder.body.high`` + ``head`` = E_C,
``disentangle_weight`` = lambda (paper: 1), ``l^_T`` = the target attribute the auxiliary classifier
predicts (the target has no labels; our choice for the reconstruction's attribute).

Networks: ``networks="paper"`` builds the 28 px digit networks of the authors' released code
(:mod:`tlzoo.nn.cdrd_nets`); ``"dcgan"`` the zoo's coupled DCGAN layers for 16-64 px. The YAMLs use no
normalisation in the discriminator: the auxiliary classifier that labels target images reads D_C, which sees real
and synthetic batches of both domains, and BatchNorm's running statistics would mix them
(docs/cross_domain_disentanglement.md measures the cost). Deviations: the vanilla non-saturating generator loss
(``gan_mode``), and the pixel mean squared error for ``||Phi(X) - Phi(X~)||^2`` (the paper's ``Phi`` is a
perceptual feature map). Two details of the authors' released code (github.com/ycliu93/CDRD) that the equations
do not state are options: ``generator_disentangle_weight`` (their G has half of D's classification weight) and
``code_refresh="epoch"`` (one ``(z, l~)`` batch per epoch); the YAMLs set neither (measured in the docs).
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Any, Literal

import torch
import torch.nn.functional as F

from tlzoo.core.adversarial import AdversarialMixin
from tlzoo.errors import TLZooError
from tlzoo.methods.da.base import SPLIT_NAMES, DomainAdaptationMethod, OptimConfig
from tlzoo.nn.cdrd_nets import CDRDDigitDiscriminator, CDRDDigitGenerator
from tlzoo.nn.coupled_gan import CoupledDiscriminator, CoupledEncoder, CoupledGenerator
from tlzoo.nn.generators import DCGAN_IMAGE_SIZES
from tlzoo.nn.losses import GANLoss, GANMode, gaussian_kl
from tlzoo.nn.norm import NormKind

SOURCE, TARGET = 0, 1
DOMAIN_INDEX = {"source": SOURCE, "target": TARGET}


class CDRD(AdversarialMixin, DomainAdaptationMethod):
    """Cross-Domain Representation Disentangler (Liu et al., CVPR 2018); E-CDRD with ``encoders=True``.

    Players: ``discriminator`` (D_S, D_T, D_C) then ``generator`` (G_C, G_S, G_T, and E_S, E_T, E_C for
    E-CDRD). The label classifier is the auxiliary head of D; checkpoints are selected on
    ``val/source_acc`` (the source branch) by default.

    Args:
        num_classes: number of attribute values (classes; linked from the data).
        input_shape: ``(C, H, H)`` with ``H`` in 16, 28, 32, 64 (linked from the data).
        latent_dim: dimension of z.
        generator_channels: ``b`` of the coupled DCGAN generator.
        discriminator_channels: ``b`` of the coupled DCGAN discriminator.
        discriminator_norm: normalisation of D_C's convolutions for ``dcgan`` networks (``batch``, ``instance``,
            ``none``; unused by the ``paper`` networks, which have none). Use ``none`` (both YAMLs do); ``batch``
            stays the default so that checkpoints and run configs written before this option still load.
        networks: ``dcgan`` (coupled DCGAN layers, :mod:`tlzoo.nn.coupled_gan`) or ``paper`` (the authors' 28 px
            digit networks without normalisation, :mod:`tlzoo.nn.cdrd_nets`; ``*_channels`` are then unused).
        disentangle_weight: lambda, the weight of L_dis (paper: 1).
        generator_disentangle_weight: lambda in G's objective (default: ``disentangle_weight``). The authors' code
            averages each domain's classification terms over real and synthetic batches, which leaves G with
            half of D's weight: 0.5 reproduces it.
        code_refresh: ``step`` draws new ``(z, l~)`` for every batch; ``epoch`` draws one batch of them at the
            start of each epoch and reuses it for all of its steps, as the authors' ``main.py`` does (seeded by
            the run seed and the epoch, so a resumed run draws the same codes).
        gan_mode: GAN loss (``vanilla`` = eq. 2 with the non-saturating generator term).
        encoders: E-CDRD (encoders, VAE loss and translations) instead of CDRD.
        vae_weight: weight of the reconstruction term of L_vae (E-CDRD).
        kl_weight: weight of the KL term of L_vae (E-CDRD).
        optim: optimiser of G (and E) (default Adam 2e-4, betas 0.5/0.999, constant).
        discriminator_optim: optimiser of D (default: the same settings as ``optim``).
    """

    #: Held-out source accuracy, the protocol its measurements used (``-c trainer/mi_selection.yaml`` to change).
    default_monitor = ("val/source_acc", "max")

    def __init__(
        self,
        num_classes: int,
        input_shape: tuple[int, ...],
        latent_dim: int = 64,
        generator_channels: int = 32,
        discriminator_channels: int = 32,
        discriminator_norm: NormKind = "batch",
        networks: Literal["dcgan", "paper"] = "dcgan",
        disentangle_weight: float = 1.0,
        generator_disentangle_weight: float | None = None,
        code_refresh: Literal["step", "epoch"] = "step",
        gan_mode: GANMode = "vanilla",
        encoders: bool = False,
        vae_weight: float = 1.0,
        kl_weight: float = 1e-3,
        optim: OptimConfig | None = None,
        discriminator_optim: OptimConfig | None = None,
    ) -> None:
        optim = optim if optim is not None else OptimConfig(name="adam", lr=2e-4, betas=(0.5, 0.999),
                                                            schedule="constant")
        super().__init__(num_classes, input_shape, optim=optim)
        self.save_hyperparameters()
        # the base class's backbone / classifier are not CDRD's: the classifier is D's auxiliary head
        del self.backbone, self.bottleneck, self.classifier
        shape = self.input_shape
        if len(shape) != 3 or shape[1] != shape[2] or shape[1] not in DCGAN_IMAGE_SIZES:
            raise TLZooError(f"CDRD needs square images of side {DCGAN_IMAGE_SIZES} (DCGAN layers); the data gives "
                             f"{shape}: set --data.image_size")
        channels, size = shape[0], shape[1]
        self.latent_dim = latent_dim
        self.disentangle_weight = disentangle_weight
        self.generator_disentangle_weight = (disentangle_weight if generator_disentangle_weight is None
                                             else generator_disentangle_weight)
        if code_refresh not in ("step", "epoch"):
            raise TLZooError(f"code_refresh must be 'step' or 'epoch', got {code_refresh!r}")
        self.code_refresh = code_refresh
        self._epoch_codes: tuple[torch.Tensor, torch.Tensor] | None = None
        self.use_encoders = encoders
        self.vae_weight, self.kl_weight = vae_weight, kl_weight
        self.discriminator_optim_cfg = discriminator_optim or self.optim_cfg
        if networks == "paper":
            self.generator = CDRDDigitGenerator(latent_dim, num_classes, channels, size)
            self.discriminator = CDRDDigitDiscriminator(channels, size, num_classes)
        else:
            self.generator = CoupledGenerator(latent_dim, num_classes, channels, size, generator_channels)
            self.discriminator = CoupledDiscriminator(channels, size, discriminator_channels, num_classes,
                                                      norm=discriminator_norm)
        self.encoder = CoupledEncoder(channels, size, discriminator_channels, latent_dim) if encoders else None
        self.feature_dim = self.discriminator.feature_dim
        self.gan = GANLoss(gan_mode)
        self._eval_domain = TARGET

    # -- networks -----------------------------------------------------------------------------
    def domain_features(self, x: torch.Tensor, domain: Literal["source", "target"]) -> torch.Tensor:
        """``D_C``'s shared features of ``D_S(x)`` (source) or ``D_T(x)`` (target)."""
        return self.discriminator.features(x, DOMAIN_INDEX[domain])

    def domain_logits(self, x: torch.Tensor, domain: Literal["source", "target"]) -> torch.Tensor:
        """The auxiliary classifier's class logits through the branch of ``domain``."""
        return self.discriminator(x, DOMAIN_INDEX[domain])[1]

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.discriminator.features(x, self._eval_domain)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits of *target* images (of source images while the source split is evaluated)."""
        return self.discriminator(x, self._eval_domain)[1]

    @contextmanager
    def _branch(self, domain: int):
        previous, self._eval_domain = self._eval_domain, domain
        try:
            yield
        finally:
            self._eval_domain = previous

    def _eval_step(self, batch: Any, dataloader_idx: int, stage: str) -> dict[str, torch.Tensor]:
        with self._branch(DOMAIN_INDEX[SPLIT_NAMES[dataloader_idx]]):
            return super()._eval_step(batch, dataloader_idx, stage)

    def generate(self, z: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The pair ``(X~_S, X~_T)`` of eq. 1 for codes ``z`` and attributes ``labels``."""
        h = self.generator.common(z, labels)
        return self.generator.render(h, SOURCE), self.generator.render(h, TARGET)

    def translate(self, x: torch.Tensor, labels: torch.Tensor, from_domain: int, to_domain: int) -> torch.Tensor:
        """E-CDRD's eq. 8: ``G_to(G_C(E_C(E_from(x)), l))``."""
        if self.encoder is None:
            raise TLZooError("translation needs E-CDRD's encoders: set --model.init_args.encoders true")
        return self.generator(self.encoder(x, from_domain)[0], labels, to_domain)

    def image_grid(self, batch: Any) -> list[tuple[str, torch.Tensor]]:
        """Source images, then synthetic pairs with the same attributes (fixed noise): ``G_S(z, l)`` and
        ``G_T(z, l)``; with encoders, also the source images translated to the target with their labels."""
        x, y = batch
        g = torch.Generator(device="cpu").manual_seed(0)
        z = torch.randn(len(x), self.latent_dim, generator=g).to(x.device, x.dtype)
        fake_s, fake_t = self.generate(z, y)
        rows = [("source", x), ("G_S(z, l)", fake_s), ("G_T(z, l)", fake_t)]
        if self.encoder is not None:
            rows.append(("source->target", self.translate(x, y, SOURCE, TARGET)))
        return [(name, (t.float() + 1) / 2) for name, t in rows]

    # -- optimisation -------------------------------------------------------------------------
    def configure_players(self) -> dict[str, tuple[Any, OptimConfig]]:
        generator = list(self.generator.parameters())
        if self.encoder is not None:
            generator += list(self.encoder.parameters())
        return {"discriminator": (list(self.discriminator.parameters()), self.discriminator_optim_cfg),
                "generator": (generator, self.optim_cfg)}

    def on_train_epoch_start(self) -> None:
        self._epoch_codes = None  # code_refresh="epoch": drawn again by the epoch's first step

    def _codes(self, n: int, like: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(z, l~)`` for a batch of ``n``: fresh ones, or the epoch's (``code_refresh="epoch"``)."""
        if self.code_refresh == "step":
            return (torch.randn(n, self.latent_dim, device=like.device, dtype=like.dtype),
                    torch.randint(0, self.num_classes, (n,), device=like.device))
        if self._epoch_codes is None or len(self._epoch_codes[0]) < n:
            seed = int(os.environ.get("PL_GLOBAL_SEED", 0)) * 100_003 + self.current_epoch
            g = torch.Generator().manual_seed(seed)
            self._epoch_codes = (torch.randn(n, self.latent_dim, generator=g).to(like.device, like.dtype),
                                 torch.randint(0, self.num_classes, (n,), generator=g).to(like.device))
        z, labels = self._epoch_codes
        return z[:n], labels[:n]

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        x_s, y_s = batch["source"]
        x_t = batch["target"]
        z, l_tilde = self._codes(len(x_s), x_s)
        fake_s, fake_t = self.generate(z, l_tilde)  # one generator pass serves both steps
        lam, lam_g = self.disentangle_weight, self.generator_disentangle_weight
        logs: dict[str, torch.Tensor] = {}

        # E-CDRD: encode, reconstruct through the own domain, translate (from a detached z)
        extra_s: list[torch.Tensor] = []  # extra fakes for D_S (target -> source translations)
        extra_t: list[tuple[torch.Tensor, torch.Tensor]] = []  # (source -> target translations, their labels)
        vae = torch.zeros((), device=x_s.device)
        if self.encoder is not None:
            with torch.no_grad():
                l_hat_t = self.discriminator(x_t, TARGET)[1].argmax(1)
            z_s, mu_s, logvar_s = self.encoder(x_s, SOURCE)
            z_t, mu_t, logvar_t = self.encoder(x_t, TARGET)
            recon = (F.mse_loss(self.generator(z_s, y_s, SOURCE).float(), x_s.float())
                     + F.mse_loss(self.generator(z_t, l_hat_t, TARGET).float(), x_t.float()))
            kl = gaussian_kl(mu_s, logvar_s) + gaussian_kl(mu_t, logvar_t)
            vae = self.vae_weight * recon + self.kl_weight * kl
            extra_t.append((self.generator(z_s.detach(), y_s, TARGET), y_s))
            extra_s.append(self.generator(z_t.detach(), l_hat_t, SOURCE))
            logs.update({"train/recon_loss": recon.detach(), "train/kl": kl.detach()})

        # 1) D: maximise L_adv + lambda L_dis (minimise the cross-entropies)
        def d_loss() -> torch.Tensor:
            real_s, cls_s = self.discriminator(x_s, SOURCE)
            real_t, _ = self.discriminator(x_t, TARGET)
            f_s, fcls_s = self.discriminator(fake_s.detach(), SOURCE)
            f_t, fcls_t = self.discriminator(fake_t.detach(), TARGET)
            adv = self.gan.discriminator_loss(real_s, f_s) + self.gan.discriminator_loss(real_t, f_t)
            dis = F.cross_entropy(cls_s, y_s) + F.cross_entropy(fcls_s, l_tilde) + F.cross_entropy(fcls_t, l_tilde)
            for fake in extra_s:
                adv = adv + self.gan(self.discriminator(fake.detach(), SOURCE)[0], False)
            for fake, labels in extra_t:
                logit, cls = self.discriminator(fake.detach(), TARGET)
                adv = adv + self.gan(logit, False)
                dis = dis + F.cross_entropy(cls, labels)
            logs["train/d_adv_loss"], logs["train/d_dis_loss"] = adv.detach(), dis.detach()
            logs["train/source_train_acc"] = (cls_s.argmax(1) == y_s).float().mean()
            return adv + lam * dis

        logs["train/d_loss"] = self.player_step("discriminator", d_loss)

        # 2) G (and E): fool D, and make the auxiliary classifier recognise l~ in both domains
        def g_loss() -> torch.Tensor:
            f_s, fcls_s = self.discriminator(fake_s, SOURCE)
            f_t, fcls_t = self.discriminator(fake_t, TARGET)
            adv = self.gan.generator_loss(f_s) + self.gan.generator_loss(f_t)
            dis = F.cross_entropy(fcls_s, l_tilde) + F.cross_entropy(fcls_t, l_tilde)
            for fake in extra_s:
                adv = adv + self.gan.generator_loss(self.discriminator(fake, SOURCE)[0])
            for fake, labels in extra_t:
                logit, cls = self.discriminator(fake, TARGET)
                adv = adv + self.gan.generator_loss(logit)
                dis = dis + F.cross_entropy(cls, labels)
            logs["train/g_adv_loss"], logs["train/g_dis_loss"] = adv.detach(), dis.detach()
            return adv + lam_g * dis + vae

        logs["train/g_loss"] = self.player_step("generator", g_loss)
        self.log_train(logs, prog_bar=False)
