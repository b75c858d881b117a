"""Supervised image classifiers, from a linear model to a residual network (the "classifier ladder")."""

from tlzoo.methods.basics.base import ImageClassifier
from tlzoo.methods.basics.lenet import LeNet
from tlzoo.methods.basics.linear import LinearClassifier
from tlzoo.methods.basics.mlp import MLP
from tlzoo.methods.basics.resnet import ResNet20

__all__ = ["ImageClassifier", "LeNet", "LinearClassifier", "MLP", "ResNet20"]
