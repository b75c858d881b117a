"""TJM: M. Long, J. Wang, G. Ding, J. Sun, P. S. Yu, "Transfer Joint Matching for Unsupervised Domain
Adaptation", CVPR 2014.

Objective (paper Eq. 7): ``min_{A^T K H K^T A = I} tr(A^T K M K^T A) + lambda (||A_s||_{2,1} + ||A_t||_F^2)``
(marginal MMD matching + structured-sparsity instance reweighting of the source rows of ``A``).
Solved by alternating the generalized eigenproblem ``(K M K^T + lambda G) A = K H K^T A Phi``
(k smallest) with the sub-gradient update ``G_ii = 1 / (2 ||a^i||)`` for source rows ``i`` (``G_ii = 1``
for target rows), for ``T`` iterations.

Reference-code conventions: samples L2-normalised, ``M`` weighted by ``C`` and Frobenius-normalised,
embedding columns (samples) L2-normalised, eigenvectors with unit 2-norm.

Code names -> paper: ``k`` = k, ``lam`` = lambda, ``iterations`` = T, ``G`` = G, ``A`` = A,
``kernel`` = linear | rbf (``gamma``) | primal.
"""

from __future__ import annotations

import numpy as np

from tlzoo.data.feature_files import l2
from tlzoo.shallow.base import ShallowAdapter, as_float
from tlzoo.shallow.jda import embed_mmd
from tlzoo.shallow.kernels import centering, kernel, mmd_matrix


class TJM(ShallowAdapter):
    """Transfer Joint Matching (kernelised by default: rows of ``A`` are instances)."""

    name = "TJM"

    def __init__(
        self,
        k: int = 100,
        lam: float = 1.0,
        iterations: int = 10,
        kernel: str = "linear",
        gamma: float = 1.0,
        scaling: str = "unit",
    ) -> None:
        self.k = k
        self.lam = lam
        self.iterations = iterations
        self.kernel = kernel
        self.gamma = gamma
        self.scaling = scaling

    def fit_transform(self, Xs: np.ndarray, ys: np.ndarray, Xt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        Xs, Xt = as_float(Xs), as_float(Xt)
        ns, nt = len(Xs), len(Xt)
        X = l2(np.vstack([Xs, Xt]))
        K = X if self.kernel == "primal" else kernel(self.kernel, X, X, self.gamma)
        n_src_rows = K.shape[1] if self.kernel == "primal" else ns  # rows of A that get reweighted
        M = mmd_matrix(ns, nt, n_classes=len(np.unique(ys)))
        H = centering(ns + nt)
        G = np.eye(K.shape[1])
        Z = K
        for _ in range(max(self.iterations, 1)):
            self.A_, Z = embed_mmd(K, M, H, self.k, self.lam, G=G, scaling=self.scaling)
            row_norm = np.linalg.norm(self.A_[:n_src_rows], axis=1)
            G = G.copy()
            idx = np.arange(n_src_rows)
            G[idx, idx] = 1.0 / (2.0 * row_norm + np.finfo(float).eps)
        Z = l2(Z)
        return Z[:ns], Z[ns:]
