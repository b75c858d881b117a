"""Each shallow DA method on small synthetic data: shapes and the math it is defined by."""

from __future__ import annotations

import numpy as np
import pytest
from _shallow_synth import two_domains  # tests/ is on sys.path (rootdir conftest, prepend import mode)

from tlzoo.data.feature_files import l2
from tlzoo.shallow import METHODS, get_method
from tlzoo.shallow.coral import CORAL
from tlzoo.shallow.gfk import GFK, gfk_kernel
from tlzoo.shallow.jda import JDA
from tlzoo.shallow.jgsa import JGSA, scatter_matrices
from tlzoo.shallow.kernels import centering, mmd_matrix, pca_basis
from tlzoo.shallow.otgl import OTGL
from tlzoo.shallow.sa import SA
from tlzoo.shallow.sca import SCA
from tlzoo.shallow.sda import SDA
from tlzoo.shallow.tca import TCA
from tlzoo.shallow.tjm import TJM

DATA = two_domains()


@pytest.mark.parametrize("name", sorted(METHODS))
def test_every_method_runs_and_is_documented(name: str) -> None:
    cls = get_method(name)
    assert cls.__module__ and (cls.__doc__ or "") and (__import__(cls.__module__, fromlist=["x"]).__doc__ or "")
    kwargs = {"k": 5} if name in {"tca", "jda", "tjm", "sca", "jgsa"} else {}
    if name in {"sa", "sda", "gfk"}:
        kwargs = {"dim": 4}
    if name in {"jda", "tjm", "jgsa"}:
        kwargs["iterations"] = 2
    Xs, ys, Xt, yt = DATA
    Zs, Zt = cls(**kwargs).fit_transform(Xs, ys, Xt)
    assert Zs.shape[0] == len(Xs) and Zt.shape[0] == len(Xt) and Zs.shape[1] == Zt.shape[1]
    pred = cls(**kwargs).fit_predict(Xs, ys, Xt)
    assert pred.shape == yt.shape and np.all(np.isfinite(Zs))


def test_sa_alignment_matrix_is_ps_t_pt() -> None:
    Xs, ys, Xt, _ = DATA
    m = SA(dim=4)
    Zs, Zt = m.fit_transform(Xs, ys, Xt)
    Ps, _ = pca_basis(Xs, 4)
    Pt, _ = pca_basis(Xt, 4)
    assert np.allclose(m.M_, Ps.T @ Pt)
    assert np.allclose(Zs, Xs @ Ps @ Ps.T @ Pt) and np.allclose(Zt, Xt @ Pt)


def test_sda_matches_target_variances_when_subspaces_coincide() -> None:
    Xs, ys, _, _ = DATA
    Xt = 2.0 * Xs  # same principal axes, variances x4
    Zs, Zt = SDA(dim=3).fit_transform(Xs, ys, Xt)
    assert np.allclose(Zs.var(axis=0), Zt.var(axis=0), rtol=1e-6)


def test_coral_recoloured_source_covariance_is_target_covariance_plus_identity() -> None:
    Xs, ys, Xt, _ = DATA
    m = CORAL(reg=1.0)
    Zs, Zt = m.fit_transform(Xs, ys, Xt)
    d = Xs.shape[1]
    lhs = m.A_.T @ (np.cov(Xs, rowvar=False) + np.eye(d)) @ m.A_
    assert np.allclose(lhs, np.cov(Xt, rowvar=False) + np.eye(d), atol=1e-8)
    assert np.allclose(Zt, Xt)


def test_gfk_kernel_is_psd_and_reduces_to_projection_for_equal_subspaces() -> None:
    Xs, ys, Xt, _ = DATA
    Ps, _ = pca_basis(Xs, 4)
    Pt, _ = pca_basis(Xt, 4)
    G = gfk_kernel(Ps, Pt)
    assert np.allclose(G, G.T) and np.linalg.eigvalsh(G).min() > -1e-10
    assert np.allclose(gfk_kernel(Ps, Ps), Ps @ Ps.T, atol=1e-8)
    m = GFK(dim=4)
    Zs, _ = m.fit_transform(Xs, ys, Xt)
    assert np.allclose(Zs @ Zs.T, Xs @ m.G_ @ Xs.T, atol=1e-8)


