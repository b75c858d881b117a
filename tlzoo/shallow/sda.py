"""SDA: B. Sun, K. Saenko, "Subspace Distribution Alignment for Unsupervised Domain Adaptation",
BMVC 2015.

SA aligns only the subspace bases; SDA also aligns the distributions inside the subspaces. With the
top-d PCA bases ``P_s``, ``P_t`` and the variances along them ``Sigma_s``, ``Sigma_t`` (diagonal),
the source is mapped with ``T = P_s^T P_t`` followed by the variance alignment
``A = Sigma_s^{-1/2} T Sigma_t^{1/2}``, i.e. ``Z_s = X_s P_s A`` (as we read the paper's
"subspace distribution alignment" transformation), and the target with ``Z_t = X_t P_t``.

Code names -> paper: ``Ps``/``Pt`` = P_s/P_t, ``var_s``/``var_t`` = diag(Sigma_s)/diag(Sigma_t),
``dim`` = d.

Default ``dim=20``: as for :class:`~tlzoo.shallow.sa.SA` (the paper selects d per task; 20 is the GFK
release's default subspace dimension on the same benchmark and the value of the shipped configs).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from tlzoo.shallow.base import ShallowAdapter, as_float
from tlzoo.shallow.kernels import pca_basis


class SDA(ShallowAdapter):
    """Subspace Distribution Alignment with ``dim`` principal components per domain."""

    name = "SDA"

    defaults_source: ClassVar[dict[str, str]] = {
        "dim": "no single value in Sun & Saenko 2015 (chosen per task); GFK release default d=20",
    }

    def __init__(self, dim: int = 20) -> None:
        self.dim = dim

    def fit_transform(self, Xs: np.ndarray, ys: np.ndarray, Xt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        Xs, Xt = as_float(Xs), as_float(Xt)
        Ps, var_s = pca_basis(Xs, self.dim)
        Pt, var_t = pca_basis(Xt, self.dim)
        A = (1.0 / np.sqrt(np.maximum(var_s, 1e-12)))[:, None] * (Ps.T @ Pt) * np.sqrt(var_t)[None, :]
        self.A_ = A
        return Xs @ Ps @ A, Xt @ Pt
