"""Classifiers applied to the adapted features: 1-NN (as in the papers), linear SVM, logistic regression."""

from __future__ import annotations

from typing import Protocol

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import KNeighborsClassifier
from sklearn.svm import LinearSVC

__all__ = ["Classifier", "OneNN", "LinearSVM", "LogReg", "CLASSIFIERS", "make_classifier"]


class Classifier(Protocol):
    def fit(self, X: np.ndarray, y: np.ndarray) -> Classifier: ...

    def predict(self, X: np.ndarray) -> np.ndarray: ...


class OneNN:
    """1-nearest neighbour, Euclidean distance, exact (brute force)."""

    def fit(self, X: np.ndarray, y: np.ndarray) -> OneNN:
        self._m = KNeighborsClassifier(n_neighbors=1, algorithm="brute").fit(X, y)
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self._m.predict(X)


class LinearSVM:
    """One-vs-rest linear SVM (liblinear), ``C`` fixed (no target labels to tune it)."""

    def __init__(self, C: float = 1.0) -> None:
        self.C = C

    def fit(self, X: np.ndarray, y: np.ndarray) -> LinearSVM:
        self._m = LinearSVC(C=self.C, max_iter=20000).fit(X, y)
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self._m.predict(X)


class LogReg:
    """Multinomial logistic regression (L2 penalty ``1/C``)."""

    def __init__(self, C: float = 1.0) -> None:
        self.C = C

    def fit(self, X: np.ndarray, y: np.ndarray) -> LogReg:
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
