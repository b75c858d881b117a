"""Style-transfer tests: no ImageNet weights and no download, whatever this machine's torch hub cache holds."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch


@pytest.fixture
def no_imagenet_weights(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An empty torch hub cache and a download that fails at once (as offline)."""
    from torchvision.models._api import WeightsEnum

    def offline(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        raise OSError("offline (test)")

    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path / "hub"))
    monkeypatch.setattr(WeightsEnum, "get_state_dict", offline)
