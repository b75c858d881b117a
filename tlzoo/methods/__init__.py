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
from tlzoo.methods.segmentation import Segmenter
from tlzoo.methods.translation import CycleGAN, Pix2Pix, TranslationEval

__all__ = [
    "Segmenter",
    "ADDA",
    "CycleGAN",
    "Pix2Pix",
    "TranslationEval",
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
