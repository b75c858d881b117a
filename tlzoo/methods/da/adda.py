"""ADDA: Adversarial Discriminative Domain Adaptation.

Tzeng, Hoffman, Saenko & Darrell, "Adversarial Discriminative Domain Adaptation", CVPR 2017,
https://arxiv.org/abs/1702.05464; authors' code: https://github.com/erictzeng/adda.

Two stages (paper Sec. 4, Fig. 3):

1. Pre-training (eq. 7): source encoder ``M_s`` and classifier ``C`` on labelled source data,
   ``min_{M_s, C} L_cls = -E_(x_s, y_s) sum_k 1[k = y_s] log C(M_s(x_s))_k``.
2. Adversarial adaptation: a *separate* target encoder ``M_t`` is initialised from ``M_s``
   (untied weights), ``M_s`` and ``C`` are frozen, and ``M_t`` plays a GAN game against a domain
   discriminator ``D`` with the inverted-label objective (eq. 9)::

       min_D   L_advD = -E_{x_s} log D(M_s(x_s)) - E_{x_t} log(1 - D(M_t(x_t)))
       min_M_t L_advM = -E_{x_t} log D(M_t(x_t))

   Each step updates ``D`` first, then ``M_t`` against the updated ``D``.

Testing: target images go through ``M_t`` and the source classifier ``C``; source images through
``M_s`` and ``C``. Before the switch (stage 1) both domains use ``M_s``, so ``val/target_acc`` of
the pre-training epochs is the source-only baseline of the same network.

Both stages run in one ``fit``: epochs ``< pretrain_epochs`` are stage 1; at the start of epoch
``pretrain_epochs`` the module copies ``M_s`` into ``M_t`` and switches. The stage is the buffer
``stage`` (1 or 2) in the ``state_dict`` and is re-derived from ``current_epoch``, so a run
resumed from any checkpoint continues in the right stage without copying ``M_s`` over an adapted
``M_t``.

Code vs. paper: ``backbone`` + ``bottleneck`` = M_s, ``target_encoder`` = M_t, ``classifier`` = C,
``discriminator`` = D (logits; D(.) = sigmoid(logit), source = 1),
``gan.discriminator_loss`` = L_advD and ``gan.generator_loss`` = L_advM (the vanilla GAN loss of
:class:`tlzoo.nn.losses.adversarial.GANLoss`: its non-saturating generator term is exactly ADDA's
inverted-label objective, target features labelled 1).

Digit settings (paper Sec. 5.1 and the authors' ``scripts/svhn-mnist.sh``): LeNet encoder
(``BackboneConfig(name="lenet")``, 500-d), discriminator 500-500-1 with ReLU, batch 128, Adam;
pre-training lr 1e-3, adaptation lr 2e-4 with beta1 = 0.5, 10,000 iterations each.

Checkpoint selection: ``M_s`` is frozen in stage 2, so ``val/source_acc`` stops changing and
cannot choose among adapted checkpoints (a tie keeps the pre-trained one). ADDA therefore keeps the
last epoch by default (``default_monitor = None``), as the paper reports the final model.

Training length: each stage-2 batch steps two optimisers (D, then M_t), but ``trainer.global_step``
counts batches, as for every method (:class:`tlzoo.core.adversarial.AdversarialMixin`).
"""

from __future__ import annotations

import copy
import warnings
from contextlib import contextmanager
from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import nn

from tlzoo.core.adversarial import AdversarialMixin
from tlzoo.core.optim import build_scheduler
from tlzoo.methods.da.base import DomainAdaptationMethod, OptimConfig
from tlzoo.nn.backbones import BackboneConfig
from tlzoo.nn.discriminators import DomainDiscriminator
from tlzoo.nn.losses.adversarial import GANLoss


