"""The metric set a translation method logs for one direction, built from its ``TranslationEval`` settings:
:func:`build_translation_metrics` turns the user's options (judge checkpoints, Inception weights) into an
:class:`~tlzoo.metrics.image_quality.ImageTranslationMetrics`."""

from __future__ import annotations

from typing import Any

from torch import nn

from tlzoo.metrics.image_quality import ImageTranslationMetrics


def build_translation_metrics(evaluation: Any, direction: str, paired: bool) -> ImageTranslationMetrics:
    """The metrics of ``direction`` (``ab``: A -> B scored in B; ``ba``) from a ``TranslationEval``.

    FID/KID use the judge's features (``fid_judge``) when a judge of the output domain is given, and
    Inception features (``fid_inception``) when ``inception_weights`` is set; with neither, no FID/KID.
    """
    from tlzoo.metrics.features import InceptionFeatures
    from tlzoo.metrics.judge import load_judge

    judge_path = evaluation.judge_b if direction == "ab" else evaluation.judge_a
    judge = load_judge(judge_path) if judge_path else None
    features: list[nn.Module] = []
    if evaluation.fid and judge is not None:
        features.append(judge.features)
    if evaluation.fid and evaluation.inception_weights:
        features.append(InceptionFeatures(evaluation.inception_weights))
    return ImageTranslationMetrics(
        fid=bool(features), kid=bool(features), features=features or None, ssim_psnr=paired, judge=judge,
        kid_subset_size=evaluation.kid_subset_size)
