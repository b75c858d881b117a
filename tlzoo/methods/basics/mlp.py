"""The second rung of the classifier ladder: a multi-layer perceptron on the raw pixels."""

from __future__ import annotations

import torch
from torch import nn

from tlzoo.core.optim import OptimConfig
from tlzoo.methods.basics.base import ImageClassifier
from tlzoo.nn.classifiers import MLPNet


class MLP(ImageClassifier):
    """A fully connected network on the flattened image, ``f(x) = W_L relu(... relu(W_1 x + b_1) ...) + b_L``,
    trained with the cross-entropy (Rumelhart, Hinton & Williams, "Learning representations by
    back-propagating errors", Nature 1986).

    Code vs. paper: ``hidden`` = the hidden layer widths; ReLU units instead of the paper's logistic units;
    optional dropout (Srivastava et al., JMLR 2014) after each hidden layer.

    Args:
        num_classes: number of classes (linked from the data).
        input_shape: ``(C, H, W)`` (linked from the data).
        hidden: widths of the hidden layers.
        dropout: dropout probability after each hidden layer.
        optim: optimiser and schedule.
        label_smoothing: cross-entropy label smoothing.
    """

    def __init__(self, num_classes: int, input_shape: tuple[int, ...], hidden: tuple[int, ...] = (256, 256),
                 dropout: float = 0.0, optim: OptimConfig | None = None, label_smoothing: float = 0.0) -> None:
        super().__init__(num_classes, input_shape, optim, label_smoothing)
        self.save_hyperparameters()
        self.net = MLPNet(self.input_shape, self.num_classes, tuple(hidden), dropout)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The last hidden layer's activations (after its ReLU / dropout), ``(N, hidden[-1])``."""
        return self.net.net[:-1](x)  # type: ignore[index]

    def head(self) -> nn.Linear:
        return self.net.net[-1]  # type: ignore[index,return-value]
