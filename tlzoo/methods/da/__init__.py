"""Domain-adaptation methods."""

from tlzoo.methods.da.base import DomainAdaptationMethod, OptimConfig
from tlzoo.methods.da.dann import DANN
from tlzoo.methods.da.source_only import SourceOnly

__all__ = ["DANN", "DomainAdaptationMethod", "OptimConfig", "SourceOnly"]
