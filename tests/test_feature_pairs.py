"""FeaturePairs: feature-vector domains through tlzoo.data.feature_files, the transductive protocol."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tlzoo.data import fixtures_extra
from tlzoo.data.feature_pairs import FeaturePairs
from tlzoo.errors import DataNotFoundError, TLZooError


def test_mat_domains_shapes_splits_and_transductive(tmp_path: Path) -> None:
    s = fixtures_extra.write_feature_mat(tmp_path / "s.mat", n=50, dim=16)
    t = fixtures_extra.write_feature_mat(tmp_path / "t.mat", n=30, dim=16, shift=0.5, seed=1)
    dm = FeaturePairs(source=str(s), target=str(t), preprocessing="l2", source_val_fraction=0.2, batch_size=8)
    assert dm.input_shape == (16,) and dm.num_classes == 10  # known before setup
    dm.setup()
    assert dm.split_sizes() == {"source_train": 40, "source_val": 10, "target_train": 30, "target_test": 30}
    assert dm.target_train is dm.target_test and "transductive" in dm.protocol
    x, y = dm.source_train[0]
    assert x.shape == (16,) and x.dtype.is_floating_point and 0 <= int(y) < 10
    np.testing.assert_allclose(np.linalg.norm(dm.target_test.tensors[0].numpy(), axis=1), 1.0, rtol=1e-5)
    batch = next(iter(dm.train_dataloader()))[0]
    assert batch["source"][0].shape == (8, 16) and batch["target"].shape == (8, 16)


def test_missing_and_mismatched_domains(tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError, match="--root"):
        FeaturePairs(source="office_caltech10_decaf/dslr", target="office_caltech10_decaf/webcam",
                     root=str(tmp_path))
    a = fixtures_extra.write_feature_mat(tmp_path / "a.mat", dim=8)
    b = fixtures_extra.write_feature_mat(tmp_path / "b.mat", dim=9)
    with pytest.raises(TLZooError, match="feature space"):
        FeaturePairs(source=str(a), target=str(b))


def test_real_decaf_dslr_webcam(shared_data: Path) -> None:
    dm = FeaturePairs(root=str(shared_data))
    assert dm.input_shape == (4096,) and dm.num_classes == 10
    dm.setup()
    sizes = dm.split_sizes()
    assert sizes["source_train"] + sizes["source_val"] == 157 and sizes["target_test"] == 295
