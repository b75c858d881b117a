"""The data-module registry: every LightningDataModule the CLI can name by short class name.

Imports are lazy (``from tlzoo.data import EmbeddedDigits`` imports only that module), so that tools that need no
Lightning, such as ``tlzoo shallow`` reading feature files, start in a second. :func:`load_all` imports every
module; the ``tlzoo`` CLI calls it before parsing, so that ``class_path: EmbeddedDigits`` resolves.
"""

from __future__ import annotations

import sys
from importlib import import_module
from typing import Any

#: Public name -> the module that defines it.
_EXPORTS: dict[str, str] = {
    "CIFAR10": "tlzoo.data.cifar10",
    "CelebA": "tlzoo.data.celeba",
    "CelebARaFD": "tlzoo.data.celeba_rafd",
    "CityscapesLabelsToPhoto": "tlzoo.data.cityscapes",
    "CityscapesSegmentation": "tlzoo.data.cityscapes",
    "CityscapesToCrossCity": "tlzoo.data.cross_city",
    "ClassificationDataModule": "tlzoo.data.labelled",
    "ContentImages": "tlzoo.data.content_images",
    "DigitLabelSets": "tlzoo.data.digit_label_sets",
    "DomainAdaptationDataModule": "tlzoo.data.base",
    "DomainFolders": "tlzoo.data.folders",
    "EmbeddedDigits": "tlzoo.data.digits",
    "EpochSeededSampler": "tlzoo.data.base",
    "FeaturePairs": "tlzoo.data.feature_pairs",
    "ImageSpec": "tlzoo.data.spec",
    "LabelledDigits": "tlzoo.data.labelled",
    "MNISTMPaired": "tlzoo.data.digit_pairs",
    "MNISTToMNISTM": "tlzoo.data.mnist_m",
    "MNISTToMNISTMSegmentation": "tlzoo.data.digit_segmentation",
    "MultiDomainDataModule": "tlzoo.data.multi_domain",
    "MultiDomainDigits": "tlzoo.data.multi_domain_digits",
    "Office31": "tlzoo.data.folders",
    "PairedFolders": "tlzoo.data.paired_folders",
    "SVHNToMNIST": "tlzoo.data.svhn_mnist",
    "SegmentationAdaptationDataModule": "tlzoo.data.cross_city",
    "TranslationDataModule": "tlzoo.data.translation",
    "TwoDomainDataModule": "tlzoo.data.base",
    "USPSMNIST": "tlzoo.data.usps_mnist",
    "Unlabeled": "tlzoo.data.base",
    "UnpairedDigits": "tlzoo.data.digit_pairs",
    "UnpairedFolders": "tlzoo.data.unpaired_folders",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(import_module(_EXPORTS[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'tlzoo.data' has no attribute {name!r}")


def load_all() -> None:
    """Import every data module (registers their classes for short-name resolution)."""
    module = sys.modules[__name__]
    for name in _EXPORTS:
        getattr(module, name)
