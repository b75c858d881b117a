"""What StarGAN's and UFDN's evaluations share: independent judges loaded once from a
:class:`~tlzoo.methods.disentangle.stargan_eval.StarGANEval`, the feature extractors of FID / KID, and running means
per stage (``val`` / ``test``).

Mixed into an evaluation class that defines :meth:`JudgedScores.judges` (which judges it needs and checks, via
:meth:`JudgedScores.load_judges`) and :meth:`JudgedScores._quality_metrics` (its FID / KID metric objects); the model
provides ``evaluation`` and ``device``.
"""

from __future__ import annotations

from typing import Any

import torch

from tlzoo.core.module import keep_rng_states


class JudgedScores:
    """Judges, FID / KID features and per-stage means of an image-generating method's evaluation."""

    def _init_judged_scores(self) -> None:
        self._judges: dict[str, Any] = {}
        self._judges_ready = False
        self._stage_scores_by_name: dict[str, dict[str, Any]] = {}

    def set_judges(self, judge: Any = None, class_judge: Any = None) -> None:
        """Use these :class:`tlzoo.metrics.judge.Judge` objects instead of loading ``evaluation``'s checkpoints."""
        self._judges = {k: v for k, v in (("judge", judge), ("class_judge", class_judge)) if v is not None}
        self._judges_ready = True
        self._stage_scores_by_name.clear()

    def load_judges(self) -> bool:
        """Load ``evaluation.judge`` / ``evaluation.class_judge`` on first use; ``True`` the time they were loaded."""
        if self._judges_ready:
            return False
        self._judges_ready = True
        from tlzoo.metrics.judge import load_judge

        with keep_rng_states():  # a judge is built with random weights before its checkpoint is read
            for key in ("judge", "class_judge"):
                path = getattr(self.evaluation, key)
                if path:
                    self._judges[key] = load_judge(path, name=key)
        return True

    def judges(self) -> dict[str, Any]:
        """``{"judge": ..., "class_judge": ...}``, those given; subclasses check that they fit the data."""
        self.load_judges()
        return self._judges

    def _quality_metrics(self, features: list[Any]) -> Any:
        """The FID / KID metric object(s) of one stage in these feature spaces (``features`` may be empty)."""
        raise NotImplementedError

    def _stage_scores(self, stage: str) -> dict[str, Any]:
        """``{"means": {name: MeanMetric}, "quality": ...}`` of ``stage``, made on first use."""
        if stage not in self._stage_scores_by_name:
            judges = self.judges()
            features = [j.features for j in judges.values()] if self.evaluation.fid else []
            if self.evaluation.fid and self.evaluation.inception_weights:
                from tlzoo.metrics.features import InceptionFeatures

                with keep_rng_states():
                    features.append(InceptionFeatures(self.evaluation.inception_weights))
            self._stage_scores_by_name[stage] = {"means": {}, "quality": self._quality_metrics(features)}
        return self._stage_scores_by_name[stage]

    def _update_mean(self, stage: str, name: str, values: torch.Tensor) -> None:
        from torchmetrics import MeanMetric

        means = self._stage_scores(stage)["means"]
        if name not in means:
            means[name] = MeanMetric().to(self.device)
        if values.numel():
            means[name].update(values.detach().float())
