"""StarGAN's evaluation: edits scored by independent judges, cycle L1, D's accuracy on real images, FID / KID.

What is logged and why D's own classifier never scores the edits is in :mod:`tlzoo.methods.disentangle.stargan`.
:class:`StarGANEvaluation` is mixed into :class:`~tlzoo.methods.disentangle.stargan.StarGAN`; it needs the model's
``edit``, ``batch_labels``, ``discriminator``, ``spec``, ``label_kind``, ``num_domains``, ``domain_names``,
``exclusive_groups``, ``mask_vector`` (``None``, or the :class:`~tlzoo.methods.disentangle.stargan_mask.MaskedLabels`
of several data sets) and ``evaluation`` (a :class:`StarGANEval`).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import torch
from lightning.pytorch.utilities import rank_zero_warn

from tlzoo.core.module import allow_in_checkpoints
from tlzoo.errors import TLZooError
from tlzoo.methods.disentangle.judged_scores import JudgedScores
from tlzoo.methods.disentangle.stargan_targets import EditTarget, evaluation_targets


@dataclass
class StarGANEval:
    """How StarGAN's edits are scored (see the module docstring).

    Args:
        judge: checkpoint of a zoo classifier of the domains (one class per domain, in the data's domain order) or
            of the attributes (one logit per attribute, on when > 0): ``edit_acc`` and the features of
            ``fid_judge`` / ``kid_judge``.
        class_judge: checkpoint of a zoo classifier of the content classes (e.g. ``judge_mnist.yaml`` for digits):
            ``class_kept``, the share of edits still read as the source image's class.
        inception_weights: path of the FID Inception-v3 weights: adds ``fid_inception`` / ``kid_inception``.
        fid: compute FID / KID with each available feature extractor.
        kid_subset_size: KID subset size (clamped to the number of evaluation images).
    """

    judge: str | None = None
    class_judge: str | None = None
    inception_weights: str | None = None
    fid: bool = True
    kid_subset_size: int = 100


allow_in_checkpoints(StarGANEval)



class StarGANEvaluation(JudgedScores):
    """Validation / test steps of StarGAN (see the module docstring)."""

    def _init_evaluation(self) -> None:
        self._init_judged_scores()

    def judges(self) -> dict[str, Any]:
        """``{"judge": ..., "class_judge": ...}``, those given (loaded on first use)."""
        if self.load_judges() and "judge" not in self._judges and self.mask_vector is None:
            rank_zero_warn("StarGAN: no evaluation.judge given, so the edits are not scored (edit_acc, fid_judge); "
                           "only cycle_l1 and D's own accuracy on real images (dcls_acc_real) are logged")
        judge = self._judges.get("judge")
        if judge is not None and judge.num_classes != self.num_domains:
            raise TLZooError(f"the judge {judge.checkpoint or ''} has {judge.num_classes} outputs but the data has "
                             f"{self.num_domains} {self.label_kind} ({self.domain_names}): it must classify them")
        return self._judges

    def _quality_metrics(self, features: list[Any]) -> Any:
        if not features:
            return None
        from tlzoo.metrics.image_quality import ImageTranslationMetrics

        return ImageTranslationMetrics(fid=True, kid=True, features=features,
                                       kid_subset_size=self.evaluation.kid_subset_size).to(self.device)

    def evaluation_targets(self, c_org: torch.Tensor) -> list[EditTarget]:
        """The evaluation edits of a batch (module docstring)."""
        if self.mask_vector is not None:
            return self.mask_vector.evaluation_targets(c_org, self.domain_names, self.exclusive_groups)
        return evaluation_targets(c_org, self.label_kind, self.domain_names, self.exclusive_groups)

    @torch.no_grad()
    def _eval_step(self, batch: Any, stage: str) -> None:
        x = batch[0]
        c_org = self.batch_labels(batch)
        classes = batch[1] if len(batch) == 3 else None
        judges = self.judges()
        judge, class_judge = judges.get("judge"), judges.get("class_judge")
        quality = self._stage_scores(stage)["quality"]
        real01 = self.spec.denormalize(x)
        _, cls_real = self.discriminator(x)
        if self.mask_vector is not None:  # D on each image's known data set, overall and per data set
            hits = self.mask_vector.hits(cls_real, c_org)
            self._update_mean(stage, "dcls_acc_real", hits)
            for j in range(self.mask_vector.n_sets):
                self._update_mean(stage, f"dcls_acc_real_set{j}", hits[batch[-1] == j])
        else:
            self._update_mean(stage, "dcls_acc_real", label_hits(cls_real, c_org, self.label_kind))
        if judge is not None:
            self._update_mean(stage, "judge_acc_real", label_hits(judge.logits(real01), c_org, self.label_kind))
        if class_judge is not None and classes is not None:
            self._update_mean(stage, "class_judge_acc_real", (class_judge.predict(real01) == classes).float())
        if quality is not None:
            quality.update(None, real01)
        for target in self.evaluation_targets(c_org):
            fake = self.edit(x, target.c)
            fake01 = self.spec.denormalize(fake)
            back01 = self.spec.denormalize(self.edit(fake, c_org))
            self._update_mean(stage, "cycle_l1", (back01 - real01).abs().flatten(1).mean(1))
            mask = target.mask
            if judge is not None:
                hits = target.hits(judge.logits(fake01[mask]))
                self._update_mean(stage, "edit_acc", hits)
                self._update_mean(stage, f"edit_acc_{target.name}", hits)
            if class_judge is not None and classes is not None:
                kept = (class_judge.predict(fake01[mask]) == classes[mask]).float()
                self._update_mean(stage, "class_kept", kept)
                self._update_mean(stage, f"class_kept_{target.name}", kept)
            if quality is not None and bool(mask.any()):
                quality.update(fake01[mask], None)

    def _eval_epoch_end(self, stage: str) -> None:
        metrics = self._stage_scores_by_name.get(stage)
        if not metrics:
            return
        for name, metric in metrics["means"].items():
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=".*was called before the ``update`` method.*")
                value = metric.compute()  # NaN: no image needed this edit (all already in that domain)
            if not torch.isnan(value):
                self.log(f"{stage}/{name}", value, prog_bar=stage == "val" and name in ("edit_acc", "cycle_l1"))
            metric.reset()
        if metrics["quality"] is not None:
            for name, value in metrics["quality"].compute().items():
                self.log(f"{stage}/{name}", value)
            metrics["quality"].reset()

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        self._eval_step(batch, "val")

    def on_validation_epoch_end(self) -> None:
        self._eval_epoch_end("val")

    def test_step(self, batch: Any, batch_idx: int) -> None:
        self._eval_step(batch, "test")

    def on_test_epoch_end(self) -> None:
        self._eval_epoch_end("test")


def label_hits(logits: torch.Tensor, c: torch.Tensor, kind: str) -> torch.Tensor:
    """Per-example accuracy of label logits against ``c``: argmax == domain (domains), or the share of attributes
    with ``(logit > 0) == c`` (attributes)."""
    if kind == "domains":
        return (logits.argmax(1) == c.argmax(1)).float()
    return ((logits > 0).float() == c).float().mean(1)
