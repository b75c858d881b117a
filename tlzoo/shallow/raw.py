"""Raw: no adaptation (identity map); the "Raw"/"NN" baseline row of the JDA/JGSA tables."""

from __future__ import annotations

import numpy as np

from tlzoo.shallow.base import ShallowAdapter, as_float


class Raw(ShallowAdapter):
    """Identity: ``Zs = Xs``, ``Zt = Xt``."""

    name = "Raw"

    def fit_transform(self, Xs: np.ndarray, ys: np.ndarray, Xt: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return as_float(Xs), as_float(Xt)
