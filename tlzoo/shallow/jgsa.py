"""JGSA: J. Zhang, W. Li, P. Ogunbona, "Joint Geometrical and Statistical Alignment for Visual Domain
Adaptation", CVPR 2017.

Two coupled projections ``A`` (source) and ``B`` (target), ``W = [A; B]``. Objective (paper Eq. 9):
``max_W  tr(W^T [[beta S_b, 0], [0, mu S_t]] W) / tr(W^T [[M_s + lambda I + beta S_w, M_st - lambda I],
[M_ts - lambda I, M_t + (lambda + mu) I]] W)``, solved as the generalized eigenproblem
``S_max W = S_min W Phi`` for the ``k`` leading eigenvectors (Eq. 10), alternating with 1-NN target
pseudo-labels for ``T`` iterations. ``S_b``/``S_w``: source between/within-class scatter (LDA);
``S_t = X_t H_t X_t^T``: target variance; ``M_s, M_t, M_st, M_ts``: the blocks of the (marginal + class-
conditional) MMD matrix mapped by the data, e.g. ``M_s = X_s L_s X_s^T``; ``lambda`` weights the subspace
divergence ``||A - B||_F^2``. Kernel versions replace ``X`` by the centred kernel rows and ``I`` by the
centred kernel ``K`` (the paper's Section 3.6 / the authors' code); there the target variance is
``K_t^T K_t`` (rows of the centred kernel, no extra ``H_t``), as in the authors' ``JGSA.m``.

Authors'-code conventions we follow: the first iteration already uses pseudo-labels from 1-NN on the
(preprocessed) input features; ``M`` has the marginal term weighted by ``C`` and is divided by the
Frobenius norm of the marginal matrix; ``1e-9 I`` is added to ``S_min``; the embedding is NOT
re-normalised; the RBF ('gauss') kernel uses ``sigma = gamma / mean(D)`` (its ``km_kernel`` tweak).

Code names -> paper: ``k`` = k, ``lam`` = lambda (code ``alpha``), ``mu`` = mu, ``beta`` = beta,
``iterations`` = T, ``kernel`` = primal | linear | rbf (code 'gauss'), ``gamma`` = kernel parameter.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from tlzoo.shallow.base import ShallowAdapter, as_float, one_nn
from tlzoo.shallow.kernels import center_kernel, generalized_eigvecs, kernel, lowrank_generalized_eigvecs


def scatter_matrices(X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Within-class ``S_w = sum_c X_c^T H_c X_c`` and between-class ``S_b = sum_c n_c (m_c - m)(m_c - m)^T``
    (rows of ``X`` are samples)."""
    m = X.mean(axis=0)
    d = X.shape[1]
    Sw = np.zeros((d, d))
    Sb = np.zeros((d, d))
    for c in np.unique(y):
        Xc = X[y == c]
        mc = Xc.mean(axis=0)
        R = Xc - mc
        Sw += R.T @ R
        Sb += len(Xc) * np.outer(mc - m, mc - m)
    return Sw, Sb


