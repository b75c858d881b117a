"""The data-module registry: every LightningDataModule the CLI can name by short class name."""

from tlzoo.data.base import DomainAdaptationDataModule, EpochSeededSampler, Unlabeled
from tlzoo.data.digits import EmbeddedDigits
from tlzoo.data.feature_pairs import FeaturePairs
from tlzoo.data.folders import DomainFolders, Office31
from tlzoo.data.mnist_m import MNISTToMNISTM
from tlzoo.data.svhn_mnist import SVHNToMNIST
from tlzoo.data.usps_mnist import USPSMNIST

__all__ = [
    "DomainAdaptationDataModule",
    "DomainFolders",
    "EmbeddedDigits",
    "EpochSeededSampler",
    "Office31",
    "SVHNToMNIST",
    "Unlabeled",
    "FeaturePairs",
    "MNISTToMNISTM",
    "USPSMNIST",
]
