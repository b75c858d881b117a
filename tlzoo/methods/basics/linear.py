"""The first rung of the classifier ladder: a linear classifier of the raw pixels."""

from __future__ import annotations

import torch
from torch import nn

from tlzoo.core.optim import OptimConfig
from tlzoo.methods.basics.base import ImageClassifier
from tlzoo.nn.classifiers import LinearNet


class LinearClassifier(ImageClassifier):
    """Multinomial logistic regression on the flattened image: ``p(y | x) = softmax(W x + b)_y``, trained by
    minimising the cross-entropy (the softmax classifier of any linear-classification lecture; e.g. Bishop,
    "Pattern Recognition and Machine Learning", 2006, Sec. 4.3.4).

    Each row ``W_k`` of the weights is an image, the *template* of class ``k``: the score of class ``k`` is
    the inner product of the image with its template. :meth:`templates` returns them; the
    :class:`~tlzoo.callbacks.classifier_figures.ClassifierFigures` callback draws them.

    Code vs. paper: ``net.fc.weight`` = ``W`` (``K x CHW``), ``net.fc.bias`` = ``b``; L2 regularisation is the
    optimiser's ``weight_decay``.

    Args:
        num_classes: number of classes (linked from the data).
        input_shape: ``(C, H, W)`` (linked from the data).
        optim: optimiser and schedule.
        label_smoothing: cross-entropy label smoothing.
    """

    def __init__(self, num_classes: int, input_shape: tuple[int, ...], optim: OptimConfig | None = None,
                 label_smoothing: float = 0.0) -> None:
        super().__init__(num_classes, input_shape, optim, label_smoothing)
        self.save_hyperparameters()
        self.net = LinearNet(self.input_shape, self.num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The flattened pixels: a linear classifier has no hidden layer, its last layer reads the input."""
        return torch.flatten(x, 1)

    def head(self) -> nn.Linear:
        return self.net.fc  # type: ignore[return-value]

    def templates(self) -> torch.Tensor:
        """The class templates ``W_k`` as images ``(K, C, H, W)`` (in weight units, not pixels)."""
        return self.net.templates()  # type: ignore[operator]