def between_class_factor(X: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``U_b`` ``(d, C)`` with ``U_b U_b^T = S_b``: columns ``sqrt(n_c) (m_c - m)``."""
    m = X.mean(axis=0)
    return np.stack([np.sqrt((y == c).sum()) * (X[y == c].mean(axis=0) - m) for c in np.unique(y)], axis=1)


def jgsa_mmd_blocks(
    ys: np.ndarray, yt: np.ndarray | None, nt: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Blocks ``(L_s, L_t, L_st)`` of the JGSA-code MMD matrix (``L_ts = L_st^T``)."""
    ns = len(ys)
    classes = np.unique(ys)
    C = len(classes)
    es = np.full(ns, 1.0 / ns)
    et = np.full(nt, -1.0 / nt)
    Ls, Lt, Lst = C * np.outer(es, es), C * np.outer(et, et), C * np.outer(es, et)
    norm = np.linalg.norm(C * np.outer(np.concatenate([es, et]), np.concatenate([es, et])), "fro")
    if yt is not None:
        for c in classes:
            es = np.where(ys == c, 1.0 / max((ys == c).sum(), 1), 0.0)
            nc = (yt == c).sum()
            et = np.where(yt == c, -1.0 / nc, 0.0) if nc else np.zeros(nt)
            Ls += np.outer(es, es)
            Lt += np.outer(et, et)
            Lst += np.outer(es, et)
    return Ls / norm, Lt / norm, Lst / norm


class JGSA(ShallowAdapter):
    """Joint Geometrical and Statistical Alignment (primal, linear or RBF kernel)."""

    name = "JGSA"
    defaults_source: ClassVar[dict[str, str]] = {
        "k": "Zhang et al. 2017, authors' JGSA demo (Office-Caltech10 SURF): k=30",
        "lam": "JGSA demo: alpha (lambda) = 1",
        "mu": "JGSA demo: mu = 1",
        "beta": "JGSA demo (SURF): beta = 0.1",
        "iterations": "JGSA paper / demo: T = 10",
        "kernel": "JGSA demo: primal",
        "gamma": "JGSA code: RBF parameter 2 (used by kernel='rbf' only)",
        "scaling": "MATLAB eigs: unit 2-norm eigenvectors",
    }

    def __init__(
        self,
        k: int = 30,
        lam: float = 1.0,
        mu: float = 1.0,
        beta: float = 0.1,
        iterations: int = 10,
        kernel: str = "primal",
        gamma: float = 2.0,
        scaling: str = "unit",
    ) -> None:
        self.k = k
        self.lam = lam
        self.mu = mu
        self.beta = beta
        self.iterations = iterations
        self.kernel = kernel
        self.gamma = gamma
        self.scaling = scaling

    def _features(self, Xs: np.ndarray, Xt: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(Fs, Ft, R)``: per-domain design matrices and the ``lambda``/``mu`` regulariser ``R``."""
        if self.kernel == "primal":
            return Xs, Xt, np.eye(Xs.shape[1])
        name = {"linear": "linear", "rbf": "jgsa_gauss", "gauss": "jgsa_gauss"}.get(self.kernel)
        if name is None:
            raise ValueError(f"JGSA kernel must be primal | linear | rbf, got {self.kernel!r}")
        X = np.vstack([Xs, Xt])
        K_all = kernel(name, X, X, self.gamma)
        Ks = center_kernel(kernel(name, Xs, X, self.gamma), K_all)
        Kt = center_kernel(kernel(name, Xt, X, self.gamma), K_all)
        Kst = center_kernel(K_all, K_all)
        return Ks, Kt, Kst

    def fit_transform(self, Xs: np.ndarray, ys: np.ndarray, Xt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        Xs, Xt = as_float(Xs), as_float(Xt)
        ys = np.asarray(ys)
        Fs, Ft, R = self._features(Xs, Xt)
        d, nt = Fs.shape[1], len(Ft)
        Sw, _ = scatter_matrices(Fs, ys)
        # S_max = blockdiag(beta S_b, mu S_t) = U U^T with a thin factor (rank <= C + n_t): the eigenproblem
        # is then solved in the small space (see lowrank_generalized_eigvecs).
        Ub = between_class_factor(Fs, ys)
        # Target variance: primal S_t = X_t H_t X_t^T; the authors' kernel code uses K_t^T K_t (rows of the
        # centred kernel, no extra H_t).
        Ut = (Ft - Ft.mean(axis=0)).T if self.kernel == "primal" else Ft.T
        U = np.zeros((2 * d, Ub.shape[1] + Ut.shape[1]))
        U[:d, : Ub.shape[1]] = np.sqrt(self.beta) * Ub
        U[d:, Ub.shape[1] :] = np.sqrt(self.mu) * Ut
        yt = one_nn(Xs, ys, Xt)  # authors' code: initial pseudo-labels from the input features
        Zs, Zt = Fs, Ft
        self.pseudo_history_: list[np.ndarray] = []
        for _ in range(max(self.iterations, 1)):
            Ls, Lt, Lst = jgsa_mmd_blocks(ys, yt, nt)
            Smin = np.empty((2 * d, 2 * d))
            Smin[:d, :d] = Fs.T @ Ls @ Fs + self.lam * R + self.beta * Sw
            Smin[:d, d:] = Fs.T @ Lst @ Ft - self.lam * R
            Smin[d:, :d] = Smin[:d, d:].T
            Smin[d:, d:] = Ft.T @ Lt @ Ft + (self.lam + self.mu) * R
            Smin += 1e-9 * np.eye(2 * d)
            try:
                _, W = lowrank_generalized_eigvecs(U, Smin, self.k, self.scaling)
            except np.linalg.LinAlgError:  # S_min not numerically positive definite: full generalized solver
                _, W = generalized_eigvecs(U @ U.T, Smin, self.k, "largest", self.scaling)
            self.A_, self.B_ = W[:d], W[d:]
            Zs, Zt = Fs @ self.A_, Ft @ self.B_
            yt = one_nn(Zs, ys, Zt)
            self.pseudo_history_.append(yt)
        return Zs, Zt
