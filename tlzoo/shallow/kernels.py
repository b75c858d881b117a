"""Kernels, MMD/centering matrices and generalized-eigenproblem helpers shared by the methods."""

from __future__ import annotations

import numpy as np
import scipy.linalg

__all__ = [
    "kernel",
    "center_kernel",
    "centering",
    "mmd_matrix",
    "generalized_eigvecs",
    "lowrank_generalized_eigvecs",
    "sqrtm_psd",
    "invsqrtm_psd",
    "pca_basis",
]


def kernel(name: str, X: np.ndarray, Y: np.ndarray | None = None, gamma: float = 1.0) -> np.ndarray:
    """Kernel matrix ``k(X_i, Y_j)`` (rows are samples).

    * ``linear``: ``X Y^T``.
    * ``rbf``: ``exp(-gamma * ||x - y||^2)`` (JDA/TJM reference code convention).
    * ``rbf_median``: ``exp(-||x-y||^2 / (2 s^2))`` with ``s = gamma * median(||x-y||)`` (SCA-style).
    * ``jgsa_gauss``: the JGSA code's Gaussian, ``exp(-D / (2 s^2))``, ``s = gamma / mean(D)`` where
      ``D`` is the matrix of squared distances of this call (its ``km_kernel`` "median-distance" tweak).
    """
    Y = X if Y is None else Y
    if name == "linear":
        return X @ Y.T
    from scipy.spatial.distance import cdist  # lazily: scipy.spatial adds ~0.1 s to every start-up

    D = cdist(X, Y, "sqeuclidean")
    if name == "rbf":
        return np.exp(-gamma * D)
    if name == "rbf_median":
        s = gamma * float(np.median(np.sqrt(D)))
        return np.exp(-D / (2.0 * s * s))
    if name == "jgsa_gauss":
        s = gamma / float(D.mean())
        return np.exp(-D / (2.0 * s * s))
    raise ValueError(f"unknown kernel {name!r}; use linear | rbf | rbf_median | jgsa_gauss")


def centering(n: int) -> np.ndarray:
    """Centering matrix ``H = I - 1/n 11^T``."""
    return np.eye(n) - np.full((n, n), 1.0 / n)


def center_kernel(K_rows: np.ndarray, K_all: np.ndarray) -> np.ndarray:
    """Centre the rows ``K_rows = k(X_sub, X_all)`` in feature space w.r.t. the mean of ``X_all``."""
    n = K_all.shape[0]
    ones_r = np.full((K_rows.shape[0], n), 1.0 / n)
    ones_n = np.full((n, n), 1.0 / n)
    return K_rows - ones_r @ K_all - K_rows @ ones_n + ones_r @ K_all @ ones_n


def mmd_matrix(
    ns: int,
    nt: int,
    ys: np.ndarray | None = None,
    yt: np.ndarray | None = None,
    n_classes: int | None = None,
    marginal_weight: float | None = None,
) -> np.ndarray:
    """MMD coefficient matrix ``M = M0 + sum_c Mc`` of JDA (Long et al. 2013, Eqs. 3 and 5).

    ``M0 = e e^T`` with ``e = [1/ns; -1/nt]``; ``Mc = e_c e_c^T`` with ``1/ns_c`` on source samples of class
    ``c`` and ``-1/nt_c`` on target samples pseudo-labelled ``c`` (empty classes contribute 0).
    ``marginal_weight`` multiplies ``M0`` (the reference codes use ``C``, the number of classes).
    The result is divided by its Frobenius norm as in the reference codes.
    """
    e = np.concatenate([np.full(ns, 1.0 / ns), np.full(nt, -1.0 / nt)])
    w = float(marginal_weight) if marginal_weight is not None else float(n_classes or 1)
    M = w * np.outer(e, e)
    if ys is not None and yt is not None:
        for c in np.unique(ys):
            ec = np.zeros(ns + nt)
            s_idx = np.flatnonzero(ys == c)
            t_idx = ns + np.flatnonzero(yt == c)
            ec[s_idx] = 1.0 / len(s_idx)
            if len(t_idx):
                ec[t_idx] = -1.0 / len(t_idx)
            M += np.outer(ec, ec)
    return M / np.linalg.norm(M, "fro")


