"""Variational parts (plain ``nn.Module``): the Gaussian posterior head of a VAE encoder and the
reparameterisation trick.

Kingma & Welling, "Auto-Encoding Variational Bayes", ICLR 2014, https://arxiv.org/abs/1312.6114,
Sec. 2.4 and appendix C.2: the encoder outputs ``mu`` and ``log sigma^2`` of a diagonal Gaussian
``q(z|x)``, and ``z = mu + sigma * eps`` with ``eps ~ N(0, I)`` keeps ``z`` differentiable in both.
The matching KL term is :func:`tlzoo.nn.losses.latent.gaussian_kl`.
"""

from __future__ import annotations

import torch
from torch import nn


def reparameterize(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """``z = mu + exp(logvar / 2) * eps``, ``eps ~ N(0, I)`` (Kingma & Welling, eq. 10 with L = 1)."""
    return mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)


class GaussianHead(nn.Module):
    """Two linear layers on a feature vector: ``mu`` and ``logvar`` (``log sigma^2``) of ``q(z|x)``.

    In training mode :meth:`forward` returns a sample ``z`` (reparameterised); in eval mode the mean
    (as the UFDN authors' code does at test time).

    Args:
        in_features: width of the encoder features.
        latent_dim: dimension of ``z``.
    """

    def __init__(self, in_features: int, latent_dim: int) -> None:
        super().__init__()
        self.mu = nn.Linear(in_features, latent_dim)
        self.logvar = nn.Linear(in_features, latent_dim)
        self.latent_dim = latent_dim

    def posterior(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(mu, logvar)`` of ``q(z|x)`` from the features ``h`` ``(N, in_features)``."""
        h = h.flatten(1)
        return self.mu(h), self.logvar(h)

    def forward(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(z, mu, logvar)``; ``z`` is sampled in training mode and equals ``mu`` in eval mode."""
        mu, logvar = self.posterior(h)
        z = reparameterize(mu, logvar) if self.training else mu
        return z, mu, logvar