class ADDA(AdversarialMixin, DomainAdaptationMethod):
    """Adversarial Discriminative Domain Adaptation (Tzeng et al., CVPR 2017), both stages in one run.

    Three players: ``source`` (``M_s + C``, stage 1, ``optim``), then ``discriminator`` (``D``) and
    ``target`` (``M_t``) in stage 2 (Adam with ``adversarial_lr`` and ``adversarial_betas``).

    Args:
        num_classes: number of classes (linked from the data).
        input_shape: input shape without batch (linked from the data).
        backbone: encoder architecture (M_s and M_t).
        bottleneck_dim: width of the optional bottleneck, part of the encoders (0: none).
        classifier_hidden: hidden widths of C (ADDA's LeNet: none, a linear layer on 500-d).
        dropout: dropout in C.
        pretrain_epochs: epochs of stage 1; stage 2 runs from this epoch to ``max_epochs``.
        discriminator_hidden: hidden widths of D (paper: 500, 500).
        discriminator_input: ``features`` (encoder output, the paper's set-up) or ``logits``
            (``C(M(x))``, what the authors' released LeNet code feeds D; ``C`` stays frozen).
        adversarial_lr: Adam learning rate of M_t and D (paper: 2e-4).
        adversarial_betas: Adam betas of M_t and D (paper: beta1 = 0.5).
        optim: optimiser and schedule of stage 1 (default Adam, lr 1e-3, constant); the schedule's
            progress runs over the ``pretrain_epochs`` epochs.
    """

    #: M_s is frozen in stage 2, so source accuracy cannot select: keep the last epoch.
    default_monitor = None
    #: The paper reports the final model of its two stages; measured rows use the raw weights.
    default_ema_decay = None

    def __init__(
        self,
        num_classes: int,
        input_shape: tuple[int, ...],
        backbone: BackboneConfig | None = None,
        bottleneck_dim: int = 0,
        classifier_hidden: tuple[int, ...] = (),
        dropout: float = 0.0,
        pretrain_epochs: int = 10,
        discriminator_hidden: tuple[int, ...] = (500, 500),
        discriminator_input: Literal["features", "logits"] = "features",
        adversarial_lr: float = 2e-4,
        adversarial_betas: tuple[float, float] = (0.5, 0.999),
        optim: OptimConfig | None = None,
    ) -> None:
        optim = optim if optim is not None else OptimConfig(name="adam", lr=1e-3, schedule="constant")
        super().__init__(num_classes, input_shape, backbone or BackboneConfig(name="lenet"), bottleneck_dim,
                         classifier_hidden, dropout, optim)
        self.save_hyperparameters()
        if pretrain_epochs < 0:
            raise ValueError(f"pretrain_epochs must be >= 0, got {pretrain_epochs}")
        if discriminator_input not in ("features", "logits"):
            raise ValueError(f"discriminator_input must be 'features' or 'logits', got {discriminator_input!r}")
        self.pretrain_epochs = pretrain_epochs
        self.discriminator_input = discriminator_input
        self.adversarial_lr = adversarial_lr
        self.adversarial_betas = tuple(adversarial_betas)
        self.target_encoder = nn.Sequential(copy.deepcopy(self.backbone), copy.deepcopy(self.bottleneck))
        d_in = num_classes if discriminator_input == "logits" else self.feature_dim
        self.discriminator = DomainDiscriminator(d_in, discriminator_hidden)
        self.gan = GANLoss("vanilla")
        self.register_buffer("stage", torch.ones((), dtype=torch.long))
        self._eval_with_source_encoder = False

    # -- networks -----------------------------------------------------------------------------
    @property
    def source_modules(self) -> list[nn.Module]:
        """M_s and C: trained in stage 1, frozen in stage 2."""
        return [self.backbone, self.bottleneck, self.classifier]

    @property
    def adapted(self) -> bool:
        """Whether stage 2 has started (target data then goes through M_t)."""
        return int(self.stage) >= 2

    def target_features(self, x: torch.Tensor) -> torch.Tensor:
        """``M_t(x)``."""
        return self.target_encoder(x)

    def domain_features(self, x: torch.Tensor, domain: Literal["source", "target"]) -> torch.Tensor:
        """``M_s(x)`` for source images; ``M_t(x)`` for target images once adapted (``M_s`` before)."""
        if domain == "target" and self.adapted:
            return self.target_features(x)
        return self.features(x)

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """What :meth:`forward` classifies, ``C(.)`` of it being the class logits of *target* data: ``M_t(x)``
        once adapted, ``M_s(x)`` before (and while the source validation split is evaluated)."""
        if self.adapted and not self._eval_with_source_encoder:
            return self.target_features(x)
        return self.features(x)

    def _discriminator_view(self, feats: torch.Tensor) -> torch.Tensor:
        return self.classifier(feats) if self.discriminator_input == "logits" else feats

    @contextmanager
    def _source_encoder(self):
        self._eval_with_source_encoder = True
        try:
            yield
        finally:
            self._eval_with_source_encoder = False

    def _eval_step(self, batch: Any, dataloader_idx: int, stage: str) -> None:
        # dataloader 0 is source validation data: evaluate it with M_s + C.
        if dataloader_idx == 0:
            with self._source_encoder():
                super()._eval_step(batch, dataloader_idx, stage)
        else:
            super()._eval_step(batch, dataloader_idx, stage)

    # -- stages -------------------------------------------------------------------------------
    def start_adaptation(self) -> None:
        """Switch to stage 2: ``M_t <- M_s`` (weights and BatchNorm statistics)."""
        self.target_encoder[0].load_state_dict(self.backbone.state_dict())
        self.target_encoder[1].load_state_dict(self.bottleneck.state_dict())
        self.stage.fill_(2)

    def on_fit_start(self) -> None:
        trainer = self.trainer
        if trainer.max_epochs is not None and 0 <= trainer.max_epochs <= self.pretrain_epochs:
            warnings.warn(
                f"ADDA: max_epochs={trainer.max_epochs} <= pretrain_epochs={self.pretrain_epochs}: "
                "only stage 1 (source pre-training) will run", stacklevel=1)

    def on_train_epoch_start(self) -> None:
        if self.current_epoch >= self.pretrain_epochs and not self.adapted:
            self.start_adaptation()
        if self.adapted:
            self.freeze(*self.source_modules)

    # -- optimisation -------------------------------------------------------------------------
    def _pretrain_steps(self) -> float:
        trainer = self._trainer
        if trainer is None:
            return float("inf")
        return max(float(trainer.num_training_batches) * max(self.pretrain_epochs, 1), 1.0)

    def configure_players(self) -> dict[str, tuple[Any, OptimConfig]]:
        backbone = list(self.backbone.parameters())
        rest = list(self.bottleneck.parameters()) + list(self.classifier.parameters())
        groups = [{"params": backbone, "lr_mult": self.optim_cfg.backbone_lr_mult}]
        if rest:
            groups.append({"params": rest, "lr_mult": 1.0})
        adversarial = OptimConfig(name="adam", lr=self.adversarial_lr, betas=self.adversarial_betas,  # type: ignore[arg-type]
                                  schedule="constant")
        return {"source": (groups, self.optim_cfg),
                "discriminator": (list(self.discriminator.parameters()), adversarial),
                "target": (list(self.target_encoder.parameters()), adversarial)}

    def configure_optimizers(self) -> Any:
        optimizers, schedulers = super().configure_optimizers()
        # stage 1's schedule runs over the pre-training batches (it stays at its end value afterwards)
        schedulers[0] = build_scheduler(optimizers[0], self.optim_cfg, self._pretrain_steps)
        return optimizers, schedulers

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        if self.adapted:
            self._adaptation_step(batch)
        else:
            self._pretrain_step(batch)

    def _pretrain_step(self, batch: dict[str, Any]) -> None:
        x_s, y_s = batch["source"]
        loss = self.player_step("source", lambda: F.cross_entropy(self.classifier(self.features(x_s)), y_s))
        self.log_train({"train/cls_loss": loss, "train/stage": 1.0})

    def _adaptation_step(self, batch: dict[str, Any]) -> None:
        x_s, _ = batch["source"]
        x_t = batch["target"]
        with torch.no_grad():
            src = self._discriminator_view(self.features(x_s))
        tgt = self._discriminator_view(self.target_features(x_t))  # one pass of M_t serves both steps
        d_acc = torch.zeros(())

        # 1) discriminator step on fixed features
        def d_objective() -> torch.Tensor:
            nonlocal d_acc
            logit_s = self.discriminator(src).squeeze(1)
            logit_t = self.discriminator(tgt.detach()).squeeze(1)
            d_acc = 0.5 * ((logit_s > 0).float().mean() + (logit_t <= 0).float().mean())
            return self.gan.discriminator_loss(logit_s, logit_t)

        d_loss = self.player_step("discriminator", d_objective)
        # 2) target-encoder step against the updated discriminator (inverted labels)
        m_loss = self.player_step("target", lambda: self.gan.generator_loss(self.discriminator(tgt).squeeze(1)))
        self.log_train({"train/d_loss": d_loss, "train/mapping_loss": m_loss, "train/d_acc": d_acc,
                        "train/stage": 2.0})
