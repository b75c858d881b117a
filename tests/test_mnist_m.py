"""MNIST-M: the PNG zip / folder distribution, Ganin et al.'s |digit - patch| construction, and the
transductive flag."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from tlzoo.data import fixtures, fixtures_extra
from tlzoo.data.mnist_m import (
    MNISTToMNISTM,
    blend_mnist_m,
    build_mnist_m,
    load_mnist_m_split,
    load_photos,
    read_labels,
)
from tlzoo.errors import DataNotFoundError


def test_zip_and_folder_layouts_read_the_same_images(tmp_path: Path) -> None:
    fixtures_extra.write_mnist_m(tmp_path / "z", "test", n=12, zipped=True)
    fixtures_extra.write_mnist_m(tmp_path / "f", "test", n=12, zipped=False)
    xz, yz = load_mnist_m_split(tmp_path / "z", "test")
    xf, yf = load_mnist_m_split(tmp_path / "f", "test")
    assert xz.shape == (12, 3, 32, 32) and xz.dtype == torch.uint8
    assert torch.equal(xz, xf) and torch.equal(yz, yf) and yz.tolist() == [i % 10 for i in range(12)]
    assert read_labels(tmp_path / "z/mnist_m_test_labels.txt")[1] == ("00000001.png", 1)


def test_blend_is_absolute_difference_with_a_patch() -> None:
    digits = np.zeros((3, 4, 4), dtype=np.uint8)
    digits[:, 1:3, 1:3] = 255
    photo = np.full((10, 12, 3), (10, 100, 200), dtype=np.uint8)
    out = blend_mnist_m(digits, [photo], seed=0)
    assert out.shape == (3, 4, 4, 3)
    np.testing.assert_array_equal(out[0, 0, 0], [10, 100, 200])  # |0 - c|
    np.testing.assert_array_equal(out[0, 1, 1], [245, 155, 55])  # |255 - c|
    rng = np.random.default_rng(1)
    photo2 = rng.integers(0, 256, size=(20, 20, 3), dtype=np.uint8)
    d = rng.integers(0, 256, size=(2, 5, 5), dtype=np.uint8)
    out2 = blend_mnist_m(d, [photo2], seed=3)
    # every output is |d - some 5x5 crop of the photo|
    for i in range(2):
        found = any(
            np.array_equal(out2[i], np.abs(d[i].astype(int)[..., None] - photo2[t:t + 5, s:s + 5].astype(int)))
            for t in range(16) for s in range(16))
        assert found


def test_build_from_sklearn_photos_then_read_back(tmp_path: Path) -> None:
    photos = load_photos("sklearn")
    assert len(photos) == 2 and photos[0].ndim == 3 and photos[0].shape[2] == 3
    digits = np.zeros((6, 28, 28), dtype=np.uint8)
    digits[:, 8:20, 12:16] = 255
    labels = np.arange(6) % 10
    out = build_mnist_m(digits, labels, tmp_path / "mm", photos="sklearn", split="test", size=32, zipped=True)
    x, y = load_mnist_m_split(out, "test")
    assert x.shape == (6, 3, 32, 32) and y.tolist() == labels.tolist()
    assert x.float().std() > 10  # coloured photo texture, not a flat image
    build_mnist_m(digits, labels, tmp_path / "mm2", photos=fixtures_extra.write_photo_folder(tmp_path / "photos"),
                  split="train", size=28)
    x2, _ = load_mnist_m_split(tmp_path / "mm2", "train")
    assert x2.shape == (6, 3, 28, 28)


def test_build_from_skimage_photos(tmp_path: Path) -> None:
    pytest.importorskip("skimage")
    digits = np.full((3, 28, 28), 128, dtype=np.uint8)
    out = build_mnist_m(digits, np.arange(3), tmp_path, photos="skimage", split="test")
    assert load_mnist_m_split(out, "test")[0].shape == (3, 3, 32, 32)


def test_transductive_flag(tmp_path: Path) -> None:
    fixtures.write_mnist_idx(tmp_path / "mnist", n_train=40, n_test=10)
    fixtures_extra.write_mnist_m(tmp_path / "mm", "test", n=20)
    with pytest.warns(UserWarning, match="TRANSDUCTIVE"):
        dm = MNISTToMNISTM(mnist_root=str(tmp_path / "mnist"), mnistm_root=str(tmp_path / "mm"))
    assert dm.transductive and "transductive=True" in dm.protocol
    dm.setup()
    assert dm.target_train is dm.target_test and dm.input_shape == (3, 28, 28)
    x, y = dm.source_train[0]
    assert x.shape == (3, 28, 28) and torch.equal(x[0], x[1])  # MNIST repeated to 3 channels
    with pytest.raises(DataNotFoundError, match="mnist_m_train"):
        MNISTToMNISTM(mnist_root=str(tmp_path / "mnist"), mnistm_root=str(tmp_path / "mm"), transductive=False).setup()
    fixtures_extra.write_mnist_m(tmp_path / "mm", "train", n=30, zipped=False)
    dm = MNISTToMNISTM(mnist_root=str(tmp_path / "mnist"), mnistm_root=str(tmp_path / "mm"))
    dm.setup()
    assert not dm.transductive and len(dm.target_train) == 30 and len(dm.target_test) == 20


def test_real_shared_mnist_m_test(shared_data: Path) -> None:
    x, y = load_mnist_m_split(shared_data / "mnist_m_test", "test")
    assert x.shape == (9001, 3, 32, 32)
    assert torch.bincount(y).tolist() == [878, 1016, 933, 908, 890, 807, 856, 914, 880, 919]
