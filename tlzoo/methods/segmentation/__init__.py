"""Semantic segmentation: a segmenter chosen by name (FCN, DeepLabv3, LR-ASPP, a small U-Net)."""

from tlzoo.methods.segmentation.cross_city import CrossCityAdaptation
from tlzoo.methods.segmentation.segmenter import Segmenter, SmallUNet, build_segmentation_network

__all__ = ["CrossCityAdaptation", "Segmenter", "SmallUNet", "build_segmentation_network"]
