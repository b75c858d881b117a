"""Bad data files give one clear error naming the file (or are skipped), never a silently wrong dataset."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from tlzoo.data import DomainFolders
from tlzoo.data.feature_files import load_feature_file
from tlzoo.data.feature_pairs import FeaturePairs
from tlzoo.data.fixtures import write_image_folder
from tlzoo.data.translation import list_image_files, open_image
from tlzoo.errors import DataNotFoundError, TLZooError


# -- feature files --------------------------------------------------------------------------------
def test_non_finite_features_are_rejected_naming_file_and_rows(tmp_path: Path) -> None:
    x = np.ones((5, 3))
    x[1, 0], x[4, 2] = np.nan, np.inf
    np.savez(tmp_path / "f.npz", X=x, y=np.zeros(5, dtype=int))
    with pytest.raises(TLZooError, match=r"f\.npz: 2 row\(s\) with NaN or infinite features \(0-based rows 1, 4\)"):
        load_feature_file(tmp_path / "f.npz")


def test_rows_and_labels_of_different_counts_are_refused(tmp_path: Path) -> None:
    np.savez(tmp_path / "f.npz", X=np.ones((5, 3)), y=np.zeros(4, dtype=int))
    with pytest.raises(TLZooError, match="5 feature rows but 4 labels"):
        load_feature_file(tmp_path / "f.npz")


def test_negative_and_empty_labels_are_refused(tmp_path: Path) -> None:
    np.savez(tmp_path / "neg.npz", X=np.ones((3, 2)), y=np.array([0, -1, 1]))
    with pytest.raises(TLZooError, match=r"negative labels in rows \[1\]"):
        load_feature_file(tmp_path / "neg.npz")
    (tmp_path / "empty_label.csv").write_text("a,b,label\n1,2,0\n3,4,\n")
    with pytest.raises(TLZooError, match="data row 1 .* empty or non-numeric"):
        load_feature_file(tmp_path / "empty_label.csv")


def test_truncated_mat_file_names_the_file(tmp_path: Path) -> None:
    import scipy.io

    scipy.io.savemat(tmp_path / "whole.mat", {"X": np.ones((20, 8)), "y": np.arange(20)})
    data = (tmp_path / "whole.mat").read_bytes()
    (tmp_path / "cut.mat").write_bytes(data[: len(data) // 2])
    with pytest.raises(TLZooError, match=r"cut\.mat cannot be read"):
        load_feature_file(tmp_path / "cut.mat")


def test_target_classes_missing_from_the_source_are_refused(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "s.npz", X=rng.normal(size=(6, 4)), y=np.array([0, 1, 0, 1, 0, 1]))
    np.savez(tmp_path / "t.npz", X=rng.normal(size=(6, 4)), y=np.array([0, 1, 2, 0, 1, 2]))
    with pytest.raises(TLZooError, match=r"classes \[2\] that the source"):
        FeaturePairs(source=str(tmp_path / "s.npz"), target=str(tmp_path / "t.npz"), preprocessing="none")


# -- image folders --------------------------------------------------------------------------------
def _domains(tmp_path: Path) -> tuple[Path, Path]:
    write_image_folder(tmp_path / "a", ["x", "y"], per_class=3, seed=0)
    write_image_folder(tmp_path / "b", ["x", "y"], per_class=3, seed=1)
    return tmp_path / "a", tmp_path / "b"


def _folders(a: Path, b: Path) -> DomainFolders:
    return DomainFolders(str(a), str(b), image_size=16, resize=16, batch_size=2, num_workers=0,
                         source_val_fraction=0.0)


def test_fifos_and_macos_resource_forks_are_skipped(tmp_path: Path) -> None:
    a, b = _domains(tmp_path)
    os.mkfifo(a / "x" / "stalled.png")  # opening it would block forever
    (a / "x" / "._0.png").write_bytes(b"\x00\x05\x16\x07 AppleDouble")
    os.mkfifo(b / "stalled.jpg")
    dm = _folders(a, b)
    dm.setup()
    assert len(dm.source_train) == 6
    next(iter(dm.train_dataloader()))  # reads every listed file of one batch without blocking
    assert b / "stalled.jpg" not in list_image_files(b)


def test_class_folder_without_images_is_named(tmp_path: Path) -> None:
    a, b = _domains(tmp_path)
    for f in (a / "y").iterdir():
        f.unlink()
    with pytest.raises(DataNotFoundError, match=r"without images .*\['y'\]"):
        _folders(a, b).setup()


def test_corrupt_and_truncated_images_are_named(tmp_path: Path) -> None:
    a, b = _domains(tmp_path)
    bad = sorted((a / "x").iterdir())[0]
    bad.write_bytes(bad.read_bytes()[:40])  # truncated
    dm = _folders(a, b)
    dm.setup()
    index = next(i for i, (p, _) in enumerate(dm.source_train.dataset.samples) if Path(p) == bad)
    with pytest.raises(TLZooError, match=f"cannot read the image {bad}"):
        dm.source_train.dataset[index]


def test_source_val_fraction_out_of_range_is_refused(tmp_path: Path) -> None:
    a, b = _domains(tmp_path)
    with pytest.raises(TLZooError, match=r"source_val_fraction must be in \[0, 1\), got 1.5"):
        DomainFolders(str(a), str(b), source_val_fraction=1.5)


def test_16_bit_png_keeps_its_brightness(tmp_path: Path) -> None:
    from PIL import Image

    grey = np.full((8, 8), 32768, dtype=np.uint16)  # mid-grey in 16 bits
    Image.fromarray(grey).save(tmp_path / "g16.png")
    assert Image.open(tmp_path / "g16.png").mode.startswith("I")
    for channels in (1, 3):
        pixels = np.asarray(open_image(tmp_path / "g16.png", channels))
        assert abs(int(pixels.mean()) - 128) <= 1, pixels.mean()


@pytest.mark.parametrize("gzipped", [True, False])
def test_truncated_mnist_idx_files_are_named(tmp_path: Path, gzipped: bool) -> None:
    from tlzoo.data import fixtures
    from tlzoo.data.usps_mnist import read_idx

    fixtures.write_mnist_idx(tmp_path, n_train=8, n_test=4, gzipped=gzipped)
    path = next(tmp_path.rglob("t10k-images*"))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(TLZooError, match=path.name):
        read_idx(path)


def test_truncated_svhn_mat_file_is_named(tmp_path: Path) -> None:
    from tlzoo.data import fixtures
    from tlzoo.data.svhn_mnist import load_svhn

    path = fixtures.write_svhn_mat(tmp_path, "train", n=16)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(TLZooError, match="train_32x32.mat cannot be read"):
        load_svhn(tmp_path, "train", download=False, transform=None)
