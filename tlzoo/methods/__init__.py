"""The method registry: every LightningModule the CLI can name by its short class name."""

from tlzoo.methods.da import (
    ADDA,
    DANN,
    DDC,
    DSN,
    AdaBN,
    DeepCORAL,
    DomainAdaptationMethod,
    DomainConfusion,
    OptimConfig,
    SourceOnly,
)

__all__ = [
    "ADDA",
    "AdaBN",
    "DANN",
    "DDC",
    "DSN",
    "DeepCORAL",
    "DomainAdaptationMethod",
    "DomainConfusion",
    "OptimConfig",
    "SourceOnly",
]
