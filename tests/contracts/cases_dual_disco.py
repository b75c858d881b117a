"""Adversarial-contract cases of DualGAN and DiscoGAN (collected by ``tests/contracts/test_adversarial.py``), and
the tiny unpaired data they and ``tests/translation/test_dualgan.py`` / ``test_discogan.py`` train on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from lightning.pytorch import LightningModule

from tests.translation.tiny import TinyUnpairedImages
from tlzoo.methods import DiscoGAN, DualGAN


class TinyUnpaired(TinyUnpairedImages):
    """Random 1x16x16 unpaired images (B brighter than A), 8 per training domain, 4 labelled per evaluation domain."""

    def images(self, g: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        a = torch.randint(0, 128, (8, 1, 16, 16), generator=g, dtype=torch.uint8)
        return a, torch.randint(96, 256, (8, 1, 16, 16), generator=g, dtype=torch.uint8)


def tiny_dualgan(**kwargs: Any) -> DualGAN:
    """A DualGAN for 16 px grey images (U-Net of 3 levels, 16x16 PatchGAN critics)."""
    return DualGAN(channels_a=1, channels_b=1, num_downs=3, base_channels=8, critic_channels=8, critic_layers=1,
                   **kwargs)


def tiny_discogan(**kwargs: Any) -> DiscoGAN:
    """A DiscoGAN for 16 px grey images (2 encoder / decoder layers)."""
    return DiscoGAN(channels_a=1, channels_b=1, image_size=16, num_downs=2, base_channels=8,
                    discriminator_channels=8, **kwargs)


def _dualgan() -> tuple[LightningModule, Any]:
    return tiny_dualgan(n_critic=2), TinyUnpaired()


def _dualgan_gp() -> tuple[LightningModule, Any]:
    return tiny_dualgan(n_critic=2, lipschitz="gp", critic_norm="instance"), TinyUnpaired()


def _discogan() -> tuple[LightningModule, Any]:
    return tiny_discogan(), TinyUnpaired()


CASES: dict[str, Callable[[], tuple[LightningModule, Any]]] = {
    "dualgan": _dualgan, "dualgan_gp": _dualgan_gp, "discogan": _discogan,
}
