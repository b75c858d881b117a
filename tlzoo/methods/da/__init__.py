"""Domain-adaptation methods."""

from tlzoo.methods.da.adabn import AdaBN
from tlzoo.methods.da.adda import ADDA
from tlzoo.methods.da.base import DomainAdaptationMethod, OptimConfig
from tlzoo.methods.da.confusion import DomainConfusion
from tlzoo.methods.da.coral import DeepCORAL
from tlzoo.methods.da.dann import DANN
from tlzoo.methods.da.ddc import DDC
from tlzoo.methods.da.dsn import DSN
from tlzoo.methods.da.source_only import SourceOnly

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
