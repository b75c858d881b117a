"""``<run>/history.csv``: the run's scalars, one row per logging point, whatever the logger.

Added by the ``tlzoo`` CLI to every ``fit`` (like the checkpoint callbacks), so that offline users, the W&B-less
and ``tlzoo report`` have the training curves: a row after every ``log_every_n_steps`` training batches
(``train/*``) and after every validation (``val/*``), with ``epoch`` and ``step`` (batches done). Rows are
appended, so a resumed run continues its file; the header grows when a new metric appears.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from lightning.pytorch import LightningModule, Trainer
from lightning.pytorch.callbacks import Callback

from tlzoo.callbacks.paths import run_folder


class MetricsHistory(Callback):
    """Append the scalars Lightning holds in ``trainer.callback_metrics`` to ``<run>/history.csv``.

    Args:
        filename: file name inside the run folder.
    """

    def __init__(self, filename: str = "history.csv") -> None:
        self.filename = filename

    def _write(self, trainer: Trainer, prefix: str) -> None:
        if not trainer.is_global_zero or trainer.sanity_checking:
            return
        values = {k: float(v) for k, v in trainer.callback_metrics.items()
                  if k.startswith(prefix) and getattr(v, "numel", lambda: 1)() == 1}
        if not values:
            return
        row: dict[str, Any] = {"epoch": trainer.current_epoch, "step": trainer.global_step, **values}
        path = run_folder(trainer) / self.filename
        path.parent.mkdir(parents=True, exist_ok=True)
        rows = read_history(path)
        header = list(rows[0].keys()) if rows else []
        new_keys = [k for k in row if k not in header]
        if new_keys and rows:  # rewrite with the wider header
            header += new_keys
            with open(path, "w", newline="") as f:
                writer = csv.DictWriter(f, fieldnames=header)
                writer.writeheader()
                writer.writerows(rows)
        elif not rows:
            header = list(row)
            with open(path, "w", newline="") as f:
                csv.DictWriter(f, fieldnames=header).writeheader()
        with open(path, "a", newline="") as f:
            csv.DictWriter(f, fieldnames=header).writerow(row)

    def on_train_batch_end(self, trainer: Trainer, pl_module: LightningModule, outputs: Any, batch: Any,
                           batch_idx: int) -> None:
        every = trainer.log_every_n_steps
        if every > 0 and trainer.global_step % every == 0:
            self._write(trainer, "train/")

    def on_validation_end(self, trainer: Trainer, pl_module: LightningModule) -> None:
        if trainer.state.fn == "fit":
            self._write(trainer, "val/")


def read_history(path: Path) -> list[dict[str, str]]:
    """The rows of a ``history.csv`` (empty when the file does not exist)."""
    if not path.is_file():
        return []
    with open(path, newline="") as f:
        return list(csv.DictReader(f))
