"""A Lightning callback that prints the process's resident memory at each stage of a run, as JSON lines.

Used by ``benchmarks/memory_stages.py`` through ``--trainer.callbacks+=rss_probe.StageProbe`` (with this folder on
``PYTHONPATH``). Each line is ``RSS {"stage": ..., "rss_mb": ..., "anon_mb": ..., "file_mb": ..., "hwm_mb": ...}``
read from ``/proc/self/status`` (Linux): ``anon`` is heap and other private memory, ``file`` the pages of mapped
files (mostly the code of the shared libraries), ``hwm`` the peak so far. After the training steps named in
``steps`` it also reports ``live``: the same figures after ``malloc_trim(0)`` hands the heap's free memory back
(glibc), so what the step itself needed at its peak is ``rss - live``.
"""

from __future__ import annotations

import atexit
import ctypes
import json
from typing import Any

import lightning.pytorch as pl


def memory() -> dict[str, int]:
    """``VmRSS``, ``RssAnon``, ``RssFile`` and ``VmHWM`` of this process in MB."""
    names = {"VmRSS": "rss_mb", "RssAnon": "anon_mb", "RssFile": "file_mb", "VmHWM": "hwm_mb"}
    out: dict[str, int] = {}
    with open("/proc/self/status") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in names:
                out[names[key]] = int(value.split()[0]) // 1024
    return out


def report(stage: str) -> None:
    print("RSS " + json.dumps({"stage": stage, **memory()}), flush=True)


class StageProbe(pl.Callback):
    """Prints the memory at set-up, after the sanity / per-epoch validations, after chosen training steps (and
    what is live there), at the end of training and when the interpreter starts to shut down."""

    def __init__(self, steps: tuple[int, ...] = (1, 20, 46, 200)) -> None:
        self.steps = set(steps)
        report("cli_parsed")
        atexit.register(report, "exit_handlers")

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        report("setup")

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        report(f"validation_end_epoch{trainer.current_epoch}")

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, outputs: Any, batch: Any,
                           batch_idx: int) -> None:
        if trainer.global_step in self.steps:
            report(f"step{trainer.global_step}")
            ctypes.CDLL("libc.so.6").malloc_trim(0)
            report(f"step{trainer.global_step}_live")

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        report("train_end")
