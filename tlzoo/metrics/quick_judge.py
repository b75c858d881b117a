"""A small convolutional classifier trained in-process on real images, used as a :class:`~tlzoo.metrics.judge.Judge`.

For learning checks and benchmarks that need a judge of labels no zoo recipe trains a checkpoint for (e.g. *which
digit domain* an image comes from, to score StarGAN's domain edits). It is trained on real labelled images only,
never on generated ones, and is independent of the model it scores; report its accuracy on held-out real
images next to any score it gives (a judge that cannot tell the real domains apart scores nothing).

Network: ``conv3x3(32)-ReLU-maxpool-conv3x3(64)-ReLU-maxpool-linear(128)-ReLU`` (the features) and a linear
head; Adam (lr 1e-3), cross-entropy, a few epochs.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from tlzoo.metrics.features import Normalization
from tlzoo.metrics.judge import Judge


class SmallConvClassifier(nn.Module):
    """``features(x)`` (128-d) and ``forward(x)`` (logits) for ``(C, H, W)`` images, H and W divisible by 4."""

    def __init__(self, input_shape: tuple[int, int, int], num_classes: int) -> None:
        super().__init__()
        c, h, w = input_shape
        self.input_shape, self.num_classes, self.feature_dim = tuple(input_shape), num_classes, 128
        self.body = nn.Sequential(nn.Conv2d(c, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                  nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                                  nn.Linear(64 * (h // 4) * (w // 4), 128), nn.ReLU())
        self.head = nn.Linear(128, num_classes)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x))


def train_quick_judge(images: torch.Tensor, labels: torch.Tensor, num_classes: int, epochs: int = 3,
                      batch_size: int = 64, seed: int = 0, name: str = "judge",
                      mean: tuple[float, ...] = (0.5,), std: tuple[float, ...] = (0.5,)) -> Judge:
    """Train a :class:`SmallConvClassifier` on ``images`` (normalised as ``(x01 - mean) / std``) and ``labels``;
    returns it frozen as a :class:`Judge` on images in [0, 1]. The global random streams are left untouched."""
    from tlzoo.core.module import keep_rng_states

    with keep_rng_states():
        torch.manual_seed(seed)
        model = SmallConvClassifier(tuple(images.shape[1:]), num_classes)  # type: ignore[arg-type]
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
        model.train()
        for _ in range(epochs):
            for idx in torch.randperm(len(images)).split(batch_size):
                loss = F.cross_entropy(model(images[idx]), labels[idx].long())
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
    return Judge(model, input_spec=Normalization(mean, std), name=name)
