"""The top rung of the classifier ladder: a small modern CNN, the CIFAR-10 ResNet-20."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from tlzoo.core.optim import OptimConfig
from tlzoo.methods.basics.base import ImageClassifier
from tlzoo.nn.classifiers import CifarResNet


class ResNet20(ImageClassifier):
    """ResNet-20: He, Zhang, Ren & Sun, "Deep Residual Learning for Image Recognition", CVPR 2016,
    https://arxiv.org/abs/1512.03385, Sec. 4.2 and Table 6 (CIFAR-10: 8.75% error for 20 layers).

    Architecture: 3x3 conv (16) then 3 stages of 3 basic residual blocks (16, 32, 64 filters, stride 2 at
    stages 2 and 3), global average pooling, linear classifier; batch normalisation after each conv;
    option-A (zero-padding) shortcuts. ``depth`` 32/44/56/110 gives the paper's deeper CIFAR nets.

    Objective: cross-entropy. Paper recipe (Sec. 4.2): SGD, momentum 0.9, weight decay 1e-4, batch 128,
    lr 0.1 divided by 10 at 32k and 48k iterations (64k in all), 4-pixel padding + random 32x32 crops +
    horizontal flips. ``experiments/basics/resnet20_cifar10.yaml`` uses the common modern variant
    (weight decay 5e-4, cosine schedule, 200 epochs).

    Code vs. paper: ``depth`` = 6n+2; ``width`` = 16 (first stage filters).

    Args:
        num_classes: number of classes (linked from the data).
        input_shape: ``(C, H, W)`` (linked from the data).
        depth: 6n+2 layers (20: ResNet-20).
        width: filters of the first stage.
        optim: optimiser and schedule.
        label_smoothing: cross-entropy label smoothing.
    """

    def __init__(self, num_classes: int, input_shape: tuple[int, ...], depth: int = 20, width: int = 16,
                 optim: OptimConfig | None = None, label_smoothing: float = 0.0) -> None:
        super().__init__(num_classes, input_shape, optim, label_smoothing)
        self.save_hyperparameters()
        self.net = CifarResNet(self.input_shape, self.num_classes, depth, width)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """The globally average-pooled last stage, ``(N, 4 * width)`` (64 for ResNet-20)."""
        h = self.net.blocks(self.net.stem(x))  # type: ignore[operator]
        return torch.flatten(F.adaptive_avg_pool2d(h, 1), 1)

    def head(self) -> nn.Linear:
        return self.net.fc  # type: ignore[return-value]
