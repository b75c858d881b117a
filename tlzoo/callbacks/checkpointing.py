"""The CLI's checkpoint callbacks: written atomically, never half a file under a final name.

* :class:`BestCheckpoint`: Lightning's ``ModelCheckpoint`` (the ``--checkpoint.*`` options) that
  writes atomically and, when the monitored metric is never logged, stops after the first
  validation with one line naming the metrics that were logged.
* :class:`LatestCheckpoint`: ``last.ckpt``, rewritten at the end of every epoch (what
  ``--ckpt_path`` resumes from).
* :class:`InterruptCheckpoint`: ``interrupted.ckpt`` when training is stopped (Ctrl-C, SIGTERM) or
  crashes; not for input errors (:class:`~tlzoo.errors.TLZooError`, Lightning's configuration
  errors), where there is nothing to resume.

**Atomic writes.** Every file is first written as ``.<name>.tmp-<pid>`` in the same folder and then
moved over the final name with :func:`os.replace` (atomic on POSIX and Windows within a folder). A
failed write (disk full, read-only folder) leaves the previous file untouched, removes the
temporary file and stops the run with :class:`CheckpointWriteError` naming the file and the first
error.
"""

from __future__ import annotations

import errno
import os
import sys
from pathlib import Path

from lightning.pytorch import LightningModule, Trainer
from lightning.pytorch.callbacks import Callback, ModelCheckpoint
from lightning.pytorch.utilities.exceptions import MisconfigurationException
from torch import Tensor

from tlzoo.errors import TLZooError


class CheckpointWriteError(TLZooError):
    """A checkpoint could not be written (disk full, no permission); the previous file is kept."""


def save_checkpoint_atomically(trainer: Trainer, filepath: str | os.PathLike[str], weights_only: bool = False) -> None:
    """``trainer.save_checkpoint(filepath)`` through a temporary file in the same folder and :func:`os.replace`.

    Raises:
        CheckpointWriteError: the folder cannot be created or the file cannot be written; an existing
            ``filepath`` is left as it was.
    """
    path = Path(filepath)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        if trainer.is_global_zero:
            path.parent.mkdir(parents=True, exist_ok=True)
        trainer.save_checkpoint(tmp, weights_only)
        if trainer.is_global_zero:
            os.replace(tmp, path)
    except OSError as err:
        if trainer.is_global_zero:
            try:
                tmp.unlink(missing_ok=True)
            except OSError:
                pass
        kept = " (the previous one is kept)" if path.is_file() else ""
        raise CheckpointWriteError(
            f"could not write the checkpoint {path}{kept}: {err.strerror or err}. Free space or pick a writable "
            f"folder with --trainer.default_root_dir"
        ) from err


class BestCheckpoint(ModelCheckpoint):
    """``ModelCheckpoint`` with atomic writes and a clear error for a ``monitor`` that is never logged.

    Same arguments as Lightning's ``ModelCheckpoint`` (``--checkpoint.*``). The folder is kept as an absolute
    path, so a run resumed from another working directory still finds its best-checkpoint record (Lightning
    forgets it when the stored folder string differs from the current one).
    """

    def setup(self, trainer: Trainer, pl_module: LightningModule, stage: str) -> None:
        super().setup(trainer, pl_module, stage)
        if self.dirpath is not None:
            self.dirpath = os.path.abspath(self.dirpath)

    def load_state_dict(self, state_dict: dict) -> None:
        stored = state_dict.get("dirpath")
        if stored is not None and self.dirpath is not None and os.path.abspath(stored) == self.dirpath:
            state_dict = {**state_dict, "dirpath": self.dirpath}
        super().load_state_dict(state_dict)

    def _save_checkpoint(self, trainer: Trainer, filepath: str) -> None:
        save_checkpoint_atomically(trainer, filepath, self.save_weights_only)
        self._last_global_step_saved = trainer.global_step
        self._last_checkpoint_saved = filepath
        if trainer.is_global_zero:
            for logger in trainer.loggers:
                logger.after_save_checkpoint(self)

    def _save_topk_checkpoint(self, trainer: Trainer, monitor_candidates: dict[str, Tensor]) -> None:
        if (self.save_top_k != 0 and self.monitor is not None and self.monitor not in monitor_candidates
                and trainer.fit_loop.epoch_loop.val_loop._has_run):
            logged = sorted(k for k in monitor_candidates if k not in ("epoch", "step"))
            raise TLZooError(
                f"--checkpoint.monitor {self.monitor!r} is never logged by this method; the logged metrics are "
                f"{logged}. Pick one of them (with --checkpoint.mode min or max), or pass --checkpoint.monitor "
                f"null to keep the last epoch"
            )
        super()._save_topk_checkpoint(trainer, monitor_candidates)


