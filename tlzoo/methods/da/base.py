"""Shared skeleton of the domain-adaptation LightningModules.

Each method is ``features = bottleneck(backbone(x))`` and ``logits = classifier(features)``,
trained on ``{"source": (x_s, y_s), "target": x_t}`` batches (see
:mod:`tlzoo.data.base`). This base class owns what every method does the same way:
building the networks, the optimiser and the DANN learning-rate annealing, and evaluation.

Evaluation and model selection
------------------------------
Validation and test loaders are ``[source_val, target_test]``. The module logs
``val/source_acc`` and ``val/target_acc`` (and ``test/...``), plus label-free criteria computed on the
*unlabelled target adaptation split* (not the test split: criteria that may select checkpoints never see
test images; :meth:`adaptation_split_outputs`):

* ``val/target_entropy``: mean prediction entropy (lower is better);
* ``val/target_mi``: mutual information of inputs and predictions, ``H(mean p) - mean H(p)``: confident and
  class-balanced target predictions (higher is better; :func:`tlzoo.analysis.validators.mutual_information`);
* ``val/iwcv_risk`` and ``val/dev_risk``: the source-validation loss re-weighted by the density ratio
  ``p_T(x) / p_S(x)`` estimated in the model's feature space, IWCV (Sugiyama et al., JMLR 2007) and deep
  embedded validation (You et al., ICML 2019) (lower is better; :mod:`tlzoo.analysis.importance`); when
  monitored or with the ``UnsupervisedValidators`` callback (:meth:`importance_validators_wanted`).

The default checkpoint monitor is ``val/target_mi`` (maximised): on the digit and feature tasks of the
selector study (``benchmarks/selector_study.py``, docs/selection.md) it kept checkpoints closest to the
oracle, where held-out source accuracy saturates at 96-98% and picks almost arbitrarily among epochs whose
target accuracy differs by tens of points. Selection never looks at target labels.
``-c trainer/source_selection.yaml`` restores selection on ``val/source_acc``. Selecting on
``val/target_acc`` is the "oracle" protocol and must be asked for explicitly
(``--checkpoint.monitor val/target_acc``); it is an upper bound, not a result.
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

    #: Label-free selection on the target adaptation split (see the module docstring); never on target labels.
    default_monitor = ("val/target_mi", "max")
    #: ``tlzoo fit`` evaluates and saves an exponential moving average of the weights with this decay per step
    #: (:class:`~tlzoo.callbacks.EMAWeights`; ``--ema_decay`` overrides, ``null`` turns it off). It damps the
    #: epoch-to-epoch swings of adversarial training; measured in docs/selection.md. ``None``: raw weights.
    default_ema_decay: float | None = 0.99

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

    def forward_features(self, x: torch.Tensor) -> torch.Tensor:
        """The features :meth:`forward` classifies (methods with one encoder per domain choose it here)."""
        return self.features(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits."""
        return self.classifier(self.forward_features(x))

    def logits_and_features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(self(x), self.forward_features(x))`` in one pass where :meth:`forward` is the classifier on them."""
        if type(self).forward is DomainAdaptationMethod.forward:
            feats = self.forward_features(x)
            return self.classifier(feats), feats
        return self(x), self.forward_features(x)

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
        split = SPLIT_NAMES[dataloader_idx]
        collect = stage == "val" and split == "source" and self.importance_validators_wanted()
        logits, feats = self.logits_and_features(x) if collect else (self(x), None)
        if collect:
            self._source_val_outputs.append((feats.detach().float().flatten(1).cpu(),
                                             F.cross_entropy(logits.float(), y, reduction="none").detach().cpu()))
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
    #: Always log ``val/iwcv_risk`` and ``val/dev_risk``; by default they are computed only when wanted
    #: (:meth:`importance_validators_wanted`): a logistic-regression fit per validation, ~10% of a digits epoch.
    importance_validators: bool = False
    #: Validation metrics this class logs itself (callbacks computing the same criterion leave them alone).
    label_free_metrics: tuple[str, ...] = ("val/target_entropy", "val/target_mi", "val/iwcv_risk", "val/dev_risk")
    _source_val_outputs: list[tuple[torch.Tensor, torch.Tensor]]

    def importance_validators_wanted(self) -> bool:
        """IWCV / DEV are computed when :attr:`importance_validators` is set, when a callback monitors one of them
        (``-c trainer/dev_selection.yaml``), or with the :class:`~tlzoo.callbacks.analysis.UnsupervisedValidators`
        callback (which asks for every label-free criterion)."""
        if self.importance_validators:
            return True
        trainer = self._trainer
        if trainer is None:
            return False
        from tlzoo.callbacks.analysis import UnsupervisedValidators

        for callback in trainer.callbacks:
            if getattr(callback, "monitor", None) in ("val/iwcv_risk", "val/dev_risk"):
                return True
            if isinstance(callback, UnsupervisedValidators):
                return True
        return False

    def adaptation_split_logits(self) -> torch.Tensor | None:
        """Target logits on the adaptation split (see :meth:`adaptation_split_outputs`)."""
        outputs = self.adaptation_split_outputs()
        return None if outputs is None else outputs[0]

    def adaptation_split_outputs(self) -> tuple[torch.Tensor, torch.Tensor] | None:
        """``(logits, features)`` of the *unlabelled target adaptation split* (``datamodule.target_train``, the
        data the method adapts on), never of the target test split: what label-free selection criteria may look
        at. At most :attr:`label_free_examples` examples (the first ones of the split's fixed
        :class:`~tlzoo.data.base.EvaluationOrder`, so every class of a class-sorted file is read; fewer under
        ``limit_val_batches``),
        computed once per validation and shared by every criterion. Images come with the split's own
        transform; the global random generators are restored afterwards, so measuring does not change training."""
        from torch.utils.data import DataLoader, Subset

        from tlzoo.data.base import Unlabeled, evaluation_order
        from tlzoo.data.tensor_loader import batched_fetch

        trainer = self._trainer
        data = getattr(getattr(trainer, "datamodule", None), "target_train", None) if trainer else None
        if trainer is None or data is None:
            return None
        key = (trainer.current_epoch, trainer.global_step)
        cached = getattr(self, "_adaptation_outputs", None)
        if cached is not None and cached[0] == key:
            return cached[1]
        batch_size = int(getattr(trainer.datamodule, "batch_size", 64))
        n = min(len(data), self.label_free_examples)
        limit = trainer.limit_val_batches
        if isinstance(limit, int):
            n = min(n, limit * batch_size)
        elif limit is not None and limit < 1.0:
            n = max(1, int(n * limit))
        dataset, collate = batched_fetch(Unlabeled(data), None)  # whole batches from in-memory tensors
        subset = evaluation_order(len(data))[:n].sort().values.tolist()  # every class, even in a class-sorted file
        loader = DataLoader(Subset(dataset, subset), batch_size=batch_size, collate_fn=collate)
        logits, feats = [], []
        with torch.no_grad(), keep_rng_states():  # a measurement: training draws the same random numbers
            for x in loader:
                batch_logits, batch_feats = self.logits_and_features(x.to(self.device))
                logits.append(batch_logits.float().cpu())
                feats.append(batch_feats.float().flatten(1).cpu())
        outputs = (torch.cat(logits), torch.cat(feats)) if n else (torch.empty(0), torch.empty(0))
        self._adaptation_outputs = (key, outputs)
        return outputs

    def on_validation_epoch_start(self) -> None:
        self._source_val_outputs = []

    def on_validation_epoch_end(self) -> None:
        """Logs the label-free criteria of the module docstring (adaptation split; source validation for
        IWCV / DEV)."""
        outputs = self.adaptation_split_outputs()
        if outputs is None or not len(outputs[0]):
            return
        from tlzoo.analysis.validators import mutual_information

        logits, target_feats = outputs
        self.log("val/target_entropy", prediction_entropy(logits).mean())
        self.log("val/target_mi", mutual_information(logits))
        source = getattr(self, "_source_val_outputs", [])
        self._source_val_outputs = []
        if not source or not self.importance_validators_wanted():
            return
        from tlzoo.analysis.importance import importance_weighted_risks

        source_feats = torch.cat([f for f, _ in source])[: self.label_free_examples]
        source_losses = torch.cat([loss for _, loss in source])[: self.label_free_examples]
        if len(source_feats) < 4 or len(target_feats) < 4:
            return
        risks = importance_weighted_risks(source_feats.numpy(), source_losses.numpy(), target_feats.numpy())
        self.log("val/iwcv_risk", risks["iwcv_risk"])
        self.log("val/dev_risk", risks["dev_risk"])

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
