"""DANN: Domain-Adversarial Neural Networks.

Ganin & Lempitsky, "Unsupervised Domain Adaptation by Backpropagation", ICML 2015,
https://arxiv.org/abs/1409.7495; Ganin et al., "Domain-Adversarial Training of Neural Networks",
JMLR 17(59):1-35, 2016, https://jmlr.org/papers/v17/15-239.html.

Objective (JMLR eq. 9-10): find the saddle point of

    E(theta_f, theta_y, theta_d) = 1/n sum_{i in S} L_y(G_y(G_f(x_i)), y_i)
                                   - lambda * ( 1/n sum_{i in S} L_d(G_d(G_f(x_i)), 1)
                                              + 1/n' sum_{i in T} L_d(G_d(G_f(x_i)), 0) )

minimised over the feature extractor ``theta_f`` and label predictor ``theta_y``, maximised over
the domain classifier ``theta_d``. The gradient reversal layer ``R_lambda`` makes this a single
minimisation of ``L_y + L_d`` with ordinary back-propagation.

Code vs. paper: ``backbone`` (+ ``bottleneck``) = G_f, ``classifier`` = G_y,
``discriminator`` = G_d, ``grl`` = R_lambda with lambda_p = 2 / (1 + exp(-10 p)) - 1,
``domain_loss`` = L_d (binary cross-entropy on logits, source label 1).
"""

from __future__ import annotations

from typing import Any, Literal

import torch
import torch.nn.functional as F

from tlzoo.methods.da.base import DomainAdaptationMethod, OptimConfig
from tlzoo.nn.backbones import BackboneConfig
from tlzoo.nn.discriminators import DomainDiscriminator
from tlzoo.nn.grl import GradientReversal
from tlzoo.nn.losses import domain_adversarial_loss


class DANN(DomainAdaptationMethod):
    """Domain-adversarial training with a gradient reversal layer (Ganin et al., JMLR 2016).

    Checkpoints are selected on ``val/target_mi`` (label-free, on the adaptation split) by default; the
    target accuracy is only reported. The lambda schedule's step counter is a buffer of ``grl``, so
    a resumed run continues the schedule.

    Args:
        num_classes: number of classes (linked from the data).
        input_shape: input shape without batch (linked from the data).
        backbone: feature extractor G_f.
        bottleneck_dim: width of the optional bottleneck (0: none).
        classifier_hidden: hidden widths of the label predictor G_y.
        dropout: dropout in G_y.
        discriminator_hidden: hidden widths of the domain classifier G_d.
        discriminator_dropout: dropout in G_d.
        lambda_max: final adaptation factor lambda.
        lambda_schedule: ``dann`` (2/(1+exp(-gamma p)) - 1) or ``constant``.
        gamma: steepness of the lambda schedule (paper: 10).
        optim: optimiser and schedule.
    """

    def __init__(
        self,
        num_classes: int,
        input_shape: tuple[int, ...],
        backbone: BackboneConfig | None = None,
        bottleneck_dim: int = 0,
        classifier_hidden: tuple[int, ...] = (100, 100),
        dropout: float = 0.0,
        discriminator_hidden: tuple[int, ...] = (100,),
        discriminator_dropout: float = 0.0,
        lambda_max: float = 1.0,
        lambda_schedule: Literal["dann", "constant"] = "dann",
        gamma: float = 10.0,
        optim: OptimConfig | None = None,
    ) -> None:
        super().__init__(num_classes, input_shape, backbone, bottleneck_dim, classifier_hidden, dropout, optim)
        self.save_hyperparameters()
        self.discriminator = DomainDiscriminator(self.feature_dim, discriminator_hidden, discriminator_dropout)
        self.grl = GradientReversal(gamma=gamma, lambda_max=lambda_max, schedule=lambda_schedule)

    def on_fit_start(self) -> None:
        self.grl.total_steps = self.total_batches

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> torch.Tensor:
        x_s, y_s = batch["source"]
        x_t = batch["target"]
        feats = self.features(torch.cat([x_s, x_t]))
        f_s = feats[: len(x_s)]
        cls_loss = F.cross_entropy(self.classifier(f_s), y_s)
        lam = self.grl.coeff
        d_logits = self.discriminator(self.grl(feats)).squeeze(1)
        dom_loss = domain_adversarial_loss(d_logits[: len(x_s)], d_logits[len(x_s):])
        loss = cls_loss + dom_loss
        self.grl.step()  # here, not in a later hook, so a checkpoint taken after this batch counts it
        self.log_train(
            {"train/cls_loss": cls_loss, "train/domain_loss": dom_loss, "train/lambda": lam},
        )
        return loss
