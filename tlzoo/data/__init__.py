"""The data-module registry: every LightningDataModule the CLI can name by short class name."""

from tlzoo.data.base import DomainAdaptationDataModule, EpochSeededSampler, TwoDomainDataModule, Unlabeled
from tlzoo.data.cityscapes import CityscapesLabelsToPhoto, CityscapesSegmentation
from tlzoo.data.digit_pairs import MNISTMPaired, UnpairedDigits
from tlzoo.data.digits import EmbeddedDigits
from tlzoo.data.feature_pairs import FeaturePairs
from tlzoo.data.folders import DomainFolders, Office31
from tlzoo.data.labelled import ClassificationDataModule, LabelledDigits
from tlzoo.data.mnist_m import MNISTToMNISTM
from tlzoo.data.paired_folders import PairedFolders
from tlzoo.data.spec import ImageSpec
from tlzoo.data.svhn_mnist import SVHNToMNIST
from tlzoo.data.translation import TranslationDataModule
from tlzoo.data.unpaired_folders import UnpairedFolders
from tlzoo.data.usps_mnist import USPSMNIST

__all__ = [
    "ClassificationDataModule",
    "LabelledDigits",
    "CityscapesLabelsToPhoto",
    "CityscapesSegmentation",
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
    "ImageSpec",
    "MNISTMPaired",
    "PairedFolders",
    "TranslationDataModule",
    "TwoDomainDataModule",
    "UnpairedDigits",
    "UnpairedFolders",
]
