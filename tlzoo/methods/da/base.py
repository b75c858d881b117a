"""Shared skeleton of the domain-adaptation LightningModules.

Each method is ``features = bottleneck(backbone(x))`` and ``logits = classifier(features)``,
trained on ``{"source": (x_s, y_s), "target": x_t}`` batches (see
:mod:`tlzoo.data.base`). This base class owns what every method does the same way:
building the networks, the optimiser and the DANN learning-rate annealing, and evaluation.

Evaluation and model selection
------------------------------
Validation and test loaders are ``[source_val, target_test]``. The module logs
``val/source_acc`` and ``val/target_acc`` (and ``test/...``), plus ``val/target_entropy``, the
mean prediction entropy on the *unlabelled target adaptation split* (not the test split: label-free
criteria that may select checkpoints never see test images; :meth:`adaptation_split_logits`). The default checkpoint
monitor is ``val/source_acc`` (held-out *source* accuracy): selection never looks at target
labels. Selecting on ``val/target_acc`` is the "oracle" protocol and must be asked for
explicitly (``--checkpoint.monitor val/target_acc``); it is an upper bound, not a result.
"""

from __future__ import annotations

from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import nn
from torchmetrics.classification import MulticlassAccuracy

from tlzoo.core.module import ZooModule, allow_in_checkpoints, keep_rng_states
from tlzoo.core.optim import OptimConfig, build_optimizer, build_scheduler, lr_factor
from tlzoo.nn.backbones import BackboneConfig, build_backbone, mlp_head

__all__ = ["DomainAdaptationMethod", "OptimConfig", "lr_factor", "prediction_entropy"]

SPLIT_NAMES = ("source", "target")


# Checkpoints store this dataclass in their hyper-parameters (OptimConfig is registered by tlzoo.core).
allow_in_checkpoints(BackboneConfig)


def prediction_entropy(logits: torch.Tensor) -> torch.Tensor:
    """Per-example Shannon entropy (nats) of ``softmax(logits)``."""
    log_p = F.log_softmax(logits.float(), dim=1)
    return -(log_p.exp() * log_p).sum(dim=1)


