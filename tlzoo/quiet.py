"""Silence library messages that every run would print and that ask nothing of a tlzoo user.

* Lightning's advertising tips for LitLogger / litmodels (``rank_zero_info`` lines starting with a light bulb).
* A deprecation warning raised inside Lightning's own ``_pytree`` helper on recent torch versions
  (nothing in the user's code or ours triggers it).
* Lightning's hint to lower ``log_every_n_steps`` when an epoch has fewer batches: the training logs are written
  at the last batch of every epoch anyway (:meth:`tlzoo.core.module.ZooModule.log_train`).
"""

from __future__ import annotations

import logging
import warnings


class _DropTips(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.getMessage()).lstrip().startswith("\N{ELECTRIC LIGHT BULB}")


def quiet_known_noise() -> None:
    """Install the filters (idempotent)."""
    for name in ("lightning.pytorch.utilities.rank_zero", "lightning.fabric.utilities.rank_zero"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _DropTips) for f in logger.filters):
            logger.addFilter(_DropTips())
    warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\)` is deprecated")
    warnings.filterwarnings("ignore", message=r".*smaller than the logging interval Trainer\(log_every_n_steps")
