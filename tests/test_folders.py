"""Image-folder domains (your own data) and Office-31's layout checks."""

from __future__ import annotations

from pathlib import Path

import pytest

from tlzoo.data import DomainFolders, Office31
from tlzoo.data.fixtures import write_image_folder, write_office31
from tlzoo.errors import DataNotFoundError, TLZooError


def test_domain_folders_serve_the_contract(tmp_path: Path) -> None:
    write_image_folder(tmp_path / "a", ["x", "y"], per_class=5, seed=0)
    write_image_folder(tmp_path / "b", ["x", "y"], per_class=4, seed=1)
    dm = DomainFolders(str(tmp_path / "a"), str(tmp_path / "b"), image_size=32, resize=36, batch_size=2,
                       num_workers=0, source_val_fraction=0.2)
    assert dm.num_classes == 2 and dm.input_shape == (3, 32, 32)
    dm.setup()
    assert dm.split_sizes() == {"source_train": 8, "source_val": 2, "target_train": 8, "target_test": 8}
    batch, _, _ = next(iter(dm.train_dataloader()))
    assert batch["source"][0].shape == (2, 3, 32, 32) and batch["target"].shape == (2, 3, 32, 32)


def test_mismatched_classes_are_reported(tmp_path: Path) -> None:
    write_image_folder(tmp_path / "a", ["x", "y"], per_class=1)
    write_image_folder(tmp_path / "b", ["x", "z"], per_class=1)
    with pytest.raises(TLZooError, match="class folders differ"):
        DomainFolders(str(tmp_path / "a"), str(tmp_path / "b"))


def test_missing_folder_names_layout_and_flag(tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError, match="--data.source_root") as err:
        DomainFolders(str(tmp_path / "nope"), str(tmp_path / "nope2"))
    assert "<class_name>" in str(err.value)


def test_office31_layout(tmp_path: Path) -> None:
    write_office31(tmp_path, per_class=1)
    dm = Office31(root=str(tmp_path), source="dslr", target="amazon", num_workers=0)
    assert dm.num_classes == 31 and dm.classes == Office31.CLASSES
    with pytest.raises(TLZooError, match="pick two different"):
        Office31(root=str(tmp_path), source="dslr", target="dslr")


def test_office31_download_failure_is_actionable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import torchvision.datasets.utils as tv_utils

    def offline(*args, **kwargs):
        raise OSError("no network")

    monkeypatch.setattr(tv_utils, "download_url", offline)
    dm = Office31(root=str(tmp_path / "office"), download=True)
    with pytest.raises(DataNotFoundError, match="by hand"):
        dm.prepare_data()
