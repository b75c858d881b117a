"""Contract cases (tests/contracts/test_adversarial.py) of the cross-domain disentanglers: UFDN (with its image
discriminator), CDRD and E-CDRD, tiny, on random 28 px two-domain digits."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lightning.pytorch import LightningModule

from tests.test_adda import TinyDigits
from tlzoo.methods.disentangle.cdrd import CDRD
from tlzoo.methods.disentangle.ufdn import UFDN


def _ufdn() -> tuple[LightningModule, Any]:
    model = UFDN(10, (1, 28, 28), latent_dim=8, decoder_channels=4, discriminator_channels=4,
                 latent_discriminator_hidden=(8,), image_adversarial_weight=0.1, image_domain_weight=0.1)
    return model, TinyDigits(batch_size=8)


def _cdrd() -> tuple[LightningModule, Any]:
    return CDRD(10, (1, 28, 28), latent_dim=8, generator_channels=4, discriminator_channels=4), TinyDigits(batch_size=8)


def _ecdrd() -> tuple[LightningModule, Any]:
    model = CDRD(10, (1, 28, 28), latent_dim=8, generator_channels=4, discriminator_channels=4, encoders=True)
    return model, TinyDigits(batch_size=8)


CASES: dict[str, Callable[[], tuple[LightningModule, Any]]] = {"ufdn": _ufdn, "cdrd": _cdrd, "e_cdrd": _ecdrd}
