"""The third rung of the classifier ladder: LeNet-5, the first convolutional network trained end to end."""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn

from tlzoo.core.optim import OptimConfig
from tlzoo.methods.basics.base import ImageClassifier
from tlzoo.nn.classifiers import LeNet5


class LeNet(ImageClassifier):
    """LeNet-5: LeCun, Bottou, Bengio & Haffner, "Gradient-Based Learning Applied to Document Recognition",
    Proceedings of the IEEE 86(11), 1998, http://yann.lecun.com/exdb/publis/pdf/lecun-98.pdf, Sec. II.B.

    Architecture (Fig. 2): C1 conv 5x5x6 - S2 subsampling - C3 conv 5x5x16 - S4 subsampling - C5 120 -
    F6 84 - 10 outputs, tanh squashing (see :class:`tlzoo.nn.classifiers.LeNet5`).

    Objective: here the cross-entropy ``E[-log softmax(f(x))_y]``; the paper minimises the RBF output
    penalty plus a MAP-like competitive term (Sec. II.C, Eq. 9), which is the cross-entropy's precursor.

    Code vs. paper: ``activation="tanh"`` (paper) or ``relu``; ``pooling="avg"`` (the subsampling layers,
    without their trainable coefficient) or ``max``. Deviations: full C1-C3 connectivity, linear outputs
    with softmax instead of RBF units, Adam / SGD from :class:`OptimConfig` instead of the paper's stochastic
    diagonal Levenberg-Marquardt.

    Args:
        num_classes: number of classes (linked from the data).
        input_shape: ``(C, H, W)`` (linked from the data).
        activation: ``tanh`` (paper) or ``relu``.
        pooling: ``avg`` (paper's subsampling) or ``max``.
        optim: optimiser and schedule.
        label_smoothing: cross-entropy label smoothing.
    """

    def __init__(self, num_classes: int, input_shape: tuple[int, ...], activation: Literal["tanh", "relu"] = "tanh",
                 pooling: Literal["avg", "max"] = "avg", optim: OptimConfig | None = None,
                 label_smoothing: float = 0.0) -> None:
        super().__init__(num_classes, input_shape, optim, label_smoothing)
        self.save_hyperparameters()
        self.net = LeNet5(self.input_shape, self.num_classes, activation, pooling)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """F6's 84 activations (after the squashing function), the input of the output layer."""
        return self.net.classifier[:-1](self.net.features(x))  # type: ignore[index,operator]

    def head(self) -> nn.Linear:
        return self.net.classifier[-1]  # type: ignore[index,return-value]
