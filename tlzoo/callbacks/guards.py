"""Stop a run that diverged, instead of reporting NaN weights as a success.

:class:`NonFiniteGuard` is added by the ``tlzoo`` CLI to every ``fit``. What it checks, and when:

* **every training batch**: the loss the training step returned (``outputs["loss"]`` or a tensor;
  methods with automatic optimisation) and the ``train/*`` scalars in ``trainer.callback_metrics``
  (what :meth:`tlzoo.core.module.ZooModule.log_train` logged; methods with several optimisers log
  their player losses there). All of them are stacked into one tensor, so the check costs one
  device synchronisation per batch.
* **at the end of each training epoch and before each validation**: that every parameter is finite
  (a NaN that appeared between two logged steps cannot slip into a checkpoint).

Both run before the checkpoint callbacks (Lightning calls checkpoint callbacks last), so a diverged
state is never written as ``last.ckpt`` or as the best checkpoint, and no ``interrupted.ckpt`` is
written either (:class:`TrainingDivergedError` is an input error): the checkpoints of the epochs
before the divergence are kept.
"""

from __future__ import annotations

import math
from typing import Any

import torch
from lightning.pytorch import LightningModule, Trainer
from lightning.pytorch.callbacks import Callback

from tlzoo.errors import TLZooError


class TrainingDivergedError(TLZooError):
    """A loss or a parameter became NaN or infinite."""


class NonFiniteGuard(Callback):
    """Stops training at the first non-finite loss or parameter (see the module docstring).

    Args:
        check_parameters: also check the parameters at each epoch end and before each validation.
    """

    def __init__(self, check_parameters: bool = True) -> None:
        self.check_parameters = check_parameters

    def on_train_batch_end(self, trainer: Trainer, pl_module: LightningModule, outputs: Any, batch: Any,
                           batch_idx: int) -> None:
        values: dict[str, torch.Tensor] = {}
        loss = outputs.get("loss") if isinstance(outputs, dict) else outputs
        if isinstance(loss, torch.Tensor) and loss.numel() == 1:
            values["loss"] = loss.detach()
        for key, value in trainer.callback_metrics.items():
            if key.startswith("train/") and isinstance(value, torch.Tensor) and value.numel() == 1:
                values[key] = value.detach()
        if not values:
            return
        stacked = torch.stack([v.float().reshape(()).to(next(iter(values.values())).device) for v in values.values()])
        if bool(torch.isfinite(stacked).all()):
            return
        name, value = next((k, v) for k, v in values.items() if not math.isfinite(float(v)))
        self._stop(trainer, pl_module, f"{name} = {float(value)}")

    def on_train_epoch_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if self.check_parameters:
            self._check_parameters(trainer, pl_module)

    def on_validation_start(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if self.check_parameters and trainer.state.fn == "fit" and not trainer.sanity_checking:
            self._check_parameters(trainer, pl_module)

    def _check_parameters(self, trainer: Trainer, pl_module: LightningModule) -> None:
        params = [p for p in pl_module.parameters() if p.numel()]
        if not params:
            return
        flags = torch.stack([torch.isfinite(p.detach()).all() for p in params])
        if bool(flags.all()):
            return
        names = [n for n, p in pl_module.named_parameters() if p.numel() and not bool(torch.isfinite(p).all())]
        self._stop(trainer, pl_module, f"parameter {names[0]} is not finite"
                   f"{f' (and {len(names) - 1} more)' if len(names) > 1 else ''}")

    @staticmethod
    def _stop(trainer: Trainer, pl_module: LightningModule, what: str) -> None:
        lr = _learning_rate(trainer)
        raise TrainingDivergedError(
            f"training diverged at step {trainer.global_step} (epoch {trainer.current_epoch}): {what}. Likely causes: "
            f"a learning rate too high{f' (now {lr:g}; lower --model.init_args.optim.lr)' if lr else ''} or "
            f"non-finite input data. Nothing was saved for this step; earlier checkpoints are kept"
        )


def _learning_rate(trainer: Trainer) -> float | None:
    try:
        return float(trainer.optimizers[0].param_groups[0]["lr"])
    except (IndexError, KeyError, AttributeError, TypeError, ValueError):
        return None
