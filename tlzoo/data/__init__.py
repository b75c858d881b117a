"""The data-module registry: every LightningDataModule the CLI can name by short class name."""

from tlzoo.data.base import DomainAdaptationDataModule, EpochSeededSampler, TwoDomainDataModule, Unlabeled
from tlzoo.data.celeba import CelebA
from tlzoo.data.cifar10 import CIFAR10
from tlzoo.data.cityscapes import CityscapesLabelsToPhoto, CityscapesSegmentation
from tlzoo.data.content_images import ContentImages
from tlzoo.data.cross_city import CityscapesToCrossCity, SegmentationAdaptationDataModule
from tlzoo.data.digit_pairs import MNISTMPaired, UnpairedDigits
from tlzoo.data.digit_segmentation import MNISTToMNISTMSegmentation
from tlzoo.data.digits import EmbeddedDigits
from tlzoo.data.feature_pairs import FeaturePairs
from tlzoo.data.folders import DomainFolders, Office31
from tlzoo.data.labelled import ClassificationDataModule, LabelledDigits
from tlzoo.data.mnist_m import MNISTToMNISTM
from tlzoo.data.multi_domain import MultiDomainDataModule
from tlzoo.data.multi_domain_digits import MultiDomainDigits
from tlzoo.data.paired_folders import PairedFolders
from tlzoo.data.spec import ImageSpec
from tlzoo.data.svhn_mnist import SVHNToMNIST
from tlzoo.data.translation import TranslationDataModule
from tlzoo.data.unpaired_folders import UnpairedFolders
from tlzoo.data.usps_mnist import USPSMNIST

__all__ = [
    "ContentImages",
    "CityscapesToCrossCity",
    "MNISTToMNISTMSegmentation",
    "SegmentationAdaptationDataModule",
    "CIFAR10",
    "CelebA",
    "MultiDomainDataModule",
    "MultiDomainDigits",
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
