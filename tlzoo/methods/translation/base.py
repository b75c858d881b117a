"""Shared skeleton of the image-to-image translation methods (pix2pix, CycleGAN, ...).

Data: a :class:`tlzoo.data.translation.TranslationDataModule`. Training batches are
``{"A": x_a, "B": x_b}`` (aligned pairs for paired data), evaluation batches ``{"A": (x, y), "B":
(x, y)}`` with ``y = -1`` where a domain has no labels, and each domain declares its pixel
normalisation (:class:`tlzoo.data.spec.ImageSpec`), so outputs can be shown and scored in [0, 1].

What every translation method gets here:

* ``translate(x_a)`` (A -> B) and, for two-way methods, ``translate_back(x_b)`` (B -> A).
* Evaluation on the held-out split, logged as ``val/...`` and ``test/...``:
  ``l1`` (paired data: mean absolute error in [0, 1] pixels), ``cycle_l1`` (two-way methods:
  ``|A -> B -> A - A|``, label-free), ``ssim`` and ``psnr`` (paired),
  ``label_preservation`` (the accuracy of a classifier of domain B, the *judge*, on translated A
  images w.r.t. their A labels), and ``fid_<features>`` / ``kid_<features>`` between translated A
  and real B images, with the judge's features (``fid_judge``) or Inception-v3 features
  (``fid_inception``, when the user has the weights file). Two-way methods log the same for
  B -> A with the ``_ba`` suffix when a judge of domain A is given.
* ``image_grid(batch)``: the rows the :class:`tlzoo.callbacks.ImageGrid` callback draws.
* ``tlzoo predict`` writes translated images (``predict_output = "images"``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
import torch.nn.functional as F

from tlzoo.core.adversarial import AdversarialMixin
from tlzoo.core.module import ZooModule, allow_in_checkpoints, keep_rng_states
from tlzoo.core.optim import OptimConfig
from tlzoo.data.spec import ImageSpec
from tlzoo.errors import TLZooError


@dataclass
class TranslationEval:
    """How translations are scored.

    Args:
        judge_b: checkpoint of a zoo classifier of domain B (e.g. ``SourceOnly`` trained by ``tlzoo fit``
            on real B images): label preservation of A -> B translations, and the features of
            ``fid_judge`` / ``kid_judge``.
        judge_a: the same for domain A (two-way methods: B -> A translations).
        inception_weights: path of the FID Inception-v3 weights (``pt_inception-2015-12-05-6726825d.pth``):
            adds ``fid_inception`` / ``kid_inception``.
        fid: compute FID/KID (with each available feature extractor).
        kid_subset_size: KID subset size (clamped to the number of evaluation images).
        fcn_segmenter: checkpoint of a ``Segmenter`` trained on real photos of domain B: the "FCN-scores" of
            labels -> photo translation (Isola et al. 2017, Sec. 4.2): the segmenter labels the generated
            photos, scored against the input label maps (``fcn_pixel_acc``, ``fcn_mean_class_acc``,
            ``fcn_mean_iou``). Needs a data module with ``eval_label_maps`` (``CityscapesLabelsToPhoto``).
    """

    judge_b: str | None = None
    judge_a: str | None = None
    inception_weights: str | None = None
    fid: bool = True
    kid_subset_size: int = 100
    fcn_segmenter: str | None = None


allow_in_checkpoints(TranslationEval)


def check_input_channels(method: str, channels_a: int, input_shape: tuple[int, ...] | None) -> None:
    """Refuse, before any training, a method built for other images than the data's domain A."""
    if input_shape is not None and len(input_shape) == 3 and input_shape[0] != channels_a:
        raise TLZooError(f"{method} was configured for {channels_a}-channel A images but the data's domain A has "
                         f"{input_shape[0]} channels ({tuple(input_shape)}): set --model.init_args.channels_a "
                         f"{input_shape[0]} (and channels_b to the channels of domain B)")


