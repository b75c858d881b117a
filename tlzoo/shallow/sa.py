"""SA: B. Fernando, A. Habrard, M. Sebban, T. Tuytelaars, "Unsupervised Visual Domain Adaptation Using
Subspace Alignment", ICCV 2013.

Objective (paper Eq. 1-3): ``M* = argmin_M ||X_S M - X_T||_F^2 = X_S^T X_T`` where ``X_S``, ``X_T`` (D x d)
are the top-d PCA eigenvectors of the source and target; source data are mapped with ``X_a = X_S X_S^T X_T``
(``S^a = S X_a``) and target data with ``X_T`` (``T^T = T X_T``).

Code names -> paper: ``Ps`` = X_S, ``Pt`` = X_T, ``M`` = M*, ``dim`` = d. As in the authors' code the
PCA bases are computed on centred data but the (preprocessed, uncentred) data are projected.

Default ``dim=20``: the paper has no single d; it picks d per task with its stability bound (Sec. 3.3), which
tlzoo does not implement. 20 is the default subspace dimension of Gong et al.'s GFK release for the same
Office-Caltech10 protocol (whose 1-NN setting the SA paper follows), and the value of the shipped configs.
Measured against published rows: docs/shallow.md (not reproduced).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from tlzoo.shallow.base import ShallowAdapter, as_float
from tlzoo.shallow.kernels import pca_basis


class SA(ShallowAdapter):
    """Subspace Alignment with ``dim`` principal components per domain."""

    name = "SA"

    defaults_source: ClassVar[dict[str, str]] = {
        "dim": "no single value in Fernando et al. 2013 (chosen per task by its bound); GFK release default d=20",
    }

    def __init__(self, dim: int = 20) -> None:
        self.dim = dim

    def fit_transform(self, Xs: np.ndarray, ys: np.ndarray, Xt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        Xs, Xt = as_float(Xs), as_float(Xt)
        Ps, _ = pca_basis(Xs, self.dim)
        Pt, _ = pca_basis(Xt, self.dim)
        self.M_ = Ps.T @ Pt
        return Xs @ Ps @ self.M_, Xt @ Pt
