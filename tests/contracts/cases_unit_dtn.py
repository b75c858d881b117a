"""Adversarial-contract cases of UNIT and DTN (collected by ``tests/contracts/test_adversarial.py``): UNIT on
unpaired translation data and on adaptation data (source labels train its class head), DTN with f pre-trained
in stage 1 (its first epoch) and then frozen."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from lightning.pytorch import LightningModule

from tests.test_adda import TinyDigits
from tests.translation.tiny import TinyUnpairedImages
from tlzoo.methods import DTN, UNIT
from tlzoo.nn.backbones import BackboneConfig


class TinyTranslation(TinyUnpairedImages):
    """Random unpaired 1x16x16 images (B = 255 - A), 8 per training domain, 4 labelled per evaluation domain."""

    def images(self, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        a = torch.randint(0, 256, (8, 1, 16, 16), generator=g, dtype=torch.uint8)
        return a, 255 - a


def _unit() -> tuple[LightningModule, Any]:
    model = UNIT(channels_a=1, channels_b=1, base_channels=4, latent_channels=4, discriminator_channels=4,
                 image_size=16)
    return model, TinyTranslation()


def _unit_da() -> tuple[LightningModule, Any]:
    model = UNIT(channels_a=1, channels_b=1, base_channels=4, latent_channels=4, discriminator_channels=4,
                 num_classes=10, input_shape=(1, 28, 28), lambda_cycle=0.0, lambda_cycle_kl=0.0, lambda_feature=1.0,
                 discriminator_dropout=0.1)
    return model, TinyDigits(batch_size=8)


def _dtn() -> tuple[LightningModule, Any]:
    model = DTN(channels_a=1, channels_b=1, generator_channels=4, discriminator_channels=4, pretrain_epochs=1,
                num_classes=10, input_shape=(1, 28, 28), backbone=BackboneConfig(name="dann_digits", batch_norm=True))
    return model, TinyDigits(batch_size=8)


CASES: dict[str, Callable[[], tuple[LightningModule, Any]]] = {"unit": _unit, "unit_da": _unit_da, "dtn": _dtn}
#: DTN's adversarial players step from its second epoch on (the first pre-trains f).
WARMUP = {"dtn": 1}
