"""Deep CORAL: correlation alignment of source and target activations.

Sun & Saenko, "Deep CORAL: Correlation Alignment for Deep Domain Adaptation", ECCV 2016 Workshops
(TASK-CV), arXiv:1607.01719. Objective (eq. 1 and 4)::

    L_CORAL = 1 / (4 d^2) * || C_S - C_T ||_F^2
    C_S = 1/(n_S - 1) (D_S^T D_S - 1/n_S (1^T D_S)^T (1^T D_S))      (same for C_T)
    L = L_CLASS + lambda * L_CORAL

with ``D_S``, ``D_T`` the ``d``-dimensional activations of one layer on the source and target
batch. The paper applies it to the output of the last fully connected layer (fc8, the class
scores, ``d`` = number of classes) and chooses lambda so that both losses are of the same order at
the end of training.

Code vs. paper: ``classifier(features(x))`` = fc8 output (``align: logits``, the default);
``align: features`` aligns the bottleneck/backbone features instead; ``coral_weight`` = lambda;
:func:`tlzoo.nn.losses.coral_loss` = L_CORAL.
"""

from __future__ import annotations

from typing import Any, Literal

import torch
import torch.nn.functional as F

from tlzoo.methods.da.base import DomainAdaptationMethod, OptimConfig
from tlzoo.nn.backbones import BackboneConfig
from tlzoo.nn.losses import coral_loss


class DeepCORAL(DomainAdaptationMethod):
    """Source cross-entropy plus ``lambda * L_CORAL`` between source and target activations.

    Args:
        num_classes: number of classes (linked from the data).
        input_shape: input shape without batch (linked from the data).
        backbone: feature extractor.
        bottleneck_dim: width of the optional bottleneck (0: none).
        classifier_hidden: hidden widths of the classifier.
        dropout: classifier dropout.
        coral_weight: lambda.
        align: ``logits`` (the paper: last fc layer) or ``features`` (input of the classifier).
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
        coral_weight: float = 1.0,
        align: Literal["logits", "features"] = "logits",
        optim: OptimConfig | None = None,
    ) -> None:
        super().__init__(num_classes, input_shape, backbone, bottleneck_dim, classifier_hidden, dropout, optim)
        self.save_hyperparameters()
        if align not in ("logits", "features"):
            raise ValueError(f"align must be 'logits' or 'features', got {align!r}")
        self.coral_weight = coral_weight
        self.align = align

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> torch.Tensor:
        x_s, y_s = batch["source"]
        x_t = batch["target"]
        n = len(x_s)
        feats = self.features(torch.cat([x_s, x_t]))
        logits = self.classifier(feats)
        cls_loss = F.cross_entropy(logits[:n], y_s)
        aligned = logits if self.align == "logits" else feats
        coral = coral_loss(aligned[:n], aligned[n:])
        self.log_train({"train/cls_loss": cls_loss, "train/coral": coral})
        return cls_loss + self.coral_weight * coral
