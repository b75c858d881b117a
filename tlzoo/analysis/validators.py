"""Unsupervised (target-label-free) model-selection criteria, computed from target predictions.

* **Soft Neighbourhood Density** (Saito et al., "Tune it the Right Way: Unsupervised Validation of
  Domain Adaptation via Soft Neighborhood Density", ICCV 2021, Sec. 3): with ``p_i = softmax(z_i)``
  the class-probability vectors of the N target examples, ``f_i = p_i / ||p_i||``, the similarities
  ``M_ij = f_i . f_j`` (i != j), the soft neighbourhood distribution
  ``P_ij = exp(M_ij / tau) / sum_{k != i} exp(M_ik / tau)`` (``tau = 0.05``) and
  ``SND = 1/N sum_i H(P_i) = -1/N sum_i sum_{j != i} P_ij log P_ij``. **Higher is better**: a model
  whose target predictions form dense, consistent neighbourhoods (well-clustered target) scores
  high. Self-similarity is excluded (the authors' code sets ``M_ii`` to ``-1``, i.e. ``exp(-1/tau)``,
  a weight of about ``e^-40`` relative to a perfect neighbour, the same up to ~1e-17); the entropy uses
  exact ``log P`` (their code adds 1e-5 inside the log).
* **Mutual information** of inputs and predictions (information maximisation; Gomes et al., NIPS
  2010; Shi & Sha, ICML 2012): ``I = H(mean_i p_i) - mean_i H(p_i)``: confident *and* class-balanced
  predictions. Higher is better.
* Mean prediction entropy, ``val/target_entropy``, is logged by every method already (lower is better).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def soft_neighborhood_density(logits: torch.Tensor, temperature: float = 0.05, chunk_size: int = 1024,
                              probabilities: bool = False) -> torch.Tensor:
    """SND of ``(N, C)`` target logits (or probabilities with ``probabilities=True``), N >= 2; O(N) memory
    per row chunk of ``chunk_size`` (O(N^2 C) time)."""
    p = logits.float() if probabilities else F.softmax(logits.float(), dim=1)
    n = len(p)
    if n < 2:
        raise ValueError(f"SND needs at least 2 target examples, got {n}")
    f = F.normalize(p, dim=1)
    total = torch.zeros((), dtype=torch.float64, device=p.device)
    for start in range(0, n, chunk_size):
        rows = f[start:start + chunk_size]
        sim = rows @ f.T / temperature
        idx = torch.arange(len(rows), device=p.device)
        sim[idx, idx + start] = float("-inf")
        prob = F.softmax(sim, dim=1)
        total += torch.special.entr(prob).sum(dtype=torch.float64)
    return (total / n).float()


def mutual_information(logits: torch.Tensor) -> torch.Tensor:
    """``H(mean p) - mean H(p)`` (nats) of ``(N, C)`` logits."""
    log_p = F.log_softmax(logits.float(), dim=1)
    p = log_p.exp()
    cond = -(p * log_p).sum(1).mean()
    marginal = torch.special.entr(p.mean(0)).sum()
    return marginal - cond
