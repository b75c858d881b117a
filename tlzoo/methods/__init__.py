"""The method registry: every LightningModule the CLI can name by its short class name."""

from tlzoo.methods.basics import MLP, ImageClassifier, LeNet, LinearClassifier, ResNet20
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
from tlzoo.methods.disentangle import ACGAN, CGAN, CVAE, ConditionalGenerativeMethod, GenerationEval, InfoGAN
from tlzoo.methods.disentangle.cdrd import CDRD
from tlzoo.methods.disentangle.stargan import StarGAN, StarGANEval
from tlzoo.methods.disentangle.ufdn import UFDN
from tlzoo.methods.pixel_da import PixelDA
from tlzoo.methods.segmentation import CrossCityAdaptation, Segmenter
from tlzoo.methods.style import JohnsonStyleTransfer
from tlzoo.methods.translation import DTN, UNIT, CycleGAN, DiscoGAN, DualGAN, Pix2Pix, TranslationEval

__all__ = [
    "JohnsonStyleTransfer",
    "ACGAN",
    "CGAN",
    "CVAE",
    "ConditionalGenerativeMethod",
    "GenerationEval",
    "InfoGAN",
    "StarGAN",
    "StarGANEval",
    "CDRD",
    "UFDN",
    "PixelDA",
    "CrossCityAdaptation",
    "ImageClassifier",
    "LeNet",
    "LinearClassifier",
    "MLP",
    "ResNet20",
    "Segmenter",
    "ADDA",
    "CycleGAN",
    "DiscoGAN",
    "DualGAN",
    "DTN",
    "UNIT",
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
