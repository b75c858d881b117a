"""The metric set a translation method logs for one direction, built from its ``TranslationEval`` settings.

:func:`build_translation_metrics` turns the user's options (judge checkpoints, Inception weights) into an
:class:`~tlzoo.metrics.image_quality.ImageTranslationMetrics`, wrapped so that evaluation batches where one
domain's split is exhausted (unpaired splits of different lengths) still count their real images.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from tlzoo.metrics.image_quality import ImageTranslationMetrics


class DirectionMetrics(nn.Module):
    """:class:`ImageTranslationMetrics` of one direction that accepts batches with only fakes or only reals."""

    def __init__(self, metrics: ImageTranslationMetrics) -> None:
        super().__init__()
        self.metrics = metrics

    @torch.no_grad()
    def update(self, fake: torch.Tensor | None, real: torch.Tensor | None, labels: torch.Tensor | None,
               target: torch.Tensor | None) -> None:
        """Images in [0, 1]: ``fake`` translated, ``real`` real images of the output domain, ``labels`` the
        source labels of ``fake`` (``-1``: unknown), ``target`` the paired ground truth of ``fake``."""
        m = self.metrics
        if labels is not None and bool((labels < 0).any()):
            labels = None  # unlabelled domain: no label preservation
        if fake is not None and (real is not None or not m.extractors):
            m.update(fake, real, source_labels=labels, target01=target if m.use_ssim_psnr else None)
            return
        if fake is not None:  # no real images in this batch: score what does not need them
            saved, m._extractors = m._extractors, {}
            try:
                m.update(fake, None, source_labels=labels, target01=target if m.use_ssim_psnr else None)
            finally:
                m._extractors = saved
            for name, ext in m.extractors.items():
                feats = ext.to(fake.device)(fake).float()
                for group in (m.fid, m.kid):
                    if name in group:
                        group[name].update(feats, real=False)
        if real is not None and fake is None:
            for name, ext in m.extractors.items():
                feats = ext.to(real.device)(real).float()
                for group in (m.fid, m.kid):
                    if name in group:
                        group[name].update(feats, real=True)

    def compute(self) -> dict[str, torch.Tensor]:
        return self.metrics.compute()

    def reset(self) -> None:
        self.metrics.reset()


def build_translation_metrics(evaluation: Any, direction: str, paired: bool, spec: Any) -> DirectionMetrics:
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
    metrics = ImageTranslationMetrics(
        fid=bool(features), kid=bool(features), features=features or None, ssim_psnr=paired, judge=judge,
        kid_subset_size=evaluation.kid_subset_size)
    return DirectionMetrics(metrics)
