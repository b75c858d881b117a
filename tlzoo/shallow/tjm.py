"""TJM: M. Long, J. Wang, G. Ding, J. Sun, P. S. Yu, "Transfer Joint Matching for Unsupervised Domain
Adaptation", CVPR 2014.

Objective (paper Eq. 7): ``min_{A^T K H K^T A = I} tr(A^T K M K^T A) + lambda (||A_s||_{2,1} + ||A_t||_F^2)``
(marginal MMD matching + structured-sparsity instance reweighting of the source rows of ``A``).
Solved by alternating the generalized eigenproblem ``(K M K^T + lambda G) A = K H K^T A Phi``
(k smallest) with the sub-gradient update of the l2,1 term for source rows ``i`` (``G_ii = 1`` for
target rows), for ``T`` iterations. The paper writes ``G_ii = 1 / (2 ||a^i||)``; the authors' code
(``JTM.m``, Long) uses ``G_ii = 1 / sqrt(||a^i||^2 + eps)``, which is our default
(``reweight="code"``; ``"paper"`` gives the 1/2 factor).

Reference-code conventions: samples L2-normalised, ``M = e e^T / ||e e^T||_F`` (marginal MMD only),
eigenvectors with unit 2-norm, and the 1-NN runs on ``Z = A^T K`` WITHOUT re-normalising the samples
(``normalize_output=False``). With these defaults (k=100, lambda=1, T=10, linear kernel) the TJM row of the
JGSA (CVPR'17) SURF table is reproduced exactly (docs/shallow.md).

Code names -> paper: ``k`` = k, ``lam`` = lambda, ``iterations`` = T, ``G`` = G, ``A`` = A,
``kernel`` = linear | rbf (``gamma``) | primal.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from tlzoo.data.feature_files import l2
from tlzoo.shallow.base import ShallowAdapter, as_float
from tlzoo.shallow.jda import embed_mmd
from tlzoo.shallow.kernels import centering, kernel, mmd_matrix


class TJM(ShallowAdapter):
    """Transfer Joint Matching (kernelised by default: rows of ``A`` are instances)."""

    name = "TJM"
    defaults_source: ClassVar[dict[str, str]] = {
        "k": "Long et al. 2014 (TJM) and JTM.m: k=100",
        "lam": "TJM paper / JTM.m: lambda=1",
        "iterations": "TJM paper: T=10",
        "kernel": "JTM.m demo: linear kernel",
        "gamma": "JTM.m RBF width 1.0 (unused by the linear kernel)",
        "scaling": "MATLAB eigs: unit 2-norm eigenvectors",
        "normalize_output": "JTM.m: 1-NN on Z = A^T K, not re-normalised",
        "reweight": "JTM.m: G_ii = 1/sqrt(||a^i||^2 + eps)",
    }

    def __init__(
        self,
        k: int = 100,
        lam: float = 1.0,
        iterations: int = 10,
        kernel: str = "linear",
        gamma: float = 1.0,
        scaling: str = "unit",
        normalize_output: bool = False,
        reweight: str = "code",
    ) -> None:
        if reweight not in ("code", "paper"):
            raise ValueError(f"reweight must be 'code' or 'paper', got {reweight!r}")
        self.k = k
        self.lam = lam
        self.iterations = iterations
        self.kernel = kernel
        self.gamma = gamma
        self.scaling = scaling
        self.normalize_output = normalize_output
        self.reweight = reweight

    def fit_transform(self, Xs: np.ndarray, ys: np.ndarray, Xt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        Xs, Xt = as_float(Xs), as_float(Xt)
        ns, nt = len(Xs), len(Xt)
        X = l2(np.vstack([Xs, Xt]))
        K = X if self.kernel == "primal" else kernel(self.kernel, X, X, self.gamma)
        n_src_rows = K.shape[1] if self.kernel == "primal" else ns  # rows of A that get reweighted
        M = mmd_matrix(ns, nt, n_classes=len(np.unique(ys)))
        H = centering(ns + nt)
        g = np.ones(K.shape[1])  # diagonal of G
        Z = K
        eps = np.finfo(float).eps
        for _ in range(max(self.iterations, 1)):
            self.A_, Z = embed_mmd(K, M, H, self.k, self.lam, G=np.diag(g), scaling=self.scaling)
            sq = np.einsum("ij,ij->i", self.A_[:n_src_rows], self.A_[:n_src_rows])  # ||a^i||^2, vectorised
            g[:n_src_rows] = 1.0 / np.sqrt(sq + eps) if self.reweight == "code" else 1.0 / (2.0 * np.sqrt(sq) + eps)
        self.G_diag_ = g
        if self.normalize_output:
            Z = l2(Z)
        return Z[:ns], Z[ns:]
