"""Classifiers applied to the adapted features: 1-NN (as in the papers), linear SVM, logistic regression.

1-NN is plain numpy; scikit-learn (linear SVM, logistic regression) is imported when such a classifier is
fitted, not when this module is imported, so that ``tlzoo shallow --help`` and a 1-NN run's start-up cost
only numpy + scipy.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

__all__ = ["Classifier", "OneNN", "LinearSVM", "LogReg", "CLASSIFIERS", "make_classifier"]


class Classifier(Protocol):
    def fit(self, X: np.ndarray, y: np.ndarray) -> Classifier: ...

    def predict(self, X: np.ndarray) -> np.ndarray: ...


class OneNN:
    """1-nearest neighbour, Euclidean distance, exact (brute force), in numpy.

    The classifier of the papers' protocol (JDA, TJM, JGSA, GFK, SA, ...). It needs no scikit-learn, whose
    import alone takes longer than a small shallow run. Ties go to the first training sample (``argmin``).
    Distances are computed blockwise as ``||f||^2 - 2 x.f`` (the ``||x||^2`` term does not change the
    ``argmin``), so memory stays at ``block x n_train`` floats.
    """

    #: test rows per block of the distance matrix
    block: int = 2048

    def fit(self, X: np.ndarray, y: np.ndarray) -> OneNN:
        self._X = np.asarray(X, dtype=np.float64)
        self._y = np.asarray(y)
        if self._X.ndim != 2 or len(self._X) != len(self._y) or len(self._X) == 0:
            raise ValueError(f"1-NN needs a non-empty (n, d) matrix and n labels, got {self._X.shape}, {self._y.shape}")
        self._sq = np.einsum("ij,ij->i", self._X, self._X)
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[1] != self._X.shape[1]:
            raise ValueError(f"expected (n, {self._X.shape[1]}) features, got {X.shape}")
        idx = np.empty(len(X), dtype=np.int64)
        for start in range(0, len(X), self.block):
            D = self._sq[None, :] - 2.0 * (X[start : start + self.block] @ self._X.T)
            idx[start : start + self.block] = np.argmin(D, axis=1)
        return self._y[idx]


class LinearSVM:
    """One-vs-rest linear SVM (liblinear), ``C`` fixed (no target labels to tune it)."""

    def __init__(self, C: float = 1.0) -> None:
        self.C = C

    def fit(self, X: np.ndarray, y: np.ndarray) -> LinearSVM:
        from sklearn.svm import LinearSVC

        self._m = LinearSVC(C=self.C, max_iter=20000).fit(X, y)
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self._m.predict(X)


class LogReg:
    """Multinomial logistic regression (L2 penalty ``1/C``)."""

    def __init__(self, C: float = 1.0) -> None:
        self.C = C

    def fit(self, X: np.ndarray, y: np.ndarray) -> LogReg:
        from sklearn.linear_model import LogisticRegression

        self._m = LogisticRegression(C=self.C, max_iter=5000).fit(X, y)
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self._m.predict(X)


CLASSIFIERS: dict[str, type] = {"1nn": OneNN, "linear_svm": LinearSVM, "logreg": LogReg}


def make_classifier(name: str, C: float = 1.0) -> Classifier:
    """Build a classifier by name: ``1nn`` | ``linear_svm`` | ``logreg``."""
    if name not in CLASSIFIERS:
        raise ValueError(f"unknown classifier {name!r}; choose one of {sorted(CLASSIFIERS)}")
    cls = CLASSIFIERS[name]
    return cls() if cls is OneNN else cls(C=C)
