"""The data-module registry: every LightningDataModule the CLI can name by short class name."""

from tlzoo.data.base import DomainAdaptationDataModule, EpochSeededSampler, Unlabeled
from tlzoo.data.digits import EmbeddedDigits
from tlzoo.data.folders import DomainFolders, Office31
from tlzoo.data.svhn_mnist import SVHNToMNIST

__all__ = [
    "DomainAdaptationDataModule",
    "DomainFolders",
    "EmbeddedDigits",
    "EpochSeededSampler",
    "Office31",
    "SVHNToMNIST",
    "Unlabeled",
]
