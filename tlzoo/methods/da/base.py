"""Shared skeleton of the domain-adaptation LightningModules.

Each method is ``features = bottleneck(backbone(x))`` and ``logits = classifier(features)``,
trained on ``{"source": (x_s, y_s), "target": x_t}`` batches (see
:mod:`tlzoo.data.base`). This base class owns what every method does the same way:
building the networks, the optimiser and the DANN learning-rate annealing, and evaluation.

Evaluation and model selection
------------------------------
Validation and test loaders are ``[source_val, target_test]``. The module logs
``val/source_acc`` and ``val/target_acc`` (and ``test/...``), plus ``val/target_entropy``, the
mean prediction entropy on target data, which needs no target labels. The default checkpoint
monitor is ``val/source_acc`` (held-out *source* accuracy): selection never looks at target
labels. Selecting on ``val/target_acc`` is the "oracle" protocol and must be asked for
explicitly (``--checkpoint.monitor val/target_acc``); it is an upper bound, not a result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import torch
import torch.nn.functional as F
from lightning.pytorch import LightningModule
from torch import nn
from torchmetrics.classification import MulticlassAccuracy

from tlzoo.nn.backbones import BackboneConfig, build_backbone, mlp_head

SPLIT_NAMES = ("source", "target")


@dataclass
class OptimConfig:
    """Optimiser and learning-rate schedule.

    The ``dann`` schedule is DANN's annealing ``mu_p = lr / (1 + alpha * p) ** beta`` with
    training progress ``p`` in [0, 1] (Ganin et al., JMLR 2016, Sec. 5.2.2: alpha=10, beta=0.75).

    Args:
        name: ``sgd`` or ``adam``.
        lr: base learning rate (of the new layers).
        momentum: SGD momentum.
        weight_decay: L2 penalty.
        nesterov: Nesterov momentum for SGD.
        schedule: ``dann``, ``cosine`` or ``constant``.
        alpha: DANN annealing alpha.
        beta: DANN annealing beta.
        backbone_lr_mult: learning-rate multiplier of the backbone (0.1 for an ImageNet-pretrained
            ResNet, as in most Office-31 code).
    """

    name: Literal["sgd", "adam"] = "sgd"
    lr: float = 0.01
    momentum: float = 0.9
    weight_decay: float = 0.0
    nesterov: bool = False
    schedule: Literal["dann", "cosine", "constant"] = "dann"
    alpha: float = 10.0
    beta: float = 0.75
    backbone_lr_mult: float = 1.0


# Checkpoints store these dataclasses in their hyper-parameters; allow them under torch.load's
# weights_only=True default so ``Method.load_from_checkpoint(path)`` works outside the CLI too.
torch.serialization.add_safe_globals([BackboneConfig, OptimConfig])


def lr_factor(cfg: OptimConfig, progress: float) -> float:
    """Multiplier of the base learning rate at training progress ``progress`` in [0, 1]."""
    p = min(max(progress, 0.0), 1.0)
    if cfg.schedule == "dann":
        return (1.0 + cfg.alpha * p) ** (-cfg.beta)
    if cfg.schedule == "cosine":
        return 0.5 * (1.0 + torch.cos(torch.tensor(torch.pi * p)).item())
    return 1.0


def prediction_entropy(logits: torch.Tensor) -> torch.Tensor:
    """Per-example Shannon entropy (nats) of ``softmax(logits)``."""
    log_p = F.log_softmax(logits.float(), dim=1)
    return -(log_p.exp() * log_p).sum(dim=1)


class DomainAdaptationMethod(LightningModule):
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

    # -- progress -----------------------------------------------------------------------------
    @property
    def total_steps(self) -> int:
        """Optimizer steps in the whole run (for the schedules)."""
        trainer = self._trainer
        if trainer is None:
            return 0
        steps = trainer.estimated_stepping_batches
        return int(steps) if steps != float("inf") else 0

    # -- logging ------------------------------------------------------------------------------
    def log_train(self, metrics: dict[str, Any], prog_bar: bool = True) -> None:
        """Log training scalars on the steps whose logs Lightning writes to the logger (every
        ``trainer.log_every_n_steps``), on each epoch's last batch (progress bar, callbacks) and on
        the first step, and skip the others: on a small network ``self.log`` costs more than the
        training step itself, and values logged on the other steps would never be written."""
        trainer = self._trainer
        connector = getattr(trainer, "_logger_connector", None)
        first = not getattr(self, "_logged_train_once", False)
        if (trainer is None or connector is None or first or getattr(connector, "should_update_logs", True)
                or getattr(trainer, "is_last_batch", False)):
            self._logged_train_once = True
            self.log_dict(metrics, prog_bar=prog_bar)

    # -- evaluation ---------------------------------------------------------------------------
    def _eval_step(self, batch: Any, dataloader_idx: int, stage: str) -> dict[str, torch.Tensor]:
        x, y = batch
        logits = self(x)
        split = SPLIT_NAMES[dataloader_idx]
        acc = self.eval_acc[stage][split]
        acc(logits, y)
        self.log(f"{stage}/{split}_acc", acc, add_dataloader_idx=False, prog_bar=stage == "val")
        if split == "target":
            self.log(f"{stage}/target_entropy", prediction_entropy(logits).mean(), add_dataloader_idx=False)
        else:
            self.log(f"{stage}/source_loss", F.cross_entropy(logits, y), add_dataloader_idx=False)
        return {"logits": logits.detach()}

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
        cfg = self.optim_cfg
        for g in groups:
            g["lr"] = cfg.lr * g.get("lr_mult", 1.0)
        if cfg.name == "adam":
            return torch.optim.Adam(groups, lr=cfg.lr, weight_decay=cfg.weight_decay)
        return torch.optim.SGD(groups, lr=cfg.lr, momentum=cfg.momentum, weight_decay=cfg.weight_decay,
                               nesterov=cfg.nesterov)

    def build_scheduler(self, optimizer: torch.optim.Optimizer) -> dict[str, Any]:
        total = max(self.total_steps, 1)
        cfg = self.optim_cfg
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: lr_factor(cfg, step / total))
        return {"scheduler": scheduler, "interval": "step"}

    def configure_optimizers(self) -> Any:
        optimizer = self.build_optimizer(self.parameter_groups())
        return {"optimizer": optimizer, "lr_scheduler": self.build_scheduler(optimizer)}
