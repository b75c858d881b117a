"""The base of every LightningModule of the zoo.

What it fixes for every method, whatever its family:

* **Training progress is counted in batches.** ``trainer.global_step`` advances by one per batch for
  every method, also for those that step several optimisers per batch (GANs, ADDA, domain
  confusion; see :class:`tlzoo.core.adversarial.AdversarialMixin`). So ``--trainer.max_steps``,
  ``log_every_n_steps``, the logged x-axis and every schedule mean the same for every method.
  :attr:`ZooModule.progress` is ``batches done / batches in the run``.
* **Logging throttle through the public API.** :meth:`ZooModule.log_train` logs training scalars
  only on the batches whose logs Lightning writes (every ``trainer.log_every_n_steps``), on the
  first batch and on each epoch's last batch: on a small network ``self.log`` costs more than the
  training step itself.
* **The method declares its checkpoint selection and predict output.** :attr:`default_monitor` is
  the ``(metric, mode)`` the CLI's checkpoint callback monitors when the user does not say
  (``None``: keep the last epoch); :attr:`predict_output` says what ``tlzoo predict`` writes.
* **Exact resume.** Checkpoints carry the global random-number generators' states (Python, NumPy,
  torch CPU and CUDA), restored on resume, so dropout masks, random augmentation and anything else
  drawn from them continue as in an uninterrupted run.
* **Evaluation in either mode.** Metric states made under ``trainer.validate`` / ``test`` (inference mode)
  are given normal copies before a validation inside ``trainer.fit`` (:mod:`tlzoo.core.metric_states`), so
  one model object can be validated, fitted and tested in any order.
* **Checkpoints load outside the CLI.** :func:`allow_in_checkpoints` registers the config
  dataclasses stored in hyper-parameters with ``torch.load``'s ``weights_only`` allow-list.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar, Literal

import numpy as np
import torch
from lightning.pytorch import LightningModule

from tlzoo.core.optim import OptimConfig

PredictOutput = Literal["classes", "images", "segmentation"]


def allow_in_checkpoints(*types: type) -> None:
    """Let ``torch.load(..., weights_only=True)`` (the default) rebuild these classes, so
    ``Method.load_from_checkpoint(path)`` works for hyper-parameters that are config dataclasses."""
    torch.serialization.add_safe_globals(list(types))


allow_in_checkpoints(OptimConfig)


class ZooModule(LightningModule):
    """Base of every method. Subclasses that override :meth:`on_train_batch_start` call ``super()``."""

    #: ``(metric, mode)`` monitored by the CLI's checkpoint callback by default; ``None``: keep the last epoch.
    default_monitor: ClassVar[tuple[str, Literal["min", "max"]] | None] = None
    #: What ``tlzoo predict`` writes: ``classes`` (a CSV of labels), ``images`` (a folder of images) or
    #: ``segmentation`` (label maps).
    predict_output: ClassVar[PredictOutput] = "classes"

    def __init__(self) -> None:
        super().__init__()
        self._batch_start_step = 0
        self._player_steps_this_batch = 0
        self._logged_train_once = False

    # -- progress -----------------------------------------------------------------------------
    @property
    def total_batches(self) -> int:
        """Training batches in the whole run (0 before the trainer knows, or when unbounded)."""
        trainer = self._trainer
        if trainer is None:
            return 0
        steps = trainer.estimated_stepping_batches
        return int(steps) if steps != float("inf") else 0

    @property
    def batches_done(self) -> int:
        """Training batches completed before the current one (``trainer.global_step``)."""
        trainer = self._trainer
        return int(trainer.global_step) if trainer is not None else 0

    @property
    def progress(self) -> float:
        """Training progress in [0, 1]: batches done over batches in the run."""
        total = self.total_batches
        return min(self.batches_done / total, 1.0) if total > 0 else 0.0

    def on_train_batch_start(self, batch: Any, batch_idx: int) -> None:
        self._batch_start_step = self.batches_done
        self._player_steps_this_batch = 0

    # -- evaluation ---------------------------------------------------------------------------
    def on_validation_model_eval(self) -> None:
        super().on_validation_model_eval()
        self._metric_states_to_current_mode()

    def on_test_model_eval(self) -> None:
        super().on_test_model_eval()
        self._metric_states_to_current_mode()

    def _metric_states_to_current_mode(self) -> None:
        from tlzoo.core.metric_states import held_metrics, states_to_current_mode

        states_to_current_mode(held_metrics(self))

    # -- logging ------------------------------------------------------------------------------
    def log(self, name: str, value: Any, *args: Any, **kwargs: Any) -> None:
        """``LightningModule.log``; evaluation scalars are averaged over every process of a multi-process run
        (``sync_dist``), so that the number a checkpoint is selected on and the printed test figures are the
        whole split's, not rank 0's shard. Training scalars stay per process (no sync on every step)."""
        trainer = self._trainer
        if (not self.training and "sync_dist" not in kwargs and trainer is not None and trainer.world_size > 1
                and isinstance(value, (torch.Tensor, float, int))):
            kwargs["sync_dist"] = True
        super().log(name, value, *args, **kwargs)

    def _logs_are_written_now(self) -> bool:
        trainer = self._trainer
        if trainer is None:
            return True
        every = trainer.log_every_n_steps
        # Lightning writes training logs after batch k (0-based) when (k + 1) % every == 0.
        return (every > 0 and (self._batch_start_step + 1) % every == 0) or bool(trainer.is_last_batch)

    def log_train(self, metrics: dict[str, Any], prog_bar: bool = True) -> None:
        """Log training scalars on the batches whose logs are written (see the module docstring)."""
        if not self._logged_train_once or self._logs_are_written_now():
            self._logged_train_once = True
            self.log_dict(metrics, prog_bar=prog_bar)

    # -- exact resume -------------------------------------------------------------------------
    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint["tlzoo_rng_states"] = rng_states()

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        """Restore the generators only when training resumes (not for ``load_from_checkpoint``, e.g. a judge)."""
        states = checkpoint.get("tlzoo_rng_states")
        trainer = self._trainer
        if states is not None and trainer is not None and trainer.state.fn == "fit":
            set_rng_states(states)


def rng_states() -> dict[str, Any]:
    """The global generators' states (Python, NumPy, torch CPU, CUDA), as tensors and plain values so that
    ``torch.load(..., weights_only=True)`` reads them."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    return {"python": random.getstate(),
            "numpy": [kind, torch.from_numpy(keys.astype(np.int64)), int(pos), int(has_gauss), float(cached)],
            "torch": torch.get_rng_state(),
            "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else []}


def set_rng_states(states: dict[str, Any]) -> None:
    """Restore what :func:`rng_states` returned (CUDA states only when the device count matches)."""
    random.setstate(states["python"])
    kind, keys, pos, has_gauss, cached = states["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(states["torch"])
    cuda = states.get("cuda") or []
    if cuda and torch.cuda.is_available() and len(cuda) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(cuda)


@contextmanager
def keep_rng_states() -> Iterator[None]:
    """Run the block without moving the global generators (e.g. building a judge network, whose random
    initialisation would otherwise shift every later random draw of the training run)."""
    states = rng_states()
    try:
        yield
    finally:
        set_rng_states(states)
