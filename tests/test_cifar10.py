"""CIFAR-10 data module on fixture files in the real ``cifar-10-batches-py`` pickle format."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from tlzoo.data.base import evaluation_order
from tlzoo.data.cifar10 import CIFAR10, CIFAR10_MEAN, CIFAR10_STD, FOLDER, load_cifar10
from tlzoo.data.fixtures_cifar10 import LABEL_NAMES, write_cifar10
from tlzoo.errors import DataNotFoundError, TLZooError


def test_fixture_is_the_python_pickle_format(tmp_path: Path) -> None:
    write_cifar10(tmp_path, per_batch=6, n_test=4)
    with open(tmp_path / FOLDER / "data_batch_3", "rb") as f:
        entry = pickle.load(f, encoding="latin1")  # how torchvision reads the real files
    assert entry["data"].dtype == np.uint8 and entry["data"].shape == (6, 3072)
    assert len(entry["labels"]) == 6 and len(entry["filenames"]) == 6 and "batch_label" in entry
    with open(tmp_path / FOLDER / "batches.meta", "rb") as f:
        meta = pickle.load(f, encoding="latin1")
    assert meta["label_names"] == LABEL_NAMES and meta["num_vis"] == 3072


def test_images_are_rgb_planes_and_labels_in_order(tmp_path: Path) -> None:
    write_cifar10(tmp_path, per_batch=6, n_test=4)
    images, labels, names = load_cifar10(tmp_path, train=True)
    assert images.shape == (30, 3, 32, 32) and labels.shape == (30,) and names == LABEL_NAMES
    with open(tmp_path / FOLDER / "data_batch_2", "rb") as f:
        entry = pickle.load(f, encoding="latin1")
    # Row i of a batch: 1024 red values, then green, then blue, each 32x32 row-major.
    assert np.array_equal(images[6 + 1], entry["data"][1].reshape(3, 32, 32))
    assert labels[6:12].tolist() == entry["labels"]


def test_splits_normalisation_and_augmentation(tmp_path: Path) -> None:
    write_cifar10(tmp_path, per_batch=10, n_test=20)
    dm = CIFAR10(root=str(tmp_path), val_fraction=0.2, batch_size=4, num_workers=0)
    dm.setup("fit")
    assert dm.split_sizes() == {"train": 40, "val": 10, "test": 20}
    assert dm.class_names == LABEL_NAMES and dm.num_classes == 10 and dm.input_shape == (3, 32, 32)
    x, y = next(iter(dm.val_dataloader()))
    assert x.shape == (4, 3, 32, 32) and y.dtype == torch.int64
    raw = dm.val_set.images[evaluation_order(10)[:4]].float() / 255  # evaluation loaders read a fixed permutation
    expected = (raw - torch.tensor(CIFAR10_MEAN).view(3, 1, 1)) / torch.tensor(CIFAR10_STD).view(3, 1, 1)
    assert torch.allclose(x, expected, atol=1e-5)
    assert torch.allclose(dm.spec.denormalize(x), raw, atol=1e-5)
    torch.manual_seed(0)
    augmented = torch.stack([dm.train_set[0][0] for _ in range(8)])
    plain = dm.spec.normalize(dm.train_set.images[0].float() / 255)
    assert augmented.shape == (8, 3, 32, 32) and not all(torch.equal(a, plain) for a in augmented)
    # the split is stratified and repeatable
    again = CIFAR10(root=str(tmp_path), val_fraction=0.2, num_workers=0)
    again.setup("fit")
    assert torch.equal(again.val_set.labels, dm.val_set.labels)
    assert sorted(dm.val_set.labels.tolist()) == list(range(10))  # 10 of 50, one per class


def test_missing_files_name_the_layout_and_flags(tmp_path: Path) -> None:
    dm = CIFAR10(root=str(tmp_path / "nowhere"), num_workers=0)
    with pytest.raises(DataNotFoundError) as err:
        dm.setup("fit")
    message = str(err.value)
    assert "cifar-10-batches-py" in message and "--data.root" in message and "--data.download true" in message


def test_damaged_file_is_named(tmp_path: Path) -> None:
    write_cifar10(tmp_path, per_batch=2, n_test=2)
    (tmp_path / FOLDER / "data_batch_4").write_bytes(b"not a pickle")
    with pytest.raises(TLZooError, match="damaged"):
        load_cifar10(tmp_path, train=True)


def test_bad_arguments_are_user_errors() -> None:
    with pytest.raises(TLZooError, match="val_fraction"):
        CIFAR10(val_fraction=1.0)
