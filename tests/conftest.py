"""Shared test set-up: offline W&B, quiet output, small thread counts."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

os.environ.setdefault("WANDB_MODE", "offline")
os.environ.setdefault("WANDB_SILENT", "true")
# One thread per pytest-xdist worker (`make test` runs two), else up to two.
torch.set_num_threads(1 if os.environ.get("PYTEST_XDIST_WORKER") else max(1, min(2, os.cpu_count() or 1)))

REPO = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path | None:
    """The repository's test data, ``../shared/data`` next to it (or ``$TLZOO_TEST_DATA``), if present."""
    env = os.environ.get("TLZOO_TEST_DATA")
    for candidate in ([Path(env)] if env else []) + [REPO.parent / "shared" / "data"]:
        if candidate.is_dir():
            return candidate
    return None


@pytest.fixture
def shared_data() -> Path:
    path = shared_data_dir()
    if path is None:
        pytest.skip("../shared/data is not present (set TLZOO_TEST_DATA to its location)")
    return path


@pytest.fixture(autouse=True)
def _run_in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test runs in its own folder, so runs/ and checkpoints never leak between tests."""
    monkeypatch.chdir(tmp_path)


@pytest.fixture(autouse=True)
def _feature_files_home(monkeypatch: pytest.MonkeyPatch) -> None:
    """Feature-file loaders look in ``$TLZOO_DATA``: point it at the repository's test data (when present)."""
    path = shared_data_dir()
    if path is not None:
        monkeypatch.setenv("TLZOO_DATA", str(path))
