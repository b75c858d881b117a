"""Conditional generation and disentanglement.

Single domain (``docs/disentanglement.md``): conditional VAE, conditional GAN, InfoGAN, AC-GAN. They train on a
labelled image data module (``LabelledDigits``) and share the evaluation of
:class:`~tlzoo.methods.disentangle.base.ConditionalGenerativeMethod` (judge accuracy of class-conditional
samples, FID / KID in the judge's feature space, class grids, predicted images). Several domains: CDRD, UFDN and
StarGAN, each in its own module.
"""

from tlzoo.methods.disentangle.acgan import ACGAN
from tlzoo.methods.disentangle.base import ConditionalGenerativeMethod, GenerationEval
from tlzoo.methods.disentangle.cdrd import CDRD
from tlzoo.methods.disentangle.cgan import CGAN
from tlzoo.methods.disentangle.cvae import CVAE
from tlzoo.methods.disentangle.infogan import InfoGAN
from tlzoo.methods.disentangle.ufdn import UFDN

__all__ = ["ACGAN", "CGAN", "CVAE", "ConditionalGenerativeMethod", "GenerationEval", "InfoGAN", "CDRD", "UFDN"]