def test_tca_constraint_and_objective_beats_pca() -> None:
    Xs, ys, Xt, _ = DATA
    m = TCA(k=3, lam=1.0, scaling="b", normalize_input=False, normalize_output=False)
    m.fit_transform(Xs, ys, Xt)
    X = np.vstack([Xs, Xt])
    H = centering(len(X))
    M = mmd_matrix(len(Xs), len(Xt), n_classes=3)
    A = m.A_
    assert np.allclose(A.T @ X.T @ H @ X @ A, np.eye(3), atol=1e-8)  # W^T K H K W = I
    obj = lambda W: np.trace(W.T @ (X.T @ M @ X + np.eye(X.shape[1])) @ W)  # noqa: E731
    w, V = np.linalg.eigh(X.T @ H @ X)
    P = V[:, -3:] / np.sqrt(w[-3:])  # PCA directions scaled to the same constraint
    assert obj(A) <= obj(P) + 1e-9
    # the projected domain means are closer than with PCA
    gap = lambda W: np.linalg.norm(Xs.mean(0) @ W - Xt.mean(0) @ W)  # noqa: E731
    assert gap(A) < gap(P)


def test_jda_with_one_iteration_equals_tca() -> None:
    Xs, ys, Xt, _ = DATA
    Zs1, Zt1 = JDA(k=4, lam=1.0, iterations=1).fit_transform(Xs, ys, Xt)
    Zs2, Zt2 = TCA(k=4, lam=1.0, normalize_output=True).fit_transform(Xs, ys, Xt)
    assert np.allclose(Zs1, Zs2) and np.allclose(Zt1, Zt2)
    m = JDA(k=4, iterations=3)
    m.fit_transform(Xs, ys, Xt)
    assert len(m.pseudo_history_) == 3


def test_tjm_output_normalisation_and_reweighting() -> None:
    Xs, ys, Xt, _ = DATA
    Zs, Zt = TJM(k=4, iterations=2, normalize_output=True).fit_transform(Xs, ys, Xt)
    assert np.allclose(np.linalg.norm(np.vstack([Zs, Zt]), axis=1), 1.0)
    m = TJM(k=4, iterations=2)  # authors' code: Z = A^T K, not re-normalised; G_ii = 1/sqrt(||a^i||^2 + eps)
    Zs, Zt = m.fit_transform(Xs, ys, Xt)
    assert not np.allclose(np.linalg.norm(np.vstack([Zs, Zt]), axis=1), 1.0)
    ns = len(Xs)
    assert np.allclose(m.G_diag_[:ns], 1.0 / np.sqrt((m.A_[:ns] ** 2).sum(axis=1) + np.finfo(float).eps))
    assert np.allclose(m.G_diag_[ns:], 1.0)
    with pytest.raises(ValueError):
        TJM(reweight="nope")


def test_sca_eigen_constraint() -> None:
    Xs, ys, Xt, _ = DATA
    m = SCA(k=4)
    Zs, _ = m.fit_transform(Xs, ys, Xt)
    assert m.B_.shape == (len(Xs) + len(Xt), 4) and Zs.shape == (len(Xs), 4)


def test_otgl_coupling_marginals() -> None:
    Xs, ys, Xt, _ = DATA
    m = OTGL(reg_e=0.5, reg_cl=0.1)
    Zs, Zt = m.fit_transform(Xs, ys, Xt)
    G = m.coupling_
    assert np.allclose(G.sum(axis=1), 1 / len(Xs), atol=1e-4)
    assert np.allclose(G.sum(axis=0), 1 / len(Xt), atol=1e-4)
    assert np.allclose(Zs, len(Xs) * G @ Xt, atol=1e-3)  # barycentric mapping


def test_jgsa_scatters_and_variants() -> None:
    Xs, ys, Xt, _ = DATA
    Sw, Sb = scatter_matrices(Xs, ys)
    R = Xs - Xs.mean(0)
    assert np.allclose(Sw + Sb, R.T @ R)
    for kern in ("primal", "linear", "rbf"):
        m = JGSA(k=4, iterations=2, kernel=kern)
        Zs, Zt = m.fit_transform(Xs, ys, Xt)
        assert Zs.shape == (len(Xs), 4) and Zt.shape == (len(Xt), 4)
    # shallow adaptation should help on the shifted synthetic domains
    acc_raw = np.mean(get_method("raw")().fit_predict(l2(Xs), ys, l2(Xt)) == DATA[3])
    acc = np.mean(JGSA(k=4, iterations=3).fit_predict(l2(Xs), ys, l2(Xt)) == DATA[3])
    assert acc >= acc_raw - 0.05
