"""Proxy A-distance (PAD) between source and target feature distributions.

Ben-David et al., "Analysis of Representations for Domain Adaptation", NIPS 2007, and
"A theory of learning from different domains", Machine Learning 79, 2010: the A-distance
``d_A = 2 sup_{eta in H} |Pr_S(eta) - Pr_T(eta)|`` is estimated by the error ``err`` of a classifier
trained to tell source from target examples: ``PAD = 2 (1 - 2 err)``. DANN (Ganin et al., JMLR 2016,
Sec. 5.1.5) uses it on learned representations, with a linear SVM trained on one half of the
(source + target) examples and tested on the other half.

Here: both domains are subsampled to the same size (``min(n_s, n_t, max_per_domain)``), split
50/50 stratified by domain (``seed``), standardised with the training half's statistics, and a
linear SVM (or logistic regression) is trained on the first half, its C chosen by 3-fold
cross-validation on that half among ``Cs``; ``err`` is its error on the second half. PAD is about 0
for indistinguishable domains and 2 for separable ones (it can be slightly negative by chance).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
import torch


@dataclass
class PADResult:
    """``pad = 2 (1 - 2 error)``; ``error`` on the held-out half; ``C`` chosen; sizes of the halves."""

    pad: float
    error: float
    C: float
    n_train: int
    n_test: int
    classifier: str

    def as_dict(self) -> dict[str, float | int | str]:
        return asdict(self)


def _np(x: np.ndarray | torch.Tensor) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=np.float64).reshape(len(x), -1)


def proxy_a_distance(
    source: np.ndarray | torch.Tensor,
    target: np.ndarray | torch.Tensor,
    classifier: Literal["svm", "logistic"] = "svm",
    Cs: Sequence[float] = (1e-3, 1e-2, 1e-1, 1.0, 10.0),
    max_per_domain: int | None = 2000,
    seed: int = 0,
) -> PADResult:
    """Proxy A-distance between ``(n_s, F)`` source and ``(n_t, F)`` target features (see the module docstring)."""
    from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    xs, xt = _np(source), _np(target)
    if xs.shape[1] != xt.shape[1]:
        raise ValueError(f"source and target features differ in width: {xs.shape[1]} vs {xt.shape[1]}")
    n = min(len(xs), len(xt), max_per_domain or max(len(xs), len(xt)))
    if n < 4:
        raise ValueError(f"need at least 4 examples per domain, got {min(len(xs), len(xt))}")
    rng = np.random.default_rng(seed)
    xs = xs[rng.permutation(len(xs))[:n]]
    xt = xt[rng.permutation(len(xt))[:n]]
    x = np.concatenate([xs, xt])
    d = np.r_[np.zeros(n, dtype=int), np.ones(n, dtype=int)]
    x_tr, x_te, d_tr, d_te = train_test_split(x, d, test_size=0.5, stratify=d, random_state=seed)
    if classifier == "svm":
        from sklearn.svm import LinearSVC

        model = LinearSVC(dual="auto", max_iter=5000, random_state=seed)
        grid_key = "linearsvc__C"
    elif classifier == "logistic":
        from sklearn.linear_model import LogisticRegression

        model = LogisticRegression(max_iter=2000)
        grid_key = "logisticregression__C"
    else:
        raise ValueError(f"classifier must be 'svm' or 'logistic', got {classifier!r}")
    pipe = make_pipeline(StandardScaler(), model)
    folds = min(3, int(np.bincount(d_tr).min()))
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        if folds >= 2 and len(Cs) > 1:
            search = GridSearchCV(pipe, {grid_key: list(Cs)},
                                  cv=StratifiedKFold(folds, shuffle=True, random_state=seed))
            search.fit(x_tr, d_tr)
            best = search.best_estimator_
            c = float(search.best_params_[grid_key])
        else:
            c = float(Cs[len(Cs) // 2])
            best = pipe.set_params(**{grid_key: c}).fit(x_tr, d_tr)
    err = float((best.predict(x_te) != d_te).mean())
    return PADResult(pad=2.0 * (1.0 - 2.0 * err), error=err, C=c, n_train=len(d_tr), n_test=len(d_te),
                     classifier=classifier)
