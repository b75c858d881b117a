"""CORAL: B. Sun, J. Feng, K. Saenko, "Return of Frustratingly Easy Domain Adaptation", AAAI 2016.

Objective (paper Eq. 1): ``min_A ||A^T C_S A - C_T||_F^2``; closed form (Algorithm 1):
``C_s = cov(D_s) + eye``, ``C_t = cov(D_t) + eye``, ``D_s* = D_s C_s^{-1/2} C_t^{1/2}`` (whitening then
re-colouring of the source); the target is unchanged.

Code names -> paper: ``Cs``/``Ct`` = C_S/C_T, ``reg`` = the "+ eye" regulariser (1 in the paper).

Default ``reg=1``: Algorithm 1 of the paper (``cov(D_S) + eye(size(D_S, 2))``). CORAL is the method's only
parameter; the paper's Office-Caltech10 numbers use a linear SVM on a different sampling protocol, so the
1-NN rows in docs/shallow.md are not a reproduction of a published row.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from tlzoo.shallow.base import ShallowAdapter, as_float
from tlzoo.shallow.kernels import invsqrtm_psd, sqrtm_psd


class CORAL(ShallowAdapter):
    """CORrelation ALignment of the source to the target (re-coloured source, untouched target)."""

    name = "CORAL"

    defaults_source: ClassVar[dict[str, str]] = {"reg": "Sun et al. 2016, Algorithm 1: C + eye, i.e. 1"}

    def __init__(self, reg: float = 1.0) -> None:
        self.reg = reg

    def fit_transform(self, Xs: np.ndarray, ys: np.ndarray, Xt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        Xs, Xt = as_float(Xs), as_float(Xt)
        d = Xs.shape[1]
        Cs = np.cov(Xs, rowvar=False) + self.reg * np.eye(d)
        Ct = np.cov(Xt, rowvar=False) + self.reg * np.eye(d)
        self.A_ = invsqrtm_psd(Cs) @ sqrtm_psd(Ct)
        return Xs @ self.A_, Xt.copy()