class DomainAdaptationMethod(ZooModule):
    """Base of every classifier-based domain-adaptation method (not used directly).

    Args:
        num_classes: number of classes (linked from the data module by the CLI).
        input_shape: input shape without batch, ``(C, H, W)`` or ``(D,)`` (linked from the data).
        backbone: feature extractor (see :mod:`tlzoo.nn.backbones`).
        bottleneck_dim: if > 0, a ``Linear-BatchNorm-ReLU`` bottleneck of this width on top of the
            backbone (the features that the adaptation losses see).
        classifier_hidden: hidden widths of the label classifier.
        dropout: dropout in the label classifier.
        optim: optimiser and schedule.
    """

    #: Selection on held-out *source* accuracy: never on target labels.
    default_monitor = ("val/source_acc", "max")

    def __init__(
        self,
        num_classes: int,
        input_shape: tuple[int, ...],
        backbone: BackboneConfig | None = None,
        bottleneck_dim: int = 0,
        classifier_hidden: tuple[int, ...] = (100, 100),
        dropout: float = 0.0,
        optim: OptimConfig | None = None,
    ) -> None:
        super().__init__()
        self.num_classes = num_classes
        self.input_shape = tuple(input_shape)
        self.backbone_cfg = backbone or BackboneConfig()
        self.optim_cfg = optim or OptimConfig()
        self.backbone = build_backbone(self.backbone_cfg, self.input_shape)
        if bottleneck_dim > 0:
            self.bottleneck: nn.Module = nn.Sequential(
                nn.Linear(self.backbone.out_dim, bottleneck_dim), nn.BatchNorm1d(bottleneck_dim), nn.ReLU(inplace=True)
            )
            self.feature_dim = bottleneck_dim
        else:
            self.bottleneck = nn.Identity()
            self.feature_dim = self.backbone.out_dim
        self.classifier = mlp_head(self.feature_dim, classifier_hidden, num_classes, dropout)
        self.eval_acc = nn.ModuleDict(
            {
                stage: nn.ModuleDict({s: MulticlassAccuracy(num_classes, average="micro") for s in SPLIT_NAMES})
                for stage in ("val", "test")
            }
        )

    # -- networks -----------------------------------------------------------------------------
    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.bottleneck(self.backbone(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits."""
        return self.classifier(self.features(x))

    def domain_features(self, x: torch.Tensor, domain: Literal["source", "target"]) -> torch.Tensor:
        """The features this method uses for images of ``domain`` (one shared encoder here; methods
        with one encoder per domain, such as ADDA, override it). Analysis tools call this."""
        return self.features(x)

    def domain_logits(self, x: torch.Tensor, domain: Literal["source", "target"]) -> torch.Tensor:
        """Class logits of images of ``domain``."""
        return self.classifier(self.domain_features(x, domain))

    # -- evaluation ---------------------------------------------------------------------------
    def _eval_step(self, batch: Any, dataloader_idx: int, stage: str) -> dict[str, torch.Tensor]:
        x, y = batch
        logits = self(x)
        split = SPLIT_NAMES[dataloader_idx]
        acc = self.eval_acc[stage][split]
        acc(logits, y)
        self.log(f"{stage}/{split}_acc", acc, add_dataloader_idx=False, prog_bar=stage == "val")
        if split == "target" and stage == "test":
            self.log(f"{stage}/target_entropy", prediction_entropy(logits).mean(), add_dataloader_idx=False)
        elif split == "source":
            self.log(f"{stage}/source_loss", F.cross_entropy(logits, y), add_dataloader_idx=False)
        return {"logits": logits.detach()}

    # -- label-free criteria on the adaptation split ------------------------------------------
    #: At most this many examples of the unlabelled target adaptation split feed the label-free criteria.
    label_free_examples: int = 2000

    def adaptation_split_logits(self) -> torch.Tensor | None:
        """Target logits on the *unlabelled adaptation split* (``datamodule.target_train``, the data the method
        adapts on), never on the target test split: what label-free selection criteria may look at. At most
        :attr:`label_free_examples` examples (the first ones; fewer under ``limit_val_batches``), computed once
        per validation and shared by every criterion. Images come with the split's own transform; the global
        random generators are restored afterwards, so measuring does not change training."""
        from torch.utils.data import DataLoader, Subset

        from tlzoo.data.base import Unlabeled

        trainer = self._trainer
        data = getattr(getattr(trainer, "datamodule", None), "target_train", None) if trainer else None
        if trainer is None or data is None:
            return None
        key = (trainer.current_epoch, trainer.global_step)
        cached = getattr(self, "_adaptation_logits", None)
        if cached is not None and cached[0] == key:
            return cached[1]
        batch_size = int(getattr(trainer.datamodule, "batch_size", 64))
        n = min(len(data), self.label_free_examples)
        limit = trainer.limit_val_batches
        if isinstance(limit, int):
            n = min(n, limit * batch_size)
        elif limit is not None and limit < 1.0:
            n = max(1, int(n * limit))
        loader = DataLoader(Subset(Unlabeled(data), range(n)), batch_size=batch_size)
        with torch.no_grad(), keep_rng_states():  # a measurement: training draws the same random numbers
            logits = torch.cat([self(x.to(self.device)).float() for x in loader]) if n else torch.empty(0)
        self._adaptation_logits = (key, logits)
        return logits

    def on_validation_epoch_end(self) -> None:
        """Logs ``val/target_entropy``: mean prediction entropy on the adaptation split (label-free)."""
        logits = self.adaptation_split_logits()
        if logits is not None and len(logits):
            self.log("val/target_entropy", prediction_entropy(logits).mean())

    def validation_step(self, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> dict[str, torch.Tensor]:
        """Logs accuracy; returns the logits for label-free validators (callbacks)."""
        return self._eval_step(batch, dataloader_idx, "val")

    def test_step(self, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> dict[str, torch.Tensor]:
        return self._eval_step(batch, dataloader_idx, "test")

    def predict_step(self, batch: Any, batch_idx: int, dataloader_idx: int = 0) -> dict[str, torch.Tensor]:
        x, y = batch
        logits = self(x)
        return {"pred": logits.argmax(1), "prob": logits.softmax(1), "label": y}

    # -- optimisation -------------------------------------------------------------------------
    def parameter_groups(self) -> list[dict[str, Any]]:
        """Backbone at ``lr * backbone_lr_mult``, everything else at ``lr``."""
        backbone_ids = {id(p) for p in self.backbone.parameters()}
        rest = [p for p in self.parameters() if id(p) not in backbone_ids and p.requires_grad]
        backbone = [p for p in self.backbone.parameters() if p.requires_grad]
        groups = [{"params": backbone, "lr_mult": self.optim_cfg.backbone_lr_mult}]
        if rest:
            groups.append({"params": rest, "lr_mult": 1.0})
        return groups

    def build_optimizer(self, groups: list[dict[str, Any]]) -> torch.optim.Optimizer:
        return build_optimizer(groups, self.optim_cfg)

    def build_scheduler(self, optimizer: torch.optim.Optimizer) -> dict[str, Any]:
        """Stepped once per batch over the whole run."""
        return {"scheduler": build_scheduler(optimizer, self.optim_cfg, lambda: self.total_batches),
                "interval": "step"}

    def configure_optimizers(self) -> Any:
        optimizer = self.build_optimizer(self.parameter_groups())
        return {"optimizer": optimizer, "lr_scheduler": self.build_scheduler(optimizer)}
