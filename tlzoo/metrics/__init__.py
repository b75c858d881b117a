"""Evaluation of generated and translated images: FID / KID with pluggable features, SSIM / PSNR, label
preservation by a classifier judge, and FCN-scores (per-pixel / per-class accuracy, class IoU)."""

from tlzoo.metrics.features import (
    ClassifierFeatures,
    InceptionFeatures,
    Normalization,
    find_inception_weights,
)
from tlzoo.metrics.image_quality import ImageTranslationMetrics, SegmentationScores
from tlzoo.metrics.judge import DATA_NORMALIZATION, Judge, load_judge

__all__ = [
    "DATA_NORMALIZATION",
    "ClassifierFeatures",
    "ImageTranslationMetrics",
    "InceptionFeatures",
    "Judge",
    "Normalization",
    "SegmentationScores",
    "find_inception_weights",
    "load_judge",
]
