"""Image-to-image translation: pix2pix (paired) and CycleGAN (unpaired)."""

from tlzoo.methods.translation.base import TranslationEval, TranslationMethod
from tlzoo.methods.translation.cyclegan import CycleGAN
from tlzoo.methods.translation.discogan import DiscoGAN
from tlzoo.methods.translation.dtn import DTN
from tlzoo.methods.translation.dualgan import DualGAN
from tlzoo.methods.translation.pix2pix import Pix2Pix
from tlzoo.methods.translation.unit import UNIT

__all__ = ["CycleGAN", "DTN", "DiscoGAN", "DualGAN", "Pix2Pix", "TranslationEval", "TranslationMethod", "UNIT"]
