"""Discriminators that output logits (never probabilities), so their losses stay autocast-safe."""

from __future__ import annotations

from torch import nn


class DomainDiscriminator(nn.Sequential):
    """MLP domain classifier ``features -> one logit`` ("source" = 1, "target" = 0).

    DANN (Ganin et al., JMLR 2016) uses ``in -> 100 -> 1`` for digits and
    ``in -> 1024 -> 1024 -> 1`` for SVHN and Office. Pair with
    ``F.binary_cross_entropy_with_logits``, which is safe under mixed precision, unlike
    ``Sigmoid`` + ``binary_cross_entropy``.
    """

    def __init__(self, in_features: int, hidden: tuple[int, ...] = (1024, 1024), dropout: float = 0.0,
                 batch_norm: bool = False) -> None:
        layers: list[nn.Module] = []
        width = in_features
        for h in hidden:
            layers.append(nn.Linear(width, h))
            if batch_norm:
                layers.append(nn.BatchNorm1d(h))
            layers.append(nn.ReLU(inplace=True))
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = h
        layers.append(nn.Linear(width, 1))
        super().__init__(*layers)
