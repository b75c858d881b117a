"""Tiny synthetic two-domain data for the shallow-DA tests."""

from __future__ import annotations

import numpy as np


def two_domains(
    ns: int = 60, nt: int = 48, d: int = 12, n_classes: int = 3, shift: float = 1.5, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Class-clustered Gaussians; the target is the source shifted and slightly rotated."""
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 3, (n_classes, d))
    ys = np.arange(ns) % n_classes
    yt = np.arange(nt) % n_classes
    Xs = centers[ys] + rng.normal(0, 1, (ns, d))
    Q, _ = np.linalg.qr(np.eye(d) + 0.2 * rng.normal(size=(d, d)))
    Xt = (centers[yt] + rng.normal(0, 1, (nt, d))) @ Q + shift
    return Xs, ys, Xt, yt
