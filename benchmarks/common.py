"""Helpers shared by the benchmark scripts: build a configured run from YAML without running it."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
QUIET = ["--trainer.logger", "false", "--trainer.enable_progress_bar", "false",
         "--trainer.enable_model_summary", "false"]


def build(configs: list[str], overrides: list[str] | None = None, workdir: str | None = None) -> Any:
    """A ``TLZooCLI`` with model, data module and trainer built from ``configs`` (not fitted)."""
    from tlzoo.cli import TLZooCLI

    args: list[str] = []
    for c in configs:
        args += ["-c", c]
    args += QUIET + (overrides or [])
    if workdir:
        args += ["--trainer.default_root_dir", workdir]
    with contextlib.redirect_stderr(io.StringIO()):
        return TLZooCLI(args=args, run=False)


def fit_and_test(configs: list[str], overrides: list[str], workdir: str) -> dict[str, float]:
    """Fit, then test the checkpoint chosen by the configured monitor; return the test metrics."""
    cli = build(configs, overrides, workdir)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        cli.trainer.fit(cli.model, cli.datamodule)
        ckpt = cli.trainer.checkpoint_callback
        chosen = (ckpt.best_model_path or ckpt.last_model_path) if ckpt is not None else None
        per_loader = cli.trainer.test(cli.model, cli.datamodule, ckpt_path=chosen or None)
    return {k: float(v) for results in per_loader for k, v in results.items()}


def run_in_tempdir(fn: Callable[[str], dict[str, float]], threads: int) -> tuple[dict[str, float], float, str]:
    """For pool workers: ``fn(workdir)`` with ``threads`` torch threads in a fresh temporary folder.

    Returns ``(metrics, seconds, error)``; an exception becomes an error string (``{}`` metrics), so
    one failed run does not lose the others."""
    import tempfile
    import time

    import torch

    torch.set_num_threads(threads)
    t0 = time.time()
    try:
        with tempfile.TemporaryDirectory() as work:
            return fn(work), time.time() - t0, ""
    except Exception as err:  # noqa: BLE001 - reported per run by the caller
        return {}, time.time() - t0, f"{type(err).__name__}: {err}"


def save(results: dict[str, Any], name: str) -> Path:
    out = Path(os.environ.get("BENCH_DIR", "bench_results"))
    out.mkdir(exist_ok=True)
    path = out / f"{name}.json"
    path.write_text(json.dumps(results, indent=2))
    return path


def stack_dataset(dataset: Any) -> tuple[Any, Any]:
    """``(images (N, C, H, W), labels (N,) or None)`` of a map-style dataset whose items are ``(x, y)`` pairs or
    bare images (an unlabelled split), read item by item."""
    import torch

    items = [dataset[i] for i in range(len(dataset))]
    if not isinstance(items[0], tuple | list):
        return torch.stack(items), None
    return torch.stack([item[0] for item in items]), torch.as_tensor([int(item[1]) for item in items])

