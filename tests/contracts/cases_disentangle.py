"""Adversarial contract cases of the single-domain conditional generative models (cGAN, AC-GAN, InfoGAN)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lightning.pytorch import LightningModule

from tests.disentangle.tiny import TinyLabelled
from tlzoo.methods import ACGAN, CGAN, InfoGAN

_SMALL = {"num_classes": 3, "input_shape": (1, 16, 16), "latent_dim": 4, "base_channels": 8,
          "discriminator_channels": 8}


def _cgan() -> tuple[LightningModule, Any]:
    return CGAN(**_SMALL), TinyLabelled(n=8, batch_size=4)


def _acgan() -> tuple[LightningModule, Any]:
    return ACGAN(**_SMALL), TinyLabelled(n=8, batch_size=4)


def _infogan() -> tuple[LightningModule, Any]:
    return InfoGAN(categories=3, continuous_codes=2, **_SMALL), TinyLabelled(n=8, batch_size=4)


CASES: dict[str, Callable[[], tuple[LightningModule, Any]]] = {"cgan": _cgan, "acgan": _acgan, "infogan": _infogan}
