"""Common interface of the shallow (closed-form / iterative) domain-adaptation methods.

Every method is a :class:`ShallowAdapter` with typed ``__init__`` arguments (so jsonargparse can build
it from ``{class_path: JDA, init_args: {...}}``) and one entry point::

    Zs, Zt = method.fit_transform(Xs, ys, Xt)      # features of both domains in the adapted space

``Xs`` is ``(ns, d)``, ``ys`` ``(ns,)`` 0-based int labels, ``Xt`` ``(nt, d)`` (target labels are never
seen). Methods that refine target pseudo-labels (JDA, TJM, JGSA) label the target internally with a
1-NN classifier on the current embedding, as in their papers and reference code.
:meth:`ShallowAdapter.fit_predict` then fits the final classifier on ``Zs`` and predicts ``Zt``.
"""

from __future__ import annotations

import inspect
from typing import ClassVar

import numpy as np

from tlzoo.shallow.classifiers import Classifier, OneNN

__all__ = ["ShallowAdapter", "as_float", "one_nn"]


def as_float(X: np.ndarray) -> np.ndarray:
    """A float64 2-D copy-free view of ``X`` (raises on other shapes)."""
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2:
        raise ValueError(f"expected a 2-D feature matrix, got shape {X.shape}")
    return X


def one_nn(Zs: np.ndarray, ys: np.ndarray, Zt: np.ndarray) -> np.ndarray:
    """1-nearest-neighbour (Euclidean) labels of ``Zt`` from the labelled ``Zs`` (pseudo-labelling)."""
    return OneNN().fit(Zs, ys).predict(Zt)


class ShallowAdapter:
    """Base class: subclasses implement :meth:`fit_transform`."""

    #: short display name used in tables (``Raw``, ``JDA``, ...)
    name: ClassVar[str] = "base"
    #: ``__init__`` argument -> where its default value comes from (paper, section, or authors' code);
    #: every argument of a method has an entry (tested), and docs/shallow.md lists them
    defaults_source: ClassVar[dict[str, str]] = {}

    def fit_transform(self, Xs: np.ndarray, ys: np.ndarray, Xt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def fit_predict(
        self, Xs: np.ndarray, ys: np.ndarray, Xt: np.ndarray, classifier: Classifier | None = None
    ) -> np.ndarray:
        """Adapt, fit ``classifier`` (default 1-NN) on the adapted source and predict the target."""
        Zs, Zt = self.fit_transform(as_float(Xs), np.asarray(ys), as_float(Xt))
        clf = classifier if classifier is not None else OneNN()
        return clf.fit(Zs, np.asarray(ys)).predict(Zt)

    def __repr__(self) -> str:
        params = inspect.signature(type(self).__init__).parameters
        args = ", ".join(f"{k}={getattr(self, k)!r}" for k in params if k != "self" and hasattr(self, k))
        return f"{type(self).__name__}({args})"
