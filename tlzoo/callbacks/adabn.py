"""AdaBN as a Lightning callback, so that any method can be evaluated with target BN statistics.

Li et al., "Revisiting Batch Normalization for Practical Domain Adaptation", ICLR-W 2017 /
Pattern Recognition 2018 (see :mod:`tlzoo.nn.adabn`).

Use it beside any method, for fit *and* test (pass the same fragment to both)::

    tlzoo fit  -c experiments/dann_digits.yaml -c experiments/trainer/adabn.yaml
    tlzoo test -c experiments/dann_digits.yaml -c experiments/trainer/adabn.yaml --ckpt_path ...
    # or on the command line: --trainer.callbacks+=AdaBNCallback

What it does, at every validation / test / predict run:

1. Before the first batch, it saves the model's own BN statistics (those estimated during
   training), runs :func:`~tlzoo.nn.adabn.adapt_batchnorm` over the data module's
   ``target_train`` split (the unlabelled adaptation images; their labels are dropped) and keeps
   the resulting *target* statistics.
2. The source evaluation loader (dataloader 0) is evaluated with the model's own statistics and the
   target loader (dataloader 1) with the target statistics: domain-specific normalisation, as in
   the paper. The metric names do not change (``val/target_acc`` is now the AdaBN accuracy), so a
   run with and without the callback compare directly; ``val/source_acc``, which selects
   checkpoints, is unaffected.
3. Afterwards the model's own statistics are put back, so training continues unchanged and
   checkpoints hold the training statistics (re-adapted at test time by the same callback).

``predict`` runs over target data only, so the whole run uses the target statistics. Models
without BatchNorm layers are left as they are (with a warning).
"""

from __future__ import annotations

from typing import Any

import torch
from lightning.pytorch import Callback, LightningModule, Trainer
from lightning.pytorch.utilities import rank_zero_warn
from torch.utils.data import DataLoader

from tlzoo.data.base import Unlabeled
from tlzoo.errors import TLZooError
from tlzoo.nn.adabn import adapt_batchnorm, batchnorm_state, load_batchnorm_state


def target_adaptation_loader(trainer: Trainer, batch_size: int | None = None, seed: int = 0) -> DataLoader:
    """Shuffled (seeded) unlabelled loader over ``trainer.datamodule.target_train``."""
    dm = trainer.datamodule
    dataset = getattr(dm, "target_train", None) if dm is not None else None
    if dataset is None:
        raise TLZooError(
            "AdaBN needs the data module's target_train split (unlabelled target data): run it with a "
            "DomainAdaptationDataModule (trainer.fit/validate/test(..., datamodule=dm))"
        )
    bs = batch_size or getattr(dm, "batch_size", 64)
    return DataLoader(Unlabeled(dataset), batch_size=bs, shuffle=True,
                      generator=torch.Generator().manual_seed(seed),
                      num_workers=getattr(dm, "num_workers", 0))


class AdaBNCallback(Callback):
    """Evaluate target data with BatchNorm statistics re-estimated on target data (AdaBN).

    Args:
        batch_size: batch size of the statistics pass (default: the data module's).
        max_batches: limit the statistics pass to this many batches (default: all of target_train).
        seed: shuffling seed of the statistics pass.
        target_dataloader_idx: which evaluation dataloader holds target data (1 in the data contract
            of :mod:`tlzoo.data.base`: ``[source_val, target_test]``).
    """

    def __init__(self, batch_size: int | None = None, max_batches: int | None = None, seed: int = 0,
                 target_dataloader_idx: int = 1) -> None:
        self.batch_size = batch_size
        self.max_batches = max_batches
        self.seed = seed
        self.target_idx = target_dataloader_idx
        self._own: dict[str, torch.Tensor] | None = None
        self._target: dict[str, torch.Tensor] | None = None
        self._using: str | None = None
        self._warned = False

    # -- mechanics ----------------------------------------------------------------------------
    def _begin(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self._own = batchnorm_state(pl_module)
        if not self._own:
            if not self._warned:
                rank_zero_warn("AdaBNCallback: the model has no BatchNorm layers; evaluating it unchanged")
                self._warned = True
            self._own = None
            return
        loader = target_adaptation_loader(trainer, self.batch_size, self.seed)
        adapt_batchnorm(pl_module, loader, max_batches=self.max_batches)
        self._target = batchnorm_state(pl_module)
        self._using = "target"

    def _use(self, pl_module: LightningModule, which: str) -> None:
        if self._own is None or self._target is None or self._using == which:
            return
        load_batchnorm_state(pl_module, self._target if which == "target" else self._own)
        self._using = which

    def _end(self, pl_module: LightningModule) -> None:
        if self._own is not None:
            load_batchnorm_state(pl_module, self._own)
        self._own = self._target = self._using = None

    def _batch_start(self, pl_module: LightningModule, dataloader_idx: int) -> None:
        self._use(pl_module, "target" if dataloader_idx == self.target_idx else "own")

    # -- hooks --------------------------------------------------------------------------------
    def on_validation_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self._begin(trainer, pl_module)

    def on_validation_batch_start(self, trainer: Trainer, pl_module: LightningModule, batch: Any,
                                  batch_idx: int, dataloader_idx: int = 0) -> None:
        self._batch_start(pl_module, dataloader_idx)

    def on_validation_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self._end(pl_module)

    def on_test_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self._begin(trainer, pl_module)

    def on_test_batch_start(self, trainer: Trainer, pl_module: LightningModule, batch: Any,
                            batch_idx: int, dataloader_idx: int = 0) -> None:
        self._batch_start(pl_module, dataloader_idx)

    def on_test_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self._end(pl_module)

    def on_predict_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self._begin(trainer, pl_module)  # predict data is the target split: keep target statistics

    def on_predict_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        self._end(pl_module)

    def on_exception(self, trainer: Trainer, pl_module: LightningModule, exception: BaseException) -> None:
        self._end(pl_module)  # never leave target statistics in a model that is saved afterwards
