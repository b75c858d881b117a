"""Helpers for running the real ``tlzoo`` CLI in tests."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
from pathlib import Path

from tlzoo.cli import main

REPO = Path(__file__).resolve().parents[1]
EXPERIMENTS = REPO / "experiments"

#: Makes any experiment run a couple of steps on CPU, quietly.
QUICK = [
    "--trainer.max_steps", "2", "--trainer.max_epochs", "1", "--trainer.limit_val_batches", "1",
    "--trainer.limit_test_batches", "1", "--trainer.accelerator", "cpu", "--trainer.devices", "1",
    "--trainer.enable_progress_bar", "false", "--trainer.enable_model_summary", "false",
    "--trainer.check_val_every_n_epoch", "1",
]


def run_cli(args: list[str]) -> tuple[int, str]:
    """Run ``tlzoo <args>`` in-process; return (exit code, captured stdout + stderr)."""
    out = io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            main(args)
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
    return code, out.getvalue()


def run_cli_subprocess(args: list[str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run the installed console script in a fresh process (for exit codes and tracebacks)."""
    return subprocess.run([sys.executable, "-m", "tlzoo.cli", *args], capture_output=True, text=True,
                          timeout=timeout)


def fit_and_test_uci_to_mnist(model, epochs: int) -> tuple[float, float]:  # noqa: ANN001 (a LightningModule)
    """Train ``model`` on the embedded UCI digits -> MNIST task for ``epochs`` epochs (batches of 64, no
    validation, nothing written), then test it; returns ``(test/source_acc, test/target_acc)``."""
    from lightning.pytorch import Trainer

    from tlzoo.data.digits import EmbeddedDigits

    trainer = Trainer(max_epochs=epochs, logger=False, enable_progress_bar=False, enable_checkpointing=False,
                      enable_model_summary=False, num_sanity_val_steps=0, limit_val_batches=0)
    trainer.fit(model, EmbeddedDigits(source="uci", batch_size=64))
    result = trainer.test(model, EmbeddedDigits(source="uci", batch_size=500), verbose=False)
    return result[0]["test/source_acc"], result[1]["test/target_acc"]

