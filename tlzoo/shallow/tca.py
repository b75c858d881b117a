"""TCA: S. J. Pan, I. W. Tsang, J. T. Kwok, Q. Yang, "Domain Adaptation via Transfer Component Analysis",
IEEE TNN 2011.

Objective (paper Eq. 6 / unsupervised TCA): ``min_W tr(W^T K L K W) + mu tr(W^T W)``
s.t. ``W^T K H K W = I``; the solution is the ``m`` leading eigenvectors of
``(K L K + mu I)^{-1} K H K`` (Eq. 7). ``L`` is the MMD matrix (``1/ns^2``, ``1/nt^2``,
``-1/(ns nt)`` blocks), ``H`` the centering matrix. Primal (linear-map) variant: ``K`` -> ``X``.

Code names -> paper: ``k`` = m, ``lam`` = mu, ``M`` = L, ``H`` = H, ``A`` = W, ``kernel`` = primal |
linear | rbf (``gamma``). Implemented as :class:`~tlzoo.shallow.jda.JDA` with one iteration (M_0 only),
so the JDA-code conventions (input/output L2 normalisation, Frobenius-normalised M) apply and are
switchable.
"""

from __future__ import annotations

import numpy as np

from tlzoo.shallow.base import ShallowAdapter, as_float
from tlzoo.shallow.jda import JDA


class TCA(ShallowAdapter):
    """Transfer Component Analysis (unsupervised, marginal MMD only)."""

    name = "TCA"

    def __init__(
        self,
        k: int = 100,
        lam: float = 1.0,
        kernel: str = "primal",
        gamma: float = 1.0,
        normalize_input: bool = True,
        normalize_output: bool = True,
        scaling: str = "unit",
    ) -> None:
        self.k = k
        self.lam = lam
        self.kernel = kernel
        self.gamma = gamma
        self.normalize_input = normalize_input
        self.normalize_output = normalize_output
        self.scaling = scaling

    def fit_transform(self, Xs: np.ndarray, ys: np.ndarray, Xt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        jda = JDA(
            self.k, self.lam, 1, self.kernel, self.gamma, self.normalize_input, self.normalize_output, self.scaling
        )
        Zs, Zt = jda.fit_transform(as_float(Xs), ys, as_float(Xt))
        self.A_ = jda.A_
        return Zs, Zt
