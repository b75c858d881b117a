"""Plain ``torch.nn`` building blocks shared by the methods (no Lightning in here)."""

from tlzoo.nn.autoencoder_parts import PrivateEncoder, SharedDecoder
from tlzoo.nn.backbones import BACKBONES, Backbone, BackboneConfig, build_backbone, mlp_head
from tlzoo.nn.discriminators import DCGANDiscriminator, DomainDiscriminator, PatchGANDiscriminator
from tlzoo.nn.generators import DCGANGenerator, ResnetBlock, ResnetGenerator, UNetGenerator
from tlzoo.nn.grl import GradientReversal, dann_lambda, grad_reverse
from tlzoo.nn.image_pool import ImagePool
from tlzoo.nn.norm import NormKind, conv_bias, init_gan_weights, norm_layer

__all__ = [
    "BACKBONES",
    "Backbone",
    "BackboneConfig",
    "DCGANDiscriminator",
    "DCGANGenerator",
    "DomainDiscriminator",
    "GradientReversal",
    "ImagePool",
    "NormKind",
    "PatchGANDiscriminator",
    "PrivateEncoder",
    "ResnetBlock",
    "ResnetGenerator",
    "SharedDecoder",
    "UNetGenerator",
    "build_backbone",
    "conv_bias",
    "dann_lambda",
    "grad_reverse",
    "init_gan_weights",
    "mlp_head",
    "norm_layer",
]
