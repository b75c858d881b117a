"""OTGL: N. Courty, R. Flamary, D. Tuia, A. Rakotomamonjy, "Optimal Transport for Domain Adaptation",
IEEE TPAMI 2017 (entropic OT with the l1-l2 group-lasso class regulariser, "OT-GL").

Objective (paper Eq. 8 with Omega_e and the group-lasso Omega_c of Section 4.3):
``gamma* = argmin_{gamma in B} <gamma, C>_F + lambda Omega_e(gamma) + eta Omega_c(gamma)`` with
``B = {gamma >= 0, gamma 1 = mu_s, gamma^T 1 = mu_t}`` (uniform marginals), ``Omega_e`` the negative
entropy and ``Omega_c = sum_j sum_c ||gamma(I_c, j)||_2`` (target samples receive mass from one class).
Source samples are then moved to the barycentric mapping ``X_s^ = diag(gamma 1)^{-1} gamma X_t``; the
target is unchanged. Solved with POT's ``ot.da.SinkhornL1l2Transport`` (generalized conditional gradient).

Code names -> paper: ``reg_e`` = lambda, ``reg_cl`` = eta, ``coupling_`` = gamma*.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from tlzoo.shallow.base import ShallowAdapter, as_float


class OTGL(ShallowAdapter):
    """Optimal transport with group-lasso regularisation (POT), barycentric mapping of the source."""

    name = "OTGL"
    defaults_source: ClassVar[dict[str, str]] = {
        "reg_e": "not from the paper (Courty et al. 2017 cross-validate it per task): 0.1",
        "reg_cl": "not from the paper (cross-validated there): 1",
        "max_iter": "POT SinkhornL1l2Transport: outer iterations 20 (POT's default is 10)",
        "max_inner_iter": "POT SinkhornL1l2Transport default: 200",
        "norm": "not from the paper: cost matrix divided by its max, so reg_e does not depend on the feature scale",
    }

    def __init__(
        self, reg_e: float = 0.1, reg_cl: float = 1.0, max_iter: int = 20, max_inner_iter: int = 200,
        norm: str | None = "max",
    ) -> None:
        self.reg_e = reg_e
        self.reg_cl = reg_cl
        self.max_iter = max_iter
        self.max_inner_iter = max_inner_iter
        self.norm = norm

    def fit_transform(self, Xs: np.ndarray, ys: np.ndarray, Xt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        import ot

        Xs, Xt = as_float(Xs), as_float(Xt)
        tr = ot.da.SinkhornL1l2Transport(
            reg_e=self.reg_e, reg_cl=self.reg_cl, max_iter=self.max_iter,
            max_inner_iter=self.max_inner_iter, norm=self.norm,
        )
        tr.fit(Xs=Xs, ys=np.asarray(ys), Xt=Xt)
        self.coupling_ = np.asarray(tr.coupling_)
        return np.asarray(tr.transform(Xs=Xs)), Xt.copy()
