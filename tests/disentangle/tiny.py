"""Tiny labelled image data and a stand-in judge for the disentanglement tests (no files, no download)."""

from __future__ import annotations

import torch
from torch import nn

from tlzoo.data.labelled import ClassificationDataModule
from tlzoo.data.spec import ImageSpec
from tlzoo.data.usps_mnist import ByteImageDataset

#: CLI flags that make a StarGAN YAML's networks tiny (4 channels, one residual block) and run without a logger.
TINY_STARGAN_CLI = ["--model.init_args.base_channels", "4", "--model.init_args.residual_blocks", "1",
                    "--model.init_args.discriminator_channels", "4", "--data.batch_size", "4",
                    "--trainer.logger", "false"]


class TinyLabelled(ClassificationDataModule):
    """Random 1x16x16 uint8 images, ``n`` per split, labels ``i % num_classes``; class ``k`` images are
    brighter with ``k`` (so a class is visible in the pixels)."""

    def __init__(self, n: int = 12, num_classes: int = 3, size: int = 16, batch_size: int = 4, noise: int = 60) -> None:
        super().__init__(batch_size=batch_size)
        self.n, self.size, self.noise = n, size, noise
        self.set_spec(ImageSpec.symmetric(1, size), num_classes)

    def build(self) -> None:
        g = torch.Generator().manual_seed(0)

        def split() -> ByteImageDataset:
            y = torch.arange(self.n) % self.num_classes
            noise = torch.randint(0, self.noise + 1, (self.n, 1, self.size, self.size), generator=g)
            x = (noise + (y * 180 // max(self.num_classes - 1, 1))[:, None, None, None]).clamp(0, 255)
            return ByteImageDataset(x.to(torch.uint8), y)

        self.train_set, self.val_set, self.test_set = split(), split(), split()


class ConstantClassifier(nn.Module):
    """A "classifier" whose features are the image's mean pixel and whose logits always favour ``winner``."""

    def __init__(self, num_classes: int = 3, winner: int = 0, input_shape: tuple[int, int, int] = (1, 16, 16)) -> None:
        super().__init__()
        self.num_classes, self.winner, self.input_shape = num_classes, winner, input_shape
        self.scale = nn.Parameter(torch.ones(1))

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([x.mean((1, 2, 3)), x.std((1, 2, 3))], 1) * self.scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logits = torch.zeros(len(x), self.num_classes, device=x.device)
        logits[:, self.winner] = 1.0
        return logits
