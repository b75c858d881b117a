"""Contract cases (tests/contracts/test_adversarial.py) of StarGAN, tiny, on random 16 px multi-domain images:
three one-hot domains and three attributes (two of them an exclusive group). ``n_critic=2``, so the generator
steps on every second batch."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from lightning.pytorch import LightningModule
from torch.utils.data import Dataset, TensorDataset

from tlzoo.data.multi_domain import MultiDomainDataModule
from tlzoo.data.spec import ImageSpec
from tlzoo.methods.disentangle.stargan import StarGAN


class TinyMultiDomain(MultiDomainDataModule):
    """Random ``(1, 16, 16)`` images, 8 per split: ``(x, y, d)`` over three domains, or ``(x, attrs)`` with three
    attributes of which the first two are exclusive."""

    def __init__(self, label_kind: str = "domains", batch_size: int = 4, size: int = 16) -> None:
        super().__init__(batch_size=batch_size)
        self.label_kind = label_kind  # type: ignore[assignment]
        self.domain_names = ["a", "b", "c"]
        self.exclusive_groups = [[0, 1]] if label_kind == "attributes" else []
        self.set_spec(ImageSpec.symmetric(1, size), 10)

    def _split(self, seed: int) -> Dataset:
        g = torch.Generator().manual_seed(seed)
        size = self.spec.size[0]  # type: ignore[index]
        x = torch.rand(8, 1, size, size, generator=g) * 2 - 1
        if self.label_kind == "domains":
            return TensorDataset(x, torch.arange(8) % 10, torch.arange(8) % 3)
        attrs = torch.stack([torch.arange(8) % 2 == 0, torch.arange(8) % 2 == 1, torch.arange(8) % 3 == 0], 1)
        return TensorDataset(x, attrs.float())

    def build(self) -> None:
        self.train_set, self.val_set, self.test_set = self._split(0), self._split(1), self._split(2)


def tiny_stargan(label_kind: str = "domains", **kwargs: Any) -> StarGAN:
    kwargs = {"base_channels": 4, "residual_blocks": 1, "discriminator_channels": 4, "discriminator_layers": 2,
              "n_critic": 2, **kwargs}
    return StarGAN(num_domains=3, label_kind=label_kind, input_shape=(1, 16, 16), **kwargs)  # type: ignore[arg-type]


def _domains() -> tuple[LightningModule, Any]:
    return tiny_stargan("domains"), TinyMultiDomain("domains")


def _attributes() -> tuple[LightningModule, Any]:
    return tiny_stargan("attributes", target_sampling="uniform"), TinyMultiDomain("attributes")


CASES: dict[str, Callable[[], tuple[LightningModule, Any]]] = {"stargan_domains": _domains,
                                                                "stargan_attributes": _attributes}
