"""Source-only baseline: the same network as the adaptation methods, trained on source labels only.

This is the lower bound every domain-adaptation table starts from ("source only" in Ganin et
al., JMLR 2016, Table 2). The target batch in each step is ignored.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from tlzoo.methods.da.base import DomainAdaptationMethod, OptimConfig
from tlzoo.nn.backbones import BackboneConfig


class SourceOnly(DomainAdaptationMethod):
    """Cross-entropy on labelled source data only: ``min E_(x,y)~S [CE(C(G(x)), y)]``.

    Checkpoints are selected on ``val/target_mi`` (label-free, on the target adaptation split) unless
    ``--checkpoint.monitor`` says otherwise.

    Args:
        num_classes: number of classes (linked from the data).
        input_shape: input shape without batch (linked from the data).
        backbone: feature extractor.
        bottleneck_dim: width of the optional bottleneck (0: none).
        classifier_hidden: hidden widths of the classifier.
        dropout: classifier dropout.
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
        optim: OptimConfig | None = None,
    ) -> None:
        super().__init__(num_classes, input_shape, backbone, bottleneck_dim, classifier_hidden, dropout, optim)
        self.save_hyperparameters()

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> torch.Tensor:
        x_s, y_s = batch["source"]
        loss = F.cross_entropy(self(x_s), y_s)
        self.log_train({"train/cls_loss": loss})
        return loss
