"""Plain ``torch.nn`` building blocks shared by the methods (no Lightning in here)."""

from tlzoo.nn.backbones import BACKBONES, Backbone, BackboneConfig, build_backbone, mlp_head
from tlzoo.nn.discriminators import DomainDiscriminator
from tlzoo.nn.grl import GradientReversal, dann_lambda, grad_reverse

__all__ = [
    "BACKBONES",
    "Backbone",
    "BackboneConfig",
    "DomainDiscriminator",
    "GradientReversal",
    "build_backbone",
    "dann_lambda",
    "grad_reverse",
    "mlp_head",
]
