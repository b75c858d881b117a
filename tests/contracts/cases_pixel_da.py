"""Adversarial-contract cases of the pixel-level and segmentation adaptation methods (PixelDA, cross-city)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from lightning.pytorch import LightningModule

from tests.test_adda import TinyDigits
from tlzoo.data.cross_city import SegmentationAdaptationDataModule
from tlzoo.data.digit_segmentation import ImageMaskDataset
from tlzoo.data.spec import ImageSpec
from tlzoo.methods import CrossCityAdaptation, PixelDA


class TinySegmentation(SegmentationAdaptationDataModule):
    """Random 3x16x16 images with 3-class masks (some pixels ignored), 8 per split; the target is brighter."""

    num_classes = 3
    class_names = ("background", "a", "b")

    def __init__(self, batch_size: int = 4) -> None:
        super().__init__(batch_size=batch_size)
        self.spec = ImageSpec.symmetric(3, 16)
        self.input_shape = self.spec.shape

    def build(self) -> None:
        g = torch.Generator().manual_seed(0)

        def split(offset: int) -> ImageMaskDataset:
            masks = torch.randint(0, 3, (8, 16, 16), generator=g, dtype=torch.uint8)
            masks[:, :2] = 255
            images = (masks.clamp(max=2).unsqueeze(1).repeat(1, 3, 1, 1) * 60 + offset).to(torch.uint8)
            return ImageMaskDataset(images, masks)

        self.source_train, self.source_val = split(0), split(0)
        self.target_train, self.target_test = split(80), split(80)


def _pixelda() -> tuple[LightningModule, Any]:
    model = PixelDA(10, (1, 28, 28), generator_channels=8, generator_blocks=1, discriminator_channels=8,
                    discriminator_layers=2, gamma=0.01, mask_threshold=0.0)
    return model, TinyDigits(batch_size=8)


def _crosscity() -> tuple[LightningModule, Any]:
    model = CrossCityAdaptation(3, (3, 16, 16), arch="unet_small", global_weight=0.1, class_weight=0.1,
                                global_hidden=(8,), class_hidden=4)
    return model, TinySegmentation()


CASES: dict[str, Callable[[], tuple[LightningModule, Any]]] = {"pixelda": _pixelda, "crosscity": _crosscity}
