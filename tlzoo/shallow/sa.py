"""SA: B. Fernando, A. Habrard, M. Sebban, T. Tuytelaars, "Unsupervised Visual Domain Adaptation Using
Subspace Alignment", ICCV 2013.

Objective (paper Eq. 1-3): ``M* = argmin_M ||X_S M - X_T||_F^2 = X_S^T X_T`` where ``X_S``, ``X_T`` (D x d)
are the top-d PCA eigenvectors of the source and target; source data are mapped with ``X_a = X_S X_S^T X_T``
(``S^a = S X_a``) and target data with ``X_T`` (``T^T = T X_T``).

Code names -> paper: ``Ps`` = X_S, ``Pt`` = X_T, ``M`` = M*, ``dim`` = d. As in the authors' code the
PCA bases are computed on centred data but the (preprocessed, uncentred) data are projected.
"""

from __future__ import annotations

import numpy as np

from tlzoo.shallow.base import ShallowAdapter, as_float
from tlzoo.shallow.kernels import pca_basis


class SA(ShallowAdapter):
    """Subspace Alignment with ``dim`` principal components per domain."""

    name = "SA"

    def __init__(self, dim: int = 80) -> None:
        self.dim = dim

    def fit_transform(self, Xs: np.ndarray, ys: np.ndarray, Xt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        Xs, Xt = as_float(Xs), as_float(Xt)
        Ps, _ = pca_basis(Xs, self.dim)
        Pt, _ = pca_basis(Xt, self.dim)
        self.M_ = Ps.T @ Pt
        return Xs @ Ps @ self.M_, Xt @ Pt
