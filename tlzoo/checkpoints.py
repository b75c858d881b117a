"""Reading ``tlzoo fit`` checkpoints outside a training run (``--ckpt_path`` checks, judges, segmenters for
FCN-scores, export), with one clear error per kind of bad file: missing, empty, unreadable or truncated,
not a Lightning checkpoint."""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from tlzoo.errors import TLZooError

DEFAULT_HINT = "a .ckpt written by `tlzoo fit`, e.g. runs/<run>/checkpoints/last.ckpt"


def read_checkpoint(checkpoint: str | Path, what: str = "checkpoint", hint: str = DEFAULT_HINT,
                    weights_only: bool = False, mmap: bool = False) -> tuple[Path, dict[str, Any]]:
    """Load the checkpoint dict of ``checkpoint`` on the CPU.

    Args:
        checkpoint: the ``.ckpt`` path.
        what: its role, for error messages (e.g. ``"judge checkpoint"``).
        hint: what the user should pass instead (the flag, the kind of file).
        weights_only: load with ``torch.load``'s safe unpickler (tensors, plain values and registered classes).
        mmap: memory-map the file instead of reading the weights into memory.
    """
    import torch

    path = Path(checkpoint).expanduser()
    if not path.is_file():
        raise TLZooError(f"{what} not found: {path} ({hint})")
    if path.stat().st_size == 0:
        raise TLZooError(f"{what} {path} is empty (0 bytes): an interrupted or failed write; use another one, "
                         "e.g. last.ckpt or a best-*.ckpt of the same run")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=weights_only, mmap=mmap)
    except (RuntimeError, EOFError, ValueError, OSError, pickle.UnpicklingError, AttributeError,
            ModuleNotFoundError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise TLZooError(f"{what} {path} cannot be read: not a readable torch checkpoint (truncated, or another "
                         f"kind of file): {first[:200]}") from None
    if not isinstance(ckpt, Mapping) or not isinstance(ckpt.get("state_dict"), Mapping):
        raise TLZooError(f"{path} is not a tlzoo/Lightning checkpoint (no state_dict): the {what} must be {hint}")
    return path, dict(ckpt)


def checkpoint_hparams(checkpoint: str | Path) -> dict[str, Any]:
    """The ``hyper_parameters`` of a ``--ckpt_path`` checkpoint, after checking the file (memory-mapped)."""
    _, ckpt = read_checkpoint(checkpoint, "checkpoint", f"--ckpt_path: {DEFAULT_HINT}", weights_only=True, mmap=True)
    hparams = ckpt.get("hyper_parameters") or {}
    return dict(hparams) if isinstance(hparams, Mapping) else {}


def checkpoint_class_path(ckpt: Mapping[str, Any]) -> str | None:
    """The model class ``tlzoo fit`` recorded in the checkpoint (``hyper_parameters._class_path``), if any."""
    hparams = ckpt.get("hyper_parameters") or {}
    value = hparams.get("_class_path") if isinstance(hparams, Mapping) else None
    return str(value) if value else None


def method_class(class_path: str) -> type | None:
    """The class a dotted ``class_path`` names (a bare name is looked up in :mod:`tlzoo.methods`), or ``None``
    when it does not exist."""
    import importlib

    module, _, name = str(class_path).rpartition(".")
    try:
        return getattr(importlib.import_module(module or "tlzoo.methods"), name)
    except (ImportError, AttributeError):
        return None
