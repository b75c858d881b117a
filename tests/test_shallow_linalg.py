"""Shared linear algebra of the shallow methods: eigen-solver, MMD matrix, kernels, classifiers."""

from __future__ import annotations

import numpy as np
import pytest

from tlzoo.shallow.classifiers import CLASSIFIERS, make_classifier
from tlzoo.shallow.kernels import (
    center_kernel,
    generalized_eigvecs,
    kernel,
    lowrank_generalized_eigvecs,
    mmd_matrix,
)


def _spd(n: int, seed: int) -> np.ndarray:
    R = np.random.default_rng(seed).normal(size=(n, n))
    return R @ R.T + n * np.eye(n)


@pytest.mark.parametrize("which", ["largest", "smallest"])
@pytest.mark.parametrize("scaling", ["unit", "b"])
def test_generalized_eigvecs_solve_the_problem(which: str, scaling: str) -> None:
    A, B = _spd(8, 0), _spd(8, 1)
    lam, W = generalized_eigvecs(A, B, 3, which, scaling)
    assert np.allclose(A @ W, (B @ W) * lam[None, :], atol=1e-8)
    all_lam = np.sort(np.linalg.eigvals(np.linalg.solve(B, A)).real)
    expect = all_lam[::-1][:3] if which == "largest" else all_lam[:3]
    assert np.allclose(lam, expect)
    G = W.T @ B @ W
    assert np.allclose(G - np.diag(np.diag(G)), 0, atol=1e-8)  # B-orthogonal
    if scaling == "b":
        assert np.allclose(G, np.eye(3), atol=1e-8)
    else:
        assert np.allclose(np.linalg.norm(W, axis=0), 1.0)


@pytest.mark.parametrize("scaling", ["unit", "b"])
def test_lowrank_solver_matches_full_solver(scaling: str) -> None:
    U = np.random.default_rng(3).normal(size=(12, 5))  # A = U U^T has rank 5
    B = _spd(12, 4)
    lam, W = lowrank_generalized_eigvecs(U, B, 3, scaling)
    lam_full, W_full = generalized_eigvecs(U @ U.T, B, 3, "largest", scaling)
    assert np.allclose(lam, lam_full)
    assert np.allclose(np.abs(np.sum(W * W_full, axis=0)), np.sum(W_full * W_full, axis=0))  # same up to sign
    assert np.allclose(U @ (U.T @ W), (B @ W) * lam[None, :], atol=1e-8)
    with pytest.raises(ValueError):
        lowrank_generalized_eigvecs(U, B, 3, "nope")


def test_smallest_accepts_singular_b() -> None:
    X = np.random.default_rng(0).normal(size=(5, 10))
    B = X.T @ X  # rank 5 < 10
    A = _spd(10, 2)
    lam, W = generalized_eigvecs(A, B, 3, "smallest", "b")
    assert np.all(np.isfinite(lam)) and np.allclose(W.T @ B @ W, np.eye(3), atol=1e-6)


def test_mmd_matrix_rows_sum_to_zero_and_fro_normalised() -> None:
    ys = np.array([0, 0, 1, 1, 2])
    yt = np.array([0, 1, 1, 2])
    M = mmd_matrix(5, 4, ys, yt, n_classes=3)
    assert np.allclose(M.sum(axis=1), 0) and np.isclose(np.linalg.norm(M), 1.0)
    M0 = mmd_matrix(5, 4, n_classes=3)
    e = np.r_[np.full(5, 1 / 5), np.full(4, -1 / 4)]
    assert np.allclose(M0, np.outer(e, e) / np.linalg.norm(np.outer(e, e)))


def test_kernels_and_centering() -> None:
    X = np.random.default_rng(0).normal(size=(7, 3))
    assert np.allclose(kernel("linear", X), X @ X.T)
    K = kernel("rbf", X, gamma=0.5)
    assert np.allclose(np.diag(K), 1) and np.all(np.linalg.eigvalsh(K) > -1e-10)
    Kc = center_kernel(kernel("linear", X), kernel("linear", X))
    Xc = X - X.mean(0)
    assert np.allclose(Kc, Xc @ Xc.T)
    with pytest.raises(ValueError):
        kernel("nope", X)


@pytest.mark.parametrize("name", sorted(CLASSIFIERS))
def test_classifiers_fit_separable_data(name: str) -> None:
    X = np.r_[np.zeros((5, 2)), np.ones((5, 2)) * 5] + np.random.default_rng(0).normal(0, 0.1, (10, 2))
    y = np.r_[np.zeros(5, int), np.ones(5, int)]
    assert (make_classifier(name).fit(X, y).predict(X) == y).all()