class TranslationMethod(AdversarialMixin, ZooModule):
    """Base of the translation methods (not used directly); subclasses build their networks, define
    :meth:`translate` (and :meth:`translate_back`), :meth:`configure_players` and ``training_step``."""

    predict_output = "images"
    #: Two-way methods translate B -> A too.
    two_way = False

    def __init__(self, channels_a: int, channels_b: int, evaluation: TranslationEval | None = None,
                 input_shape: tuple[int, ...] | None = None) -> None:
        super().__init__()
        check_input_channels(type(self).__name__, channels_a, input_shape)
        self.channels_a, self.channels_b = channels_a, channels_b
        self.evaluation = evaluation or TranslationEval()
        self.spec_a: ImageSpec | None = None
        self.spec_b: ImageSpec | None = None
        self.paired = False
        self._metrics: dict[str, Any] = {}
        self._fcn: Any = None
        self._eval_seen = 0

    # -- to implement -------------------------------------------------------------------------
    def translate(self, x_a: torch.Tensor) -> torch.Tensor:
        """A -> B, in B's normalisation."""
        raise NotImplementedError

    def translate_back(self, x_b: torch.Tensor) -> torch.Tensor | None:
        """B -> A (two-way methods), else ``None``."""
        return None

    def forward(self, x_a: torch.Tensor) -> torch.Tensor:
        """A -> B."""
        return self.translate(x_a)

    # -- training -----------------------------------------------------------------------------
    def step_with_parts(self, name: str, losses: Callable[[], dict[str, torch.Tensor]]
                        ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """One ``player_step`` of player ``name`` on ``losses()["total"]`` (``losses`` runs inside the step).

        Returns the detached total and every term ``losses()`` computed, for logging or a later player's step.
        """
        parts: dict[str, torch.Tensor] = {}

        def objective() -> torch.Tensor:
            parts.update(losses())
            return parts["total"]

        return self.player_step(name, objective), parts

    # -- data ---------------------------------------------------------------------------------
    def setup(self, stage: str) -> None:
        datamodule = getattr(self.trainer, "datamodule", None)
        spec_a, spec_b = getattr(datamodule, "spec_a", None), getattr(datamodule, "spec_b", None)
        if spec_a is None or spec_b is None:
            raise TLZooError(f"{type(self).__name__} needs a translation data module (two image domains A and B, "
                             f"e.g. PairedFolders, UnpairedFolders, MNISTMPaired, UnpairedDigits); got "
                             f"{type(datamodule).__name__}")
        want_a, want_b = self.channels_a, self.channels_b
        if (spec_a.channels, spec_b.channels) != (want_a, want_b):
            raise TLZooError(
                f"{type(self).__name__} was built for {want_a}-channel A and {want_b}-channel B images but the data "
                f"has {spec_a.channels} and {spec_b.channels}: set --model.init_args.channels_a "
                f"{spec_a.channels} --model.init_args.channels_b {spec_b.channels}")
        self.spec_a, self.spec_b = spec_a, spec_b
        self.paired = bool(getattr(datamodule, "paired", False))

    # -- evaluation ---------------------------------------------------------------------------
    def _metric_set(self, stage: str, direction: str) -> Any:
        key = f"{stage}_{direction}"
        if key not in self._metrics:
            from tlzoo.metrics.translation import build_translation_metrics

            with keep_rng_states():  # judges and feature networks are built with random weights first
                self._metrics[key] = build_translation_metrics(
                    self.evaluation, direction, paired=self.paired and direction == "ab").to(self.device)
        return self._metrics[key]

    def _fcn_score(self) -> Any:
        """The FCN-score of A -> B translations (``evaluation.fcn_segmenter``), built on first use."""
        if self._fcn is None and self.evaluation.fcn_segmenter:
            from tlzoo.metrics.fcn_score import FCNScore

            if not callable(getattr(self.trainer.datamodule, "eval_label_maps", None)):
                raise TLZooError("evaluation.fcn_segmenter needs a data module whose evaluation photos have label "
                                 "maps (eval_label_maps), e.g. CityscapesLabelsToPhoto")
            with keep_rng_states():
                self._fcn = FCNScore(self.evaluation.fcn_segmenter)
        return self._fcn

    def _eval_step(self, batch: dict[str, Any], stage: str) -> None:
        assert self.spec_a is not None and self.spec_b is not None
        a, b = batch.get("A"), batch.get("B")
        real_b = self.spec_b.denormalize(b[0]) if b is not None else None
        real_a = self.spec_a.denormalize(a[0]) if a is not None else None
        fake_b = labels_a = target = None
        if a is not None:
            translated = self.translate(a[0])
            fake_b, labels_a = self.spec_b.denormalize(translated), a[1]
            back = self.translate_back(translated)
            if back is not None:
                self.log(f"{stage}/cycle_l1", F.l1_loss(self.spec_a.denormalize(back), real_a),
                         prog_bar=stage == "val", batch_size=len(fake_b))
            if self.paired and real_b is not None:
                target = real_b
                self.log(f"{stage}/l1", F.l1_loss(fake_b, target), prog_bar=stage == "val", batch_size=len(fake_b))
            fcn = self._fcn_score()
            if fcn is not None:  # evaluation order (one process): items seen .. seen + n have these label maps
                n = len(fake_b)
                fcn.update(fake_b, self.trainer.datamodule.eval_label_maps(
                    range(self._eval_seen, self._eval_seen + n)).to(fake_b.device))
                self._eval_seen += n
        self._metric_set(stage, "ab").update(fake_b, real_b, source_labels=labels_a, target01=target)
        if self.two_way:
            fake_a = labels_b = None
            if b is not None:
                back = self.translate_back(b[0])
                fake_a = self.spec_a.denormalize(back) if back is not None else None
                labels_b = b[1]
            self._metric_set(stage, "ba").update(fake_a, real_a, source_labels=labels_b)

    def _eval_epoch_end(self, stage: str) -> None:
        if self._fcn is not None:
            scores = self._fcn.compute()
            for name in ("pixel_acc", "mean_class_acc", "mean_iou"):
                self.log(f"{stage}/fcn_{name}", scores[name])
            self._fcn.reset()
        self._eval_seen = 0
        for direction in ("ab", "ba"):
            metrics = self._metrics.get(f"{stage}_{direction}")
            if metrics is None:
                continue
            suffix = "" if direction == "ab" else "_ba"
            for name, value in metrics.compute().items():
                self.log(f"{stage}/{name}{suffix}", value, prog_bar=stage == "val" and name == "label_preservation")
            metrics.reset()

    def validation_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        self._eval_step(batch, "val")

    def on_validation_epoch_end(self) -> None:
        self._eval_epoch_end("val")

    def test_step(self, batch: dict[str, Any], batch_idx: int) -> None:
        self._eval_step(batch, "test")

    def on_test_epoch_end(self) -> None:
        self._eval_epoch_end("test")

    def predict_step(self, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> dict[str, torch.Tensor]:
        x = batch[0] if isinstance(batch, (list, tuple)) else batch
        return {"images": self.spec_b.denormalize(self.translate(x))}  # type: ignore[union-attr]

    # -- pictures -----------------------------------------------------------------------------
    @torch.no_grad()
    def image_grid(self, batch: dict[str, Any]) -> list[tuple[str, torch.Tensor]]:
        """Rows for :class:`tlzoo.callbacks.ImageGrid`: A | A->B (| A->B->A) (| real B), and for two-way
        methods B | B->A | B->A->B. Images in [0, 1]."""
        assert self.spec_a is not None and self.spec_b is not None
        rows: list[tuple[str, torch.Tensor]] = []
        a, b = batch.get("A"), batch.get("B")
        if a is not None:
            x_a = a[0].to(self.device)
            fake_b = self.translate(x_a)
            rows += [("A", self.spec_a.denormalize(x_a)), ("A->B", self.spec_b.denormalize(fake_b))]
            back = self.translate_back(fake_b)
            if back is not None:
                rows.append(("A->B->A", self.spec_a.denormalize(back)))
            if self.paired and b is not None:
                rows.append(("B (truth)", self.spec_b.denormalize(b[0].to(self.device))))
        if self.two_way and b is not None:
            x_b = b[0].to(self.device)
            fake_a = self.translate_back(x_b)
            if fake_a is not None:
                rows += [("B", self.spec_b.denormalize(x_b)), ("B->A", self.spec_a.denormalize(fake_a)),
                         ("B->A->B", self.spec_b.denormalize(self.translate(fake_a)))]
        return rows


class TwoGeneratorTranslation(TranslationMethod):
    """Base of the methods with one generator per direction, ``generator_ab`` (A -> B) and ``generator_ba``
    (B -> A), and one judge (discriminator or critic) per domain (CycleGAN, DualGAN, DiscoGAN): building the
    four networks, translation both ways, export of the A -> B generator, and the two player groups (both
    generators, both judges) with one optimiser configuration, ``optim_cfg``."""

    two_way = True
    generator_ab: torch.nn.Module
    generator_ba: torch.nn.Module
    optim_cfg: OptimConfig

    def build_networks(self, generator: Callable[[int, int], torch.nn.Module],
                       judge: Callable[[int], torch.nn.Module]) -> tuple[torch.nn.Module, torch.nn.Module]:
        """Set ``generator_ab = generator(channels_a, channels_b)`` and ``generator_ba`` (the reverse), then
        build and return the judges of domain A and of domain B, ``judge(channels_a)`` and ``judge(channels_b)``
        (built in this order: the initial weights follow the random state)."""
        self.generator_ab = generator(self.channels_a, self.channels_b)
        self.generator_ba = generator(self.channels_b, self.channels_a)
        return judge(self.channels_a), judge(self.channels_b)

    def two_players(self, judges: str, judge_a: torch.nn.Module, judge_b: torch.nn.Module,
                    judges_first: bool) -> dict[str, tuple[Any, OptimConfig]]:
        """The players ``"generators"`` (both generators) and ``judges`` (both judges), each with ``optim_cfg``;
        ``judges_first`` puts the judges' optimiser first."""
        judge_player = (judges, (list(judge_a.parameters()) + list(judge_b.parameters()), self.optim_cfg))
        generator_player = ("generators", (self.generator_parameters(), self.optim_cfg))
        return dict([judge_player, generator_player] if judges_first else [generator_player, judge_player])

    def export_module(self) -> tuple[torch.nn.Module, int]:
        """The A -> B generator and its input channels (``tlzoo export``)."""
        return self.generator_ab, self.channels_a

    def translate(self, x_a: torch.Tensor) -> torch.Tensor:
        return self.generator_ab(x_a)

    def translate_back(self, x_b: torch.Tensor) -> torch.Tensor:
        return self.generator_ba(x_b)

    def generator_parameters(self) -> list[torch.nn.Parameter]:
        """Both generators' parameters (one optimiser steps them together)."""
        return list(self.generator_ab.parameters()) + list(self.generator_ba.parameters())
