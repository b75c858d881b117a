"""Importance-weighted estimates of the *target* risk from labelled *source* validation data.

Under covariate shift the target risk of a classifier equals the source risk re-weighted by the density
ratio ``w(x) = p_T(x) / p_S(x)``. Both validators here estimate ``w`` with a domain classifier on the
model's features, then re-weight the per-example losses of the held-out source split: no target label
is used, only the unlabelled target adaptation split.

* **IWCV**, importance-weighted cross-validation (Sugiyama, Krauledat & Müller, "Covariate Shift
  Adaptation by Importance Weighted Cross Validation", JMLR 8, 2007): ``R_IWCV = mean_i w_i l_i``.
* **DEV**, deep embedded validation (You, Wang, Long & Wang, "Towards Accurate Model Selection in Deep
  Unsupervised Domain Adaptation", ICML 2019, Algorithm 1): the density ratio is estimated in the
  *feature* space of the model being validated, and the weighted loss ``L_i = w_i l_i`` gets the
  control variate ``w`` (whose expectation is 1): ``eta = -Cov(L, w) / Var(w)``,
  ``R_DEV = mean(L) + eta * mean(w) - eta``. Same expectation as IWCV, lower variance.

Lower is better for both (they are risks). The density ratio (You et al., Sec. 4.2) is
``w(x) = n_S / n_T * p(target | x) / p(source | x)`` from a probabilistic domain classifier; here a
standardised L2-regularised logistic regression (scikit-learn), *cross-fitted*: each source example's
``p(target | x)`` comes from a classifier that did not see it (``folds``), so the weights do not
overfit the very examples they weigh. Deviation from the paper: their discriminator is trained on
source *training* features and applied to validation features; cross-fitting on the validation
examples keeps the training split out of the estimate and needs no second pass over it.
"""

from __future__ import annotations

import numpy as np


def domain_density_ratio(source_features: np.ndarray, target_features: np.ndarray, folds: int = 3,
                         C: float = 1.0, seed: int = 0) -> np.ndarray:
    """Density ratio ``p_T(x) / p_S(x)`` at each source example, ``(n_S,)`` positive floats.

    Args:
        source_features: ``(n_S, d)`` features of the labelled source validation examples.
        target_features: ``(n_T, d)`` features of unlabelled target examples.
        folds: cross-fitting folds (>= 2).
        C: inverse L2 strength of the logistic regression.
        seed: fold assignment.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    xs, xt = np.asarray(source_features, dtype=np.float64), np.asarray(target_features, dtype=np.float64)
    if xs.ndim != 2 or xt.ndim != 2 or xs.shape[1] != xt.shape[1]:
        raise ValueError(f"expected (n_S, d) and (n_T, d) features, got {xs.shape} and {xt.shape}")
    n_s, n_t = len(xs), len(xt)
    folds = max(2, min(folds, n_s, n_t))
    if n_s < 2 or n_t < 2:
        raise ValueError(f"the density ratio needs at least 2 source and 2 target examples, got {n_s} and {n_t}")
    x = np.concatenate([xs, xt])
    domain = np.r_[np.zeros(n_s), np.ones(n_t)]
    classifier = make_pipeline(StandardScaler(), LogisticRegression(C=C, max_iter=300))
    split = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    p_target = cross_val_predict(classifier, x, domain, cv=split, method="predict_proba")[:n_s, 1]
    p_target = np.clip(p_target, 1e-6, 1 - 1e-6)
    return (n_s / n_t) * p_target / (1 - p_target)


def iwcv_risk(losses: np.ndarray, weights: np.ndarray) -> float:
    """Sugiyama et al. (2007): ``mean_i w_i l_i``."""
    losses, weights = np.asarray(losses, dtype=np.float64), np.asarray(weights, dtype=np.float64)
    return float(np.mean(weights * losses))


def dev_risk(losses: np.ndarray, weights: np.ndarray) -> float:
    """You et al. (2019), Algorithm 1: the weighted loss with the density ratio as control variate."""
    losses, weights = np.asarray(losses, dtype=np.float64), np.asarray(weights, dtype=np.float64)
    weighted = weights * losses
    var = np.var(weights, ddof=1) if len(weights) > 1 else 0.0
    eta = 0.0 if var <= 0 else -np.cov(weighted, weights, ddof=1)[0, 1] / var
    return float(weighted.mean() + eta * weights.mean() - eta)


def importance_weighted_risks(source_features: np.ndarray, source_losses: np.ndarray,
                              target_features: np.ndarray, seed: int = 0) -> dict[str, float]:
    """``{"iwcv_risk": ..., "dev_risk": ..., "mean_weight": ...}`` for one model (see the module docstring)."""
    weights = domain_density_ratio(source_features, target_features, seed=seed)
    return {"iwcv_risk": iwcv_risk(source_losses, weights), "dev_risk": dev_risk(source_losses, weights),
            "mean_weight": float(weights.mean())}
