"""Losses on latent codes: the KL term of variational auto-encoders.

Kingma & Welling, "Auto-Encoding Variational Bayes", ICLR 2014, https://arxiv.org/abs/1312.6114,
appendix B: for a diagonal Gaussian posterior ``q(z|x) = N(mu, diag(sigma^2))`` and the prior
``p(z) = N(0, I)``::

    -D_KL(q(z|x) || p(z)) = 1/2 sum_j (1 + log sigma_j^2 - mu_j^2 - sigma_j^2)
"""

from __future__ import annotations

import torch


def gaussian_kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """``D_KL(N(mu, diag(exp(logvar))) || N(0, I))`` summed over the latent dimensions (every dimension
    after the first) and averaged over the batch.

    Code vs. paper: ``mu`` = ``mu``, ``logvar`` = ``log sigma^2`` (appendix B).
    """
    if mu.shape != logvar.shape:
        raise ValueError(f"mu and logvar must have the same shape, got {tuple(mu.shape)} and {tuple(logvar.shape)}")
    mu = mu.to(torch.promote_types(mu.dtype, torch.float32))
    logvar = logvar.to(torch.promote_types(logvar.dtype, torch.float32))
    per_dim = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp())
    return per_dim.flatten(1).sum(1).mean()
