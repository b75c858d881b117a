"""Translation methods that can also learn from source labels: one method, two data contracts.

Some translation methods are also domain-adaptation methods (UNIT's Sec. 5 classifies target digits; DTN
pre-trains its encoder ``f`` on labelled source digits). :class:`LabelledSourceTranslation` lets such a
method run on either contract, with no change to any data module:

* a :class:`~tlzoo.data.translation.TranslationDataModule` (``{"A": x_a, "B": x_b}`` training batches, one
  combined evaluation loader): plain translation, as every :class:`TranslationMethod`;
* a :class:`~tlzoo.data.base.DomainAdaptationDataModule` (``USPSMNIST``, ``SVHNToMNIST``,
  ``EmbeddedDigits``: ``{"source": (x_s, y_s), "target": x_t}`` training batches; evaluation loaders
  ``[source_val, target_test]``): A = source (labelled), B = target (unlabelled). The evaluation splits are
  the DA protocol's, so target accuracies are comparable with DANN / ADDA on the same data.

Training steps call :func:`split_batch` to get ``(x_a, y_a or None, x_b)``. Evaluation on DA data scores the
translations with the same metric set as translation data (judges, FID/KID): source validation images play
the A evaluation split and target test images the B split; subclasses add their classifier accuracies in
:meth:`LabelledSourceTranslation.classify_eval`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torchmetrics.classification import MulticlassAccuracy

from tlzoo.data.base import DomainAdaptationDataModule
from tlzoo.data.spec import ImageSpec
from tlzoo.errors import TLZooError
from tlzoo.methods.translation.base import TranslationMethod

#: Evaluation loaders of the DA contract, by ``dataloader_idx``.
DA_SPLITS = ("source", "target")


def split_accuracies(num_classes: int) -> nn.ModuleDict:
    """One accuracy metric per evaluation stage (``val``, ``test``) and DA split (``source``, ``target``):
    ``[stage][split]``."""
    return nn.ModuleDict({stage: nn.ModuleDict({split: MulticlassAccuracy(num_classes, average="micro")
                                                for split in DA_SPLITS}) for stage in ("val", "test")})


def split_batch(batch: dict[str, Any]) -> tuple[torch.Tensor, torch.Tensor | None, torch.Tensor]:
    """``(x_a, y_a, x_b)`` of a training batch of either contract (``y_a`` is ``None`` for translation data)."""
    if "source" in batch:
        x_s, y_s = batch["source"]
        return x_s, y_s, batch["target"]
    return batch["A"], None, batch["B"]


class LabelledSourceTranslation(TranslationMethod):
    """A :class:`TranslationMethod` that also accepts domain-adaptation data (module docstring).

    After :meth:`setup`, ``self.labelled_source`` says whether training batches carry source labels. Subclasses
    with a classifier set ``eval_acc = split_accuracies(num_classes)`` and log it with :meth:`log_split_accuracy`.
    """

    eval_acc: nn.ModuleDict

    def __init__(self, channels_a: int, channels_b: int, evaluation: Any = None,
                 input_shape: tuple[int, ...] | None = None) -> None:
        super().__init__(channels_a, channels_b, evaluation, input_shape)
        self.labelled_source = False

    def setup(self, stage: str) -> None:
        datamodule = getattr(self.trainer, "datamodule", None)
        if not isinstance(datamodule, DomainAdaptationDataModule):
            super().setup(stage)
            self.labelled_source = False
            return
        shape = tuple(datamodule.input_shape)
        if len(shape) != 3:
            raise TLZooError(f"{type(self).__name__} translates images; {type(datamodule).__name__} gives "
                             f"{shape}-shaped examples (feature vectors)")
        # DA digit modules normalise to [-1, 1] (mean = std = 0.5) in both domains of one shape
        spec_a = getattr(datamodule, "spec_a", None) or ImageSpec.symmetric(shape[0], (shape[1], shape[2]))
        spec_b = getattr(datamodule, "spec_b", None) or spec_a
        if (spec_a.channels, spec_b.channels) != (self.channels_a, self.channels_b):
            raise TLZooError(
                f"{type(self).__name__} was built for {self.channels_a}-channel source and {self.channels_b}-channel "
                f"target images but {type(datamodule).__name__} has {spec_a.channels} and {spec_b.channels}: set "
                f"--model.init_args.channels_a {spec_a.channels} --model.init_args.channels_b {spec_b.channels}")
        self.spec_a, self.spec_b = spec_a, spec_b
        self.paired = False
        self.labelled_source = True

    # -- evaluation ---------------------------------------------------------------------------
    def classify_eval(self, x: torch.Tensor, y: torch.Tensor, split: str, stage: str) -> None:
        """Subclasses with a classifier log ``{stage}/{split}_acc`` here (DA data only; ``split`` is
        ``source`` or ``target``)."""

    def log_split_accuracy(self, classifier: Callable[[torch.Tensor, str], torch.Tensor], x: torch.Tensor,
                           y: torch.Tensor, split: str, stage: str, name: str, prog_bar: bool = False) -> None:
        """Score ``classifier(x, domain)`` (``domain`` ``"a"`` for the source split, ``"b"`` for the target) against
        ``y`` with ``self.eval_acc[stage][split]`` (built by :func:`split_accuracies`) and log it as
        ``{stage}/{name}``."""
        acc = self.eval_acc[stage][split]
        acc(classifier(x, "a" if split == "source" else "b"), y)
        self.log(f"{stage}/{name}", acc, add_dataloader_idx=False, prog_bar=prog_bar)

    def _da_eval_step(self, batch: Any, stage: str, dataloader_idx: int) -> None:
        assert self.spec_a is not None and self.spec_b is not None
        x, y = batch
        split = DA_SPLITS[dataloader_idx]
        metrics = self._metric_set(stage, "ab")
        if split == "source":
            translated = self.translate(x)
            back = self.translate_back(translated)
            if back is not None:
                self.log(f"{stage}/cycle_l1", F.l1_loss(self.spec_a.denormalize(back), self.spec_a.denormalize(x)),
                         batch_size=len(x), add_dataloader_idx=False)
            metrics.update(self.spec_b.denormalize(translated), None, source_labels=y)
        else:
            metrics.update(None, self.spec_b.denormalize(x), source_labels=None)
        self.classify_eval(x, y, split, stage)

    def validation_step(self, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> None:
        if self.labelled_source:
            self._da_eval_step(batch, "val", dataloader_idx)
        else:
            self._eval_step(batch, "val")

    def test_step(self, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> None:
        if self.labelled_source:
            self._da_eval_step(batch, "test", dataloader_idx)
        else:
            self._eval_step(batch, "test")

    @torch.no_grad()
    def image_grid(self, batch: Any) -> list[tuple[str, torch.Tensor]]:
        """As :meth:`TranslationMethod.image_grid`; a DA validation batch ``(x_source, y)`` is the A row."""
        if isinstance(batch, (list, tuple)):
            batch = {"A": tuple(batch)}
        return super().image_grid(batch)
