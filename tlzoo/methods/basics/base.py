"""Shared skeleton of the supervised image classifiers (the "classifier ladder").

A classifier is one network ``f`` (``self.net``, assigned by the subclass after ``super().__init__``) trained on
the ``(x, y)`` batches of a :class:`~tlzoo.data.labelled.ClassificationDataModule` by minimising the
cross-entropy ``E_(x,y) [-log softmax(f(x))_y]``.

``features(x)`` (the penultimate layer, the input of the final linear layer ``head()``) makes every
classifier usable as a judge / feature extractor (:func:`tlzoo.metrics.judge.load_judge`, FID / KID in its
feature space).

Logged: ``train/loss`` and ``train/acc`` (throttled, see :meth:`~tlzoo.core.module.ZooModule.log_train`);
``val/loss`` and ``val/acc`` every validation (``val/acc`` selects the checkpoint: :attr:`default_monitor`);
at test time ``test/loss``, ``test/acc``, ``test/mean_class_acc`` and ``test/acc_<class name>`` per class,
from one confusion matrix summed over the test set (kept in :attr:`ImageClassifier.test_confusion` for the
:class:`~tlzoo.callbacks.classifier_figures.ClassifierFigures` callback). ``tlzoo predict`` writes a CSV of
``pred, confidence, label`` per test example.
"""

from __future__ import annotations

import re
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torchmetrics.classification import MulticlassAccuracy, MulticlassConfusionMatrix

from tlzoo.core.module import ZooModule
from tlzoo.core.optim import OptimConfig, build_optimizer, build_scheduler


class ImageClassifier(ZooModule):
    """Base of the supervised classifiers (not used directly; see the module docstring).

    Args:
        num_classes: number of classes (linked from the data module by the CLI).
        input_shape: ``(C, H, W)`` (linked from the data module).
        optim: optimiser and learning-rate schedule.
        label_smoothing: cross-entropy label smoothing (0: none).
    """

    default_monitor = ("val/acc", "max")
    predict_output = "classes"

    def __init__(self, num_classes: int, input_shape: tuple[int, ...], optim: OptimConfig | None = None,
                 label_smoothing: float = 0.0) -> None:
        super().__init__()
        self.num_classes = int(num_classes)
        self.input_shape = tuple(int(s) for s in input_shape)
        self.optim_cfg = optim or OptimConfig(name="sgd", lr=0.01, schedule="cosine")
        self.label_smoothing = label_smoothing
        self.net: nn.Module = nn.Identity()  # the subclass assigns the network after this __init__
        self.val_acc = MulticlassAccuracy(self.num_classes, average="micro")
        self.test_acc = MulticlassAccuracy(self.num_classes, average="micro")
        self.test_cm = MulticlassConfusionMatrix(self.num_classes)
        self.class_names = [str(i) for i in range(self.num_classes)]
        #: ``(K, K)`` confusion matrix of the last test run (rows: true class, columns: predicted), or ``None``.
        self.test_confusion: torch.Tensor | None = None

    # -- networks -----------------------------------------------------------------------------
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits."""
        return self.net(x)

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Penultimate features ``(N, feature_dim)``: the input of the last (linear) layer, so that
        ``self.head()(self.features(x)) == self(x)``.

        This is the interface of a zoo classifier that :class:`tlzoo.metrics.judge.Judge` and
        :class:`tlzoo.metrics.features.ClassifierFeatures` use (judge accuracy, FID / KID in the classifier's
        feature space), so a checkpoint of any rung of the ladder can be loaded with
        :func:`tlzoo.metrics.judge.load_judge`.
        """
        raise NotImplementedError(f"{type(self).__name__} does not define features(x)")

    def head(self) -> nn.Linear:
        """The last layer, mapping :meth:`features` to the class logits."""
        raise NotImplementedError(f"{type(self).__name__} does not define head()")

    @property
    def feature_dim(self) -> int:
        """Dimension of :meth:`features`."""
        return int(self.head().in_features)

    def setup(self, stage: str) -> None:
        datamodule = getattr(self.trainer, "datamodule", None) if self._trainer is not None else None
        names = getattr(datamodule, "class_names", None)
        if names and len(names) == self.num_classes:
            self.class_names = [str(n) for n in names]

    # -- steps --------------------------------------------------------------------------------
    def training_step(self, batch: Any, batch_idx: int) -> torch.Tensor:
        x, y = batch
        logits = self(x)
        loss = F.cross_entropy(logits, y, label_smoothing=self.label_smoothing)
        acc = (logits.detach().argmax(1) == y).float().mean()
        self.log_train({"train/loss": loss.detach(), "train/acc": acc})
        return loss

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        x, y = batch
        logits = self(x)
        self.val_acc(logits, y)
        self.log("val/loss", F.cross_entropy(logits, y))
        self.log("val/acc", self.val_acc, prog_bar=True)

    def test_step(self, batch: Any, batch_idx: int) -> None:
        x, y = batch
        logits = self(x)
        self.test_acc(logits, y)
        self.test_cm(logits, y)
        self.log("test/loss", F.cross_entropy(logits, y))
        self.log("test/acc", self.test_acc)

    def on_test_epoch_end(self) -> None:
        cm = self.test_cm.compute().cpu()
        self.test_cm.reset()
        self.test_confusion = cm
        per_class = per_class_accuracy(cm)
        present = cm.sum(1) > 0
        self.log("test/mean_class_acc", per_class[present].mean() if present.any() else torch.tensor(0.0))
        for name, acc, seen in zip(self.class_names, per_class.tolist(), present.tolist()):
            if seen:
                self.log(f"test/acc_{metric_name(name)}", acc)

    def predict_step(self, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> dict[str, torch.Tensor]:
        x, y = batch
        logits = self(x)
        return {"pred": logits.argmax(1), "prob": logits.softmax(1), "label": y}

    # -- optimisation -------------------------------------------------------------------------
    def configure_optimizers(self) -> Any:
        optimizer = build_optimizer([p for p in self.parameters() if p.requires_grad], self.optim_cfg)
        scheduler = build_scheduler(optimizer, self.optim_cfg, lambda: self.total_batches)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}


def per_class_accuracy(confusion: torch.Tensor) -> torch.Tensor:
    """Recall of each class from a ``(K, K)`` confusion matrix (rows: true class); 0 for absent classes."""
    confusion = confusion.double()
    return (confusion.diagonal() / confusion.sum(1).clamp_min(1)).float()


def metric_name(class_name: str) -> str:
    """A class name usable in a metric key (``airplane``, ``3``; spaces and symbols become ``_``)."""
    return re.sub(r"[^0-9A-Za-z_]+", "_", class_name).strip("_") or "class"
