"""Where a run's files live, for callbacks that write next to the checkpoints (no import of :mod:`tlzoo.cli`)."""

from __future__ import annotations

from pathlib import Path

from lightning.pytorch import Trainer
from lightning.pytorch.loggers import CSVLogger, TensorBoardLogger


def run_folder(trainer: Trainer, ckpt_path: str | Path | None = None) -> Path:
    """The folder of this run.

    ``test`` / ``validate`` / ``predict`` of a ``--ckpt_path`` inside a run's ``checkpoints/``: that training
    run's folder (``ckpt_path`` names the checkpoint before Lightning has set ``trainer.ckpt_path``, which it
    does only after the ``setup`` hooks). Otherwise the parent of the checkpoint callback's ``dirpath``
    (``<run>/checkpoints``); before that is known, ``<save_dir>/<name>/<version>`` of a logger such as W&B
    (where Lightning will put the checkpoints); else the logger's folder (what ``trainer.log_dir`` says); else
    ``trainer.default_root_dir``.

    Safe to call on one process only: unlike ``trainer.log_dir`` it does not broadcast (which would hang a
    DDP run when only rank 0 asks).
    """
    tested = ckpt_path or getattr(trainer, "ckpt_path", None)
    if trainer.state.fn != "fit" and tested and Path(tested).parent.name == "checkpoints":
        return Path(tested).parent.parent  # evaluating a checkpoint: its own run's folder
    ckpt = trainer.checkpoint_callback
    dirpath = getattr(ckpt, "dirpath", None) if ckpt is not None else None
    if dirpath:
        return Path(dirpath).parent
    logger = trainer.logger
    if logger is not None and logger.save_dir and logger.version is not None and not isinstance(
            logger, (TensorBoardLogger, CSVLogger)):
        version = logger.version if isinstance(logger.version, str) else f"version_{logger.version}"
        return Path(logger.save_dir) / str(logger.name) / version
    if trainer.loggers:
        logger = trainer.loggers[0]
        folder = logger.log_dir if isinstance(logger, (TensorBoardLogger, CSVLogger)) else logger.save_dir
        if folder:
            return Path(folder)
    return Path(trainer.default_root_dir)