def _top_eigh(A: np.ndarray, B: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Largest ``k`` eigenpairs of ``A w = lam B w`` (``B`` SPD), ``W^T B W = I``, descending.

    Cholesky reduction ``B = L L^T`` to the standard problem ``L^-1 A L^-T`` solved by the
    divide-and-conquer ``eigh`` (much faster here than LAPACK's generalized subset drivers).
    """
    try:
        L = scipy.linalg.cholesky(B, lower=True)
    except np.linalg.LinAlgError:  # B only semi-definite (e.g. JGSA kernel S_min): general QZ solver
        lam, V = scipy.linalg.eig(A, B)
        lam = np.where(np.isfinite(lam), lam.real, -np.inf)
        order = np.argsort(-np.abs(np.where(np.isfinite(lam), lam, 0.0)))[:k]  # MATLAB eigs 'LM'
        V = V[:, order].real
        return lam[order], V / np.sqrt(np.abs(np.einsum("ij,ij->j", V, B @ V)) + 1e-300)
    C = scipy.linalg.solve_triangular(L, scipy.linalg.solve_triangular(L, A, lower=True).T, lower=True)
    lam, V = scipy.linalg.eigh((C + C.T) / 2, driver="evd")
    lam, V = lam[::-1][:k], V[:, ::-1][:, :k]
    return lam, scipy.linalg.solve_triangular(L.T, V, lower=False)


def generalized_eigvecs(
    A: np.ndarray, B: np.ndarray, k: int, which: str = "largest", scaling: str = "unit"
) -> tuple[np.ndarray, np.ndarray]:
    """``k`` eigenpairs of the symmetric-definite problem ``A w = lam B w`` (scipy.linalg.eigh).

    ``which="largest"`` needs ``B`` SPD. ``which="smallest"`` needs ``A`` SPD (e.g. ``X M X^T + lam I``)
    while ``B`` (e.g. ``X H X^T``) may be singular: the reciprocal problem ``B w = mu A w`` is solved
    for the largest ``mu = 1/lam``.

    ``scaling`` fixes the free scale of each eigenvector (it matters for the 1-NN that follows):

    * ``"unit"``: ``||w||_2 = 1`` (what MATLAB ``eigs`` returns in the reference codes; reproduces the
      published numbers),
    * ``"b"``: ``w^T B w = 1`` (the constraint of TCA/JDA, e.g. ``W^T X H X^T W = I``).

    In both cases the columns are ``B``-orthogonal. Returns ``(lam, W)``, ``lam`` sorted from the
    requested end.
    """
    n = A.shape[0]
    k = min(k, n)
    A = (A + A.T) / 2
    B = (B + B.T) / 2
    if which == "largest":
        lam, W = _top_eigh(A, B, k)
        bnorm = np.ones(k)
    elif which == "smallest":
        mu, W = _top_eigh(B, A, k)
        mu = np.maximum(mu, 1e-300)
        lam, bnorm = 1.0 / mu, mu  # w^T A w = 1  =>  w^T B w = mu
    else:
        raise ValueError(f"which must be 'largest' or 'smallest', got {which!r}")
    if scaling == "unit":
        W = W / np.linalg.norm(W, axis=0, keepdims=True)
    elif scaling == "b":
        W = W / np.sqrt(bnorm)[None, :]
    else:
        raise ValueError(f"scaling must be 'unit' or 'b', got {scaling!r}")
    return lam, W


def lowrank_generalized_eigvecs(
    U: np.ndarray, B: np.ndarray, k: int, scaling: str = "unit"
) -> tuple[np.ndarray, np.ndarray]:
    """Largest ``k`` eigenpairs of ``(U U^T) w = lam B w`` for SPD ``B`` and a thin factor ``U`` ``(m, r)``.

    With ``B = L L^T`` and ``Y = L^-1 U``, the non-zero eigenvalues are those of the small ``r x r`` matrix
    ``Y^T Y`` (eigenvectors ``v``), and ``w = L^-T Y v / sqrt(lam)`` (so ``w^T B w = 1``). One Cholesky
    factorisation and an ``r x r`` eigendecomposition replace the ``m x m`` generalized solve: this is what
    makes the kernel JGSA (``m = 2n``, ``r = C + n_t``) run in seconds. ``scaling`` as in
    :func:`generalized_eigvecs` (``"unit"``: unit 2-norm, ``"b"``: ``w^T B w = 1``). Returns ``(lam, W)``,
    descending.
    """
    B = (B + B.T) / 2
    L = scipy.linalg.cholesky(B, lower=True)
    Y = scipy.linalg.solve_triangular(L, U, lower=True)
    lam, V = scipy.linalg.eigh(Y.T @ Y, driver="evd")
    k = min(k, len(lam))
    lam, V = lam[::-1][:k], V[:, ::-1][:, :k]
    Z = (Y @ V) / np.sqrt(np.maximum(lam, 1e-300))[None, :]
    W = scipy.linalg.solve_triangular(L.T, Z, lower=False)
    if scaling == "unit":
        W = W / np.linalg.norm(W, axis=0, keepdims=True)
    elif scaling != "b":
        raise ValueError(f"scaling must be 'unit' or 'b', got {scaling!r}")
    return lam, W


def sqrtm_psd(C: np.ndarray) -> np.ndarray:
    """Symmetric square root of a PSD matrix (negative eigenvalues clipped to 0)."""
    w, V = scipy.linalg.eigh((C + C.T) / 2)
    return (V * np.sqrt(np.clip(w, 0, None))) @ V.T


def invsqrtm_psd(C: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    """Symmetric inverse square root of an SPD matrix."""
    w, V = scipy.linalg.eigh((C + C.T) / 2)
    return (V / np.sqrt(np.clip(w, eps, None))) @ V.T


def pca_basis(X: np.ndarray, d: int) -> tuple[np.ndarray, np.ndarray]:
    """Top-``d`` principal directions ``(D, d)`` of ``X`` (rows are samples, centred internally) and
    the variances along them (MATLAB ``princomp``/``pca`` ordering)."""
    Xc = X - X.mean(axis=0, keepdims=True)
    _, s, Vt = scipy.linalg.svd(Xc, full_matrices=False)
    d = min(d, Vt.shape[0])
    return Vt[:d].T, (s[:d] ** 2) / max(X.shape[0] - 1, 1)
