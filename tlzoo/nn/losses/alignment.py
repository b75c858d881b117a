"""Feature-level alignment losses: MMD (single- and multi-kernel), CORAL, and soft-label transfer.
Plain functions on tensors (plus one ``nn.Module`` wrapper for MMD), each recomputed by hand in
``tests/test_losses.py``. The domain classifier and domain confusion terms of Tzeng et al. (ICCV 2015)
are in :mod:`tlzoo.nn.losses.adversarial`, with the other binary domain terms.

References
----------
* MMD, linear kernel: Tzeng et al., "Deep Domain Confusion: Maximizing for Domain Invariance",
  arXiv:1412.3474, 2014 (DDC), ``MMD(X_S, X_T) = || 1/|X_S| sum phi(x_s) - 1/|X_T| sum phi(x_t) ||``.
* MK-MMD: Long et al., "Learning Transferable Features with Deep Adaptation Networks", ICML 2015
  (DAN), eq. (2)-(4): ``d_k^2(p, q) = || E_p[phi(x_s)] - E_q[phi(x_t)] ||^2_{H_k}`` with
  ``k = sum_u beta_u k_u`` a convex combination of Gaussian kernels.
* CORAL: Sun & Saenko, "Deep CORAL: Correlation Alignment for Deep Domain Adaptation", ECCV 2016
  Workshops, eq. (1)-(3).
* Soft labels: Tzeng et al., "Simultaneous Deep Transfer Across Domains and Tasks", ICCV 2015,
  Sec. 3.2, eq. (5).
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import nn

Kernel = Literal["linear", "gaussian"]
Estimator = Literal["biased", "unbiased"]


# -- MMD -----------------------------------------------------------------------------------------
def gaussian_bandwidths(
    sq_dists: torch.Tensor, kernel_num: int = 5, kernel_mul: float = 2.0, bandwidth: float | None = None
) -> torch.Tensor:
    """The ``kernel_num`` bandwidths ``gamma_u`` of the Gaussian kernels ``exp(-||a - b||^2 / gamma_u)``.

    The middle bandwidth is ``bandwidth`` if given, else the mean squared distance over the
    off-diagonal pairs of the pooled sample (the "mean pairwise distance" heuristic of DAN); the
    others are that value times ``kernel_mul ** j`` for ``j = -(kernel_num // 2), ...``. With the
    defaults (5 kernels, ``kernel_mul=2``) the multipliers are ``2^-2, ..., 2^2``. The bandwidth is
    computed from detached distances, i.e. it is treated as a constant when differentiating.
    """
    if kernel_num < 1:
        raise ValueError(f"kernel_num must be >= 1, got {kernel_num}")
    if bandwidth is None:
        n = sq_dists.shape[0]
        base = sq_dists.detach().sum() / max(n * n - n, 1)
        base = base.clamp_min(torch.finfo(sq_dists.dtype).tiny)
    else:
        base = torch.as_tensor(float(bandwidth), dtype=sq_dists.dtype, device=sq_dists.device)
    powers = torch.arange(kernel_num, dtype=sq_dists.dtype, device=sq_dists.device) - kernel_num // 2
    return base * kernel_mul**powers


def kernel_matrix(
    x: torch.Tensor,
    y: torch.Tensor,
    kernel: Kernel = "gaussian",
    kernel_num: int = 5,
    kernel_mul: float = 2.0,
    bandwidth: float | None = None,
) -> torch.Tensor:
    """Kernel matrix of the pooled sample ``z = [x; y]``, shape ``(n + m, n + m)``.

    ``linear``: ``k(a, b) = <a, b>``. ``gaussian``: ``k = 1/U sum_u exp(-||a - b||^2 / gamma_u)``,
    the equal-weight convex combination (``beta_u = 1/U``, which satisfies DAN's constraint
    ``sum_u beta_u = 1``) of ``U = kernel_num`` Gaussian kernels; ``kernel_num=1`` is a single
    Gaussian kernel.
    """
    z = torch.cat([x, y]).flatten(1).float()
    if kernel == "linear":
        return z @ z.T
    if kernel != "gaussian":
        raise ValueError(f"kernel must be 'linear' or 'gaussian', got {kernel!r}")
    sq = torch.cdist(z, z).pow(2)
    gammas = gaussian_bandwidths(sq, kernel_num, kernel_mul, bandwidth)
    return torch.exp(-sq.unsqueeze(0) / gammas.view(-1, 1, 1)).mean(0)


def mmd2(
    source: torch.Tensor,
    target: torch.Tensor,
    kernel: Kernel = "gaussian",
    kernel_num: int = 5,
    kernel_mul: float = 2.0,
    bandwidth: float | None = None,
    estimator: Estimator = "biased",
) -> torch.Tensor:
    """Squared maximum mean discrepancy between two samples (rows are examples).

    ``biased`` (the V-statistic, what DDC and most DAN code compute)::

        MMD^2 = mean(K_ss) + mean(K_tt) - 2 mean(K_st)

    ``unbiased`` (the U-statistic; Gretton et al., JMLR 2012, eq. 3) drops the diagonals of
    ``K_ss`` and ``K_tt``: ``sum_{i != j} K_ss / (n (n-1)) + sum_{i != j} K_tt / (m (m-1)) -
    2 mean(K_st)``; it can be slightly negative.

    With ``kernel="linear"`` and ``biased`` this equals DDC's ``||mean(source) - mean(target)||^2``.
    """
    n, m = len(source), len(target)
    if n == 0 or m == 0:
        raise ValueError("mmd2 needs at least one example per domain")
    k = kernel_matrix(source, target, kernel, kernel_num, kernel_mul, bandwidth)
    k_ss, k_tt, k_st = k[:n, :n], k[n:, n:], k[:n, n:]
    if estimator == "biased":
        return k_ss.mean() + k_tt.mean() - 2 * k_st.mean()
    if estimator != "unbiased":
        raise ValueError(f"estimator must be 'biased' or 'unbiased', got {estimator!r}")
    if n < 2 or m < 2:
        raise ValueError("the unbiased MMD estimate needs at least two examples per domain")
    off_ss = (k_ss.sum() - k_ss.diagonal().sum()) / (n * (n - 1))
    off_tt = (k_tt.sum() - k_tt.diagonal().sum()) / (m * (m - 1))
    return off_ss + off_tt - 2 * k_st.mean()


class MMDLoss(nn.Module):
    """``mmd2`` with its kernel settings fixed: DDC (``kernel="linear"``, or ``gaussian`` with
    ``kernel_num=1``) and DAN's multi-kernel MMD (``gaussian``, ``kernel_num=5``, ``kernel_mul=2``)
    are the same module with different arguments. See :func:`mmd2` for the arguments."""

    def __init__(self, kernel: Kernel = "gaussian", kernel_num: int = 5, kernel_mul: float = 2.0,
                 bandwidth: float | None = None, estimator: Estimator = "biased") -> None:
        super().__init__()
        if kernel not in ("linear", "gaussian"):
            raise ValueError(f"kernel must be 'linear' or 'gaussian', got {kernel!r}")
        if estimator not in ("biased", "unbiased"):
            raise ValueError(f"estimator must be 'biased' or 'unbiased', got {estimator!r}")
        if kernel_num < 1:
            raise ValueError(f"kernel_num must be >= 1, got {kernel_num}")
        self.kernel = kernel
        self.kernel_num = kernel_num
        self.kernel_mul = kernel_mul
        self.bandwidth = bandwidth
        self.estimator = estimator

    def forward(self, source: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return mmd2(source, target, self.kernel, self.kernel_num, self.kernel_mul, self.bandwidth, self.estimator)

    def extra_repr(self) -> str:
        return (f"kernel={self.kernel}, kernel_num={self.kernel_num}, kernel_mul={self.kernel_mul}, "
                f"bandwidth={self.bandwidth}, estimator={self.estimator}")


# -- CORAL ---------------------------------------------------------------------------------------
def covariance(x: torch.Tensor) -> torch.Tensor:
    """Deep CORAL eq. (2)-(3): ``C = 1/(n-1) (D^T D - 1/n (1^T D)^T (1^T D))``, ``D`` is ``(n, d)``."""
    x = x.flatten(1).float()
    n = x.shape[0]
    if n < 2:
        raise ValueError("a covariance needs at least two examples")
    col_sum = x.sum(0, keepdim=True)
    return (x.T @ x - col_sum.T @ col_sum / n) / (n - 1)


def coral_loss(source: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Deep CORAL eq. (1): ``L_CORAL = 1/(4 d^2) ||C_S - C_T||_F^2`` for ``d``-dimensional features."""
    d = source.flatten(1).shape[1]
    diff = covariance(source) - covariance(target)
    return (diff * diff).sum() / (4 * d * d)


# -- soft labels (Tzeng et al., ICCV 2015) --------------------------------------------------------
# The domain classifier and confusion terms of the same paper live in tlzoo.nn.losses.adversarial.
def class_soft_labels(logits: torch.Tensor, labels: torch.Tensor, num_classes: int,
                      temperature: float = 2.0) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-class average of ``softmax(logits / T)`` (ICCV'15 Sec. 3.2, the "soft label" ``l^(k)``).

    Returns ``(soft, present)``: ``soft`` is ``(num_classes, num_classes)`` whose row ``k`` is the
    mean tempered softmax over the examples of class ``k`` (zeros where the class is absent), and
    ``present`` the boolean mask of the classes with at least one example.
    """
    probs = F.softmax(logits.float() / temperature, dim=1)
    onehot = F.one_hot(labels.long(), num_classes).to(probs.dtype)
    counts = onehot.sum(0)
    soft = (onehot.T @ probs) / counts.clamp_min(1).unsqueeze(1)
    return soft, counts > 0


def soft_label_loss(logits: torch.Tensor, labels: torch.Tensor, soft_labels: torch.Tensor,
                    temperature: float = 2.0) -> torch.Tensor:
    """ICCV'15 eq. (5): ``L_soft = -sum_i l_i^(y) log p_i`` with ``p = softmax(logits / T)`` and
    ``l^(y)`` the soft label of the example's class (row ``y`` of ``soft_labels``), averaged over
    the batch."""
    log_p = F.log_softmax(logits.float() / temperature, dim=1)
    return -(soft_labels[labels.long()].to(log_p.dtype) * log_p).sum(1).mean()
