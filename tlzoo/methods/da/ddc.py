"""DDC: Deep Domain Confusion, with DAN's multi-kernel MMD as an option of the same loss.

Tzeng, Hoffman, Zhang, Saenko & Darrell, "Deep Domain Confusion: Maximizing for Domain
Invariance", arXiv:1412.3474, 2014. Objective (eq. 4)::

    L = L_C(X_L, y) + lambda * MMD^2(X_S, X_T),
    MMD(X_S, X_T) = || 1/|X_S| sum_{x_s} phi(x_s) - 1/|X_T| sum_{x_t} phi(x_t) ||

where ``phi`` is the output of an *adaptation layer*, a low-dimensional fully connected layer
inserted before the classifier (256-d in the paper, which also used lambda = 0.25). DDC's MMD is
the distance between the feature means, i.e. the linear kernel (``kernel: linear``).

Long, Cao, Wang & Jordan, "Learning Transferable Features with Deep Adaptation Networks",
ICML 2015 (DAN), replace it by the multi-kernel MMD ``d_k^2`` with ``k = sum_u beta_u k_u`` a
combination of Gaussian kernels whose bandwidths are multiples of the mean pairwise distance
(``kernel: gaussian, kernel_num: 5, kernel_mul: 2`` gives ``2^-2 .. 2^2``), and also adapt the
classifier output (``adapt_logits: true``). Both are options of the one loss
:class:`tlzoo.nn.losses.MMDLoss`.

Code vs. paper: ``bottleneck`` (``bottleneck_dim``, Linear-BN-ReLU) = the adaptation layer fc_adapt
and ``features(x)`` = ``phi(x)``; ``classifier`` = fc8; ``mmd`` = MMD^2; ``mmd_weight`` = lambda.
Deviations: DAN learns the kernel weights ``beta`` by a quadratic program and uses the
linear-time unbiased estimate; here ``beta_u = 1/U`` and the quadratic-time estimate
(``estimator: biased`` by default, ``unbiased`` available). DAN adapts fc6-fc8; here the adaptation
layer and optionally the logits.
"""

from __future__ import annotations

from typing import Any, Literal

import torch
import torch.nn.functional as F

from tlzoo.methods.da.base import DomainAdaptationMethod, OptimConfig
from tlzoo.nn.backbones import BackboneConfig
from tlzoo.nn.grl import dann_lambda
from tlzoo.nn.losses import Estimator, Kernel, MMDLoss


class DDC(DomainAdaptationMethod):
    """Source cross-entropy plus ``lambda * MMD^2`` between source and target adaptation-layer features.

    Args:
        num_classes: number of classes (linked from the data).
        input_shape: input shape without batch (linked from the data).
        backbone: feature extractor.
        bottleneck_dim: width of the adaptation layer (DDC: 256); 0 puts the MMD on the backbone output.
        classifier_hidden: hidden widths of the classifier.
        dropout: classifier dropout.
        mmd_weight: lambda (DDC: 0.25; DAN: 1).
        mmd_schedule: ``constant`` lambda (the papers), or ``dann`` to ramp it up as
            ``lambda * (2 / (1 + exp(-10 p)) - 1)``.
        kernel: ``linear`` (DDC) or ``gaussian`` (DAN's MK-MMD; ``kernel_num: 1`` for one kernel).
        kernel_num: number of Gaussian kernels.
        kernel_mul: ratio between consecutive bandwidths.
        bandwidth: fixed middle bandwidth (default: mean pairwise squared distance of the batch).
        estimator: ``biased`` (V-statistic) or ``unbiased`` (U-statistic) MMD^2.
        adapt_logits: also add ``lambda * MMD^2`` between source and target logits (DAN's fc8).
        optim: optimiser and schedule.
    """

    def __init__(
        self,
        num_classes: int,
        input_shape: tuple[int, ...],
        backbone: BackboneConfig | None = None,
        bottleneck_dim: int = 256,
        classifier_hidden: tuple[int, ...] = (100, 100),
        dropout: float = 0.0,
        mmd_weight: float = 0.25,
        mmd_schedule: Literal["constant", "dann"] = "constant",
        kernel: Kernel = "linear",
        kernel_num: int = 5,
        kernel_mul: float = 2.0,
        bandwidth: float | None = None,
        estimator: Estimator = "biased",
        adapt_logits: bool = False,
        optim: OptimConfig | None = None,
    ) -> None:
        super().__init__(num_classes, input_shape, backbone, bottleneck_dim, classifier_hidden, dropout, optim)
        self.save_hyperparameters()
        if mmd_schedule not in ("constant", "dann"):
            raise ValueError(f"mmd_schedule must be 'constant' or 'dann', got {mmd_schedule!r}")
        self.mmd = MMDLoss(kernel, kernel_num, kernel_mul, bandwidth, estimator)
        self.mmd_weight = mmd_weight
        self.mmd_schedule = mmd_schedule
        self.adapt_logits = adapt_logits

    def current_weight(self) -> float:
        if self.mmd_schedule == "constant":
            return self.mmd_weight
        total = max(self.total_batches, 1)
        return dann_lambda(self.global_step / total, lambda_max=self.mmd_weight)

    def training_step(self, batch: dict[str, Any], batch_idx: int) -> torch.Tensor:
        x_s, y_s = batch["source"]
        x_t = batch["target"]
        n = len(x_s)
        feats = self.features(torch.cat([x_s, x_t]))
        logits = self.classifier(feats)
        cls_loss = F.cross_entropy(logits[:n], y_s)
        mmd = self.mmd(feats[:n], feats[n:])
        if self.adapt_logits:
            mmd = mmd + self.mmd(logits[:n], logits[n:])
        weight = self.current_weight()
        self.log_train({"train/cls_loss": cls_loss, "train/mmd": mmd, "train/mmd_weight": weight})
        return cls_loss + weight * mmd
