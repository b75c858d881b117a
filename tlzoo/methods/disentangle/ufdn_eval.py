"""UFDN's translations: their evaluation, and the domains ``tlzoo predict`` renders.

UFDN (Liu et al., "A Unified Feature Disentangler for Multi-Domain Image Translation and Manipulation", NeurIPS
2018; :mod:`tlzoo.methods.disentangle.ufdn`) decodes a domain-invariant code ``z = E(x)`` with a domain code ``v``:
``G(E(x), v_own)`` reconstructs ``x`` and ``G(E(x), v_other)`` translates it. Besides the classifier's accuracy,
validation and test score these images, made from the held-out images of each domain (dataloader 0: source
validation split, 1: target test split; ``z`` is the posterior mean), all in [0, 1] pixels:

* ``recon_l1_source`` / ``recon_l1_target``: the reconstruction error ``|G(E(x), v_own) - x|``, the mean absolute
  pixel difference per image (:func:`reconstruction_l1`), averaged over the images of that domain;
* with ``evaluation.judge`` (a zoo classifier of the two domains, class 0 = source, 1 = target):
  ``domain_reached_to_target`` / ``domain_reached_to_source``, the share of translations into that domain the judge
  reads as that domain, and ``judge_acc_real``, its accuracy on the real images (the reference);
* with ``evaluation.class_judge`` (a zoo classifier of the content classes, e.g. a digit classifier that reads both
  domains): ``class_kept_to_target`` / ``class_kept_to_source``, the share of translations still read as the class
  of the image they were made from, and ``class_judge_acc_real_source`` / ``_target`` on the real images;
* with ``evaluation.fid`` and a judge or ``evaluation.inception_weights``: ``fid_<features>_to_<domain>`` and
  ``kid_<features>[_std]_to_<domain>`` between the translations into a domain and the real held-out images of that
  domain, in each judge's feature space (and Inception's), through
  :class:`tlzoo.metrics.image_quality.ImageTranslationMetrics`.

The options are StarGAN's (:class:`~tlzoo.methods.disentangle.stargan_eval.StarGANEval`); without judges only the
reconstruction errors are logged. UFDN's own discriminators never score its images.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from tlzoo.errors import TLZooError
from tlzoo.methods.disentangle.judged_scores import JudgedScores

#: Generic names of UFDN's two domains, in the order of its domain code (0 = source, 1 = target).
DOMAINS = ("source", "target")


def reconstruction_l1(x01: torch.Tensor, recon01: torch.Tensor) -> torch.Tensor:
    """``(N,)`` per-image mean absolute error ``|G(E(x), v_own) - x|`` of images in [0, 1]."""
    return (recon01.float() - x01.float()).abs().flatten(1).mean(1)


def data_domain_names(datamodule: Any) -> tuple[str, str]:
    """The data's names of its (source, target) domains (its ``source`` / ``target`` or ``source_name`` /
    ``target_name`` attributes, e.g. ``("uci", "mnist")``); :data:`DOMAINS` when it names none."""
    for first, second in (("source", "target"), ("source_name", "target_name")):
        names = getattr(datamodule, first, None), getattr(datamodule, second, None)
        if all(isinstance(n, str) for n in names) and names[0] != names[1]:
            return names  # type: ignore[return-value]
    return DOMAINS


def predict_domain_indices(requested: Sequence[str] | None, names: Sequence[str]) -> list[int]:
    """Domain codes (0 = source, 1 = target) of ``predict_domains``: the data's domain ``names``, or ``source`` /
    ``target``; ``None``: both."""
    if requested is None:
        return [0, 1]
    if isinstance(requested, str) or not len(requested):
        raise TLZooError(f"predict_domains must be a non-empty list of domain names ({', '.join(names)}) or null, got "
                         f"{requested!r}: --model.init_args.predict_domains")
    codes = []
    for name in requested:
        if name in names:
            codes.append(list(names).index(name))
        elif name in DOMAINS:
            codes.append(DOMAINS.index(name))
        else:
            raise TLZooError(f"predict domain {name!r} is not a domain of the data ({', '.join(names)}; or source / "
                             "target): --model.init_args.predict_domains takes domain names")
    return codes


class UFDNEvaluation(JudgedScores):
    """Scores of UFDN's translations at validation / test (module docstring), mixed into
    :class:`~tlzoo.methods.disentangle.ufdn.UFDN`: it needs the model's ``features`` (the posterior mean),
    ``decode``, ``specs`` (one :class:`~tlzoo.data.spec.ImageSpec` per domain), ``evaluation`` (a ``StarGANEval``),
    ``num_classes``, ``device`` and ``log``."""

    def _init_translation_eval(self) -> None:
        self._init_judged_scores()

    def judges(self) -> dict[str, Any]:
        """``{"judge": ..., "class_judge": ...}``, those given (loaded on first use), on the model's device."""
        self.load_judges()
        for key, classes, what in (("judge", 2, "the two domains (source, target)"),
                                   ("class_judge", self.num_classes, f"the data's {self.num_classes} classes")):
            judge = self._judges.get(key)
            if judge is not None and judge.num_classes != classes:
                raise TLZooError(f"UFDN's evaluation.{key} {judge.checkpoint or ''} has {judge.num_classes} outputs: "
                                 f"it must classify {what} (--model.init_args.evaluation.{key})")
        return {k: j.to(self.device) for k, j in self._judges.items()}

    def _quality_metrics(self, features: list[Any]) -> dict[str, Any]:
        if not features:
            return {}
        from tlzoo.metrics.image_quality import ImageTranslationMetrics

        return {d: ImageTranslationMetrics(fid=True, kid=True, features=features,
                                           kid_subset_size=self.evaluation.kid_subset_size).to(self.device)
                for d in DOMAINS}

    @torch.no_grad()
    def score_translations(self, batch: Any, domain: int, stage: str) -> None:
        """Accumulate the scores of one held-out batch ``(x, y)`` of ``domain`` (0 = source, 1 = target)."""
        x, y = batch[0], batch[1]
        other = 1 - domain
        own_name, other_name = DOMAINS[domain], DOMAINS[other]
        scores = self._stage_scores(stage)
        z = self.features(x)  # the posterior mean
        real01 = self.specs[domain].denormalize(x)
        recon01 = self.specs[domain].denormalize(self.decode(z, domain))
        fake01 = self.specs[other].denormalize(self.decode(z, other))
        self._update_mean(stage, f"recon_l1_{own_name}", reconstruction_l1(real01, recon01))
        judge, class_judge = self._judges.get("judge"), self._judges.get("class_judge")
        if judge is not None:
            self._update_mean(stage, "judge_acc_real", (judge.predict(real01) == domain).float())
            self._update_mean(stage, f"domain_reached_to_{other_name}", (judge.predict(fake01) == other).float())
        labelled = y >= 0
        if class_judge is not None and bool(labelled.any()):
            y = y[labelled]
            self._update_mean(stage, f"class_judge_acc_real_{own_name}",
                              (class_judge.predict(real01[labelled]) == y).float())
            kept = (class_judge.predict(fake01[labelled]) == y).float()
            self._update_mean(stage, f"class_kept_to_{other_name}", kept)
        if scores["quality"]:
            scores["quality"][other_name].update(fake01, None)
            scores["quality"][own_name].update(None, real01)

    def log_translation_scores(self, stage: str) -> None:
        """Log and reset what :meth:`score_translations` accumulated in ``stage``."""
        scores = self._stage_scores_by_name.get(stage)
        if not scores:
            return
        for name, metric in scores["means"].items():
            if metric.update_count:
                self.log(f"{stage}/{name}", metric.compute())
            metric.reset()
        for domain, quality in scores["quality"].items():
            for name, value in quality.compute().items():
                self.log(f"{stage}/{name}_to_{domain}", value)
            quality.reset()
