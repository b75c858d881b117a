"""JDA: M. Long, J. Wang, G. Ding, J. Sun, P. S. Yu, "Transfer Feature Learning with Joint Distribution
Adaptation", ICCV 2013.

Objective (paper Eq. 7): ``min_A sum_{c=0}^C tr(A^T X M_c X^T A) + lambda ||A||_F^2``
s.t. ``A^T X H X^T A = I``; solved as the generalized eigenproblem
``(X sum_c M_c X^T + lambda I) A = X H X^T A Phi`` for the ``k`` smallest eigenvalues (Eq. 8).
``M_0`` is the marginal MMD matrix, ``M_c`` (c >= 1) the class-conditional ones built from target
pseudo-labels, refined for ``T`` iterations with a 1-NN classifier on ``Z = A^T X``.
Kernel form: replace ``X`` by the ``(n, n)`` kernel matrix ``K``.

Reference-code conventions we follow: samples are L2-normalised inside the method, ``M_0`` is weighted
by ``C`` (number of classes), ``M`` is divided by its Frobenius norm, and the embedding columns
(samples) are L2-normalised before 1-NN. With ``iterations=1`` JDA reduces to TCA (M_0 only).

Code names -> paper: ``k`` = k, ``lam`` = lambda, ``iterations`` = T, ``M`` = sum_c M_c, ``H`` = H,
``A`` = A, ``kernel`` = primal (no kernel) | linear | rbf (``gamma``). ``scaling`` = eigenvector scale
(``unit``: unit 2-norm as MATLAB ``eigs`` returns, default; ``b``: ``A^T X H X^T A = I``).

Defaults and their source (Long et al. 2013, Sec. 5 "implementation details", and the authors' ``JDA.m``):

* ``k=100``, ``iterations=10`` (T): the paper's values for every benchmark.
* ``lam=0.1``, ``kernel="primal"``: the paper's lambda for the digit (USPS/MNIST) and COIL benchmarks and the
  defaults of ``JDA.m``. With L2 input preprocessing they reproduce the paper's JDA row on USPS<->MNIST
  exactly (59.65 / 67.28, ``tlzoo shallow -c jda_usps_mnist``).
* ``normalize_input=True``, ``normalize_output=True``: samples L2-normalised inside the method and the
  embedding L2-normalised before each 1-NN, as the authors' demo code does.
* ``gamma=1.0``, ``scaling="unit"``: the reference code's RBF width and MATLAB ``eigs`` eigenvector scale.

Office-Caltech10 SURF needs lambda=1 and the linear kernel (``-c jda_office_caltech_surf``): that recipe gives
the paper's 12 SURF tasks exactly; the primal form at lambda=1 does not (docs/shallow.md).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from tlzoo.data.feature_files import l2
from tlzoo.shallow.base import ShallowAdapter, as_float, one_nn
from tlzoo.shallow.kernels import centering, generalized_eigvecs, kernel, mmd_matrix


def embed_mmd(
    X: np.ndarray,
    M: np.ndarray,
    H: np.ndarray,
    k: int,
    lam: float,
    G: np.ndarray | None = None,
    scaling: str = "unit",
) -> tuple[np.ndarray, np.ndarray]:
    """Solve ``(X^T M X + lam G) A = X^T H X A Phi`` (rows of ``X`` are samples, or ``X`` = kernel ``K``)
    for the ``k`` smallest ``Phi``; returns ``(A, Z = X A)``. ``A^T X^T H X A`` is diagonal, and equals
    ``I`` with ``scaling="b"`` (see :func:`~tlzoo.shallow.kernels.generalized_eigvecs`)."""
    d = X.shape[1]
    reg = np.eye(d) if G is None else G
    _, A = generalized_eigvecs(X.T @ M @ X + lam * reg, X.T @ H @ X, k, "smallest", scaling)
    return A, X @ A


class JDA(ShallowAdapter):
    """Joint Distribution Adaptation (``iterations=1``: TCA with the JDA code's conventions)."""

    name = "JDA"
    #: where each default comes from (documented in docs/shallow.md)
    defaults_source: ClassVar[dict[str, str]] = {
        "k": "JDA paper (Long et al. 2013): k=100",
        "lam": "JDA paper, digits/COIL, and JDA.m default: lambda=0.1",
        "iterations": "JDA paper: T=10",
        "kernel": "JDA.m default: primal",
        "gamma": "JDA.m default RBF width 1.0 (unused by the primal form)",
        "normalize_input": "JDA.m: samples L2-normalised",
        "normalize_output": "JDA demo: embedding L2-normalised before 1-NN",
        "scaling": "MATLAB eigs: unit 2-norm eigenvectors",
    }

    def __init__(
        self,
        k: int = 100,
        lam: float = 0.1,
        iterations: int = 10,
        kernel: str = "primal",
        gamma: float = 1.0,
        normalize_input: bool = True,
        normalize_output: bool = True,
        scaling: str = "unit",
    ) -> None:
        self.k = k
        self.lam = lam
        self.iterations = iterations
        self.kernel = kernel
        self.gamma = gamma
        self.normalize_input = normalize_input
        self.normalize_output = normalize_output
        self.scaling = scaling

    def _design(self, Xs: np.ndarray, Xt: np.ndarray) -> np.ndarray:
        X = np.vstack([Xs, Xt])
        if self.normalize_input:
            X = l2(X)
        return X if self.kernel == "primal" else kernel(self.kernel, X, X, self.gamma)

    def fit_transform(self, Xs: np.ndarray, ys: np.ndarray, Xt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        Xs, Xt = as_float(Xs), as_float(Xt)
        ys = np.asarray(ys)
        ns, nt = len(Xs), len(Xt)
        X = self._design(Xs, Xt)
        H = centering(ns + nt)
        C = len(np.unique(ys))
        yt_pseudo: np.ndarray | None = None
        self.pseudo_history_: list[np.ndarray] = []
        Z = X
        for _ in range(max(self.iterations, 1)):
            M = mmd_matrix(ns, nt, ys, yt_pseudo, n_classes=C)
            self.A_, Z = embed_mmd(X, M, H, self.k, self.lam, scaling=self.scaling)
            if self.normalize_output:
                Z = l2(Z)
            yt_pseudo = one_nn(Z[:ns], ys, Z[ns:])
            self.pseudo_history_.append(yt_pseudo)
        return Z[:ns], Z[ns:]
