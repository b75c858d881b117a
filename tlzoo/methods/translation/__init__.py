"""Image-to-image translation: pix2pix (paired) and CycleGAN (unpaired)."""

from tlzoo.methods.translation.base import TranslationEval, TranslationMethod
from tlzoo.methods.translation.cyclegan import CycleGAN
from tlzoo.methods.translation.pix2pix import Pix2Pix

__all__ = ["CycleGAN", "Pix2Pix", "TranslationEval", "TranslationMethod"]