class LatestCheckpoint(BestCheckpoint):
    """``last.ckpt``, overwritten at the end of every epoch (and validation): what ``--ckpt_path``
    resumes from. Lightning's own ``save_last`` only rewrites it when the monitored checkpoint is
    saved, i.e. when the metric improves, so it would lag behind training.

    Args:
        dirpath: the run's checkpoint folder (the one of the ``--checkpoint`` callback).
    """

    def __init__(self, dirpath: str | None = None) -> None:
        super().__init__(dirpath=dirpath, filename="last", monitor=None, save_top_k=1,
                         enable_version_counter=False)

    def _should_save_on_train_epoch_end(self, trainer: Trainer) -> bool:
        """At the end of every training epoch, which comes after that epoch's validation (when it has one).
        Lightning's own rule saves only after validations once ``check_val_every_n_epoch`` > 1, which loses the
        epochs between them, and nothing at all when validation is also off (``--trainer.limit_val_batches 0``).
        Validation inside epochs (``val_check_interval``) keeps Lightning's rule."""
        if self._save_on_train_epoch_end is not None or getattr(trainer, "_val_check_time_interval", None) is not None:
            return super()._should_save_on_train_epoch_end(trainer)
        return trainer.val_check_interval == 1.0


#: Exceptions that mean "the input is wrong": saving a state to resume from would only mislead.
INPUT_ERRORS: tuple[type[BaseException], ...] = (TLZooError, MisconfigurationException)


class InterruptCheckpoint(Callback):
    """Saves ``interrupted.ckpt`` next to the other checkpoints when training is stopped (Ctrl-C,
    SIGTERM) or crashes, and says how to resume. Unlike Lightning's ``OnExceptionCheckpoint`` it does
    not make later ``fit`` calls resume implicitly.

    Nothing is written for input errors (:data:`INPUT_ERRORS`), for a failed checkpoint write (the
    disk is full: the first error is what the user must see), or before the first training step.

    Args:
        checkpoint: the run's checkpoint callback (its ``dirpath`` is where the file goes).
    """

    def __init__(self, checkpoint: ModelCheckpoint) -> None:
        self.checkpoint = checkpoint

    def on_exception(self, trainer: Trainer, pl_module: LightningModule, exception: BaseException) -> None:
        if trainer.state.fn != "fit" or self.checkpoint.dirpath is None:
            return
        if isinstance(exception, INPUT_ERRORS) or trainer.global_step == 0:
            return
        if _disk_error(exception):
            return
        path = os.path.join(self.checkpoint.dirpath, "interrupted.ckpt")
        try:
            save_checkpoint_atomically(trainer, path)
        except CheckpointWriteError as err:
            if trainer.is_global_zero:
                print(f"training stopped ({type(exception).__name__}); {err}", file=sys.stderr)
            return
        if not trainer.is_global_zero:
            return
        config = Path(self.checkpoint.dirpath).parent / "config.yaml"
        config_args = f"-c {config}" if config.is_file() else "<same -c files>"
        print(f"training stopped ({type(exception).__name__}); state saved to {path}\n"
              f"  resume with: tlzoo fit {config_args} --ckpt_path {path}", file=sys.stderr)


_DISK_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, getattr(errno, "EDQUOT", errno.ENOSPC)}


def _disk_error(exception: BaseException) -> bool:
    """Whether ``exception`` (or what caused it) is a full, read-only or forbidden disk."""
    cause: BaseException | None = exception
    for _ in range(20):
        if cause is None:
            return False
        if isinstance(cause, OSError) and cause.errno in _DISK_ERRNOS:
            return True
        cause = cause.__cause__ or cause.__context__
    return False
