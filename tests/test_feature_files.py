"""Feature-file loaders and preprocessing (tiny fixtures in the real .mat layouts + the shared data)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import scipy.io

from tlzoo.data.feature_files import (
    KNOWN_DOMAINS,
    l1,
    l2,
    load_feature_domain,
    load_feature_file,
    preprocess,
    resolve_root,
    zscore,
)
from tlzoo.errors import DataNotFoundError, TLZooError


def test_preprocessing_steps() -> None:
    X = np.array([[1.0, 3.0, 0.0], [2.0, 2.0, 0.0], [0.0, 0.0, 0.0]])
    assert np.allclose(l1(X)[:2].sum(1), 1) and np.allclose(l1(X)[2], 0)
    Z = zscore(X)
    assert np.allclose(Z.mean(0), 0) and np.allclose(Z[:, :2].std(0, ddof=0), 1) and np.allclose(Z[:, 2], 0)
    assert np.allclose(np.linalg.norm(l2(X)[:2], axis=1), 1)
    assert np.allclose(preprocess(X, "l1_zscore_l2"), l2(zscore(l1(X))))
    with pytest.raises(TLZooError):
        preprocess(X, "l1_pca")


def _surf_fixture(root: Path) -> None:
    d = root / "office_caltech10_surf"
    d.mkdir(parents=True)
    rng = np.random.default_rng(0)
    fts = rng.integers(0, 5, (6, 8)).astype(np.uint8)
    labels = np.array([[1], [2], [3], [1], [2], [10]], np.uint8)
    scipy.io.savemat(d / "amazon_SURF_L10.mat", {"fts": fts, "labels": labels})


def test_mat_layouts_npz_csv(tmp_path: Path) -> None:
    labels = np.array([[1], [2], [2], [1]], np.uint8)
    scipy.io.savemat(tmp_path / "d.mat", {"feas": np.ones((4, 5)), "labels": labels})
    X, y = load_feature_file(tmp_path / "d.mat")
    assert X.shape == (4, 5) and X.dtype == np.float64 and list(y) == [0, 1, 1, 0]
    g_labels = np.array([[1, 2, 3]], np.int64)
    scipy.io.savemat(tmp_path / "g.mat", {"fts": np.ones((3, 2), np.float32), "labels": g_labels})
    assert list(load_feature_file(tmp_path / "g.mat")[1]) == [0, 1, 2]  # GoogLeNet (1, n) labels
    np.savez(tmp_path / "a.npz", X=np.zeros((2, 3)), y=np.array([0, 1]))
    assert load_feature_file(tmp_path / "a.npz")[0].shape == (2, 3)
    (tmp_path / "c.csv").write_text("f1,f2,label\n1,2,0\n3,4,1\n")
    X, y = load_feature_file(tmp_path / "c.csv")
    assert X.tolist() == [[1, 2], [3, 4]] and y.tolist() == [0, 1]


def test_known_domain_with_root_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _surf_fixture(tmp_path)
    X, y = load_feature_domain("office_caltech10_surf/amazon", root=tmp_path, preprocessing=None)
    assert y.tolist() == [0, 1, 2, 0, 1, 9] and np.allclose(np.linalg.norm(X, axis=1), 1)
    monkeypatch.setenv("TLZOO_DATA", str(tmp_path))
    assert resolve_root() == tmp_path
    X2, _ = load_feature_domain("office_caltech10_surf/amazon", preprocessing="none")
    assert X2.max() > 1


def test_missing_domain_message(tmp_path: Path) -> None:
    with pytest.raises(DataNotFoundError, match="--root") as e:
        load_feature_domain("office_caltech10_surf/webcam", root=tmp_path)
    assert "webcam_SURF_L10.mat" in str(e.value)
    with pytest.raises(TLZooError):
        load_feature_domain("nope/domain", root=tmp_path)


def _real_root() -> Path | None:
    from tests.conftest import shared_data_dir

    root = shared_data_dir()
    return root if root is not None and (root / "office_caltech10_surf" / "dslr_SURF_L10.mat").is_file() else None


REAL = _real_root()
needs_real = pytest.mark.skipif(REAL is None, reason="shared data (office_caltech10_surf) not found")


@needs_real
def test_real_files_shapes_and_counts() -> None:
    X, y = load_feature_domain("office_caltech10_surf/dslr", root=REAL, preprocessing="none")
    assert X.shape == (157, 800) and np.bincount(y).tolist() == [12, 21, 12, 13, 10, 24, 22, 12, 8, 23]
    for name, dom in KNOWN_DOMAINS.items():
        if (REAL / dom.relpath).is_file():
            Xd, yd = load_feature_domain(name, root=REAL)
            assert len(Xd) == len(yd) and yd.min() == 0


@needs_real
def test_raw_d_to_w_matches_jgsa_table() -> None:
    from tlzoo.shallow import Raw

    Xs, ys = load_feature_domain("office_caltech10_surf/dslr", root=REAL, preprocessing="l1_zscore_l2")
    Xt, yt = load_feature_domain("office_caltech10_surf/webcam", root=REAL, preprocessing="l1_zscore_l2")
    assert round(100 * np.mean(Raw().fit_predict(Xs, ys, Xt) == yt), 2) == 83.73
