"""MultiDomainDigits: ``(x, digit, domain)`` batches over embedded and file-based digit domains, held-out splits, and
one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from tlzoo.data.fixtures import write_mnist_idx
from tlzoo.data.fixtures_extra import write_mnist_m, write_usps_h5
from tlzoo.data.multi_domain_digits import MultiDomainDigits
from tlzoo.errors import DataNotFoundError, TLZooError


def test_embedded_domains_give_digit_and_domain_labels() -> None:
    data = MultiDomainDigits(["mnist", "uci"], image_size=16, batch_size=8)
    assert data.label_kind == "domains" and data.domain_names == ["mnist", "uci"] and data.input_shape == (1, 16, 16)
    data.setup("fit")
    sizes = data.split_sizes()
    assert sizes == {"train": 2700 + 900, "val": 300 + 100, "test": 2000 + 797}
    x, y, d = next(iter(data.train_dataloader()))
    assert x.shape == (8, 1, 16, 16) and y.dtype == d.dtype == torch.long
    assert float(x.min()) >= -1 and float(x.max()) <= 1 and set(y.tolist()) <= set(range(10))
    domains = torch.cat([b[2] for b in data.test_dataloader()])
    assert (domains == 0).sum() == 2000 and (domains == 1).sum() == 797  # the order of `domains`


def test_file_domains_and_three_channels(tmp_path: Path) -> None:
    write_usps_h5(tmp_path / "usps", n_train=40, n_test=20)
    write_mnist_m(tmp_path / "mnist_m", "test", n=30, zipped=True)
    data = MultiDomainDigits(["usps", "mnist_m", "uci"], usps_root=str(tmp_path / "usps"),
                             mnistm_root=str(tmp_path / "mnist_m"), image_size=32, batch_size=4)
    assert data.channels == 3 and data.input_shape == (3, 32, 32)
    data.setup("fit")
    # MNIST-M with its test split only: the last fifth (6 of 30) tests, the rest is the train pool
    assert data.split_sizes()["test"] == 20 + 6 + 797
    x, y, d = data.test_set[20]
    assert x.shape == (3, 32, 32) and int(d) == 1
    assert int(data.train_set[0][2]) == 0


def test_mnist_idx_files_are_used_when_given(tmp_path: Path) -> None:
    write_mnist_idx(tmp_path / "mnist", n_train=50, n_test=20)
    data = MultiDomainDigits(["uci", "mnist"], mnist_root=str(tmp_path / "mnist"), image_size=28)
    data.setup("fit")
    assert data.split_sizes()["test"] == 797 + 20 and "MNIST train" in data.protocol


def test_errors(tmp_path: Path) -> None:
    with pytest.raises(TLZooError, match="two or more"):
        MultiDomainDigits(["uci"])
    with pytest.raises(TLZooError, match="two or more"):
        MultiDomainDigits(["uci", "svhn"])  # type: ignore[list-item]
    with pytest.raises(TLZooError, match="channels"):
        MultiDomainDigits(["uci", "mnist_m"], channels=1)
    with pytest.raises(DataNotFoundError, match="usps_root"):
        MultiDomainDigits(["uci", "usps"], usps_root=str(tmp_path)).setup("fit")
