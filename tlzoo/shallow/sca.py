"""SCA: M. Ghifary, D. Balduzzi, W. B. Kleijn, M. Zhang, "Scatter Component Analysis: A Unified Framework
for Domain Adaptation and Domain Generalization", IEEE TPAMI 2017.

Objective (paper Eq. 20, kernel form): ``max_B tr(B^T ((1 - beta) T + beta P) B) /
tr(B^T (delta D + Q + K) B)`` over the kernel coefficients ``B`` (n x k), i.e. maximise total scatter
``T`` (all source+target samples) and between-class scatter ``P`` (labelled source), minimise domain
scatter ``D`` (source vs target mean embeddings) and within-class scatter ``Q``; ``K`` regularises
``||W||^2`` in the RKHS. Solved as the generalized eigenproblem ``((1-beta) T + beta P) b = phi
(delta D + Q + K + eps I) b`` (k largest); features are ``Z = K B``.

Code names -> paper: ``k`` = number of scatter components, ``beta`` = beta, ``delta`` = delta,
``kernel``/``gamma`` = kernel (``rbf_median``: Gaussian with width ``gamma`` x median distance),
``eps`` = numerical ridge.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from tlzoo.shallow.base import ShallowAdapter, as_float
from tlzoo.shallow.kernels import generalized_eigvecs, kernel


class SCA(ShallowAdapter):
    """Scatter Component Analysis for unsupervised DA (one labelled source, one unlabelled target)."""

    name = "SCA"
    defaults_source: ClassVar[dict[str, str]] = {
        "k": "not from the paper (Ghifary et al. 2017 cross-validate k per task): 50",
        "beta": "not from the paper (cross-validated there): 0.1",
        "delta": "not from the paper (cross-validated there): 1",
        "kernel": "Ghifary et al. 2017: Gaussian kernel, width from the median distance",
        "gamma": "median heuristic multiplier 1 (width = median distance)",
        "eps": "numerical ridge, not a paper parameter",
    }

    def __init__(
        self,
        k: int = 50,
        beta: float = 0.1,
        delta: float = 1.0,
        kernel: str = "rbf_median",
        gamma: float = 1.0,
        eps: float = 1e-5,
    ) -> None:
        self.k = k
        self.beta = beta
        self.delta = delta
        self.kernel = kernel
        self.gamma = gamma
        self.eps = eps

    def fit_transform(self, Xs: np.ndarray, ys: np.ndarray, Xt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        Xs, Xt = as_float(Xs), as_float(Xt)
        ys = np.asarray(ys)
        ns = len(Xs)
        X = np.vstack([Xs, Xt])
        n = len(X)
        K = kernel(self.kernel, X, X, self.gamma)
        Kc = K - K.mean(axis=1, keepdims=True)
        T = Kc @ Kc.T / n  # total scatter
        Ks = K[:, :ns]
        mean_src = Ks.mean(axis=1)
        P = np.zeros((n, n))
        Q = np.zeros((n, n))
        for c in np.unique(ys):
            Kc_ = Ks[:, ys == c]
            mc = Kc_.mean(axis=1)
            P += len(Kc_.T) * np.outer(mc - mean_src, mc - mean_src)  # between-class (labelled source)
            R = Kc_ - mc[:, None]
            Q += R @ R.T  # within-class
        P /= ns
        Q /= ns
        dom_means = [K[:, :ns].mean(axis=1), K[:, ns:].mean(axis=1)]
        mbar = (dom_means[0] + dom_means[1]) / 2
        D = sum(np.outer(m - mbar, m - mbar) for m in dom_means) / 2  # domain scatter
        F1 = (1 - self.beta) * T + self.beta * P
        F2 = self.delta * D + Q + K + self.eps * np.eye(n)
        _, B = generalized_eigvecs(F1, F2, self.k, "largest", "b")
        self.B_ = B
        Z = K @ B
        return Z[:ns], Z[ns:]
