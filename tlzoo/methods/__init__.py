"""The method registry: every LightningModule the CLI can name by its short class name."""

from tlzoo.methods.da import DANN, DomainAdaptationMethod, OptimConfig, SourceOnly

__all__ = ["DANN", "DomainAdaptationMethod", "OptimConfig", "SourceOnly"]
